from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
# shared/ lies beside the checkout (as in CI); the samples are real exports from public projects.
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "exports"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def samples() -> Path:
    if not SAMPLES.exists():
        pytest.fail(f"the shared export samples are missing: expected them in {SAMPLES}")
    return SAMPLES


def texts(conversation) -> str:
    return "\n".join(t.text for t in conversation.turns)
