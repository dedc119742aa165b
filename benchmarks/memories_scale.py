#!/usr/bin/env python3
"""Kept memories at scale: a store with 100,000 memories (varied subjects, categories and wording).

Prints, each over a few hundred tries:
- search (FTS5, as the memories view runs it: count + first page) p50 / p95   -- target p95 < 20 ms
- nearest-memory lookup (a proposal's relation: FTS5 candidates + rapidfuzz) median -- target < 10 ms
- one decision committed (relation + journal + memories, synchronous=FULL) median  -- target < 5 ms
- the memories view's model re-filtering while typing (offscreen Qt): on the UI thread as before,
  and as the view does it now (in the background), the longest time the UI thread is held -- target < 50 ms

Usage: python benchmarks/memories_scale.py [--memories 100000] [--tries 300]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "app"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from scallop_curator.domain.facts import Fact  # noqa: E402
from scallop_curator.domain.results import RunInfo, TurnResult  # noqa: E402
from scallop_curator.domain.review import Status  # noqa: E402
from scallop_curator.importers.base import ImportedFile  # noqa: E402
from scallop_curator.store import Store, memories, operations  # noqa: E402
from scallop_curator.store.memories_relation import relation  # noqa: E402
from scallop_curator.ui.memories_model import MemoriesModel  # noqa: E402

CITIES = ["Paris", "Berlin", "Lisbon", "Oslo", "Nairobi", "Lima", "Osaka", "Quito", "Hanoi", "Porto", "Graz", "Cork"]
JOBS = ["nurse", "teacher", "welder", "pilot", "baker", "lawyer", "chemist", "plumber", "editor", "farmer"]
THINGS = ["jazz", "chess", "hiking", "sushi", "opera", "knitting", "cycling", "poetry", "tea", "rowing", "figs"]
NAMES = ["Anna", "Ben", "Chen", "Dara", "Eli", "Fatima", "Goran", "Hana", "Ivo", "Juno"]
TEMPLATES = [("Lives in {city}", "location"), ("Works as a {job}", "work"), ("Likes {thing}", "preference"),
             ("Has a {n}-year-old {thing} habit", "general"), ("Visited {city} in {year}", "personal"),
             ("Is building a {thing} app called Project {n}", "project"), ("Is friends with {name}", "relationship")]


def fact_text(rng: random.Random) -> tuple[str, str, str]:
    template, category = rng.choice(TEMPLATES)
    text = template.format(city=rng.choice(CITIES), job=rng.choice(JOBS), thing=rng.choice(THINGS),
                           name=rng.choice(NAMES), n=rng.randint(1, 9999), year=rng.randint(1980, 2026))
    subject = "user" if rng.random() < 0.7 else rng.choice(NAMES)
    return text, subject, category


def build(path: Path, count: int, rng: random.Random) -> Store:
    """Rows are inserted in bulk (the triggers keep the FTS index); building is not what is measured."""
    store = Store(path)
    started = time.perf_counter()
    now = memories.now()
    with store._writing():
        store.db.conn.executemany(
            "INSERT INTO memories (content, subject, category, confidence, action, created_at, status, "
            "confirmations, updated_at, source_turn_ids) VALUES (?, ?, ?, 0.9, 'fact', ?, 'current', 0, ?, '[]')",
            [(*fact_text(rng), now, now) for _ in range(count)])
    print(f"built {count:,} memories in {time.perf_counter() - started:.1f} s "
          f"({path.stat().st_size / 1e6:.0f} MB)")
    return store


def pending(store: Store, count: int, rng: random.Random) -> list[int]:
    from scallop_curator.domain.conversation import Conversation

    conversation = Conversation.from_dict({"id": "bench", "title": "bench",
                                                "turns": [{"role": "user", "text": "hello", "source_id": "t0"}]})
    store.import_file(ImportedFile(format_name="bench", conversations=[conversation]), "bench")
    info = RunInfo(model="bench", prompt_version="bench")
    run = store.start_run(info)
    ids: list[int] = []
    while len(ids) < count:  # record_result replaces a turn's undecided proposals, so decide as we go
        facts = [Fact(content=fact_text(rng)[0], subject="user", category="general", confidence=0.8)]
        ids += store.record_result(run, info, TurnResult(conversation_id="bench", turn_index=0, parse_ok=True,
                                                         facts=facts))
        store.decide(ids[-1], Status.SKIPPED)
    return ids


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms, max {ordered[-1] * 1000:.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--memories", type=int, default=100_000)
    parser.add_argument("--tries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder) / "memories.db", args.memories, rng)
        words = [w for w in CITIES + JOBS + THINGS + NAMES]
        searches = []
        for _ in range(args.tries):
            word = rng.choice(words).lower()
            query = word[: rng.randint(2, len(word))] if rng.random() < 0.5 else f"{rng.choice(['lives', 'likes', 'works'])} {word[:3]}"
            started = time.perf_counter()
            memories.count(store.db, search=query, statuses=None, cap=MemoriesModel.COUNT_CAP)
            memories.rows(store.db, memories.ids(store.db, search=query, statuses=None, limit=200))
            searches.append(time.perf_counter() - started)
        print(f"search (count up to {MemoriesModel.COUNT_CAP:,} + first page of 200): {ms(searches)}   target p95 < 20 ms")

        lookups = []
        for _ in range(args.tries):
            text, subject, category = fact_text(rng)
            started = time.perf_counter()
            relation(store.db, text, subject, category)
            lookups.append(time.perf_counter() - started)
        print(f"nearest-memory lookup (relation): {ms(lookups)}   target median < 10 ms")

        proposals = pending(store, args.tries, rng)
        decisions = []
        for proposal_id in proposals:
            started = time.perf_counter()
            operations.decide(store, proposal_id, Status.ACCEPTED)
            decisions.append(time.perf_counter() - started)
        print(f"one decision committed, cold (relation + write, synchronous=FULL): {ms(decisions)}   target median < 5 ms")

        proposals = pending(store, args.tries, rng)
        shown = []
        for proposal_id in proposals:
            operations.relation_of(store, store.proposal(proposal_id))  # the review row shows it first
            started = time.perf_counter()
            operations.decide(store, proposal_id, Status.ACCEPTED)
            shown.append(time.perf_counter() - started)
        print(f"one decision committed, as the review makes it (relation already shown): {ms(shown)}   "
              "target median < 5 ms")

        from PySide6.QtWidgets import QApplication

        app = QApplication.instance() or QApplication([])
        model = MemoriesModel(store)
        model.reload()
        stalls = []
        for word in ["lives in paris", "works as a nurse", "likes jazz", "project 12", "anna"]:
            for end in range(1, len(word) + 1):
                started = time.perf_counter()
                model.set_query(search=word[:end], statuses=None)
                app.processEvents()
                stalls.append(time.perf_counter() - started)
        print(f"memories view re-filtering per keystroke, on the UI thread (set_query, as before): {ms(stalls)}")
        blocks = []  # the view now asks in the background: the UI thread is held only by each event's handling
        for word in ["lives in paris", "works as a nurse", "likes jazz", "project 12", "anna"]:
            for end in range(1, len(word) + 1):
                started = time.perf_counter()
                model.request(search=word[:end], statuses=None)
                blocks.append(time.perf_counter() - started)
                while model.waiting:
                    started = time.perf_counter()
                    app.processEvents()
                    blocks.append(time.perf_counter() - started)
                    time.sleep(0.001)
        print(f"memories view re-filtering in the background, longest UI-thread block per event: {ms(blocks)}   "
              "target max < 50 ms")
        model.close()
        store.close()


if __name__ == "__main__":
    main()
