"""The SQLite store on real files: schema, permissions, merge-on-reimport, decisions, undo, durability."""

from __future__ import annotations

import copy
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from scallop_curator import paths
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.importers import load_export
from scallop_curator.store import Store, StoreError

INFO = RunInfo(model="SmolLM2-135M-Instruct.Q4_1.gguf", model_hash="abc123", prompt_version="extract-v1")


def fact(content: str, **extra: object) -> Fact:
    return Fact.model_validate({"content": content, "subject": "user", "category": "personal", "confidence": 0.9,
                                **extra})


@pytest.fixture
def store(tmp_path: Path, sample_export: Path):
    s = Store(tmp_path / "memories.db")
    s.import_file(load_export(sample_export), str(sample_export))
    yield s
    s.close()


def first_user_turn(store: Store) -> tuple[str, int]:
    """A (conversation id, turn index) of a user turn in the imported sample."""
    for summary in store.conversations():
        for turn in store.turns(summary.id):
            if turn.role == "user":
                return summary.id, turn.index
    raise AssertionError("the sample has no user turn")


def propose(store: Store, facts: list[Fact]) -> tuple[int, list[int]]:
    conversation_id, index = first_user_turn(store)
    run = store.start_run(INFO)
    ids = store.record_result(run, INFO, TurnResult(conversation_id=conversation_id, turn_index=index,
                                                    parse_ok=True, facts=facts, raw_output="{}"))
    return run, ids


# ------------------------------------------------------------------ file and schema
def test_new_store_creates_schema_in_wal_mode_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "memories.db"
    Store(path).close()
    raw = sqlite3.connect(path)
    tables = {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"conversations", "turns", "runs", "turn_results", "proposals", "journal", "memories", "meta"} <= tables
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    from scallop_curator.store import migrations

    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(migrations.latest())
    raw.close()
    assert path.stat().st_mode & 0o777 == 0o600


def test_reopening_keeps_data_and_permissions(store: Store) -> None:
    before = len(store.conversations())
    path = store.path
    store.close()
    reopened = Store(path)
    try:
        assert len(reopened.conversations()) == before == 5
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(str(path) + suffix)
            if candidate.exists():
                assert candidate.stat().st_mode & 0o077 == 0, candidate
    finally:
        reopened.close()


def test_garbage_file_raises_plain_store_error(tmp_path: Path) -> None:
    path = tmp_path / "memories.db"
    path.write_bytes(b"this is not sqlite at all\n" * 200)
    with pytest.raises(StoreError) as caught:
        Store(path)
    message = str(caught.value)
    assert str(path) in message
    assert "not a Scallop Curator store" in message
    assert "\n" not in message and "Traceback" not in message


def test_store_locked_by_another_program_raises_plain_store_error(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    other = sqlite3.connect(store.path, timeout=0)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    try:
        with pytest.raises(StoreError, match="is busy"):
            store.decide(ids[0], Status.ACCEPTED)
    finally:
        other.rollback()
        other.close()
    assert store.proposal(ids[0]).status is Status.PENDING
    assert store.decide(ids[0], Status.ACCEPTED).status is Status.ACCEPTED


# ------------------------------------------------------------------ db path
def test_db_path_precedence(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert paths.default_db_path() == isolated_home / "data" / "memories.db"
    monkeypatch.setenv(paths.DB_ENV, str(tmp_path / "env.db"))
    assert paths.default_db_path() == tmp_path / "env.db"
    assert paths.default_db_path(tmp_path / "flag.db") == tmp_path / "flag.db"
    assert paths.default_db_path(str(tmp_path / "flag.db")) == tmp_path / "flag.db"


# ------------------------------------------------------------------ import
def test_importing_the_same_export_twice_adds_nothing(tmp_path: Path, sample_export: Path) -> None:
    store = Store(tmp_path / "memories.db")
    try:
        first = store.import_file(load_export(sample_export), str(sample_export))
        assert (first.new_conversations, first.new_turns) == (5, 29)
        assert sum(c.user_turns for c in store.conversations()) == 15
        second = store.import_file(load_export(sample_export), str(sample_export))
        assert (second.new_conversations, second.new_turns, second.unchanged_conversations) == (0, 0, 5)
        assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 29
    finally:
        store.close()


def _newer_export(sample_export: Path, folder: Path) -> tuple[Path, str, str]:
    """The sample plus one user turn appended to the first conversation and one new conversation."""
    data = json.loads(sample_export.read_text(encoding="utf-8"))
    first = data[0]
    leaf = first["current_node"]
    new_id = "11111111-2222-3333-4444-555555555555"
    first["mapping"][leaf]["children"].append(new_id)
    first["mapping"][new_id] = {
        "id": new_id,
        "message": {"id": new_id, "author": {"role": "user", "name": None, "metadata": {}},
                    "create_time": 1746260000, "content": {"content_type": "text",
                                                           "parts": ["I also started learning Frisian."]},
                    "status": "finished_successfully", "weight": 1.0, "metadata": {}, "recipient": "all"},
        "parent": leaf, "children": [],
    }
    first["current_node"] = new_id
    extra = copy.deepcopy(data[1])
    extra["id"] = extra["conversation_id"] = "99999999-8888-7777-6666-555555555555"
    extra["title"] = "A brand new chat"
    data.append(extra)
    out = folder / "newer.json"
    out.write_text(json.dumps(data), encoding="utf-8")
    return out, f"chatgpt:{first['conversation_id']}", f"chatgpt:{extra['id']}"


def test_newer_export_adds_only_new_turns_and_keeps_decisions(store: Store, sample_export: Path,
                                                              tmp_path: Path) -> None:
    conversation_id, index = first_user_turn(store)
    run = store.start_run(INFO)
    ids = store.record_result(run, INFO, TurnResult(conversation_id=conversation_id, turn_index=index,
                                                    parse_ok=True, facts=[fact("Learns Dutch")]))
    store.decide(ids[0], Status.ACCEPTED)
    turns_before = {t.id: (t.index, t.text) for c in store.conversations() for t in store.turns(c.id)}

    newer, grown_id, new_id = _newer_export(sample_export, tmp_path)
    summary = store.import_file(load_export(newer), str(newer))

    assert (summary.new_conversations, summary.new_turns) == (1, 1 + len(store.turns(new_id)))
    assert summary.unchanged_conversations == 4
    grown = store.turns(grown_id)
    assert grown[-1].text == "I also started learning Frisian." and grown[-1].role == "user"
    turns_after = {t.id: (t.index, t.text) for c in store.conversations() for t in store.turns(c.id)}
    assert {k: v for k, v in turns_after.items() if k in turns_before} == turns_before
    assert store.proposal(ids[0]).status is Status.ACCEPTED
    assert [m["content"] for m in store.memories()] == ["Learns Dutch"]


# ------------------------------------------------------------------ extraction results
def test_record_result_keeps_provenance_and_replaces_only_undecided(store: Store) -> None:
    run, ids = propose(store, [fact("Lives in Porto"), fact("Works as a nurse", category="work")])
    assert len(ids) == 2
    row = store.db.execute("SELECT run_id, model, model_hash, prompt_version, status FROM proposals WHERE id = ?",
                           [ids[0]]).fetchone()
    assert row == (run, INFO.model, "abc123", "extract-v1", "pending")
    stored = store.proposal(ids[1])
    assert (stored.model, stored.prompt_version, stored.category) == (INFO.model, "extract-v1", "work")
    store.decide(ids[0], Status.ACCEPTED)

    run2, ids2 = propose(store, [fact("Lives in Lisbon")])
    assert run2 != run
    conversation_id = stored.conversation_id
    remaining = {p.id: (p.content, p.status) for p in store.proposals(conversation_id)}
    assert remaining == {ids[0]: ("Lives in Porto", Status.ACCEPTED), ids2[0]: ("Lives in Lisbon", Status.PENDING)}
    assert store.db.execute("SELECT run_id FROM proposals WHERE id = ?", [ids2[0]]).fetchone()[0] == run2
    latest = store.turn_results(conversation_id)
    assert len(latest) == 1 and next(iter(latest.values())).n_facts == 1


# ------------------------------------------------------------------ decisions
@pytest.mark.parametrize("status", [Status.ACCEPTED, Status.EDITED, Status.REJECTED, Status.SKIPPED])
def test_decide_keeps_memories_in_step(store: Store, status: Status) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    edited = "Vive em <b>Porto</b> 🐚 — «naïve» & \"quoted\"\nsecond line" if status is Status.EDITED else None
    result = store.decide(ids[0], status, edited)
    assert result.status is status
    memories = store.memories()
    if status in (Status.ACCEPTED, Status.EDITED):
        assert len(memories) == 1
        memory = memories[0]
        assert memory["content"] == (edited if edited else "Lives in Porto")
        assert memory["proposal_id"] == ids[0]
        assert memory["conversation_id"] == result.conversation_id
        assert json.loads(memory["source_turn_ids"]) == [result.turn_id]
        assert store.proposal(ids[0]).text == memory["content"]
    else:
        assert memories == []
    assert store.pending_count() == 0


def test_changing_a_decision_replaces_the_memory(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    store.decide(ids[0], Status.ACCEPTED)
    store.decide(ids[0], Status.EDITED, "Lives in Porto, Portugal")
    assert [m["content"] for m in store.memories()] == ["Lives in Porto, Portugal"]
    store.decide(ids[0], Status.REJECTED)
    assert store.memories() == []


def test_undo_and_redo_survive_a_restart(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto"), fact("Has a cat named Miso")])
    store.decide(ids[0], Status.ACCEPTED)
    store.decide(ids[1], Status.EDITED, "Has a cat, Miso 🐈")
    path = store.path
    store.close()

    reopened = Store(path)
    try:
        assert reopened.can_undo() and not reopened.can_redo()
        assert reopened.undo() == ids[1]
        assert reopened.proposal(ids[1]).status is Status.PENDING
        assert reopened.proposal(ids[1]).edited_text is None
        assert [m["content"] for m in reopened.memories()] == ["Lives in Porto"]
    finally:
        reopened.close()

    again = Store(path)
    try:
        assert again.can_redo()
        assert again.undo() == ids[0]
        assert again.memories() == []
        assert again.redo() == ids[0]  # redo replays in the order the decisions were made
        assert again.redo() == ids[1]
        assert again.redo() is None
        assert sorted(m["content"] for m in again.memories()) == ["Has a cat, Miso 🐈", "Lives in Porto"]
        # a new decision after an undo ends the redo chain
        again.undo()
        again.decide(ids[1], Status.REJECTED)
        assert not again.can_redo()
        assert [m["content"] for m in again.memories()] == ["Lives in Porto"]
    finally:
        again.close()


def test_re_extraction_keeps_a_proposal_whose_decision_was_undone(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    store.decide(ids[0], Status.ACCEPTED)
    store.undo()
    propose(store, [fact("Lives in Lisbon")])
    assert store.redo() == ids[0]
    assert [m["content"] for m in store.memories()] == ["Lives in Porto"]


def test_add_manual_accepts_at_once_and_undo_withdraws_it(store: Store) -> None:
    conversation_id, index = first_user_turn(store)
    turn_id = store.turn_id(conversation_id, index)
    manual = store.add_manual(conversation_id, turn_id, "Prefers tea over coffee ☕", category="preference")
    assert manual.manual and manual.status is Status.ACCEPTED and manual.model is None
    assert [(m["content"], m["category"]) for m in store.memories()] == [("Prefers tea over coffee ☕", "preference")]
    assert store.undo() == manual.id
    assert store.proposal(manual.id).status is Status.WITHDRAWN
    assert store.memories() == []
    assert manual.id not in {p.id for p in store.proposals(conversation_id)}
    assert store.redo() == manual.id
    assert len(store.memories()) == 1


def test_decision_is_committed_when_decide_returns(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    store.decide(ids[0], Status.EDITED, "Lives in Porto 🌊")
    other = sqlite3.connect(store.path)
    try:
        assert other.execute("SELECT status, edited_text FROM proposals WHERE id = ?", [ids[0]]).fetchone() == (
            "edited", "Lives in Porto 🌊")
        assert other.execute("SELECT content FROM memories WHERE proposal_id = ?", [ids[0]]).fetchone() == (
            "Lives in Porto 🌊",)
    finally:
        other.close()


def test_decision_survives_the_process_being_killed(store: Store) -> None:
    _, ids = propose(store, [fact("Lives in Porto")])
    path = store.path
    store.close()
    code = textwrap.dedent(
        f"""
        import sys, time
        from scallop_curator.store import Store
        from scallop_curator.domain.review import Status
        store = Store({str(path)!r})
        store.decide({ids[0]}, Status.EDITED, "Lives in Porto (killed right after)")
        print("done", flush=True)
        time.sleep(60)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()
        assert line.strip() == "done", child.stderr.read() if child.poll() is not None else line
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
        assert child.returncode == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    reopened = Store(path)
    try:
        assert reopened.proposal(ids[0]).status is Status.EDITED
        assert [m["content"] for m in reopened.memories()] == ["Lives in Porto (killed right after)"]
        assert reopened.can_undo()
    finally:
        reopened.close()


def test_reimport_with_a_turn_gone_keeps_positions_aligned(tmp_path: Path) -> None:
    """A newer export that lacks a turn (another branch chosen) must not shift results onto the
    wrong turn: stored positions stay dense and match the cases built from the store."""
    from scallop_curator.domain.conversation import Conversation, Turn
    from scallop_curator.domain.facts import Fact
    from scallop_curator.domain.results import RunInfo, TurnResult
    from scallop_curator.importers.base import ImportedFile

    def export(ids: str) -> ImportedFile:
        roles = {"a": "user", "b": "assistant", "c": "user", "d": "assistant", "e": "user"}
        turns = [Turn(role=roles[i], text=f"text {i}", source_id=i) for i in ids]  # type: ignore[arg-type]
        return ImportedFile(format_name="test", conversations=[Conversation(id="x", title="t", turns=turns)])

    store = Store(tmp_path / "r.db")
    store.import_file(export("abcde"), "one")
    store.import_file(export("acde"), "two")
    positions = [t.index for t in store.turns("x")]
    assert positions == list(range(5))
    info = RunInfo(model="m", prompt_version="v")
    run = store.start_run(info)
    for case in store.conversation("x").extraction_cases():
        store.record_result(run, info, TurnResult(
            conversation_id="x", turn_index=case.turn_index, parse_ok=True,
            facts=[Fact(content=case.message, subject="user", category="general", confidence=0.5)]))
    texts = {t.id: t for t in store.turns("x")}
    for proposal in store.proposals("x"):
        assert texts[proposal.turn_id].role == "user"
        assert texts[proposal.turn_id].text == proposal.content
    store.close()
