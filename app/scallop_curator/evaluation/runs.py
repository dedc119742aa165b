"""Evaluation runs in the app's store: saved whole, listed, compared, and adjudicated case by case.

Every write is one transaction. Adjudication is journalled (``eval_decisions``) so the last
decision can be undone and redone, also after a restart.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import Enum

from scallop_curator.evaluation.agreement import Kind, compare
from scallop_curator.evaluation.cases import CaseFact, EvalCase, Reference
from scallop_curator.evaluation.harness import CaseResult, Figures
from scallop_curator.store import Store, StoreError


class Decision(str, Enum):
    """What the reviewer kept for a disagreeing case."""

    MODEL = "model"
    REFERENCE = "reference"
    OWN = "own"


@dataclass(frozen=True)
class RunMeta:
    label: str
    model: str
    backend: str
    profile: str
    profile_note: str | None
    prompt_version: str
    sources: list[str]


@dataclass(frozen=True)
class RunRow:
    id: int
    started_at: str
    label: str
    backend: str
    profile: str
    profile_note: str | None
    n_cases: int
    wall_s: float
    figures: dict[str, float | int | None]


@dataclass(frozen=True)
class StoredResult:
    id: int
    run_id: int
    index: int
    case: EvalCase
    parse_ok: bool
    model_facts: list[CaseFact]
    raw_output: str
    error: str | None
    latency_ms: float
    score: float
    kinds: frozenset[Kind]
    decision: Decision | None
    decided_facts: list[CaseFact] | None

    @property
    def disagrees(self) -> bool:
        return bool(self.kinds)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _facts_json(facts: Sequence[CaseFact] | None) -> str | None:
    return None if facts is None else json.dumps([f.model_dump() for f in facts], ensure_ascii=False)


def _facts(text: str | None) -> list[CaseFact] | None:
    return None if text is None else [CaseFact.model_validate(f) for f in json.loads(text)]


def save_run(store: Store, meta: RunMeta, started_at: str, wall_s: float, figures: Figures,
             results: Sequence[CaseResult]) -> int:
    with store._writing():
        run_id = store.db["eval_runs"].insert({
            "started_at": started_at, "finished_at": _now(), "label": meta.label, "model": meta.model,
            "backend": meta.backend, "profile": meta.profile, "profile_note": meta.profile_note,
            "prompt_version": meta.prompt_version, "sources": json.dumps(meta.sources), "n_cases": len(results),
            "wall_s": wall_s, "figures": json.dumps(figures.as_dict()),
        }).last_pk
        store.db["eval_results"].insert_all(({
            "run_id": run_id, "idx": r.index, "case_id": r.case.case_id, "case_json": r.case.model_dump_json(),
            "parse_ok": int(r.parse_ok), "model_facts": _facts_json(r.facts), "raw_output": r.raw_output,
            "error": r.error, "latency_ms": r.latency_ms, "score": r.agreement.score,
            "kinds": json.dumps(sorted(k.value for k in r.agreement.kinds)),
        } for r in results), batch_size=500)
    return int(run_id)


_RUN_COLUMNS = "id, started_at, label, backend, profile, profile_note, n_cases, wall_s, figures"


def _run_row(row: tuple) -> RunRow:
    return RunRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], json.loads(row[8]))


def list_runs(store: Store) -> list[RunRow]:
    return [_run_row(r) for r in store.db.execute(f"SELECT {_RUN_COLUMNS} FROM eval_runs ORDER BY id").fetchall()]


def get_run(store: Store, run_id: int) -> RunRow:
    row = store.db.execute(f"SELECT {_RUN_COLUMNS} FROM eval_runs WHERE id = ?", (run_id,)).fetchone()
    if row is None:
        raise StoreError(f"There is no evaluation run {run_id} in {store.path}.")
    return _run_row(row)


_RESULT_COLUMNS = ("id, run_id, idx, case_json, parse_ok, model_facts, raw_output, error, latency_ms, score, kinds, "
                   "decision, decided_facts")


def _result(row: tuple) -> StoredResult:
    return StoredResult(
        id=row[0], run_id=row[1], index=row[2], case=EvalCase.model_validate_json(row[3]), parse_ok=bool(row[4]),
        model_facts=_facts(row[5]) or [], raw_output=row[6] or "", error=row[7], latency_ms=row[8] or 0.0,
        score=row[9], kinds=frozenset(Kind(k) for k in json.loads(row[10])),
        decision=Decision(row[11]) if row[11] else None, decided_facts=_facts(row[12]),
    )


def results(store: Store, run_id: int) -> list[StoredResult]:
    rows = store.db.execute(f"SELECT {_RESULT_COLUMNS} FROM eval_results WHERE run_id = ? ORDER BY idx",
                            (run_id,)).fetchall()
    return [_result(r) for r in rows]


def result(store: Store, result_id: int) -> StoredResult:
    row = store.db.execute(f"SELECT {_RESULT_COLUMNS} FROM eval_results WHERE id = ?", (result_id,)).fetchone()
    if row is None:
        raise StoreError(f"There is no evaluation result {result_id} in {store.path}.")
    return _result(row)


def decide(store: Store, result_id: int, decision: Decision, own: Sequence[CaseFact] | None = None) -> StoredResult:
    """Keep the model's facts, the reference's, or the reviewer's own, as this case's target."""
    current = result(store, result_id)
    if decision is Decision.MODEL:
        facts: list[CaseFact] = list(current.model_facts)
    elif decision is Decision.REFERENCE:
        facts = list(current.case.reference.facts)
    else:
        if own is None:
            raise ValueError("an own decision needs its facts")
        facts = list(own)
    with store._writing():
        store.db.execute("DELETE FROM eval_decisions WHERE undone = 1")  # a new decision ends the redo chain
        store.db["eval_decisions"].insert({
            "result_id": result_id, "decision": decision.value, "decided_facts": _facts_json(facts),
            "previous_decision": current.decision.value if current.decision else None,
            "previous_facts": _facts_json(current.decided_facts), "decided_at": _now(), "undone": 0,
        })
        _apply(store, result_id, decision.value, _facts_json(facts))
    return result(store, result_id)


def _apply(store: Store, result_id: int, decision: str | None, facts: str | None) -> None:
    store.db.execute("UPDATE eval_results SET decision = ?, decided_facts = ?, decided_at = ? WHERE id = ?",
                     (decision, facts, _now() if decision else None, result_id))


def undo(store: Store) -> int | None:
    """Undo the latest decision; returns the result id it touched, or None if there was none."""
    row = store.db.execute("SELECT id, result_id, previous_decision, previous_facts FROM eval_decisions "
                           "WHERE undone = 0 ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return None
    with store._writing():
        _apply(store, row[1], row[2], row[3])
        store.db.execute("UPDATE eval_decisions SET undone = 1 WHERE id = ?", (row[0],))
    return int(row[1])


def redo(store: Store) -> int | None:
    row = store.db.execute("SELECT id, result_id, decision, decided_facts FROM eval_decisions "
                           "WHERE undone = 1 ORDER BY id ASC LIMIT 1").fetchone()
    if row is None:
        return None
    with store._writing():
        _apply(store, row[1], row[2], row[3])
        store.db.execute("UPDATE eval_decisions SET undone = 0 WHERE id = ?", (row[0],))
    return int(row[1])


def adjudicated_case(stored: StoredResult) -> EvalCase:
    """The case with the reviewer's target as its reference (the reference itself when undecided)."""
    facts = stored.decided_facts if stored.decided_facts is not None else stored.case.reference.facts
    return stored.case.model_copy(update={"reference": Reference(facts=list(facts))})


def rescore(stored: StoredResult) -> float:
    """How the model would score against the adjudicated target."""
    return compare(stored.model_facts, adjudicated_case(stored).reference.facts).score
