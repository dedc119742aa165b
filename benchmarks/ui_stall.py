"""The longest stall of the Qt event loop while the real window imports the sample export and
extracts every conversation with a real model in the worker process, measured by a 5 ms timer
inside the app. Target: < 50 ms.

Besides the gaps it times the window's own work on the UI thread for each extraction event (the
slots of the controller's signals and the steps of storing a result) and prints the slowest, so a
stall can be told apart from the machine taking the CPU away (compare with the load average).

Usage: python benchmarks/ui_stall.py [MODEL.gguf]      (offscreen unless a display is set)
       python benchmarks/ui_stall.py --fake-engine        (the tests' scripted engine in the real worker
                                                          process: a result every 0.2 s, so only the
                                                          window's own work on each result is measured)
       python benchmarks/ui_stall.py --big-import MB      (import a generated ChatGPT export of MB
                                                          megabytes, then scroll the whole list)
       python benchmarks/ui_stall.py --history 2000 [--max-seconds S] [--db PATH]
                                                         (the whole-history run through the window: the
                                                          export of benchmarks/whole_history.py, every turn
                                                          oldest first; also turns per minute and prompt
                                                          tokens evaluated against the turns' own. --db
                                                          keeps the store: run again with it to resume, as
                                                          the window does; the export is the same bytes, so
                                                          its import adds nothing the second time)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import SAMPLE, model_path, quiet_home

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_big_export(megabytes: int) -> Path:
    import subprocess

    out = Path(tempfile.mkdtemp()) / "conversations.json"
    maker = Path(__file__).resolve().parents[2] / "shared" / "tools" / "make_big_chatgpt_export.py"
    subprocess.run([sys.executable, str(maker), str(megabytes), str(out)], check=True)
    return out


UI_SLOTS = ("import_files", "_import_finished", "_import_done", "select_conversation", "extract_all", "model_spec", "_memory_is_enough", "start_job", "_store_result", "_progress",
            "_model_state_changed", "refresh_proposals", "update_titles", "_update_status", "select_proposal",
            "_show_progress", "_extraction_finished", "on_changes", "_deliver")


class SlotTimes:
    """The longest and total time each wrapped callable took on the UI thread: wall time, and the
    thread's CPU time (what the window itself computed; the rest is waiting for the CPU or I/O)."""

    def __init__(self) -> None:
        self.longest: dict[str, tuple[float, float]] = {}  # (wall ms, CPU ms) of the longest call
        self.cpu: dict[str, list[float]] = {}
        self.total: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        #: Every call and collection: (start, end, name), to say what filled the longest gaps.
        self.spans: list[tuple[float, float, str]] = []

    def watch_gc(self) -> None:
        """Time the garbage collector's passes too: a full one can stall the loop on its own."""
        import gc

        started = [0.0]

        def callback(phase: str, info: dict) -> None:  # type: ignore[type-arg]
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                self.spans.append((started[0], time.perf_counter(), f"gc gen{info['generation']}"))

        gc.callbacks.append(callback)

    def within(self, start: float, end: float) -> str:
        """What ran inside (start, end), the outermost calls with their milliseconds."""
        inside = sorted((s, e, n) for s, e, n in self.spans if e > start and s < end)
        outer: list[tuple[float, float, str]] = []
        for span in inside:
            if not outer or span[0] >= outer[-1][1]:
                outer.append(span)
        return ", ".join(f"{n} {1000 * (e - s):.1f}" for s, e, n in outer) or "nothing timed"

    def wrap(self, name: str, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                ms = (ended - started) * 1000
                self.spans.append((started, ended, name))
                cpu_ms = (time.thread_time() - cpu) * 1000
                if ms > self.longest.get(name, (0.0, 0.0))[0]:
                    self.longest[name] = (ms, cpu_ms)
                self.total[name] = self.total.get(name, 0.0) + ms
                self.cpu.setdefault(name, []).append(cpu_ms)
                self.calls[name] = self.calls.get(name, 0) + 1
        return timed

    def clear(self) -> None:
        self.longest.clear()
        self.total.clear()
        self.cpu.clear()
        self.calls.clear()
        self.spans.clear()

    def report(self) -> None:
        for name in sorted(self.longest, key=lambda n: self.longest[n][0], reverse=True):
            wall, cpu = self.longest[name]
            cpus = sorted(self.cpu[name])
            print(f"    {name:<28} {self.calls[name]:>4} calls, longest {wall:6.1f} ms ({cpu:5.1f} ms CPU), "
                  f"mean {self.total[name] / self.calls[name]:6.1f} ms; CPU median {cpus[len(cpus) // 2]:5.1f} "
                  f"max {cpus[-1]:5.1f} ms")


def _option(name: str, kind: type) -> Any:
    """Take ``name VALUE`` out of sys.argv (what is left is the model path)."""
    if name not in sys.argv:
        return None
    position = sys.argv.index(name)
    value = kind(sys.argv[position + 1])
    del sys.argv[position:position + 2]
    return value


def main() -> None:
    quiet_home()
    big = None
    history = _option("--history", int)
    max_seconds = _option("--max-seconds", float)
    kept_db = _option("--db", Path)
    if "--big-import" in sys.argv:
        position = sys.argv.index("--big-import")
        big = make_big_export(int(sys.argv[position + 1]))
        del sys.argv[position:position + 2]
    client = None
    if "--fake-engine" in sys.argv:
        sys.argv.remove("--fake-engine")
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        os.environ.setdefault("FAKE_ENGINE_DELAY", "0.2")
        from scallop_curator.extraction.client import WorkerClient

        client = WorkerClient(engine_factory="fake_engine:make_engine")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from scallop_curator.settings import Settings
    from scallop_curator.store import Store
    from scallop_curator.ui.app import favour_ui_thread, settle_heap
    from scallop_curator.ui.case_reader import CaseReader
    from scallop_curator.ui.main_window import MainWindow
    from scallop_curator.ui.review_controller import ReviewController
    from scallop_curator.ui.window_extraction import ExtractionActions
    from scallop_curator.ui.window_imports import ImportActions

    app = QApplication([])
    model = model_path(sys.argv)
    db = kept_db or Path(tempfile.mkdtemp()) / "bench.db"
    slots = SlotTimes()
    for name in UI_SLOTS:  # before the window connects them; names another layout lacks are skipped
        for owner_class in (MainWindow, ExtractionActions, ReviewController, ImportActions, CaseReader):
            if name in vars(owner_class):
                setattr(owner_class, name, slots.wrap(name, getattr(owner_class, name)))
    settings = Settings(model_path=str(model))
    if history:  # the whole-history run: no plan dialog, oldest first, as benchmarks/whole_history.py
        settings.extraction.confirm_turns = 1_000_000
        settings.extraction.order = "oldest"
        settings.extraction.timezone = "Europe/Lisbon"
        from whole_history import make_export

        big = Path(tempfile.mkdtemp()) / "conversations.json"
        print(f"export: {make_export(history, big):,} user turns")
    window = MainWindow(Store(db), settings, **({"client": client} if client else {}))
    for owner, attribute in (("store", "record_result"), ("turns", "refresh"), ("proposals", "refresh"),
                             ("conversations", "refresh_counts"), ("store", "pending_count"),
                             ("store", "start_run"), ("progress_label", "setText"), ("progress_bar", "setValue"),
                             ("ops", "publish")):  # publish: ours and the watcher's EXTERNAL
        target = getattr(window, owner, None)
        if target is not None and hasattr(target, attribute):
            setattr(target, attribute, slots.wrap(f"{owner}.{attribute}", getattr(target, attribute)))
    window.show()
    settle_heap()  # as ui.app.run() does
    favour_ui_thread()
    # The first paint and what runs just after start-up (the model's name read off the UI thread)
    # are start-up, which benchmarks/startup.py measures: let them finish before timing the import.
    settled = time.perf_counter() + 2.0
    while time.perf_counter() < settled:
        app.processEvents()
        time.sleep(0.005)

    gaps: list[float] = []
    last = [time.perf_counter()]

    worst: list[tuple[float, float]] = []  # (gap ms, seconds since the phase began)
    worst_spans: list[tuple[float, float, float]] = []  # (gap ms, start, end) of the gaps over 30 ms
    phase_start = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gap = (now - last[0]) * 1000
        gaps.append(gap)
        if gap > 30:
            worst.append((round(gap, 1), round(now - phase_start[0], 2)))
            worst_spans.append((gap, last[0], now))
        last[0] = now

    timer = QTimer(interval=5)
    timer.timeout.connect(tick)
    phases: dict[str, list[float]] = {}

    def run_until(signal, start) -> float:  # type: ignore[no-untyped-def]
        done: list[object] = []
        signal.connect(lambda *args: done.append(args))
        gaps.clear()
        worst.clear()
        worst_spans.clear()
        last[0] = phase_start[0] = time.perf_counter()
        started = time.perf_counter()
        start()
        while not done:
            app.processEvents()
            time.sleep(0.001)
        return time.perf_counter() - started

    slots.watch_gc()
    timer.start()
    export = big or SAMPLE
    seconds = run_until(window.importer.finished, lambda: window.import_files([export]))
    phases["import"] = sorted(gaps)
    if history:
        big = None  # imported: what follows is the extraction
    if worst:
        print(f"stalls over 30 ms during the import (ms, at s): {worst}")
        for gap, start, end in sorted(worst_spans, reverse=True)[:3]:
            print(f"  the {gap:.1f} ms gap held: {slots.within(start, end)}")
    print(f"import of {export.name} ({export.stat().st_size / 1e6:.0f} MB): {seconds:.2f} s, "
          f"{window.conversations.total:,} conversations")
    if big is not None:
        gaps.clear()
        last[0] = time.perf_counter()
        view = window.conversation_view
        window.conversations.reload()  # back to one page, as after a fresh start
        started = time.perf_counter()
        for _ in range(10_000):  # the view fetches the next page each time it reaches the bottom
            view.scrollToBottom()
            app.processEvents()
            if not window.conversations.canFetchMore():
                break
        phases["scrolling the whole list"] = sorted(gaps)
        print(f"scrolled through {window.conversations.rowCount():,} conversations in "
              f"{time.perf_counter() - started:.1f} s")
        gaps.clear()
        last[0] = time.perf_counter()
        window.filter_edit.setText("Web Search")
        deadline = time.perf_counter() + 1.0
        while time.perf_counter() < deadline:
            app.processEvents()
        phases["filtering by title"] = sorted(gaps)
        print(f"filter 'Web Search': {window.conversations.total:,} conversations match")
        for name, values in phases.items():
            _report(name, values)
        window.close()
        return
    slots.clear()
    load = os.getloadavg()[0]
    results: list = []  # type: ignore[type-arg]
    window.controller.resultReady.connect(results.append)
    if history:
        before = window.store.conn.execute("SELECT COUNT(DISTINCT turn_id) FROM turn_results").fetchone()[0]
        left = window.store.unextracted_turn_count()
        print(f"turns extracted before this run (a store kept with --db): {before:,}; to extract now: {left:,}",
              flush=True)
        if not left:
            window.close()
            return
        reporter = _progress_reporter(results, gaps, time.perf_counter())
        ticker = QTimer(interval=60_000)
        ticker.timeout.connect(reporter)
        ticker.start()
    if max_seconds:
        QTimer.singleShot(int(max_seconds * 1000), window.controller.cancel)
    seconds = run_until(window.controller.finished, window.extraction.extract_all)
    phases["extraction"] = sorted(gaps)
    if history:
        ticker.stop()
        _token_report(window, model, results, seconds)
    if worst:
        print(f"stalls over 30 ms during the extraction (ms, at s): {worst}")
    print(f"load average {load:.1f} before the extraction, {os.getloadavg()[0]:.1f} after")
    for gap, start, end in sorted(worst_spans, reverse=True)[:3]:
        print(f"  the {gap:.1f} ms gap held: {slots.within(start, end)}")
    print("the window's work on the UI thread per extraction event:")
    slots.report()
    print(f"extraction of {window.store.db.execute('SELECT COUNT(*) FROM turn_results').fetchone()[0]} turns "
          f"with {model.name}: {seconds:.1f} s")
    timer.stop()
    for name, values in phases.items():
        _report(name, values)
    window.close()


def _progress_reporter(results: list, gaps: list[float], started: float):  # type: ignore[no-untyped-def,type-arg]
    """A line a minute: turns done, their pace and the longest stall so far (the new gaps only:
    the whole list would take longer to scan than a frame)."""
    seen, longest = [0], [0.0]

    def report() -> None:
        elapsed = time.perf_counter() - started
        longest[0] = max([longest[0], *gaps[seen[0]:]])
        seen[0] = len(gaps)
        print(f"  {len(results):5d} turns in {elapsed:7.0f} s, {60 * len(results) / elapsed:5.1f} turns/min; "
              f"longest stall so far {longest[0]:.1f} ms; load {os.getloadavg()[0]:.1f}", flush=True)
    return report


def _token_report(window, model: Path, results: list, seconds: float) -> None:  # type: ignore[no-untyped-def,type-arg]
    """Turns per minute, and prompt tokens evaluated against the lower bound: each turn's own
    tokens (its prompt minus the prefix it shares with its day), counted with the model's vocabulary."""
    from scallop_curator.extraction.plan import plan_local
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.ui.extraction_plan_dialog import clock_of

    done = {(r.conversation_id, r.turn_index) for r in results}
    cases = [case for cid in {r.conversation_id for r in results}
             for case in window.store.conversation(cid).extraction_cases(*clock_of(window.settings))
             if (case.conversation_id, case.turn_index) in done]
    own = plan_local(model, load_prompt(window.settings.prompt_profile), cases, None).own_tokens
    n = max(len(results), 1)
    evaluated = sum(r.evaluated_tokens for r in results)
    prompt = sum(r.prompt_tokens for r in results)
    print(f"{len(results)} turns in {seconds:.1f} s: {60 * len(results) / seconds:.1f} turns/min "
          f"({seconds / n:.2f} s/turn, model load included); parsed {sum(r.parse_ok for r in results)}, "
          f"facts {sum(len(r.facts) for r in results)}")
    print(f"prompt tokens {prompt:,} ({prompt / n:.0f}/turn); evaluated {evaluated:,} ({evaluated / n:.0f}/turn); "
          f"lower bound (own tokens) {own:,} ({own / n:.0f}/turn); evaluated / lower bound {evaluated / max(own, 1):.3f}x")


def _report(name: str, values: list[float]) -> None:
    if not values:
        return
    p99 = values[int(len(values) * 0.99) - 1] if len(values) > 100 else values[-1]
    print(f"{name:>10}: {len(values):,} timer ticks, median gap {values[len(values) // 2]:.1f} ms, "
          f"p99 {p99:.1f} ms, longest stall {values[-1]:.1f} ms (target < 50 ms)")


if __name__ == "__main__":
    main()
