"""What an extraction will take before it runs: turns, prompt tokens and time on this machine.

Tokens are counted with the model's own vocabulary (the GGUF loaded without its weights); for a
server they are estimated from characters. The time comes from this machine's measured speed on
the model (see ``speed``), so it is only given once a run on that model was measured."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction.profiles import PromptProfile
from scallop_curator.extraction.speed import Speed

CHARS_PER_TOKEN = 4
#: An extraction longer than this (estimated) is shown to the user before it starts.
LARGE_SECONDS = 120.0
#: The orders a person may choose for a large extraction.
ORDERS: dict[str, str] = {
    "newest": "Newest turns first",
    "selected": "Selected conversations first, then newest",
    "oldest": "Oldest turns first",
}


@dataclass
class Plan:
    turns: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    #: Each turn's own tokens (previous reply, message, closing): what no reuse can avoid.
    own_tokens: int = 0
    #: Tokens evaluated with prefix reuse: own tokens plus each distinct prefix once.
    evaluated_tokens: int = 0
    distinct_prefixes: int = 0
    exact: bool = True
    seconds: float | None = None

    def lines(self) -> list[str]:
        how = "counted with the model's vocabulary" if self.exact else "estimated from characters"
        out = [f"{self.turns:,} turns to extract"
               + (f" ({sum(self.skipped.values()):,} skipped: " + ", ".join(f"{n:,} {why}" for why, n in sorted(self.skipped.items())) + ")"
                  if self.skipped else ""),
               f"prompt tokens: {self.prompt_tokens:,} in all, {self.evaluated_tokens:,} to evaluate with prefix reuse "
               f"({self.distinct_prefixes:,} distinct prefixes; the turns' own tokens: {self.own_tokens:,}); {how}"]
        if self.seconds is None:
            out.append("time: not known yet for this model on this machine (one run measures it)")
        else:
            out.append(f"time: about {format_duration(self.seconds)} at this machine's measured speed")
        return out


def format_duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if seconds < 90:
        return f"{seconds:.0f} s"
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class Stopped(Exception):
    """The count was no longer wanted (the plan was closed)."""


def plan_local(model: Path, profile: PromptProfile, cases: Iterable[ExtractionCase], speed: Speed | None,
               should_stop: Callable[[], bool] | None = None) -> Plan:
    """Exact counts with the model's tokenizer and chat template (no weights loaded).

    The shared prefix depends only on the turn's shown date and time, so it is rendered once per
    distinct one. ``should_stop`` is asked before each turn; when it says yes, :class:`Stopped`."""
    from llama_cpp import Llama

    from scallop_curator.extraction.rendering import PromptRenderer

    llm = Llama(model_path=str(model), vocab_only=True, verbose=False)
    try:
        renderer = PromptRenderer(llm, profile)
        # The template's own text between the slots repeats from turn to turn (the instructions):
        # tokenized once per distinct text. prompt_tokens copies what it gets, never changes it.
        renderer._tokens = functools.lru_cache(maxsize=512)(renderer._tokens)  # type: ignore[method-assign]
        plan = Plan()
        prefixes: dict[tuple[datetime, str], tuple[int, ...]] = {}
        for case in cases:
            if should_stop is not None and should_stop():
                raise Stopped()
            when, zone = renderer._clock(case)
            total = len(renderer.prompt_tokens(case.context, case.message, when, zone))
            prefix = prefixes.get((when, zone))
            if prefix is None:
                prefix = prefixes[(when, zone)] = tuple(renderer._prefix_for(when, zone))
            plan.turns += 1
            plan.prompt_tokens += total
            plan.own_tokens += total - len(prefix)
        distinct = set(prefixes.values())
        plan.distinct_prefixes = len(distinct)
        plan.evaluated_tokens = plan.own_tokens + sum(len(p) for p in distinct)
    finally:
        llm.close()
    if speed is not None:
        plan.seconds = speed.estimate(plan.evaluated_tokens, plan.turns)
    return plan


def plan_estimate(profile: PromptProfile, cases: Iterable[ExtractionCase], speed: Speed | None) -> Plan:
    """Counts from characters, for a server whose tokenizer is not at hand."""
    fixed = len(profile.system or "") + len(profile.user) + len(profile.context_present)
    plan = Plan(exact=False)
    for case in cases:
        own = (len(case.context or "") + len(case.message) + 40) // CHARS_PER_TOKEN
        plan.turns += 1
        plan.own_tokens += own
        plan.prompt_tokens += own + fixed // CHARS_PER_TOKEN
    # A server keeps its own prompt cache; count the fixed part once, as the best case.
    plan.distinct_prefixes = 1 if plan.turns else 0
    plan.evaluated_tokens = plan.own_tokens + (fixed // CHARS_PER_TOKEN if plan.turns else 0)
    if speed is not None:
        plan.seconds = speed.estimate(plan.evaluated_tokens, plan.turns)
    return plan


def is_large(plan: Plan, max_turns: int = 50, max_seconds: float = LARGE_SECONDS) -> bool:
    """Whether an extraction is worth a look before it starts: many turns, or a long estimate."""
    return plan.turns > max_turns or (plan.seconds is not None and plan.seconds > max_seconds)


def order_cases(cases: list[ExtractionCase], order: str, first: Iterable[str] = ()) -> list[ExtractionCase]:
    """The turns in the order the user chose. ``newest``/``oldest`` sort by each turn's exact time
    (turns without one go last, in their place); ``selected`` puts the conversations in ``first``
    ahead (in their own order), then the rest newest first. Stable, so ties keep their place."""
    if order == "selected":
        chosen = set(first)
        ahead = [case for case in cases if case.conversation_id in chosen]
        rest = order_cases([case for case in cases if case.conversation_id not in chosen], "newest")
        return ahead + rest
    if order not in ("newest", "oldest"):
        raise ValueError(f"unknown order {order!r}")
    timed = [case for case in cases if case.sort_time is not None]
    untimed = [case for case in cases if case.sort_time is None]
    timed.sort(key=lambda case: case.sort_time, reverse=order == "newest")  # type: ignore[arg-type, return-value]
    return timed + untimed
