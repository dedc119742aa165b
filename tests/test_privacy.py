"""Nothing leaves the machine: a whole session (import, extract with the real model in the real
worker process, review in the window, export) runs in processes where every connection that is not
to loopback, and every name lookup of a non-loopback host, is refused and recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

GUARD = Path(__file__).parent / "privacy"


def _guarded_env(log: Path, home: Path) -> dict[str, str]:
    env = os.environ.copy()
    env["PYTHONPATH"] = os.pathsep.join([str(GUARD), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["SCALLOP_PRIVACY_LOG"] = str(log)
    env["SCALLOP_CURATOR_HOME"] = str(home)
    env["QT_QPA_PLATFORM"] = "offscreen"
    # Whatever the developer's shell says, the app must not need the network to be told "offline".
    for name in ("HF_HUB_OFFLINE", "HF_HUB_DISABLE_TELEMETRY", "DO_NOT_TRACK"):
        env.pop(name, None)
    return env


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=900, stdin=subprocess.DEVNULL)


def test_the_guard_catches_a_connection_out(tmp_path: Path) -> None:
    """The guard itself works, so an empty record below means something."""
    log = tmp_path / "network.log"
    script = ("import socket, urllib.request\n"
              "for target in (lambda: socket.create_connection(('192.0.2.1', 443), timeout=1),\n"
              "               lambda: urllib.request.urlopen('https://huggingface.co', timeout=1)):\n"
              "    try: target()\n"
              "    except OSError: pass\n")
    done = _run(["-c", script], _guarded_env(log, tmp_path / "home"), tmp_path)
    assert done.returncode == 0, done.stderr
    record = log.read_text(encoding="utf-8")
    assert "192.0.2.1" in record and "huggingface.co" in record


def _small_export(sample_export: Path, into: Path) -> Path:
    """The sample's shortest conversation with something to remember: a real model run stays short."""
    conversations = json.loads(sample_export.read_text(encoding="utf-8"))
    chosen = [c for c in conversations if c.get("title") == "Birthday gift for my sister"]
    assert chosen, "the sample export changed: pick another conversation"
    path = into / "conversations.json"
    path.write_text(json.dumps(chosen), encoding="utf-8")
    return path


@pytest.mark.model
def test_a_whole_session_opens_no_connection(tmp_path: Path, sample_export: Path, demo_model: Path) -> None:
    log = tmp_path / "network.log"
    env = _guarded_env(log, tmp_path / "home")
    store = tmp_path / "memories.db"
    sample_export = _small_export(sample_export, tmp_path)
    steps = [
        ["-m", "scallop_curator", "import", str(sample_export), "--db", str(store)],
        ["-m", "scallop_curator", "extract", str(sample_export), "--model", str(demo_model),
         "--out", str(tmp_path / "proposals.jsonl")],
        [str(GUARD / "window_session.py"), str(store), str(sample_export), str(demo_model)],
        ["-m", "scallop_curator", "model", "info", str(demo_model)],
    ]
    outputs = []
    for args in steps:
        done = _run(args, env, tmp_path)
        assert done.returncode == 0, f"{args}: {done.stderr[-2000:]}"
        outputs.append(done.stdout)
    assert "session done" in outputs[2]
    assert (tmp_path / "proposals.jsonl").stat().st_size > 0
    record = log.read_text(encoding="utf-8") if log.exists() else ""
    assert record == "", f"network use outside this machine:\n{record}"
