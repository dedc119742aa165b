"""How long the model process lives on after the app is killed with kill -9 in the middle of an
extraction (it used to run on, re-parented to PID 1, until its job ended): prints the time from
the kill to the worker's end, for a few kills at different points of the job.

Usage: .venv/bin/python benchmarks/orphan_worker.py [model.gguf] [kills]"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from _common import model_path  # noqa: E402
from test_worker import PARENT_SCRIPT, _gone  # noqa: E402


def one_kill(script: Path, model: Path, wait_before_kill: float) -> float | None:
    parent = subprocess.Popen([sys.executable, str(script), str(model), "", "first-result"], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    worker = int(parent.stdout.readline())
    time.sleep(wait_before_kill)
    parent.kill()
    killed = time.perf_counter()
    parent.wait()
    while time.perf_counter() - killed < 60:
        if _gone(worker):
            return time.perf_counter() - killed
        time.sleep(0.005)
    os.kill(worker, signal.SIGKILL)
    return None


def main() -> None:
    model = model_path([sys.argv[0], *[a for a in sys.argv[1:2] if a]])
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "parent.py"
        script.write_text(PARENT_SCRIPT, encoding="utf-8")
        times = []
        for i in range(kills):
            seconds = one_kill(script, model, wait_before_kill=0.3 * i)
            times.append(seconds)
            print(f"kill {i + 1}: worker ended {'never (killed by hand)' if seconds is None else f'{seconds * 1000:.0f} ms'} after kill -9 of the app")
        ended = [t for t in times if t is not None]
        if ended:
            print(f"worker end after the app's kill: max {max(ended) * 1000:.0f} ms, "
                  f"median {sorted(ended)[len(ended) // 2] * 1000:.0f} ms over {len(ended)}/{kills} kills")


if __name__ == "__main__":
    main()
