"""The longest stall of the Qt event loop while the real window imports the sample export and
extracts every conversation with a real model in the worker process, measured by a 5 ms timer
inside the app. Target: < 50 ms.

Usage: python benchmarks/ui_stall.py [MODEL.gguf]      (offscreen unless a display is set)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from _common import SAMPLE, model_path, quiet_home

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main() -> None:
    quiet_home()
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from scallop_curator.settings import Settings
    from scallop_curator.store import Store
    from scallop_curator.ui.main_window import MainWindow

    app = QApplication([])
    model = model_path(sys.argv)
    db = Path(tempfile.mkdtemp()) / "bench.db"
    window = MainWindow(Store(db), Settings(model_path=str(model)))
    window.show()

    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000)
        last[0] = now

    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    phases: dict[str, list[float]] = {}

    def run_until(signal, start) -> float:  # type: ignore[no-untyped-def]
        done: list[object] = []
        signal.connect(lambda *args: done.append(args))
        gaps.clear()
        last[0] = time.perf_counter()
        started = time.perf_counter()
        start()
        while not done:
            app.processEvents()
            time.sleep(0.001)
        return time.perf_counter() - started

    timer.start()
    seconds = run_until(window.importer.finished, lambda: window.import_files([SAMPLE]))
    phases["import"] = sorted(gaps)
    print(f"import of the sample: {seconds:.2f} s")
    seconds = run_until(window.controller.finished, window.extract_all)
    phases["extraction"] = sorted(gaps)
    print(f"extraction of {window.store.db.execute('SELECT COUNT(*) FROM turn_results').fetchone()[0]} turns "
          f"with {model.name}: {seconds:.1f} s")
    timer.stop()
    for name, values in phases.items():
        if not values:
            continue
        p99 = values[int(len(values) * 0.99) - 1] if len(values) > 100 else values[-1]
        print(f"{name:>10}: {len(values):,} timer ticks, median gap {values[len(values) // 2]:.1f} ms, "
              f"p99 {p99:.1f} ms, longest stall {values[-1]:.1f} ms (target < 50 ms)")
    window.close()


if __name__ == "__main__":
    main()
