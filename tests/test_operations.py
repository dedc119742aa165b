"""Operations on real store files: each returns what it changed; writers wait for each other instead
of failing; imports commit in batches; undo is per session; expected failures are plain StoreErrors."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.importers import load_export
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store, StoreError, memories, operations
from scallop_curator.store import store as store_module
from scallop_curator.store.changes import Changes

INFO = RunInfo(model="m.gguf", model_hash="h", prompt_version="extract-v1")


def fact(content: str, subject: str = "user", category: str = "personal", **extra: object) -> Fact:
    return Fact.model_validate({"content": content, "subject": subject, "category": category, "confidence": 0.9,
                                **extra})


@pytest.fixture
def db_path(tmp_path: Path, sample_export: Path) -> Path:
    path = tmp_path / "memories.db"
    s = Store(path)
    s.import_file(load_export(sample_export), str(sample_export))
    s.close()
    return path


@pytest.fixture
def store(db_path: Path):
    s = Store(db_path)
    yield s
    s.close()


def user_turns(store: Store) -> list[tuple[str, int, int]]:
    found = []
    for summary in store.conversations():
        found += [(summary.id, t.index, t.id) for t in store.turns(summary.id) if t.role == "user"]
    return found


def propose(store: Store, facts: list[Fact], turn: int = 0) -> list[int]:
    conversation_id, index, _ = user_turns(store)[turn]
    run = store.start_run(INFO)
    return store.record_result(run, INFO, TurnResult(conversation_id=conversation_id, turn_index=index,
                                                     parse_ok=True, facts=facts, raw_output="{}"))


def test_decide_returns_what_it_changed(store: Store) -> None:
    ids = propose(store, [fact("Lives in Paris")])
    proposal = store.proposal(ids[0])
    changes = operations.decide(store, ids[0], Status.ACCEPTED)
    kept = memories.listed(store.db)
    assert [m.content for m in kept] == ["Lives in Paris"]
    assert changes.proposals == {ids[0]} and changes.conversations == {proposal.conversation_id}
    assert changes.turns == {proposal.turn_id} and changes.memories == {kept[0].id} and changes.journal
    undone = operations.undo(store)
    assert undone.focus == ids[0] and undone.memories == {kept[0].id}
    assert memories.listed(store.db) == []
    redone = operations.redo(store)
    assert redone.focus == ids[0] and [m.content for m in memories.listed(store.db)] == ["Lives in Paris"]


def test_changes_merge_and_emptiness() -> None:
    assert Changes().empty
    merged = Changes(proposals=frozenset([1]), focus=1) | Changes(memories=frozenset([2]), journal=True)
    assert merged.proposals == {1} and merged.memories == {2} and merged.journal and merged.focus == 1
    with pytest.raises(AttributeError):
        merged.focus = 3  # type: ignore[misc]


def test_writes_begin_as_writers(store: Store) -> None:
    """A deferred BEGIN that reads first cannot wait for the lock when it later writes; ours starts
    with BEGIN IMMEDIATE, so it takes the write lock up front."""
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    ids = propose(store, [fact("Has a cat")])
    operations.decide(store, ids[0], Status.ACCEPTED)
    store.db.conn.set_trace_callback(None)
    begins = [s for s in statements if s.upper().startswith("BEGIN")]
    assert begins and all(s.upper() == "BEGIN IMMEDIATE" for s in begins)


def test_a_decision_waits_for_another_writer_instead_of_failing(db_path: Path) -> None:
    window = Store(db_path)
    ids = propose(window, [fact("Plays the cello")])
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE conversations SET title = title")
    released = threading.Event()

    def release() -> None:
        time.sleep(0.5)
        other.execute("COMMIT")
        released.set()

    threading.Thread(target=release).start()
    operations.decide(window, ids[0], Status.ACCEPTED)  # waits for the other writer's commit
    assert released.is_set()
    assert [m.content for m in memories.listed(window.db)] == ["Plays the cello"]
    other.close()
    window.close()


def test_locked_store_is_one_plain_error_for_undo_redo_and_add_by_hand(db_path: Path) -> None:
    window = Store(db_path)
    ids = propose(window, [fact("Speaks Welsh")])
    operations.decide(window, ids[0], Status.ACCEPTED)
    conversation_id, _, turn_id = user_turns(window)[0]
    window.db.execute("PRAGMA busy_timeout = 50")
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        for attempt in (lambda: operations.undo(window), lambda: operations.redo(window),
                        lambda: operations.add_by_hand(window, conversation_id, turn_id, "Owns a boat"),
                        lambda: operations.decide(window, ids[0], Status.REJECTED),
                        lambda: operations.forget_memory(window, memories.listed(window.db)[0].id)):
            with pytest.raises(StoreError, match="busy"):
                attempt()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert [m.content for m in memories.listed(window.db)] == ["Speaks Welsh"]
    window.close()


def test_read_only_store_is_a_plain_error(db_path: Path) -> None:
    window = Store(db_path)
    ids = propose(window, [fact("Likes rain")])
    window.close()
    ro = Store(db_path)
    ro.db.execute("PRAGMA query_only = ON")
    with pytest.raises(StoreError):
        operations.decide(ro, ids[0], Status.ACCEPTED)
    ro.db.execute("PRAGMA query_only = OFF")
    ro.close()


def test_import_commits_in_batches_and_a_cancel_takes_it_back(tmp_path: Path, sample_export: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "IMPORT_BATCH", 1)
    monkeypatch.setattr(store_module, "IMPORT_BATCH_MAX_SECONDS", 0.0)  # no longer batches while no one waits
    imported = load_export(sample_export)
    assert len(imported.conversations) >= 2
    s = Store(tmp_path / "batched.db")
    statements: list[str] = []
    s.db.conn.set_trace_callback(statements.append)
    summary, changes = operations.import_file(s, imported, str(sample_export))
    s.db.conn.set_trace_callback(None)
    assert changes.imported and changes.conversations == {c.id for c in imported.conversations}
    assert summary.new_conversations == len(imported.conversations)
    assert sum(st == "COMMIT" for st in statements) >= len(imported.conversations)
    s.close()

    fresh = Store(tmp_path / "cancelled.db")
    calls = iter(range(1000))
    with pytest.raises(store_module.ImportCancelled):
        fresh.import_file(imported, str(sample_export), should_stop=lambda: next(calls) >= 1)
    assert fresh.conversation_count() == 0
    assert fresh.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    fresh.close()


def test_a_bug_in_the_middle_of_an_import_takes_it_back_too(tmp_path: Path, sample_export: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Not only a cancel or a store error: any failure after a batch committed leaves no half file."""
    monkeypatch.setattr(store_module, "IMPORT_BATCH", 1)
    monkeypatch.setattr(store_module, "IMPORT_BATCH_MAX_SECONDS", 0.0)
    imported = load_export(sample_export)
    store = Store(tmp_path / "failed.db")
    merge = store._merge_conversation
    merged: list[str] = []

    def fail_on_the_second(conversation, *args):  # type: ignore[no-untyped-def]
        if merged:
            raise RuntimeError("a bug")
        merged.append(conversation.id)
        return merge(conversation, *args)

    monkeypatch.setattr(store, "_merge_conversation", fail_on_the_second)
    with pytest.raises(RuntimeError):
        store.import_file(imported, str(sample_export))
    assert merged  # the first conversation's batch had committed
    assert store.conversation_count() == 0
    assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    store.close()


def test_a_cancel_during_the_last_conversation_keeps_nothing(tmp_path: Path, sample_export: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Cancel pressed while the file's last conversation merges: the file is not committed (the
    window says "nothing of the unfinished file was kept"), earlier batches are taken back."""
    monkeypatch.setattr(store_module, "IMPORT_BATCH", 1)
    monkeypatch.setattr(store_module, "IMPORT_BATCH_MAX_SECONDS", 0.0)
    imported = load_export(sample_export)
    store = Store(tmp_path / "late_cancel.db")
    merge = store._merge_conversation
    last = imported.conversations[-1].id
    stop = False

    def merge_then_cancel(conversation, *args):  # type: ignore[no-untyped-def]
        nonlocal stop
        result = merge(conversation, *args)
        stop = stop or conversation.id == last  # the user pressed Cancel while it merged
        return result

    monkeypatch.setattr(store, "_merge_conversation", merge_then_cancel)
    with pytest.raises(store_module.ImportCancelled):
        store.import_file(imported, str(sample_export), should_stop=lambda: stop)
    assert store.conversation_count() == 0
    assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    store.close()


def test_undo_undoes_only_this_sessions_decisions(db_path: Path) -> None:
    first, second = Store(db_path), Store(db_path)
    assert first.origin != second.origin
    a, b = propose(first, [fact("Drinks tea"), fact("Runs marathons")])
    operations.decide(first, a, Status.ACCEPTED)
    operations.decide(second, b, Status.REJECTED)
    assert operations.undo(first).focus == a
    assert second.proposal(b).status is Status.REJECTED  # the other window's decision stands
    assert not first.can_undo() and second.can_undo()
    assert operations.undo(second).focus == b
    first.close()
    second.close()


def test_a_restarted_window_adopts_its_closed_session(db_path: Path) -> None:
    s = Store(db_path)
    (a,) = propose(s, [fact("Collects stamps")])
    operations.decide(s, a, Status.ACCEPTED)
    origin = s.origin
    s.close()
    again = Store(db_path)
    assert again.origin == origin and again.can_undo()
    again.close()


def test_data_version_moves_only_for_other_connections(db_path: Path) -> None:
    first, second = Store(db_path), Store(db_path)
    (a,) = propose(first, [fact("Knits")])
    mine = first.data_version()
    operations.decide(first, a, Status.ACCEPTED)
    assert first.data_version() == mine
    theirs = second.data_version()
    operations.undo(first)
    assert second.data_version() != theirs
    first.close()
    second.close()


def test_bulk_decision_is_one_undo_step(store: Store) -> None:
    ids = propose(store, [fact("Likes jazz", category="general"), fact("Likes opera", category="general"),
                          fact("Owns a kayak", category="general")])
    changes = operations.decide_many(store, ids, Status.REJECTED)
    assert changes.proposals == set(ids)
    assert {store.proposal(i).status for i in ids} == {Status.REJECTED}
    undone = operations.undo(store)
    assert undone.proposals == set(ids)
    assert {store.proposal(i).status for i in ids} == {Status.PENDING}
    operations.redo(store)
    assert {store.proposal(i).status for i in ids} == {Status.REJECTED}


def test_memory_operations_keep_history_and_report_unknown_ids(store: Store) -> None:
    (a,) = propose(store, [fact("Works at the library")])
    operations.decide(store, a, Status.ACCEPTED)
    memory = memories.listed(store.db)[0]
    assert operations.edit_memory(store, memory.id, "Works at the city library").memories == {memory.id}
    operations.forget_memory(store, memory.id)
    assert memories.listed(store.db) == []
    assert memories.listed(store.db, statuses=("forgotten",))[0].valid_until
    operations.restore_memory(store, memory.id)
    steps = memories.history(store.db, memory.id)
    assert [(h.old_text, h.new_text) for h in steps][:2] == [(None, "Works at the library"),
                                                              ("Works at the library", "Works at the city library")]
    assert [h.new_status for h in steps][-2:] == ["forgotten", "current"]
    with pytest.raises(StoreError, match="no memory 999"):
        operations.forget_memory(store, 999)


def test_memory_edit_forget_restore_undo_and_redo_in_the_decisions_journal(store: Store) -> None:
    (a,) = propose(store, [fact("Works at the library")])
    operations.decide(store, a, Status.ACCEPTED)
    memory_id = memories.listed(store.db)[0].id
    edited = operations.edit_memory(store, memory_id, "Works at the city library")
    assert edited.journal and store.can_undo()
    operations.forget_memory(store, memory_id)
    assert memories.get(store.db, memory_id).status == memories.FORGOTTEN

    undone = operations.undo(store)  # the forget
    assert undone.memories == {memory_id} and undone.journal and not undone.proposals
    row = memories.get(store.db, memory_id)
    assert (row.status, row.valid_until, row.content) == (memories.CURRENT, None, "Works at the city library")
    operations.undo(store)  # the edit
    assert memories.get(store.db, memory_id).content == "Works at the library"
    assert memories.listed(store.db, search="city") == []  # the full-text index follows
    undone = operations.undo(store)  # the decision that kept it
    assert undone.proposals == {a} and store.proposal(a).status is Status.PENDING
    assert memories.listed(store.db) == []

    operations.redo(store)
    memory_id = memories.listed(store.db)[0].id
    redone = operations.redo(store)
    assert redone.memories == {memory_id}
    assert memories.listed(store.db, search="city")[0].id == memory_id
    operations.redo(store)
    assert memories.get(store.db, memory_id).status == memories.FORGOTTEN and not store.can_redo()
    assert [step.why for step in memories.history(store.db, memory_id)][-2:] == ["redone by hand"] * 2
    operations.undo(store)
    assert memories.history(store.db, memory_id)[-1].why == "undone by hand"


def test_undo_leaves_a_memory_alone_that_changed_since(db_path: Path) -> None:
    first, second = Store(db_path), Store(db_path)
    try:
        _, _, memory_id = operations.add_memory(first, "Likes figs", "user", "preference")
        operations.edit_memory(first, memory_id, "Likes fresh figs")
        operations.edit_memory(second, memory_id, "Likes dried figs")  # another window, later
        operations.undo(first)
        assert memories.get(first.db, memory_id).content == "Likes dried figs"
    finally:
        first.close()
        second.close()


def test_a_memory_change_ends_the_redo_chain_and_belongs_to_its_session(db_path: Path) -> None:
    first, second = Store(db_path), Store(db_path)
    try:
        _, _, memory_id = operations.add_memory(first, "Likes figs", "user", "preference")
        operations.edit_memory(first, memory_id, "Likes fresh figs")
        operations.undo(first)
        assert first.can_redo()
        operations.forget_memory(first, memory_id)
        assert not first.can_redo()  # a new step ends the redo chain
        assert not second.can_undo()  # the other window cannot undo this window's change
        assert operations.undo(second).empty is False and memories.get(second.db, memory_id).status == "forgotten"
        operations.undo(first)
        assert memories.get(first.db, memory_id).status == memories.CURRENT
        # a change that changes nothing is not a step
        assert operations.restore_memory(first, memory_id).empty
        assert not first.can_undo()
    finally:
        first.close()
        second.close()


def test_new_results_still_replace_undecided_proposals_after_memory_steps(store: Store) -> None:
    _, _, memory_id = operations.add_memory(store, "Likes figs", "user", "preference")
    operations.forget_memory(store, memory_id)  # a journal row without a proposal
    propose(store, [fact("Has a cat")])
    (second,) = propose(store, [fact("Has a dog")])
    turn_id = store.proposal(second).turn_id
    kept = store.db.execute("SELECT content FROM proposals WHERE turn_id = ?", [turn_id]).fetchall()
    assert kept == [("Has a dog",)]  # the undecided "Has a cat" was replaced


def _many_conversations(count: int) -> ImportedFile:
    from scallop_curator.domain.conversation import Conversation

    return ImportedFile(format_name="test", conversations=[Conversation.from_dict({
        "id": f"big-{i}", "title": f"Conversation {i}",
        "turns": [{"role": "user" if t % 2 == 0 else "assistant", "text": f"Message {t} of {i} about sailing boats",
                   "source_id": f"{i}-{t}"} for t in range(12)]}) for i in range(count)])


def test_decisions_take_turns_with_a_long_import_instead_of_waiting_for_it(db_path: Path) -> None:
    """An import commits batch after batch; a decision made meanwhile gets the write lock between two
    batches (it says it waits, and the import lets it in), so every decision is saved long before the
    import ends, none fails as busy, and the import is whole."""
    window = Store(db_path)
    ids = propose(window, [fact(f"Owns boat number {i}") for i in range(8)])
    imported = _many_conversations(4000)
    started, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def run_import() -> None:
        importer = Store(db_path)  # its own connection, on its own thread, as the window's import
        try:
            importer.import_file(imported, "big.json", progress=lambda position, _total: position and started.set())
        except BaseException as error:  # noqa: BLE001 - reported by the test
            failures.append(error)
        finally:
            started.set()
            done.set()
            importer.close()

    thread = threading.Thread(target=run_import)
    thread.start()
    started.wait(60)  # the import has committed batches and goes on
    for proposal_id in ids:
        operations.decide(window, proposal_id, Status.ACCEPTED)
    decided_while_importing = not done.is_set()
    thread.join(120)
    assert not failures and decided_while_importing
    assert window.db.execute("SELECT COUNT(*) FROM conversations WHERE id LIKE 'big-%'").fetchone()[0] == 4000
    assert {window.proposal(i).status for i in ids} == {Status.ACCEPTED}
    window.close()
