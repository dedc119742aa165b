#!/usr/bin/env python3
"""Decisions while another connection imports a big export into the same store.

A child process runs ``scallop-curator import`` of a generated ChatGPT export (default 50 MB);
meanwhile this process decides proposals one by one through ``operations.decide``, as the window
does. Prints the latency of the decisions made while the import ran (median, p95, max: what a review key
waits on SQLite; target < 50 ms), how long the slowest waited for the write lock, how many failed
with "busy", and whether every decision made is in the store. The export is written to a temporary
folder (never the repository). Decisions go on until the import ends.

Usage: python benchmarks/memories_decide_during_import.py [--size-mb 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "app"))
MAKER = ROOT.parent / "shared" / "tools" / "make_big_chatgpt_export.py"

from scallop_curator.domain.facts import Fact  # noqa: E402
from scallop_curator.domain.results import RunInfo, TurnResult  # noqa: E402
from scallop_curator.domain.review import Status  # noqa: E402
from scallop_curator.importers import load_export  # noqa: E402
from scallop_curator.store import Store, StoreError, operations  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=200)
    parser.add_argument("--decisions", type=int, default=4000, help="proposals made ready (at most)")
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
        env = dict(os.environ, PYTHONPATH=str(ROOT / "app"))
        child = subprocess.Popen([sys.executable, "-c", "import sys; from scallop_curator.cli import main; "
                                  "sys.exit(main(sys.argv[1:]))", "import", str(export), "--db", str(db)],
                                 env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        waits: list[float] = []
        begin = getattr(Store, "_begin_writing", None)  # absent before writers took turns

        def timed_begin(self, conn):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            begin(self, conn)
            waits.append(time.perf_counter() - started)

        if begin is not None:
            Store._begin_writing = timed_begin  # type: ignore[method-assign]
        latencies, lock_waits, busy, before, decided = [], [], 0, 0, []
        for proposal_id in ids:
            if child.poll() is not None:
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
        child.wait()
        ids = decided
        saved = store.db.execute("SELECT COUNT(*) FROM proposals WHERE status = 'accepted' AND id IN (%s)"
                                 % ",".join(map(str, ids))).fetchone()[0]
        ordered = sorted(latencies)
        print(f"{args.size_mb} MB import in another process; {len(ids)} decisions made while it ran")
        if ordered:
            print(f"decision latency: median {statistics.median(ordered) * 1000:.1f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms"
                  "   target max < 50 ms")
            slowest = max(range(len(latencies)), key=latencies.__getitem__)
            print(f"slowest was decision #{slowest + 1}: {latencies[slowest] * 1000:.1f} ms, "
                  f"{lock_waits[slowest] * 1000:.1f} ms of it waiting for the write lock; "
                  f"over 50 ms: {sum(v > 0.05 for v in latencies)}")
        print(f"failed as busy: {busy}; saved: {saved} of {len(ids)}; import exit code {child.returncode}")
        store.close()


if __name__ == "__main__":
    main()
