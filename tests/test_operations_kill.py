"""Killed at a random moment during a long review, 100 times: every decision reported as done is in
the store exactly once, and the file passes SQLite's integrity check."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from scallop_curator.domain.review import Status
from scallop_curator.store import Store, operations
from tests.test_operations import db_path, fact, propose  # noqa: F401  (fixtures)

TRIALS = 100


def _review_until_killed(path: Path, ids: list[int], report: int) -> None:
    """In a forked child: decide proposals one by one, reporting each once it returned (as the
    window shows it), until killed."""
    store = Store(path)
    rng = random.Random(os.getpid())
    for proposal_id in ids:
        status = rng.choice([Status.ACCEPTED, Status.REJECTED, Status.EDITED])
        operations.decide(store, proposal_id, status, f"edited text {proposal_id}" if status is Status.EDITED else None)
        os.write(report, f"{proposal_id}\n".encode())
    os._exit(0)


@pytest.mark.skipif(sys.platform == "win32", reason="needs fork")
def test_killed_reviews_keep_every_shown_decision_exactly_once(db_path: Path) -> None:  # noqa: F811
    setup = Store(db_path)
    pending = []
    for turn in range(3):
        pending += propose(setup, [fact(f"Fact {turn}-{i}") for i in range(4)], turn=turn)
    setup.close()
    rng = random.Random(11)
    shown: set[int] = set()
    interrupted = 0  # trials killed after some decisions and before the last
    for _trial in range(TRIALS):
        with sqlite3.connect(db_path) as raw:
            todo = [row[0] for row in raw.execute(
                "SELECT id FROM proposals WHERE status = 'pending' ORDER BY id").fetchall()]
        raw.close()
        if not todo:  # start the review over: every proposal back to pending, journal kept
            with sqlite3.connect(db_path) as raw:
                raw.execute("UPDATE proposals SET status = 'pending', edited_text = NULL, effect = NULL")
                raw.execute("DELETE FROM memories")
            raw.close()
            shown.clear()
            continue
        read, write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(read)
            try:
                _review_until_killed(db_path, todo, write)
            finally:
                os._exit(1)
        os.close(write)
        # Kill at a random moment, but one that depends on progress, not on the machine's speed:
        # right after a random number of shown decisions, while the next one is under way (or,
        # now and then, once the review is done, so that it starts over).
        wait_for = rng.randint(1, len(todo))
        seen = b""
        while seen.count(b"\n") < wait_for:
            chunk = os.read(read, 4096)
            if not chunk:
                break
            seen += chunk
        if rng.random() < 0.5:
            time.sleep(rng.uniform(0.0, 0.001))
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        with os.fdopen(read, "rb") as reported:
            done_now = {int(line) for line in (seen + reported.read()).split()}
        shown |= done_now
        interrupted += 0 < len(done_now) < len(todo)
        raw = sqlite3.connect(db_path)
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        decided = {row[0] for row in raw.execute("SELECT id FROM proposals WHERE status != 'pending'")}
        assert shown <= decided  # every decision shown is kept
        memories_per_proposal = raw.execute(
            "SELECT proposal_id, COUNT(*) FROM memories GROUP BY proposal_id HAVING COUNT(*) > 1").fetchall()
        assert memories_per_proposal == []  # and kept once
        journalled = {row[0] for row in raw.execute("SELECT DISTINCT proposal_id FROM journal")}
        assert done_now <= journalled  # and undoable
        keeps = raw.execute("SELECT COUNT(*) FROM proposals WHERE status IN ('accepted', 'edited')").fetchone()[0]
        assert raw.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == keeps
        raw.close()
    assert interrupted >= 10  # the kills really landed in the middle of reviews
