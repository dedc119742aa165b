"""The one-folder app that ``packaging/build.sh`` makes: it starts on the sample and shows its
window, and its frozen inference worker extracts a turn with a real model.

Building takes minutes, so the suite uses a build that is already there (CI builds it first and
sets SCALLOP_REQUIRE_PACKAGED=1, which turns a missing build into a failure instead of a skip).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FROZEN = REPO / "dist" / "scallop-curator" / "scallop-curator"

pytestmark = pytest.mark.model


@pytest.fixture
def frozen_app() -> Path:
    if not FROZEN.exists():
        if os.environ.get("SCALLOP_REQUIRE_PACKAGED"):
            pytest.fail(f"{FROZEN} is missing: packaging/build.sh did not build it")
        pytest.skip("the packaged app is not built here (bash packaging/build.sh builds it)")
    return FROZEN


def _env(home: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTHON")}
    env.update(SCALLOP_CURATOR_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return env


def test_the_frozen_app_extracts_with_a_real_model(frozen_app: Path, tmp_path: Path, demo_model: Path) -> None:
    export = tmp_path / "chat.json"
    export.write_text(json.dumps([
        {"role": "assistant", "content": "Hi! How can I help?"},
        {"role": "user", "content": "I moved to Lisbon last month and I work as a nurse there."},
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    done = subprocess.run([str(frozen_app), "extract", str(export), "--model", str(demo_model), "--out", str(out)],
                          env=_env(tmp_path / "home"), capture_output=True, text=True, timeout=600,
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    [line] = [json.loads(text) for text in out.read_text(encoding="utf-8").splitlines()]
    assert line["parse_ok"] is True and line["latency_ms"] > 0


def test_the_frozen_app_opens_its_window_on_the_sample(frozen_app: Path, tmp_path: Path, sample_export: Path) -> None:
    home = tmp_path / "home"
    store = tmp_path / "memories.db"
    process = subprocess.Popen([str(frozen_app), str(sample_export), "--db", str(store)], env=_env(home),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        conversations = 0
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None and conversations < 5:
            time.sleep(0.5)
            if store.exists():
                try:
                    with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                        conversations = db.execute("SELECT COUNT(*) FROM conversations").fetchone()[0]
                except sqlite3.Error:
                    pass
        assert process.poll() is None, f"the app ended early:\n{process.communicate()[0][-3000:]!r}"
        assert conversations == 5, "the window did not import the sample it was opened with"
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    log = (home / "log" / "scallop-curator.log").read_text(encoding="utf-8")
    assert "unhandled exception" not in log, log[-3000:]
