"""Item models: Qt's model tester on each, and the conversation list at 10,000 conversations."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.importers import load_export
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import ImportCancelled, Store
from scallop_curator.ui import roles
from scallop_curator.ui.models import ConversationListModel, ProposalsModel, TurnsModel


@pytest.fixture
def store(tmp_path: Path, sample_export: Path):  # type: ignore[no-untyped-def]
    store = Store(tmp_path / "m.db")
    store.import_file(load_export(sample_export), str(sample_export))
    yield store
    store.close()


def _big_export(count: int) -> ImportedFile:
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    conversations = [
        Conversation(
            id=f"big:{i}", title=f"Conversation number {i:05d}", created_at=start + timedelta(hours=i),
            turns=[Turn(role="user", text=f"message {i}", source_id="0"),
                   Turn(role="assistant", text="ok", source_id="1")],
        )
        for i in range(count)
    ]
    return ImportedFile(format_name="test", conversations=conversations)


def test_models_pass_qt_model_tester(qtmodeltester, store: Store) -> None:  # type: ignore[no-untyped-def]
    conversation_id = store.conversation_ids(text="Dutch")[0]
    run = store.start_run(RunInfo(model="m", prompt_version="v"))
    store.record_result(run, RunInfo(model="m", prompt_version="v"), TurnResult(
        conversation_id=conversation_id, turn_index=2, parse_ok=True,
        facts=[Fact(content="Works in Rotterdam", subject="user", category="work", confidence=0.8)]))
    conversations = ConversationListModel(store)
    conversations.reload()
    qtmodeltester.check(conversations)
    turns = TurnsModel(store)
    turns.load(conversation_id)
    qtmodeltester.check(turns)
    proposals = ProposalsModel(store)
    proposals.load(conversation_id)
    qtmodeltester.check(proposals)
    assert proposals.index(0).data() == "Works in Rotterdam"
    assert proposals.index(0).data(roles.STATUS_ROLE) == "pending"
    assert turns.index(2).data(roles.NOTE_ROLE) == "1 proposed"
    assert turns.index(0).data(roles.NOTE_ROLE) == "○ not extracted yet"  # says so, in a run stopped halfway too


def test_conversation_list_is_lazy_and_filters_in_the_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "big.db")
    store.import_file(_big_export(10_000), "big")
    model = ConversationListModel(store)
    model.reload()
    assert model.total == 10_000
    assert model.rowCount() == ConversationListModel.PAGE  # only one page read so far
    assert model.index(0).data() == "Conversation number 09999"  # newest first
    assert model.canFetchMore()
    model.fetchMore()
    assert model.rowCount() == 2 * ConversationListModel.PAGE

    # A conversation far beyond the fetched pages is found by the store's filter at once.
    model.set_query(text="number 00042")
    assert [model.index(r).data() for r in range(model.rowCount())] == ["Conversation number 00042"]
    model.set_query(text="", order="oldest")
    assert model.index(0).data() == "Conversation number 00000"
    model.set_query(since=(datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(hours=9_990)).isoformat())
    assert model.total == 10
    model.set_query(since=None, order="newest")
    assert model.row_of("big:5000") == 4999  # fetched page by page until found
    store.close()


def test_cancelled_import_keeps_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "c.db")
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 500

    with pytest.raises(ImportCancelled):
        store.import_file(_big_export(1_000), "big", should_stop=stop)
    assert store.conversation_count() == 0
    assert store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0] == 0
    store.close()


def test_a_proposal_repeating_a_saved_memory_says_so(store: Store) -> None:
    from scallop_curator.domain.review import Status

    info = RunInfo(model="m", prompt_version="v")
    run = store.start_run(info)
    dutch, maths = store.conversation_ids(text="Dutch")[0], store.conversation_ids(text="maths")[0]
    fact = Fact(content="Allergic to walnuts", subject="user", category="personal", confidence=0.9)
    first = store.record_result(run, info, TurnResult(conversation_id=dutch, turn_index=2, parse_ok=True, facts=[fact]))
    store.record_result(run, info, TurnResult(
        conversation_id=maths, turn_index=0, parse_ok=True,
        facts=[fact.model_copy(update={"content": "allergic to  walnuts."}),
               fact.model_copy(update={"content": "Allergic to walnuts", "subject": "Ana"})]))
    proposals = ProposalsModel(store)
    proposals.load(maths)
    assert not proposals.index(0).data(roles.DETAIL_ROLE).startswith("already saved")
    store.decide(first[0], Status.ACCEPTED)
    proposals.refresh()
    assert proposals.index(0).data(roles.DETAIL_ROLE).startswith("already saved")
    assert not proposals.index(1).data(roles.DETAIL_ROLE).startswith("already saved")  # about someone else
