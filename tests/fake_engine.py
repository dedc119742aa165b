"""A deterministic engine for UI tests, loaded inside the real worker process through
``WorkerClient(engine_factory="fake_engine:make_engine")``: the process, pipes, cancel and
crash handling are the real ones; only the model's answers are scripted."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.facts import Fact
from scallop_curator.domain.results import TurnResult

KEYWORDS = {
    "Rotterdam": ("Works as a planner at the container terminal in Rotterdam", "work"),
    "A2": ("Passed the Dutch A2 exam in January", "project"),
    "flashcards": ("Prefers flashcards over textbooks", "preference"),
    "walnuts": ("Allergic to walnuts", "personal"),
    "Ana": ("Sister is Ana", "relationship"),
    "Pip": ("Call the assistant Pip", "general"),
}


class FakeEngine:
    def __init__(self) -> None:
        self.delay = float(os.environ.get("FAKE_ENGINE_DELAY", "0"))
        # Stuck: ignores cancel, like llama.cpp inside a long prompt evaluation.
        self.stuck = os.environ.get("FAKE_ENGINE_STUCK") == "1"

    def extract(self, case: ExtractionCase, should_stop: Callable[[], bool]) -> TurnResult:
        deadline = time.monotonic() + self.delay
        while time.monotonic() < deadline:
            if should_stop() and not self.stuck:
                break
            time.sleep(0.01)
        if "UNPARSEABLE" in case.message:
            return TurnResult(conversation_id=case.conversation_id, turn_index=case.turn_index, parse_ok=False,
                              raw_output="{ \"facts\": [", error="the model's JSON is incomplete")
        facts = [
            Fact(content=content, subject="agent" if word == "Pip" else "user", category=category,  # type: ignore[arg-type]
                 confidence=0.9)
            for word, (content, category) in KEYWORDS.items()
            if word in case.message
        ]
        return TurnResult(conversation_id=case.conversation_id, turn_index=case.turn_index, parse_ok=True,
                          facts=facts, raw_output=str([f.model_dump() for f in facts]), latency_ms=1.0)


def make_engine(model_path: str, prompt: object, settings: object) -> FakeEngine:
    return FakeEngine()
