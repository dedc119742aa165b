#!/usr/bin/env python3
"""Re-import benchmark: storing a ChatGPT export, importing it again unchanged, and again with a
turn pair inserted in the middle of every tenth conversation (turns matched by content and order).

Prints seconds for each step and the turns stored, so the content matching can be compared with the
position matching it replaced (run it with an older checkout's ``app`` first on PYTHONPATH).

Usage: python benchmarks/reimport_merge.py [--size-mb 20] [--positional]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "make_big_chatgpt_export.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=20)
    parser.add_argument("--positional", action="store_true",
                        help="number turns by position, as transcripts and ShareGPT do, instead of message ids")
    args = parser.parse_args()
    from scallop_curator.domain.conversation import Turn
    from scallop_curator.importers import load_export
    from scallop_curator.store import Store

    with tempfile.TemporaryDirectory(prefix="reimport-bench-") as tmp:
        export = Path(tmp) / "conversations.json"
        subprocess.run([sys.executable, str(MAKER), str(args.size_mb), str(export)], check=True,
                       stdout=subprocess.DEVNULL)
        imported = load_export(export)
        if args.positional:
            for conversation in imported.conversations:
                for i, turn in enumerate(conversation.turns):
                    turn.source_id = str(i)
        turns = sum(len(c.turns) for c in imported.conversations)
        print(f"export: {export.stat().st_size / 1e6:.1f} MB, {len(imported.conversations)} conversations, {turns} turns")
        store = Store(Path(tmp) / "s.db")
        for label in ("first import", "unchanged re-import"):
            t0 = time.perf_counter()
            summary = store.import_file(imported, str(export))
            print(f"  {label:<32} {time.perf_counter() - t0:7.2f} s   new turns {summary.new_turns}")
        for n, conversation in enumerate(imported.conversations):
            if n % 10 == 0 and len(conversation.turns) >= 2:
                middle = len(conversation.turns) // 2
                conversation.turns[middle:middle] = [
                    Turn(role="user", text=f"inserted question {n}", source_id=f"ins-u-{n}"),
                    Turn(role="assistant", text=f"inserted answer {n}", source_id=f"ins-a-{n}"),
                ]
                if args.positional:
                    for i, turn in enumerate(conversation.turns):
                        turn.source_id = str(i)
        t0 = time.perf_counter()
        summary = store.import_file(imported, str(export))
        seconds = time.perf_counter() - t0
        stored = store.db.execute("SELECT COUNT(*) FROM turns").fetchone()[0]
        inserted = store.db.execute("SELECT COUNT(*) FROM turns WHERE text LIKE 'inserted %'").fetchone()[0]
        wanted = sum(t.text.startswith("inserted ") for c in imported.conversations for t in c.turns)
        print(f"  {'re-import, pairs inserted':<32} {seconds:7.2f} s   new turns {summary.new_turns}"
              f"   turns stored {stored} (expected {sum(len(c.turns) for c in imported.conversations)}),"
              f" inserted turns stored {inserted} of {wanted}")
        store.close()


if __name__ == "__main__":
    main()
