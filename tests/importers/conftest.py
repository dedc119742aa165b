from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
# Real exports from public projects (and one LoCoMo-shaped log of our own): see SOURCES.md there.
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def texts(conversation) -> str:
    return "\n".join(t.text for t in conversation.turns)
