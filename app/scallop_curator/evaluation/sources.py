"""Where cases come from: case files (JSON Lines), ScallopBot ``memories.db`` traces, and the app's
own store (a reviewed conversation, the user's decisions being the reference)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scallop_curator.evaluation.cases import CaseFact, CaseProblem, EvalCase, Reference, read_case_file, unique_ids
from scallop_curator.evaluation.traces import is_trace_db, read_traces
from scallop_curator.store import Store


@dataclass
class LoadedCases:
    cases: list[EvalCase] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def load_sources(paths: Sequence[str | Path]) -> LoadedCases:
    """Cases from every path in order; a ScallopBot database says what it could not use."""
    loaded = LoadedCases()
    for raw in paths:
        path = Path(raw)
        if path.is_file() and is_trace_db(path):
            traces = read_traces(path)
            loaded.cases.extend(traces.cases)
            note = f"{path}: {traces.report()}"
            if traces.malformed:
                note += " (" + "; ".join(f"row {i}: {why}" for i, why in traces.malformed[:3])
                note += ", …)" if len(traces.malformed) > 3 else ")"
            loaded.notes.append(note)
        elif _is_sqlite(path):
            raise CaseProblem(f"{path}: a SQLite database without ScallopBot's llm_traces table, so no cases")
        else:
            loaded.cases.extend(read_case_file(path))
    loaded.cases = unique_ids(loaded.cases)
    return loaded


def _is_sqlite(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def cases_from_store(store: Store, conversation_id: str) -> list[EvalCase]:
    """A reviewed conversation as cases: each user turn with the facts the user kept (accepted,
    edited or added by hand) as the reference. Turns never extracted, or with proposals still
    pending or skipped, are left out: their reference is not known yet."""
    turns = store.turns(conversation_id)
    extracted = store.turn_results(conversation_id)
    by_turn: dict[int, list] = {}
    for proposal in store.proposals(conversation_id):
        by_turn.setdefault(proposal.turn_id, []).append(proposal)
    cases: list[EvalCase] = []
    context: str | None = None
    for turn in turns:
        if turn.role == "assistant":
            context = turn.text
            continue
        if turn.role != "user" or not turn.text.strip():
            continue
        proposals = by_turn.get(turn.id, [])
        reviewed = turn.id in extracted or any(p.manual for p in proposals)
        if not reviewed or any(p.status.value in ("pending", "skipped") for p in proposals):
            context = None
            continue
        facts = [CaseFact.model_validate({"content": p.text, "subject": p.subject, "category": p.category,
                                          "action": p.action, "old_value": p.old_value, "replaces": p.replaces})
                 for p in proposals if p.status.keeps_memory]
        cases.append(EvalCase(case_id=f"{conversation_id}:{turn.index}", context=context, message=turn.text,
                              session=conversation_id, reference=Reference(facts=facts), tags=["reviewed"]))
        context = None
    return cases
