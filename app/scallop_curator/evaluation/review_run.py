"""The user's own review as an evaluation run: every reviewed turn of the store, the model's
proposals against what the user kept. Edited and rejected proposals, and memories added by hand,
become disagreements the audit view can show, and the turns can be exported as cases."""

from __future__ import annotations

from datetime import datetime, timezone

from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import TurnResult
from scallop_curator.evaluation import runs
from scallop_curator.evaluation.harness import case_result, figures
from scallop_curator.evaluation.sources import reviewed_turns
from scallop_curator.store import Store

LABEL = "your review decisions"


def save_review_run(store: Store) -> int | None:
    """Save a run over every reviewed turn; None when nothing has been reviewed yet."""
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    turns = [t for summary in store.conversations() for t in reviewed_turns(store, summary.id)]
    if not turns:
        return None
    results = []
    for index, turn in enumerate(turns):
        facts = [Fact(**f.model_dump(), confidence=1.0) for f in turn.proposed]
        result = TurnResult(conversation_id=turn.case.case_id, turn_index=index, parse_ok=turn.parse_ok,
                            facts=facts, latency_ms=turn.latency_ms)
        results.append(case_result(index, turn.case, result))
    meta = runs.RunMeta(LABEL, str(store.path), "review", "-", None, "-", [str(store.path)])
    return runs.save_run(store, meta, started, 0.0, figures(results), results)
