from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
SAMPLES = Path("/work/shared/data/exports")


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.exists():
        pytest.skip("shared export samples are not available")
    return SAMPLES


def texts(conversation) -> str:
    return "\n".join(t.text for t in conversation.turns)
