"""Where cases come from: case files (JSON Lines), ScallopBot ``memories.db`` traces, and the app's
own store (a reviewed conversation, the user's decisions being the reference)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scallop_curator.evaluation.cases import CaseFact, CaseProblem, EvalCase, Reference, read_case_file, unique_ids
from scallop_curator.evaluation.traces import is_trace_db, read_traces
from scallop_curator.store import Store, StoredProposal


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


@dataclass(frozen=True)
class ReviewedTurn:
    """A reviewed user turn: the case (the user's decisions as reference) and what the model proposed."""

    case: EvalCase
    proposed: list[CaseFact]
    parse_ok: bool
    latency_ms: float


def _fact(p: StoredProposal, content: str) -> CaseFact:
    return CaseFact.model_validate({"content": content, "subject": p.subject, "category": p.category,
                                    "action": p.action, "old_value": p.old_value, "replaces": p.replaces})


def reviewed_turns(store: Store, conversation_id: str) -> list[ReviewedTurn]:
    """A reviewed conversation's user turns: the facts the user kept (accepted, edited or added by
    hand) are the reference, the model's proposals as it wrote them the output, so edits and
    rejections show up as disagreements. Turns never extracted, or with proposals still pending or
    skipped, are left out: their reference is not known yet."""
    extracted = store.turn_results(conversation_id)
    by_turn: dict[int, list[StoredProposal]] = {}
    for proposal in store.proposals(conversation_id):
        by_turn.setdefault(proposal.turn_id, []).append(proposal)
    out: list[ReviewedTurn] = []
    context: str | None = None
    for turn in store.turns(conversation_id):
        if turn.role == "assistant":
            context = turn.text
            continue
        if turn.role != "user" or not turn.text.strip():
            continue
        proposals = by_turn.get(turn.id, [])
        result = extracted.get(turn.id)
        if (result is None and not any(p.manual for p in proposals)) or any(
                p.status.value in ("pending", "skipped") for p in proposals):
            context = None
            continue
        kept = [_fact(p, p.text) for p in proposals if p.status.keeps_memory]
        case = EvalCase(case_id=f"{conversation_id}:{turn.index}", context=context, message=turn.text,
                        session=conversation_id, reference=Reference(facts=kept), tags=["reviewed"])
        proposed = [_fact(p, p.content) for p in proposals if not p.manual]
        out.append(ReviewedTurn(case, proposed, result.parse_ok if result else True,
                                result.latency_ms if result else 0.0))
        context = None
    return out


def cases_from_store(store: Store, conversation_id: str) -> list[EvalCase]:
    """A reviewed conversation saved as cases, the user's decisions being the reference."""
    return [turn.case for turn in reviewed_turns(store, conversation_id)]
