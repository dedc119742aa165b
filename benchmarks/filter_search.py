"""How long the conversation filter takes on a big store, now that it searches message text
through the FTS5 index as well as titles: the count and the first page, as the window asks.

Usage: python benchmarks/filter_search.py [CONVERSATIONS] [TURNS_EACH]   (default 10000 x 20)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from scallop_curator.domain.conversation import Conversation, Turn
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import Store

WORDS = ("dutch walnuts flashcards rotterdam bread sister gift exam planner sourdough garden train "
         "python budget recipe holiday meeting invoice running piano coffee").split()


def export(count: int, turns: int) -> ImportedFile:
    rng = random.Random(7)
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    return ImportedFile(format_name="bench", conversations=[
        Conversation(id=f"c{i}", title=f"Conversation {i}", created_at=start + timedelta(hours=i), turns=[
            Turn(role="user" if t % 2 == 0 else "assistant", source_id=str(t),
                 text=" ".join(rng.choice(WORDS) for _ in range(40)) + f" note{i}x{t}")
            for t in range(turns)])
        for i in range(count)])


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    store = Store(Path(tempfile.mkdtemp()) / "bench.db")
    started = time.perf_counter()
    store.import_file(export(count, turns), "bench")
    print(f"import of {count:,} conversations x {turns} turns (index kept by triggers): "
          f"{time.perf_counter() - started:.1f} s")
    for query in ("Conversation 12", "walnuts", "walnuts flash", f"note{count // 2}x3", "nothing-like-this"):
        started = time.perf_counter()
        total = store.conversation_count(query)
        page = store.conversation_ids(query, limit=200)
        elapsed = (time.perf_counter() - started) * 1000
        print(f"filter {query!r}: {total:,} match, count + first page in {elapsed:.0f} ms")
    store.close()


if __name__ == "__main__":
    main()
