"""Agreement between a model's facts and a reference's: the one definition every figure uses.

Matching. Facts are matched one-to-one by the text similarity of ``content``: rapidfuzz's
``token_sort_ratio`` on lower-cased, punctuation-free text, scaled to 0..1 (word order does not
matter, wording does). Pairs are chosen by an optimal assignment (``scipy``'s
``linear_sum_assignment``) maximising the summed similarity; an assigned pair below
``MATCH_THRESHOLD`` is no match. Optimal rather than greedy because greedy can give one model fact
the reference fact a second model fact needed ("Wife is Jamie" / "Jamie is a pilot"), and with
at most a handful of facts a side the optimal solution costs nothing.

Pair credit. On a matched pair, ``subject`` (case-insensitive), ``category`` and ``action`` are
compared: ``credit = (similarity + subject_equal + category_equal + action_equal) / 4``.

Case score. F1 with soft credit: ``2 * sum(credit) / (n_model + n_reference)``; both empty is
1.0 (full agreement), one side empty is 0.0. A model answer that could not be parsed counts as
empty (that is what the app would show). Teacher agreement is the mean case score.

Fact precision and recall count matched pairs (micro, over all cases): matched / model facts and
matched / reference facts. A quiet turn is one with no facts; quiet-turn agreement is the share
of cases where both are quiet or both speak, with Cohen's kappa for chance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

import numpy as np
from rapidfuzz import fuzz, utils
from scipy.optimize import linear_sum_assignment

MATCH_THRESHOLD = 0.5


class FactLike(Protocol):
    content: str
    subject: str
    category: str
    action: str


class Kind(str, Enum):
    """How a case disagrees; a case can disagree in several ways at once."""

    MISSED = "missed fact"
    INVENTED = "invented fact"
    WORDING = "wording only"
    FIELDS = "field mismatch"
    QUIET = "quiet vs not"


@dataclass(frozen=True)
class Pair:
    model_index: int
    reference_index: int
    similarity: float
    subject_equal: bool
    category_equal: bool
    action_equal: bool

    @property
    def credit(self) -> float:
        return (self.similarity + self.subject_equal + self.category_equal + self.action_equal) / 4


@dataclass(frozen=True)
class CaseAgreement:
    n_model: int
    n_reference: int
    pairs: tuple[Pair, ...]
    score: float
    kinds: frozenset[Kind] = field(default_factory=frozenset)

    @property
    def missed(self) -> list[int]:
        """Reference facts no model fact matched."""
        matched = {p.reference_index for p in self.pairs}
        return [i for i in range(self.n_reference) if i not in matched]

    @property
    def invented(self) -> list[int]:
        """Model facts that match no reference fact."""
        matched = {p.model_index for p in self.pairs}
        return [i for i in range(self.n_model) if i not in matched]


def similarity(a: str, b: str) -> float:
    """0..1: how alike two contents read, ignoring case, punctuation and word order."""
    return fuzz.token_sort_ratio(a, b, processor=utils.default_process) / 100.0


def match(model: Sequence[FactLike], reference: Sequence[FactLike]) -> list[Pair]:
    """The optimal one-to-one matching of model facts to reference facts (see the module doc)."""
    if not model or not reference:
        return []
    scores = np.array([[similarity(m.content, r.content) for r in reference] for m in model])
    rows, cols = linear_sum_assignment(scores, maximize=True)
    pairs = []
    for i, j in zip(rows.tolist(), cols.tolist()):
        if scores[i, j] < MATCH_THRESHOLD:
            continue
        m, r = model[i], reference[j]
        pairs.append(Pair(i, j, float(scores[i, j]), m.subject.strip().casefold() == r.subject.strip().casefold(),
                          m.category == r.category, m.action == r.action))
    return sorted(pairs, key=lambda p: p.reference_index)


def _same_text(a: str, b: str) -> bool:
    return utils.default_process(a) == utils.default_process(b)


def compare(model: Sequence[FactLike], reference: Sequence[FactLike]) -> CaseAgreement:
    """Score one case and name how it disagrees (no kinds: full agreement)."""
    n, m = len(model), len(reference)
    if n == 0 and m == 0:
        return CaseAgreement(0, 0, (), 1.0)
    pairs = match(model, reference)
    score = 2 * sum(p.credit for p in pairs) / (n + m)
    kinds: set[Kind] = set()
    if (n == 0) != (m == 0):
        kinds.add(Kind.QUIET)
    if len(pairs) < m:
        kinds.add(Kind.MISSED)
    if len(pairs) < n:
        kinds.add(Kind.INVENTED)
    for pair in pairs:
        if not (pair.subject_equal and pair.category_equal and pair.action_equal):
            kinds.add(Kind.FIELDS)
        if not _same_text(model[pair.model_index].content, reference[pair.reference_index].content):
            kinds.add(Kind.WORDING)
    return CaseAgreement(n, m, tuple(pairs), score, frozenset(kinds))


@dataclass(frozen=True)
class Summary:
    """The model card's figures over a set of cases. ``None`` where a figure is undefined."""

    cases: int
    agreement: float | None
    precision: float | None
    recall: float | None
    quiet_agreement: float | None
    kappa: float | None


def cohen_kappa(model_quiet: Sequence[bool], reference_quiet: Sequence[bool]) -> float | None:
    """Cohen's kappa for two raters' quiet/speak labels; ``None`` when chance agreement is 1
    (both raters gave one label to every case: kappa is undefined there)."""
    total = len(model_quiet)
    if total == 0:
        return None
    observed = sum(a == b for a, b in zip(model_quiet, reference_quiet)) / total
    pm = sum(model_quiet) / total
    pr = sum(reference_quiet) / total
    expected = pm * pr + (1 - pm) * (1 - pr)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1 - expected)


def summarise(results: Iterable[tuple[Sequence[FactLike], Sequence[FactLike]]]) -> Summary:
    """Figures over ``(model facts, reference facts)`` per case."""
    scores: list[float] = []
    matched = n_model = n_reference = 0
    model_quiet: list[bool] = []
    reference_quiet: list[bool] = []
    for model, reference in results:
        case = compare(model, reference)
        scores.append(case.score)
        matched += len(case.pairs)
        n_model += case.n_model
        n_reference += case.n_reference
        model_quiet.append(case.n_model == 0)
        reference_quiet.append(case.n_reference == 0)
    count = len(scores)
    return Summary(
        cases=count,
        agreement=sum(scores) / count if count else None,
        precision=matched / n_model if n_model else None,
        recall=matched / n_reference if n_reference else None,
        quiet_agreement=sum(a == b for a, b in zip(model_quiet, reference_quiet)) / count if count else None,
        kappa=cohen_kappa(model_quiet, reference_quiet),
    )
