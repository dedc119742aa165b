"""One harness for every model: the same cases, through the app's own extraction backends (the
worker process for a GGUF, ``ServerClient`` for a server), thinking off, scored by ``agreement``."""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from scallop_curator.domain.results import TurnResult
from scallop_curator.evaluation.agreement import CaseAgreement, Summary, compare, summarise
from scallop_curator.evaluation.cases import CaseFact, EvalCase
from scallop_curator.evaluation.backends import DEFAULT_PROFILE, PROFILE_FIELDS, Backend, Client
from scallop_curator.extraction.client import ModelSpec

__all__ = ["DEFAULT_PROFILE", "Backend", "CaseResult", "Client", "Figures", "figures", "run_cases", "with_profile"]


@dataclass(frozen=True)
class CaseResult:
    index: int
    case: EvalCase
    parse_ok: bool
    facts: list[CaseFact]
    raw_output: str
    error: str | None
    latency_ms: float
    agreement: CaseAgreement


@dataclass(frozen=True)
class Figures:
    """One row of the model card's table."""

    summary: Summary
    parse_rate: float | None
    median_ms: float | None
    p90_ms: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {"cases": self.summary.cases, "agreement": self.summary.agreement, "parse_rate": self.parse_rate,
                "median_ms": self.median_ms, "p90_ms": self.p90_ms, "precision": self.summary.precision,
                "recall": self.summary.recall, "quiet_agreement": self.summary.quiet_agreement,
                "kappa": self.summary.kappa}


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: a latency some case really had."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def figures(results: Sequence[CaseResult]) -> Figures:
    latencies = [r.latency_ms for r in results]
    return Figures(
        summary=summarise((r.facts, r.case.reference.facts) for r in results),
        parse_rate=sum(r.parse_ok for r in results) / len(results) if results else None,
        median_ms=statistics.median(latencies) if latencies else None,
        p90_ms=p90(latencies),
    )


def with_profile(spec: ModelSpec, profile: str) -> tuple[ModelSpec, str | None]:
    """The spec for a prompt profile, and a note when the profile cannot be honoured.

    Profiles belong to extraction; until ``ModelSpec`` carries one, every profile runs the
    default prompt and the run says so rather than pretending.
    """
    if profile == DEFAULT_PROFILE:
        return spec, None
    names = {f.name for f in dataclasses.fields(spec)}
    for name in PROFILE_FIELDS:
        if name in names:
            return dataclasses.replace(spec, **{name: profile}), None
    return spec, (f"prompt profile {profile!r} is not available in this build of the extraction; "
                  "the default prompt was used")


def case_result(index: int, case: EvalCase, result: TurnResult) -> CaseResult:
    facts = [CaseFact.from_fact(f) for f in result.facts] if result.parse_ok else []
    return CaseResult(index, case, result.parse_ok, facts, result.raw_output, result.error, result.latency_ms,
                      compare(facts, case.reference.facts))


def run_cases(client: Client, spec: ModelSpec, cases: Sequence[EvalCase],
              on_result: Callable[[CaseResult], None] | None = None) -> list[CaseResult]:
    """Extract every case (the model loaded already or now) and score it, in case order."""
    results: list[CaseResult] = []

    def collect(result: TurnResult) -> None:
        scored = case_result(result.turn_index, cases[result.turn_index], result)
        results.append(scored)
        if on_result is not None:
            on_result(scored)

    client.extract(spec, [case.extraction_case(i) for i, case in enumerate(cases)], collect)
    return sorted(results, key=lambda r: r.index)
