"""Prompt tokens evaluated per turn against the turn's own tokens, over a multi-day export, for
each prompt profile and time grain. The ScallopBot-layout profile shows the date and time near the
top, so its evaluated prefix changes with them; the engine keeps one snapshot per distinct prefix.

    python benchmarks/prefix_days.py                          # tiny hybrid qwen35 fixture
    python benchmarks/prefix_days.py --model SmolLM2.gguf     # any GGUF
    python benchmarks/prefix_days.py --export FILE --turns 200

A turn's own tokens are its prompt minus the shared prefix (previous reply, message, closing,
template tail): the lower bound no reuse can beat. The ratio is evaluated / own (target <= 1.2x
for the default: the compact profile, day grain). Each turn generates one token only, so the
time is nearly all prompt evaluation. Default export: LoCoMo's first conversation (19 sessions on
19 days, from ../shared; CC BY-NC, never shipped), with its first speaker as the user. The cache
goes to a temporary folder; snapshots on disk are off, so every first turn of a day is a miss.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))

FIXTURE = REPO / "tests" / "fixtures" / "models" / "tiny-qwen35.gguf"
LOCOMO = REPO.parent / "shared" / "data" / "exports" / "locomo" / "locomo10_conv-26_only.json"


def measure(model: Path, profile_name: str, grain: str, cases_for, threads: int) -> dict:
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    engine = LocalEngine(model, load_prompt(profile_name), EngineSettings(n_ctx=8192, n_threads=threads),
                         persist_prefix=False)
    engine.max_tokens = 1
    # A prompt without a date evaluates its one prefix at start-up: count it too.
    evaluated, own, prompt = engine.prefix_tokens_evaluated, 0, 0
    started = time.perf_counter()
    cases = cases_for(grain)
    for case in cases:
        when, zone = engine._clock(case)
        prefix = len(engine._prefix_for(when, zone))
        result = engine.extract(case)
        evaluated += result.evaluated_tokens
        prompt += result.prompt_tokens
        own += result.prompt_tokens - prefix
    seconds = time.perf_counter() - started
    engine.llm.close()
    days = len({case.time.date() for case in cases if case.time})
    return {"turns": len(cases), "days": days, "misses": engine.prefix_stats["evaluated"], "prompt": prompt,
            "evaluated": evaluated, "own": own, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=FIXTURE)
    parser.add_argument("--export", type=Path, default=LOCOMO)
    parser.add_argument("--turns", type=int, default=120, help="the first N user turns, oldest first")
    parser.add_argument("--timezone", default="Europe/Lisbon")
    parser.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 2))
    args = parser.parse_args()
    os.environ["SCALLOP_CURATOR_HOME"] = tempfile.mkdtemp(prefix="scallop-bench-")

    from scallop_curator.extraction.cli import order_cases
    from scallop_curator.importers import load_export

    conversations = load_export(args.export).conversations

    def cases_for(grain: str):
        cases = [case for c in conversations for case in c.extraction_cases(args.timezone, grain)]
        return order_cases(cases, "oldest")[: args.turns]

    print(f"model {args.model.name}, export {args.export.name}, {len(cases_for('day'))} turns, zone {args.timezone}")
    print(f"{'profile':<11} {'grain':<7} {'days':>4} {'misses':>6} {'prompt/turn':>11} {'evaluated/turn':>14} "
          f"{'own/turn':>8} {'evaluated/own':>13} {'s/turn':>7}")
    runs = [("compact", "day"), ("scallopbot", "day"), ("scallopbot", "hour"), ("scallopbot", "minute")]
    for profile_name, grain in runs:
        f = measure(args.model, profile_name, grain, cases_for, args.threads)
        n = max(f["turns"], 1)
        print(f"{profile_name:<11} {grain:<7} {f['days']:>4} {f['misses']:>6} {f['prompt'] / n:>11.1f} "
              f"{f['evaluated'] / n:>14.1f} {f['own'] / n:>8.1f} {f['evaluated'] / max(f['own'], 1):>12.2f}x "
              f"{f['seconds'] / n:>7.3f}")


if __name__ == "__main__":
    main()
