"""What the audit view shows, computed without Qt: the queue of disagreeing cases, word-level
differences between the model's facts and the reference's, a reviewer's own facts typed as text,
and the figures behind the charts."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from scallop_curator.domain.facts import ACTIONS, CATEGORIES
from scallop_curator.evaluation.agreement import Kind, compare
from scallop_curator.evaluation.cases import CaseFact
from scallop_curator.evaluation.runs import StoredResult

#: The queue's order when sorted by kind: the costliest disagreements first.
KIND_ORDER = (Kind.QUIET, Kind.MISSED, Kind.INVENTED, Kind.FIELDS, Kind.WORDING)


def queue(results: Sequence[StoredResult], kind: Kind | None = None, undecided_only: bool = False) -> list[StoredResult]:
    """Disagreeing cases, optionally of one kind, sorted by their worst kind, then by score."""
    chosen = [r for r in results if r.disagrees and (kind is None or kind in r.kinds)
              and not (undecided_only and r.decision is not None)]
    return sorted(chosen, key=lambda r: (min(KIND_ORDER.index(k) for k in r.kinds), r.score, r.index))


def fact_line(fact: CaseFact) -> str:
    """One fact as one plain line: ``content | subject | category | action`` (+ old value / replaces)."""
    parts = [fact.content, fact.subject, fact.category, fact.action]
    if fact.old_value:
        parts.append(f"old: {fact.old_value}")
    if fact.replaces:
        parts.append(f"replaces: {fact.replaces}")
    return " | ".join(parts)


def facts_text(facts: Sequence[CaseFact]) -> str:
    return "\n".join(fact_line(f) for f in facts)


def parse_own(text: str) -> list[CaseFact]:
    """The reviewer's own facts, one a line in ``fact_line``'s form; subject, category and action
    may be left out (user, general, fact). An empty text means: nothing should be kept."""
    facts = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        extra = {p.split(":", 1)[0].strip(): p.split(":", 1)[1].strip() for p in parts[4:] if ":" in p}
        data = {"content": parts[0], "subject": parts[1] if len(parts) > 1 and parts[1] else "user",
                "category": parts[2] if len(parts) > 2 and parts[2] else "general",
                "action": parts[3] if len(parts) > 3 and parts[3] else "fact",
                "old_value": extra.get("old") or None, "replaces": extra.get("replaces") or None}
        try:
            facts.append(CaseFact.model_validate(data))
        except ValidationError:
            raise ValueError(f"line {number}: write 'content | subject | category | action'; category is one of "
                             f"{', '.join(CATEGORIES)}; action one of {', '.join(ACTIONS)}") from None
    return facts


TOKEN = re.compile(r"\S+")


def changed_spans(text: str, other: str) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose words are not in ``other`` (word-level diff)."""
    words = [(m.start(), m.end(), m.group().casefold()) for m in TOKEN.finditer(text)]
    others = [m.group().casefold() for m in TOKEN.finditer(other)]
    matcher = difflib.SequenceMatcher(a=[w[2] for w in words], b=others, autojunk=False)
    spans = []
    for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
        if tag in ("replace", "delete") and i1 < i2:
            spans.append((words[i1][0], words[i2 - 1][1]))
    return spans


@dataclass(frozen=True)
class LineMarks:
    """Highlights for one side's facts, by line: whole line unmatched, or changed word spans."""

    unmatched_lines: frozenset[int]
    spans: dict[int, list[tuple[int, int]]]


def side_marks(result: StoredResult) -> tuple[LineMarks, LineMarks]:
    """(model side, reference side): unmatched facts, and on matched pairs the differing words."""
    model, reference = result.model_facts, result.case.reference.facts
    agreement = compare(model, reference)
    model_spans: dict[int, list[tuple[int, int]]] = {}
    reference_spans: dict[int, list[tuple[int, int]]] = {}
    for pair in agreement.pairs:
        m_line, r_line = fact_line(model[pair.model_index]), fact_line(reference[pair.reference_index])
        model_spans[pair.model_index] = changed_spans(m_line, r_line)
        reference_spans[pair.reference_index] = changed_spans(r_line, m_line)
    return (LineMarks(frozenset(agreement.invented), model_spans),
            LineMarks(frozenset(agreement.missed), reference_spans))


# ------------------------------------------------------------------ chart figures
def agreement_by_category(results: Sequence[StoredResult]) -> dict[str, float]:
    """Per reference category: the mean credit its facts got (a missed fact gets 0)."""
    credit: dict[str, list[float]] = {}
    for r in results:
        reference = r.case.reference.facts
        case = compare(r.model_facts, reference)
        got = {p.reference_index: p.credit for p in case.pairs}
        for i, fact in enumerate(reference):
            credit.setdefault(fact.category, []).append(got.get(i, 0.0))
    return {c: sum(v) / len(v) for c in CATEGORIES if (v := credit.get(c))}


def kind_counts(results: Sequence[StoredResult]) -> dict[str, int]:
    counts = Counter(k for r in results for k in r.kinds)
    return {k.value: counts.get(k, 0) for k in KIND_ORDER}


def latency_histogram(results: Sequence[StoredResult], bins: int = 8) -> dict[str, int]:
    """Case latencies in ``bins`` equal-width bins, labelled by their upper bound in ms."""
    values = [r.latency_ms for r in results]
    if not values:
        return {}
    low, high = min(values), max(values)
    width = (high - low) / bins or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / width))] += 1
    return {f"≤{low + width * (i + 1):.0f}": c for i, c in enumerate(counts)}


RUN_FIGURES = ("agreement", "precision", "recall", "quiet_agreement", "parse_rate")
