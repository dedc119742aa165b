"""Re-imports match turns by content and order, not position: results and decisions stay on their turns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.importers import load_export
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store

INFO = RunInfo(model="m", prompt_version="v")
BASE = [("user", "I moved to Porto."), ("assistant", "Nice city."), ("user", "I adopted a cat."),
        ("assistant", "Cats are great."), ("user", "I work night shifts."), ("assistant", "Sleep well.")]


def export(pairs: list[tuple[str, str]], ids: list[str] | None = None) -> ImportedFile:
    """A conversation whose turn ids are positions, as transcripts and ShareGPT give them."""
    ids = ids or [str(i) for i in range(len(pairs))]
    turns = [Turn(role=r, text=t, source_id=s) for (r, t), s in zip(pairs, ids)]  # type: ignore[arg-type]
    return ImportedFile("test", [Conversation(id="c", title="t", turns=turns)])


def extract_and_accept(store: Store) -> dict[str, int]:
    """Extract every case; accept each proposal; return the turn text -> proposal id."""
    run = store.start_run(INFO)
    found = {}
    for case in store.conversation("c").extraction_cases():
        ids = store.record_result(run, INFO, TurnResult(
            conversation_id="c", turn_index=case.turn_index, parse_ok=True,
            facts=[Fact(content=case.message, subject="user", category="general", confidence=0.9)]))
        store.decide(ids[0], Status.ACCEPTED)
        found[case.message] = ids[0]
    return found


def assert_decisions_on_their_turns(store: Store, decided: dict[str, int]) -> None:
    turns = {t.id: t for t in store.turns("c")}
    assert [t.index for t in store.turns("c")] == list(range(len(turns)))
    results = store.turn_results("c")
    for text, proposal_id in decided.items():
        proposal = store.proposal(proposal_id)
        assert proposal.status is Status.ACCEPTED
        assert turns[proposal.turn_id].text == text
        assert proposal.turn_id in results
        assert store.turns("c")[proposal.turn_index].text == text
    for case in store.conversation("c").extraction_cases():
        assert store.turns("c")[case.turn_index].text == case.message


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "s.db")
    yield s
    s.close()


def test_a_pair_inserted_in_the_middle_is_stored_once(store: Store) -> None:
    store.import_file(export(BASE), "one")
    decided = extract_and_accept(store)
    grown = BASE[:2] + [("user", "My sister lives in Lyon."), ("assistant", "Lyon is nice.")] + BASE[2:]
    summary = store.import_file(export(grown), "two")
    assert summary.new_turns == 2
    assert [(t.role, t.text) for t in store.turns("c")] == grown
    assert_decisions_on_their_turns(store, decided)
    new_turn = next(t for t in store.turns("c") if t.text == "My sister lives in Lyon.")
    assert new_turn.id not in store.turn_results("c")  # still to extract; its case points at it
    case = next(c for c in store.conversation("c").extraction_cases() if c.message == new_turn.text)
    assert case.turn_index == new_turn.index and case.context == "Nice city."
    again = store.import_file(export(grown), "three")
    assert (again.new_turns, again.unchanged_conversations) == (0, 1)


def test_a_deleted_turn_keeps_its_place_and_decision(store: Store) -> None:
    store.import_file(export(BASE), "one")
    decided = extract_and_accept(store)
    summary = store.import_file(export(BASE[:2] + BASE[4:]), "two")
    assert summary.new_turns == 0
    assert [(t.role, t.text) for t in store.turns("c")] == BASE
    assert_decisions_on_their_turns(store, decided)


def test_an_edited_turn_is_added_beside_the_old_one(store: Store) -> None:
    store.import_file(export(BASE), "one")
    decided = extract_and_accept(store)
    edited = list(BASE)
    edited[2] = ("user", "I adopted two cats.")
    summary = store.import_file(export(edited), "two")
    assert summary.new_turns == 1
    texts = [t.text for t in store.turns("c")]
    assert texts == [t for _, t in BASE[:3]] + ["I adopted two cats."] + [t for _, t in BASE[3:]]
    assert_decisions_on_their_turns(store, decided)
    assert len({t.id for t in store.turns("c")}) == 7


def test_a_real_message_id_keeps_its_turn_when_the_text_is_rendered_differently(store: Store) -> None:
    ids = ["m-a", "m-b", "m-c", "m-d", "m-e", "m-f"]
    store.import_file(export(BASE, ids), "one")
    decided = extract_and_accept(store)
    rendered = list(BASE)
    rendered[2] = ("user", "I adopted a cat!")
    summary = store.import_file(export(rendered, ids), "two")
    assert (summary.new_turns, len(store.turns("c"))) == (0, 6)
    cat = store.proposal(decided["I adopted a cat."])
    assert store.turns("c")[cat.turn_index].text == "I adopted a cat!" and cat.status is Status.ACCEPTED


def test_a_transcript_with_a_pair_inserted_reimports_cleanly(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("User: I moved to Porto.\nAssistant: Nice city.\nUser: I adopted a cat.\nAssistant: Cats!\n")
    store.import_file(load_export(path), str(path))
    path.write_text("User: I moved to Porto.\nAssistant: Nice city.\nUser: I play chess.\nAssistant: Fun.\n"
                    "User: I adopted a cat.\nAssistant: Cats!\n")
    summary = store.import_file(load_export(path), str(path))
    (conversation,) = store.conversations()
    assert summary.new_turns == 2
    assert [t.text for t in store.turns(conversation.id)] == [
        "I moved to Porto.", "Nice city.", "I play chess.", "Fun.", "I adopted a cat.", "Cats!"]


def test_a_store_from_before_keeps_its_decisions_after_reimport(tmp_path: Path, fixtures_dir: Path) -> None:
    """v1-store.db was written by the code before content keys (tests/fixtures/make_v1_store.py)."""
    db = tmp_path / "v1-store.db"
    shutil.copy(fixtures_dir / "stores" / "v1-store.db", db)
    store = Store(db)
    try:
        transcript = tmp_path / "t.txt"
        text = (fixtures_dir / "stores" / "v1-transcript.txt").read_text()
        lines = text.splitlines(keepends=True)
        transcript.write_text("".join(lines[:2] + ["User: I play chess.\n", "Assistant: Fun.\n"] + lines[2:]))
        before = {p.content: (p.turn_id, p.status) for c in store.conversations() for p in store.proposals(c.id)}
        summary = store.import_file(load_export(transcript), str(transcript))
        assert (summary.new_conversations, summary.new_turns) == (0, 2)
        locomo = store.import_file(load_export(fixtures_dir / "stores" / "v1-locomo.json",
                                               _options("Rita")), "v1-locomo.json")
        assert (locomo.new_conversations, locomo.new_turns) == (0, 0)
        assert "locomo:pair-1:session_1" in {c.id for c in store.conversations()}  # renamed by the migration
        after = {p.content: (p.turn_id, p.status) for c in store.conversations() for p in store.proposals(c.id)}
        assert after == before
        assert sorted(m["content"] for m in store.memories()) == [
            "fact: I adopted a cat called Miso.", "fact: I started learning the cello this week."]
        for c in store.conversations():
            for p in store.proposals(c.id):
                assert store.turns(c.id)[p.turn_index].text == p.content.removeprefix("fact: ")
    finally:
        store.close()


def _options(name: str):
    from scallop_curator.importers import ImportOptions

    return ImportOptions(user_speaker=name)


@pytest.fixture
def fixtures_dir() -> Path:
    return Path(__file__).resolve().parent / "fixtures"


def test_the_same_log_with_the_roles_swapped_is_refused_even_if_a_line_repeats(store: Store) -> None:
    log = [("user", "Hi!"), ("assistant", "Hi!"), ("user", "I adopted a cat."), ("assistant", "I have a dog."),
           ("user", "Bye!"), ("assistant", "Bye!")]
    store.import_file(export(log), "one")
    swapped = [("assistant" if r == "user" else "user", t) for r, t in log]
    summary = store.import_file(export(swapped), "two")
    assert (summary.new_turns, len(store.turns("c"))) == (0, 6)
    assert summary.skipped and "another person as the user" in summary.skipped[0][1]
    assert [t.role for t in store.turns("c")] == [r for r, _ in log]


def test_repeated_lines_do_not_anchor_by_position(store: Store) -> None:
    log = [("user", "Q1"), ("assistant", "ok"), ("user", "Q2"), ("assistant", "ok")]
    store.import_file(export(log), "one")
    grown = log[:2] + [("user", "Q3"), ("assistant", "ok")] + log[2:]
    summary = store.import_file(export(grown), "two")
    assert summary.new_turns == 2
    assert [(t.role, t.text) for t in store.turns("c")] == grown


def test_a_renamed_conversation_gets_its_new_title(store: Store) -> None:
    store.import_file(export(BASE), "one")
    renamed = export(BASE)
    renamed.conversations[0].title = "Moving to Porto"
    summary = store.import_file(renamed, "two")
    assert summary.unchanged_conversations == 1
    assert store.conversations()[0].title == "Moving to Porto"
