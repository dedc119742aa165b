"""Adjudicated cases as training data (JSON Lines in the case format), with a cap on empty targets.

Empty targets teach the model to stay quiet; when most targets are empty a fine-tune collapses
into always answering ``[]`` (the model card: capping empty examples per session moved agreement
from 0.70 to 0.725). The cap keeps the first ``cap`` empty cases of each session in case order;
cases without a session count as one session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scallop_curator.evaluation.cases import EvalCase, write_case_file
from scallop_curator.evaluation.runs import StoredResult, adjudicated_case


@dataclass(frozen=True)
class ExportPlan:
    cases: list[EvalCase]
    empty: int
    dropped_empty: int
    undecided: int

    @property
    def empty_share(self) -> float | None:
        return self.empty / len(self.cases) if self.cases else None

    def describe(self) -> str:
        share = "—" if self.empty_share is None else f"{self.empty_share:.0%}"
        text = f"{len(self.cases)} cases, {self.empty} with an empty target ({share})"
        if self.dropped_empty:
            text += f"; {self.dropped_empty} empty cases left out by the cap"
        if self.undecided:
            text += f"; {self.undecided} disagreements not yet adjudicated left out"
        return text


def is_empty(case: EvalCase) -> bool:
    return not case.reference.facts


def cap_empty(cases: Sequence[EvalCase], cap: int | None) -> tuple[list[EvalCase], int]:
    """Keep at most ``cap`` empty-target cases per session (None: no cap); order kept."""
    if cap is None:
        return list(cases), 0
    if cap < 0:
        raise ValueError("the cap cannot be negative")
    seen: dict[str | None, int] = {}
    kept: list[EvalCase] = []
    for case in cases:
        if is_empty(case):
            seen[case.session] = seen.get(case.session, 0) + 1
            if seen[case.session] > cap:
                continue
        kept.append(case)
    return kept, len(cases) - len(kept)


def plan(results: Sequence[StoredResult], cap: int | None) -> ExportPlan:
    """Agreeing cases (reference as target) and adjudicated ones (the reviewer's target);
    disagreements nobody decided are left out."""
    ready = [r for r in results if not r.disagrees or r.decision is not None]
    cases, dropped = cap_empty([adjudicated_case(r) for r in ready], cap)
    return ExportPlan(cases, sum(is_empty(c) for c in cases), dropped, len(results) - len(ready))


def write(path: str | Path, export: ExportPlan) -> int:
    return write_case_file(path, export.cases)
