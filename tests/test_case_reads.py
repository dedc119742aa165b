"""A whole history's extraction cases are read in a few queries (``store.case_reads``): the same
cases, in the same order, as building each stored conversation and leaving out its extracted turns."""

from __future__ import annotations

from pathlib import Path

import pytest

from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.importers import load_export
from scallop_curator.store import Store, case_reads



def _one_by_one(store: Store, ids: list[str], zone: str, grain: str, only_new: bool) -> list:  # type: ignore[type-arg]
    """What the window did before: one conversation and its results at a time."""
    cases = []
    for cid in ids:
        done = store.extracted_turn_indexes(cid) if only_new else set()
        cases.extend(c for c in store.conversation(cid).extraction_cases(zone, grain) if c.turn_index not in done)
    return cases


@pytest.fixture
def store(tmp_path: Path, sample_export: Path) -> Store:
    store = Store(tmp_path / "cases.db")
    store.import_file(load_export(sample_export), str(sample_export))
    return store


@pytest.mark.parametrize("chunk", [500, 2])  # 2: a few conversations per query, so chunks join up
def test_the_cases_equal_one_conversation_at_a_time_in_the_order_asked(store: Store, chunk: int,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(case_reads, "CHUNK", chunk)
    ids = [s.id for s in store.conversations()]
    assert len(ids) >= 3
    first = store.extraction_cases(ids[:1])[0]
    run = store.start_run(RunInfo(model="m", prompt_version="p"))
    store.record_result(run, RunInfo(model="m", prompt_version="p"),
                        TurnResult(conversation_id=first.conversation_id, turn_index=first.turn_index, parse_ok=True))
    for zone, grain in (("Europe/Lisbon", "day"), ("Asia/Tokyo", "minute")):
        for only_new in (False, True):
            for order in (ids, ids[::-1]):
                read = store.extraction_cases(order, zone, grain, only_new)
                assert read == _one_by_one(store, order, zone, grain, only_new)
                assert [c.conversation_id for c in read] == sorted(
                    (c.conversation_id for c in read), key=order.index)  # conversations in the order asked
    every = store.extraction_cases(ids)
    new = store.extraction_cases(ids, only_new=True)
    assert len(new) == len(every) - 1 and (first.conversation_id, first.turn_index) not in {
        (c.conversation_id, c.turn_index) for c in new}


def test_a_conversation_no_longer_stored_has_no_cases_and_the_read_leaves_no_transaction(store: Store) -> None:
    ids = [s.id for s in store.conversations()]
    assert store.extraction_cases(["gone", *ids]) == store.extraction_cases(ids)
    assert store.extraction_cases([]) == []
    assert not store.conn.in_transaction
