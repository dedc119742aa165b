#!/usr/bin/env python3
"""Decisions while another connection imports a big export into the same store.

A child process runs ``scallop-curator import`` of a generated ChatGPT export (default 50 MB);
meanwhile this process decides proposals one by one through ``operations.decide``, as the window
does. Prints the latency of the decisions made while the import ran (median, p95, max: what a review key
waits on SQLite; target < 50 ms), how long the slowest waited for the write lock, how many failed
with "busy", and whether every decision made is in the store. The export is written to a temporary
folder (never the repository). Decisions go on until the import ends.

``--in-process`` runs the import on a thread of this process instead, as the window does (its
import thread beside the UI thread: both want the GIL), twice side by side: with Python's default
switch interval (5 ms) and with the window's (``ui.app.favour_ui_thread``).

Usage: python benchmarks/memories_decide_during_import.py [--size-mb 200] [--in-process]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
MAKER = ROOT.parent / "shared" / "tools" / "make_big_chatgpt_export.py"

from scallop_curator.domain.facts import Fact  # noqa: E402
from scallop_curator.domain.results import RunInfo, TurnResult  # noqa: E402
from scallop_curator.domain.review import Status  # noqa: E402
from scallop_curator.importers import load_export  # noqa: E402
from scallop_curator.store import Store, StoreError, operations  # noqa: E402


def decide_while(store: Store, ids: list[int], running: Callable[[], bool], what: str) -> None:
    """Decide ``ids`` one by one while ``running()``; print latency, lock waits, busy failures, saved."""
    waits: list[float] = []
    begin = getattr(Store, "_begin_writing", None)  # absent before writers took turns

    def timed_begin(self, conn):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        begin(self, conn)
        waits.append(time.perf_counter() - started)

    if begin is not None:
        Store._begin_writing = timed_begin  # type: ignore[method-assign]
    latencies, lock_waits, busy, decided = [], [], 0, []
    try:
        for proposal_id in ids:
            if not running():
                break
            waits.clear()
            started = time.perf_counter()
            try:
                operations.decide(store, proposal_id, Status.ACCEPTED)
            except StoreError:
                busy += 1
                continue
            finally:
                decided.append(proposal_id)
            latencies.append(time.perf_counter() - started)
            lock_waits.append(sum(waits))
            time.sleep(0.005)  # a person is slower than this; the import goes on meanwhile
    finally:
        if begin is not None:
            Store._begin_writing = begin  # type: ignore[method-assign]
    saved = store.db.execute("SELECT COUNT(*) FROM proposals WHERE status = 'accepted' AND id IN (%s)"
                             % ",".join(map(str, decided or [0]))).fetchone()[0]
    ordered = sorted(latencies)
    print(f"{what}; {len(decided)} decisions made while it ran")
    if ordered:
        print(f"decision latency: median {statistics.median(ordered) * 1000:.1f} ms, "
              f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
              "   target max < 50 ms")
        slowest = max(range(len(latencies)), key=latencies.__getitem__)
        print(f"slowest was decision #{slowest + 1}: {latencies[slowest] * 1000:.1f} ms, "
              f"{lock_waits[slowest] * 1000:.1f} ms of it waiting for the write lock; "
              f"over 50 ms: {sum(v > 0.05 for v in latencies)}")
    print(f"failed as busy: {busy}; saved: {saved} of {len(decided)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=4000, help="proposals made ready (at most)")
    parser.add_argument("--in-process", action="store_true", help="import on a thread here, as the window does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "big.json"
        subprocess.run([sys.executable, str(MAKER), str(args.size_mb), str(export)], check=True)
        db = Path(folder) / "memories.db"
        store = Store(db)
        sample = ROOT / "resources" / "sample" / "conversations.json"
        store.import_file(load_export(sample), str(sample))
        conversation_id = store.conversation_ids()[0]
        turn = next(t for t in store.turns(conversation_id) if t.role == "user")
        info = RunInfo(model="bench", prompt_version="bench")
        run = store.start_run(info)
        facts = [Fact(content=f"Fact {i}", subject="user", category="general", confidence=0.8)
                 for i in range(args.decisions)]
        ids = []
        for start in range(0, len(facts), 4):
            chunk = facts[start:start + 4]
            ids += store.record_result(run, info, TurnResult(conversation_id=conversation_id, turn_index=turn.index,
                                                             parse_ok=True, facts=chunk))
            for proposal_id in ids[-len(chunk):]:
                store.decide(proposal_id, Status.SKIPPED)  # keep them from being replaced by the next chunk
        if not args.in_process:
            env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
            child = subprocess.Popen([sys.executable, "-c", "import sys; from scallop_curator.cli import main; "
                                      "sys.exit(main(sys.argv[1:]))", "import", str(export), "--db", str(db)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            decide_while(store, ids, lambda: child.poll() is None, f"{args.size_mb} MB import in another process")
            child.wait()
            print(f"import exit code {child.returncode}")
        else:
            from scallop_curator.ui.app import UI_SWITCH_SECONDS

            half = len(ids) // 2
            for label, switch, chosen in (("Python's default", 0.005, ids[:half]),
                                          ("the window's", UI_SWITCH_SECONDS, ids[half:])):
                copy = Path(folder) / f"memories-{switch}.db"  # each import into the same starting store
                copy.write_bytes(db.read_bytes())
                helper = Store(copy)
                done = threading.Event()
                failed: list[BaseException] = []

                def run_import(target: Path = copy) -> None:
                    try:
                        importer = Store(target, session=False)  # as the window's import thread opens it
                        summary = importer.import_file(load_export(export), str(export))
                        print(f"  imported {summary.new_conversations:,} conversations, {summary.new_turns:,} turns")
                    except BaseException as error:  # noqa: BLE001 - reported below
                        failed.append(error)
                    finally:
                        done.set()

                sys.setswitchinterval(switch)
                started = time.perf_counter()
                thread = threading.Thread(target=run_import)
                thread.start()
                decide_while(helper, chosen, lambda: not done.is_set(),
                             f"{args.size_mb} MB import on a thread of this process, switch interval "
                             f"{switch * 1000:g} ms ({label})")
                thread.join()
                print(f"  import took {time.perf_counter() - started:.1f} s{'; FAILED: ' + repr(failed[0]) if failed else ''}")
                sys.setswitchinterval(0.005)
                helper.close()
        store.close()


if __name__ == "__main__":
    main()
