#!/usr/bin/env python3
"""Decisions while another connection imports a big export into the same store.

A child process runs ``scallop-curator import`` of a generated ChatGPT export (default 50 MB);
meanwhile this process decides proposals one by one through ``operations.decide``, as the window
does. Prints each decision's latency (median, p95, max), how many failed with "busy", and whether
every decision made is in the store. Before this change, a deferred BEGIN failed at once while an
import wrote, and the import held the write lock for the whole file.

Usage: python benchmarks/memories_decide_during_import.py [--size-mb 50] [--decisions 300]
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
    parser.add_argument("--size-mb", type=int, default=50)
    parser.add_argument("--decisions", type=int, default=300)
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
        time.sleep(2.0)  # let the import start writing
        latencies, busy, during = [], 0, 0
        for proposal_id in ids:
            started = time.perf_counter()
            try:
                operations.decide(store, proposal_id, Status.ACCEPTED)
            except StoreError:
                busy += 1
                continue
            latencies.append(time.perf_counter() - started)
            during += child.poll() is None
        child.wait()
        saved = store.db.execute("SELECT COUNT(*) FROM proposals WHERE status = 'accepted' AND id IN (%s)"
                                 % ",".join(map(str, ids))).fetchone()[0]
        ordered = sorted(latencies)
        print(f"{args.size_mb} MB import in another process; {len(ids)} decisions, {during} made while it ran")
        if ordered:
            print(f"decision latency: median {statistics.median(ordered) * 1000:.1f} ms, "
                  f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms, max {ordered[-1] * 1000:.1f} ms")
        slowest = max(range(len(latencies)), key=latencies.__getitem__) if latencies else -1
        print(f"slowest was decision #{slowest + 1}")
        print(f"failed as busy: {busy}; saved: {saved} of {len(ids)}; import exit code {child.returncode}")
        store.close()


if __name__ == "__main__":
    main()
