"""What the window's plan of a whole history costs before anything runs: the skip rules and the
character estimate (on the UI thread, so they must be quick), the exact token count with the
model's vocabulary (on a thread while the plan dialog shows the estimate), and the skipped-turn
count the status bar reads after every result.

Usage: python benchmarks/whole_history_plan.py [MODEL.gguf] [TURNS]   (default: the demo model, 2000)
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from _common import model_path, quiet_home

quiet_home()

from scallop_curator.domain.conversation import Conversation, Turn  # noqa: E402
from scallop_curator.extraction.plan import order_cases, plan_estimate, plan_local  # noqa: E402
from scallop_curator.extraction.prompt import load_prompt  # noqa: E402
from scallop_curator.extraction.skip_rules import SkipRules  # noqa: E402
from scallop_curator.importers.base import ImportedFile  # noqa: E402
from scallop_curator.store import Store  # noqa: E402
from scallop_curator.store.skips import record_skips, skipped_total  # noqa: E402

MESSAGES = (
    "I moved to a new flat last month and the commute is shorter now.",
    "Can you help me write an email to my landlord about the heating? It has been broken for a week.",
    "thanks",
    "ok",
    "Traceback (most recent call last):\n  File \"app.py\", line 3, in <module>\nValueError: bad value",
    "My sister Ana is visiting in June; she is a paediatric nurse and loves the sea.",
)


def conversations(turns: int) -> list[Conversation]:
    rng = random.Random(11)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    found: list[Conversation] = []
    made = 0
    number = 0
    while made < turns:
        when = start + timedelta(hours=7 * number)
        items = []
        for position in range(10):
            user = position % 2 == 0
            text = rng.choice(MESSAGES) if user else "Here is what I would suggest. " * rng.randint(2, 20)
            items.append(Turn(role="user" if user else "assistant", text=text, source_id=f"{number}-{position}",
                              time=when + timedelta(minutes=position)))
            made += user
        found.append(Conversation(id=f"c{number}", title=f"Conversation {number}", created_at=when, turns=items))
        number += 1
    return found


def main() -> None:
    model = model_path(sys.argv[:2])
    turns = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    found = conversations(turns)
    cases = [case for c in found for case in c.extraction_cases("Europe/Lisbon", "day")]
    profile = load_prompt("scallopbot")
    print(f"{len(cases)} user turns in {len(found)} conversations; model {model.name}; profile {profile.name}")

    began = time.perf_counter()
    kept, skipped = SkipRules(min_chars=10, skip_code=True).split(cases)
    ordered = order_cases(kept, "newest")
    estimate = plan_estimate(profile, ordered, None)
    ui_ms = (time.perf_counter() - began) * 1000
    print(f"UI thread: rules + order + character estimate: {ui_ms:.1f} ms "
          f"({len(kept)} kept, {len(skipped)} skipped; ~{estimate.prompt_tokens:,} prompt tokens)")

    began = time.perf_counter()
    exact = plan_local(model, profile, ordered, None)
    print(f"thread: exact count with the model's vocabulary: {time.perf_counter() - began:.2f} s "
          f"({exact.prompt_tokens:,} prompt tokens, {exact.evaluated_tokens:,} to evaluate, "
          f"{exact.distinct_prefixes} distinct prefixes)")

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "memories.db")
        store.import_file(ImportedFile(format_name="bench", conversations=found), "bench.json")
        began = time.perf_counter()
        record_skips(store, [(c.conversation_id, c.turn_index, why, why) for c, why in skipped])
        print(f"store: {len(skipped)} skips recorded in {(time.perf_counter() - began) * 1000:.1f} ms")
        rounds = 200
        began = time.perf_counter()
        for _ in range(rounds):
            total = skipped_total(store)
        print(f"store: status bar's skipped count ({total}): {(time.perf_counter() - began) * 1000 / rounds:.2f} ms each")
        store.close()


if __name__ == "__main__":
    main()
