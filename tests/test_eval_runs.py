"""Saved runs in a real store: adjudication with undo/redo across a restart, the training export
and its cap on empty targets, and reviewed conversations as cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scallop_curator.domain.results import TurnResult
from scallop_curator.evaluation import export, runs
from scallop_curator.evaluation.cases import CaseFact, EvalCase, Reference, read_case_file
from scallop_curator.evaluation.export import cap_empty
from scallop_curator.evaluation.harness import case_result, figures
from scallop_curator.evaluation.runs import Decision
from scallop_curator.store import Store

WALNUTS = CaseFact(content="Allergic to walnuts", subject="user", category="personal")


def case(case_id: str, facts: list[CaseFact], session: str | None = None) -> EvalCase:
    return EvalCase(case_id=case_id, message=f"message {case_id}", session=session, reference=Reference(facts=facts))


def save(store: Store, cases: list[EvalCase], outputs: list[list[CaseFact]]) -> int:
    from scallop_curator.domain.facts import Fact

    results = [case_result(i, c, TurnResult(conversation_id=c.case_id, turn_index=i, parse_ok=True, latency_ms=10.0 * (i + 1),
                                            facts=[Fact(**f.model_dump(), confidence=0.9) for f in out]))
               for i, (c, out) in enumerate(zip(cases, outputs))]
    meta = runs.RunMeta("m.gguf", "/models/m.gguf", "gguf", "default", None, "extract-v1", ["cases.jsonl"])
    return runs.save_run(store, meta, "2026-11-26T20:00:00+00:00", 1.5, figures(results), results)


def test_decisions_are_stored_undone_and_redone_across_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    store = Store(db)
    run_id = save(store, [case("a", [WALNUTS]), case("b", [])], [[], [WALNUTS]])
    first, second = runs.results(store, run_id)
    assert first.disagrees and second.disagrees and first.decision is None

    runs.decide(store, first.id, Decision.REFERENCE)
    own = [CaseFact(content="Avoids walnuts", subject="user", category="preference")]
    runs.decide(store, second.id, Decision.OWN, own)
    store.close()

    store = Store(db)
    first, second = runs.results(store, run_id)
    assert first.decision is Decision.REFERENCE and first.decided_facts == [WALNUTS]
    assert second.decision is Decision.OWN and second.decided_facts == own
    assert runs.undo(store) == second.id
    assert runs.result(store, second.id).decision is None
    assert runs.redo(store) == second.id
    assert runs.result(store, second.id).decided_facts == own
    assert runs.undo(store) == second.id and runs.undo(store) == first.id and runs.undo(store) is None
    runs.decide(store, first.id, Decision.MODEL)  # a new decision ends the redo chain
    assert runs.result(store, first.id).decided_facts == []
    assert runs.redo(store) is None
    store.close()


def test_a_store_from_before_evaluation_gains_the_tables(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "store.db"
    Store(db).close()
    raw = sqlite3.connect(db)
    raw.executescript("DROP TABLE eval_decisions; DROP TABLE eval_results; DROP TABLE eval_runs; "
                      "UPDATE meta SET value = '1' WHERE key = 'schema_version';")
    raw.close()
    store = Store(db)
    assert {"eval_runs", "eval_results", "eval_decisions"} <= set(store.db.table_names())
    assert runs.list_runs(store) == []
    store.close()


def test_run_rows_keep_their_figures(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    run_id = save(store, [case("a", [WALNUTS]), case("b", [])], [[WALNUTS], []])
    (row,) = runs.list_runs(store)
    assert row.id == run_id and row.n_cases == 2 and row.wall_s == 1.5
    assert row.figures["agreement"] == 1.0 and row.figures["median_ms"] == 15.0 and row.figures["p90_ms"] == 20.0
    store.close()


def test_the_cap_keeps_the_first_empty_cases_of_each_session() -> None:
    cases = [case("1", [], "s1"), case("2", [WALNUTS], "s1"), case("3", [], "s1"), case("4", [], "s1"),
             case("5", [], "s2"), case("6", [], None), case("7", [], None), case("8", [WALNUTS], None)]
    kept, dropped = cap_empty(cases, 1)
    assert [c.case_id for c in kept] == ["1", "2", "5", "6", "8"] and dropped == 3
    kept, dropped = cap_empty(cases, 0)
    assert [c.case_id for c in kept] == ["2", "8"] and dropped == 6
    assert cap_empty(cases, None) == (cases, 0)
    with pytest.raises(ValueError):
        cap_empty(cases, -1)


def test_export_writes_adjudicated_cases_with_the_share_of_empty_targets(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.db")
    cases = [case("agree-empty-1", [], "s"), case("agree-empty-2", [], "s"), case("agree", [WALNUTS], "s"),
             case("decided", [WALNUTS], "s"), case("undecided", [], "s")]
    run_id = save(store, cases, [[], [], [WALNUTS], [], [WALNUTS]])
    decided = runs.results(store, run_id)[3]
    runs.decide(store, decided.id, Decision.MODEL)  # the reviewer sides with the quiet model

    plan = export.plan(runs.results(store, run_id), cap=None)
    assert [c.case_id for c in plan.cases] == ["agree-empty-1", "agree-empty-2", "agree", "decided"]
    assert plan.empty == 3 and plan.empty_share == 0.75 and plan.undecided == 1
    assert plan.describe() == "4 cases, 3 with an empty target (75%); 1 disagreements not yet adjudicated left out"

    capped = export.plan(runs.results(store, run_id), cap=1)
    assert [c.case_id for c in capped.cases] == ["agree-empty-1", "agree"]
    assert capped.empty_share == 0.5 and capped.dropped_empty == 2
    out = tmp_path / "train.jsonl"
    assert export.write(out, capped) == 2
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[1]["reference"]["facts"][0]["content"] == "Allergic to walnuts" and lines[1]["session"] == "s"
    assert [c.case_id for c in read_case_file(out)] == ["agree-empty-1", "agree"]  # the case format round-trips
    store.close()


def test_a_reviewed_conversation_becomes_cases(tmp_path: Path, sample_export: Path) -> None:
    from scallop_curator.domain.review import Status
    from scallop_curator.domain.results import RunInfo
    from scallop_curator.evaluation.sources import cases_from_store
    from scallop_curator.importers import load_export

    store = Store(tmp_path / "store.db")
    store.import_file(load_export(sample_export), str(sample_export))
    conversation = store.conversations()[0].id
    turns = [t for t in store.turns(conversation) if t.role == "user"]
    info = RunInfo(model="m", prompt_version="extract-v1")
    run_id = store.start_run(info)
    from scallop_curator.domain.facts import Fact

    kept = Fact(content="Lives in Rotterdam", subject="user", category="location", confidence=0.9)
    wrong = Fact(content="Likes trains", subject="user", category="preference", confidence=0.5)
    ids = store.record_result(run_id, info, TurnResult(conversation_id=conversation, turn_index=turns[0].index,
                                                      parse_ok=True, facts=[kept, wrong]))
    store.decide(ids[0], Status.EDITED, "Lives in Rotterdam, NL")
    store.decide(ids[1], Status.REJECTED)
    for turn in turns[1:]:
        store.record_result(run_id, info, TurnResult(conversation_id=conversation, turn_index=turn.index, parse_ok=True))
    cases = cases_from_store(store, conversation)
    assert len(cases) == len(turns)
    assert [f.content for f in cases[0].reference.facts] == ["Lives in Rotterdam, NL"]
    assert cases[0].message == turns[0].text and cases[0].session == conversation
    assert all(c.reference.facts == [] for c in cases[1:])

    from scallop_curator.evaluation.review_run import LABEL, save_review_run

    run_id = save_review_run(store)
    assert run_id is not None and runs.get_run(store, run_id).label == LABEL
    first, *rest = runs.results(store, run_id)
    assert [f.content for f in first.model_facts] == ["Lives in Rotterdam", "Likes trains"]
    assert {k.value for k in first.kinds} == {"wording only", "invented fact"}  # the edit and the rejection
    assert len(rest) == len(turns) - 1 and not any(r.disagrees for r in rest)
    store.close()
