"""A prompt's own examples must never come back as facts. The first compact prompt showed
"Lives in Porto" and "Allergic to peanuts", and SmolLM2 proposed them in unrelated turns. With
the real SmolLM2 on a few dev cases, no proposal may repeat a quoted text of the prompt in use."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction.profiles import PromptProfile, load_profile
from scallop_curator.settings import EngineSettings

pytestmark = pytest.mark.model

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LEAKY = FIXTURES / "prompts" / "extract-v1-leaky.txt"


def dev_cases() -> list[ExtractionCase]:
    lines = (FIXTURES / "eval" / "dev-sample.jsonl").read_text(encoding="utf-8").splitlines()
    return [ExtractionCase(conversation_id=row["case_id"], turn_index=1, context=row["context"], message=row["message"])
            for row in map(json.loads, lines)]


def prompt_text(profile: PromptProfile) -> str:
    return normalise((profile.system or "") + " " + profile.user)


def normalise(text: str) -> str:
    return " ".join(text.lower().replace('"', " ").split()).rstrip(".")


def copied(content: str, prompt: str) -> bool:
    """A fact of two words or more that the prompt itself already says, word for word."""
    fact = normalise(content)
    return len(fact.split()) >= 2 and fact in prompt


def leaks(profile: PromptProfile, demo_model: Path, first_only: bool = False) -> list[tuple[str, str]]:
    from scallop_curator.extraction.engine import LocalEngine

    prompt = prompt_text(profile)
    engine = LocalEngine(demo_model, profile, EngineSettings(seed=0, n_threads=2), persist_prefix=False)
    try:
        found = []
        for case in dev_cases():
            for fact in engine.extract(case).facts:
                if copied(fact.content, prompt):
                    found.append((case.conversation_id, fact.content))
            if found and first_only:
                break
        return found
    finally:
        engine.llm.close()


def test_the_check_catches_the_old_prompt_s_leaks(demo_model: Path):
    old = load_profile(LEAKY)
    assert copied("Lives in Porto", prompt_text(old)) and copied("Allergic to peanuts.", prompt_text(old))
    assert leaks(old, demo_model, first_only=True), "the old prompt leaked with SmolLM2; this check should see it"


@pytest.mark.parametrize("name", ["compact", "scallopbot"])
def test_no_proposal_repeats_an_example_of_a_shipped_profile(name: str, demo_model: Path):
    assert leaks(load_profile(name), demo_model) == []
