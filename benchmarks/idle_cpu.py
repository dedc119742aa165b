"""What the window costs while nobody touches it: CPU time and wake-ups per second of the real
window (``open_window`` on the sample export, as ``packaging/run.sh`` opens it, no model loaded)
against a bare PySide6 window, measured the same way in the same run. On a laptop every wake-up
keeps a core out of its deep sleep states, so an idle window should wake about as rarely as a bare one.

Each side runs in its own process (offscreen unless a display is set): the window is opened and
left to settle (``--settle`` seconds: the first-paint work, the import of the sample), then the
process's CPU time (all threads) and its context switches (all threads, from ``/proc``: each is a
thread waking up or being woken) are read over ``--seconds`` of idling.

Usage: python benchmarks/idle_cpu.py [--seconds 20] [--settle 8] [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "sample" / "conversations.json"

PROBE = r"""
import json, os, sys, time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

kind, settle, seconds, sample = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]

def switches():
    total = 0
    for task in Path("/proc/self/task").iterdir():
        try:
            for line in (task / "status").read_text().splitlines():
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    total += int(line.split()[1])
        except OSError:
            pass  # a thread that ended meanwhile
    return total

app = QApplication(sys.argv[:1])
if kind == "bare":
    window = QMainWindow()
    window.resize(1200, 760)
    window.show()
else:
    from scallop_curator.ui.app import open_window
    window = open_window([sample], os.environ["IDLE_DB"])
start = {}

def begin():
    start.update(cpu=time.process_time(), switches=switches(), wall=time.monotonic())
    QTimer.singleShot(int(seconds * 1000), finish)

def finish():
    wall = time.monotonic() - start["wall"]
    print(json.dumps({"cpu_ms_per_s": (time.process_time() - start["cpu"]) * 1000 / wall,
                      "switches_per_s": (switches() - start["switches"]) / wall,
                      "threads": len(list(Path("/proc/self/task").iterdir()))}), flush=True)
    os._exit(0)

QTimer.singleShot(int(settle * 1000), begin)
app.exec()
"""


def launch(kind: str, home: Path, args: argparse.Namespace) -> dict[str, float]:
    env = os.environ.copy()
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCALLOP_CURATOR_HOME"] = str(home)
    env["IDLE_DB"] = str(home / "idle.db")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "app"), env.get("PYTHONPATH")]))
    done = subprocess.run([sys.executable, "-c", PROBE, kind, str(args.settle), str(args.seconds), str(SAMPLE)],
                          env=env, capture_output=True, text=True, timeout=args.settle + args.seconds + 120)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"{kind}: no figures\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to idle while measuring")
    parser.add_argument("--settle", type=float, default=8.0, help="how long to wait after opening")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="scallop-idle-"))
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "app": []}
    for _ in range(args.rounds):  # alternate, so a busy moment hurts both alike
        for kind in runs:
            runs[kind].append(launch(kind, home, args))
    for kind, label in (("bare", "bare PySide6 window"), ("app", "Scallop Curator, idle")):
        cpu = statistics.median(run["cpu_ms_per_s"] for run in runs[kind])
        woke = statistics.median(run["switches_per_s"] for run in runs[kind])
        print(f"{label:<24} CPU {cpu:6.2f} ms per second   context switches {woke:7.1f} per second   "
              f"threads {runs[kind][-1]['threads']:.0f}")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
