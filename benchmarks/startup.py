"""Start-up: from launching the process to the main window painted, for the real app
(``python -m scallop_curator``, no model loaded yet: it loads in the background on first use) and
for a bare PySide6 window, measured the same way in the same run. Target: app ≤ 2× bare.

The window is painted first as a shell and filled right after (store, views); "filled" is when
it shows the store; "cli" how long importing ``scallop_curator.cli`` took (before PySide6, as in a
real launch). Both sides are watched the same way: an event filter on their main window, installed
when the event loop starts (the window is shown by then, and painted only from the loop). The CPU
time each process used until its window was shown is printed too: on a busy machine it varies less
than the wall clock, which is what the target is about.

Usage: python benchmarks/startup.py [ROUNDS]      (offscreen unless a display is set)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROBE = r"""
import os, sys, time

T0 = float(os.environ["STARTUP_T0"])
if sys.argv[1] == "app":  # imported first, as ``python -m scallop_curator`` does: PySide6 comes later
    started = time.time()
    from scallop_curator.cli import main
    print(f"cli {time.time() - started:.4f}", flush=True)

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QMainWindow

_exec = QApplication.exec

class Painted(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint:
            print(f"shown {time.time() - T0:.4f}", flush=True)
            print(f"cpu {time.process_time():.4f}", flush=True)  # this process's CPU time so far
            watched.removeEventFilter(self)
            if getattr(watched, "is_filled", True):  # a bare window, or one built filled
                filled()
            else:
                watched.filled.connect(filled)
        return False

def filled():
    print(f"filled {time.time() - T0:.4f}", flush=True)
    os._exit(0)

def exec_and_report(*args):
    # Watch the main window only: a filter on the whole application would be called (and would
    # make PySide wrap, and build the enums of) every object that gets an event, the app's
    # many widgets more than the bare window's few.
    app = QApplication.instance()
    app._startup_probe = Painted()
    for window in app.topLevelWidgets():
        if isinstance(window, QMainWindow):
            window.installEventFilter(app._startup_probe)
    return _exec()

QApplication.exec = exec_and_report
if sys.argv[1] == "bare":
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.resize(1200, 760)
    window.show()
    app.exec()
else:
    sys.exit(main([]))
"""


def launch(kind: str, home: Path) -> dict[str, float]:
    env = os.environ.copy()
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["SCALLOP_CURATOR_HOME"] = str(home)
    env["STARTUP_T0"] = repr(time.time())
    done = subprocess.run([sys.executable, "-c", PROBE, kind], env=env, capture_output=True, text=True,
                          timeout=120)
    times = {line.split()[0]: float(line.split()[1]) for line in done.stdout.splitlines()
             if line.split()[:1] in (["shown"], ["cpu"], ["filled"], ["cli"])}
    if "shown" not in times:
        raise SystemExit(f"{kind}: the window was never shown\n{done.stderr[-2000:]}")
    return times


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    home = Path(tempfile.mkdtemp(prefix="scallop-startup-"))
    launch("app", home)  # first launch creates the store and warms the disk cache; not counted
    bare_runs: list[dict[str, float]] = []
    app: list[dict[str, float]] = []
    for _ in range(rounds):  # alternate, so a busy moment hurts both alike
        bare_runs.append(launch("bare", home))
        app.append(launch("app", home))
    bare = [run["shown"] for run in bare_runs]
    b = statistics.median(bare)
    print(f"bare PySide6 window: median {b * 1000:.0f} ms  (runs: {_runs(bare)})")
    bare_cpu = statistics.median(run["cpu"] for run in bare_runs)
    print(f"  … CPU time until shown:   median {bare_cpu * 1000:.0f} ms")
    for key, what in (("shown", "Scallop Curator shown"), ("cpu", "  … CPU time until shown"),
                      ("filled", "  … store and views in"), ("cli", "  … importing the cli took")):
        values = [run[key] for run in app if key in run]
        if values:
            print(f"{what + ':':<28}median {statistics.median(values) * 1000:.0f} ms  (runs: {_runs(values)})")
    a = statistics.median(run["shown"] for run in app)
    print(f"ratio app/bare: {a / b:.2f}  (target ≤ 2.0)")
    a_cpu = statistics.median(run["cpu"] for run in app)
    print(f"CPU time ratio app/bare: {a_cpu / bare_cpu:.2f}  (steadier than the wall clock on a busy machine)")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{x * 1000:.0f}" for x in values)


if __name__ == "__main__":
    main()
