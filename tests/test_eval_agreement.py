"""Agreement on hand-made cases whose answers were worked out by hand (see the module's definition)."""

from __future__ import annotations

import pytest

from scallop_curator.evaluation import agreement
from scallop_curator.evaluation.agreement import Kind, cohen_kappa, compare, summarise
from scallop_curator.evaluation.cases import CaseFact


def fact(content: str, subject: str = "user", category: str = "personal", action: str = "fact") -> CaseFact:
    return CaseFact(content=content, subject=subject, category=category, action=action)  # type: ignore[arg-type]


WIFE = fact("Wife is Jamie", category="relationship")
PILOT = fact("Works as a pilot", subject="Jamie", category="work")
PEANUTS = fact("Allergic to peanuts")
BICYCLE = fact("Owns a red bicycle")


def test_both_empty_is_full_agreement() -> None:
    case = compare([], [])
    assert case.score == 1.0 and not case.kinds and case.pairs == ()


def test_a_quiet_model_against_a_fact_scores_zero() -> None:
    case = compare([], [PEANUTS])
    assert case.score == 0.0
    assert case.kinds == {Kind.QUIET, Kind.MISSED}
    assert case.missed == [0] and case.invented == []


def test_speaking_where_the_reference_is_quiet_scores_zero() -> None:
    case = compare([PEANUTS], [])
    assert case.score == 0.0 and case.kinds == {Kind.QUIET, Kind.INVENTED}


def test_same_facts_in_another_order_and_case_agree_fully() -> None:
    model = [fact("works as a PILOT.", subject="jamie", category="work"), fact("wife is jamie", category="relationship")]
    case = compare(model, [WIFE, PILOT])
    assert case.score == 1.0 and not case.kinds
    assert [(p.model_index, p.reference_index) for p in case.pairs] == [(1, 0), (0, 1)]


def test_a_wrong_category_costs_a_quarter_of_the_pair() -> None:
    case = compare([fact("Wife is Jamie", category="personal")], [WIFE])
    assert case.score == 0.75  # (1 + subject 1 + category 0 + action 1) / 4
    assert case.kinds == {Kind.FIELDS}


def test_wrong_subject_and_action_cost_half() -> None:
    case = compare([fact("Works as a pilot", subject="user", category="work", action="correction")], [PILOT])
    assert case.score == 0.5 and case.kinds == {Kind.FIELDS}


def test_wording_only_keeps_the_text_similarity_as_credit() -> None:
    # token_sort_ratio: "in lives porto" (14 chars) inside "in lives porto portugal" (23): 2*14/37
    case = compare([fact("Lives in Porto, Portugal", category="location")], [fact("Lives in Porto", category="location")])
    assert case.pairs[0].similarity == pytest.approx(28 / 37, abs=1e-12)
    assert case.score == pytest.approx((28 / 37 + 3) / 4, abs=1e-12)
    assert case.kinds == {Kind.WORDING}


def test_an_invented_fact_halves_precision_not_recall() -> None:
    case = compare([PEANUTS, BICYCLE], [PEANUTS])
    assert case.score == pytest.approx(2 / 3, abs=1e-12)  # 2 * 1 / (2 + 1)
    assert case.kinds == {Kind.INVENTED} and case.invented == [1]


def test_dissimilar_texts_never_match() -> None:
    assert agreement.similarity("Allergic to peanuts", "Owns a red bicycle") < agreement.MATCH_THRESHOLD
    case = compare([BICYCLE], [PEANUTS])
    assert case.pairs == () and case.score == 0.0
    assert case.kinds == {Kind.MISSED, Kind.INVENTED}


def test_subject_is_compared_without_case() -> None:
    assert compare([fact("Works as a pilot", subject="JAMIE", category="work")], [PILOT]).score == 1.0


def test_the_assignment_is_optimal_where_greedy_is_not(monkeypatch: pytest.MonkeyPatch) -> None:
    # Greedy takes (a, x) = 0.9 first and is left with (b, y) = 0.1, below the threshold: one pair.
    # The optimal assignment takes (a, y) + (b, x) = 0.8 + 0.85: two pairs.
    table = {("a", "x"): 0.9, ("a", "y"): 0.8, ("b", "x"): 0.85, ("b", "y"): 0.1}
    monkeypatch.setattr(agreement, "similarity", lambda m, r: table[(m, r)])
    case = compare([fact("a"), fact("b")], [fact("x"), fact("y")])
    assert [(p.model_index, p.reference_index) for p in case.pairs] == [(1, 0), (0, 1)]
    assert case.score == pytest.approx(2 * ((0.85 + 3) / 4 + (0.8 + 3) / 4) / 4, abs=1e-12)


def test_summary_figures_over_five_cases() -> None:
    cases = [
        ([], []),                          # 1.0, both quiet
        ([], []),                          # 1.0, both quiet
        ([], [PEANUTS]),                   # 0.0, model quiet, reference speaks
        ([WIFE], [WIFE]),                  # 1.0
        ([PEANUTS, BICYCLE], [PEANUTS]),   # 2/3
    ]
    summary = summarise(cases)
    assert summary.cases == 5
    assert summary.agreement == pytest.approx((1 + 1 + 0 + 1 + 2 / 3) / 5, abs=1e-12)  # 11/15
    assert summary.precision == pytest.approx(2 / 3, abs=1e-12)  # 2 matched of 3 model facts
    assert summary.recall == pytest.approx(2 / 3, abs=1e-12)  # 2 matched of 3 reference facts
    assert summary.quiet_agreement == pytest.approx(4 / 5, abs=1e-12)
    # p_o = 0.8; model quiet 3/5, reference quiet 2/5: p_e = 0.6*0.4 + 0.4*0.6 = 0.48
    assert summary.kappa == pytest.approx((0.8 - 0.48) / (1 - 0.48), abs=1e-12)


def test_kappa_edges() -> None:
    assert cohen_kappa([True, False], [True, False]) == 1.0
    assert cohen_kappa([True, False], [False, True]) == -1.0
    assert cohen_kappa([True, True], [True, True]) is None  # one label everywhere: undefined
    assert cohen_kappa([], []) is None


def test_no_facts_anywhere_leaves_precision_and_recall_undefined() -> None:
    summary = summarise([([], []), ([], [])])
    assert summary.agreement == 1.0 and summary.precision is None and summary.recall is None
    assert summary.quiet_agreement == 1.0 and summary.kappa is None
