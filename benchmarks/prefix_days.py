"""Prompt tokens evaluated per turn against the turn's own tokens, over a multi-day export, for
each prompt profile and time grain. The ScallopBot-layout profile shows the date and time near the
top, so its evaluated prefix changes with them; the engine keeps one snapshot per distinct prefix.

    python benchmarks/prefix_days.py                          # hybrid qwen35 fixture and SmolLM2
    python benchmarks/prefix_days.py --model SmolLM2.gguf     # any GGUF (repeat --model for more)
    python benchmarks/prefix_days.py --export FILE --turns 200

A turn's own tokens are its prompt minus the shared prefix (previous reply, message, closing,
template tail): the lower bound no reuse can beat. The ratio is evaluated / own (target <= 1.2x
for the default: the compact profile, day grain). Each turn generates one token only, so the
time is nearly all prompt evaluation.

Default export: the in-repo LoCoMo-shaped fixture (tests/fixtures/samples/locomo/, 9 user turns
on 4 days, its first speaker as the user); ``--export`` takes any export with timestamps (e.g.
LoCoMo's real ``locomo10`` file, 19 sessions on 19 days, CC BY-NC, never shipped).

Every row runs twice on a fresh cache folder with the app's settings (snapshots on disk):
*cold* is a first run (it evaluates the instructions once at start-up, and each prefix it meets);
*warm* is a second run over the same turns (a resumed or repeated run), whose prefixes come from
disk. ``cold, turns`` leaves the one-time start-up evaluation out; ``cold, all`` counts it.
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
LOCOMO = REPO / "tests" / "fixtures" / "samples" / "locomo" / "locomo-shaped-pair.json"


def run_once(model: Path, profile_name: str, cases: list, threads: int) -> dict:  # type: ignore[type-arg]
    """One engine over ``cases``: tokens evaluated at start-up and per turn, and the turns' own."""
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    engine = LocalEngine(model, load_prompt(profile_name), EngineSettings(n_ctx=8192, n_threads=threads),
                         persist_prefix=True)
    engine.max_tokens = 1
    startup = engine.prefix_tokens_evaluated  # a prompt without a date evaluates its one prefix here
    turns_evaluated, own = 0, 0
    started = time.perf_counter()
    for case in cases:
        when, zone = engine._clock(case)
        prefix = len(engine._prefix_for(when, zone))
        result = engine.extract(case)
        turns_evaluated += result.evaluated_tokens
        own += result.prompt_tokens - prefix
    seconds = time.perf_counter() - started
    engine.llm.close()
    return {"startup": startup, "evaluated": turns_evaluated, "own": own, "seconds": seconds,
            "misses": engine.prefix_stats["evaluated"], "disk": engine.prefix_stats["disk"]}


def measure(model: Path, profile_name: str, cases: list, threads: int) -> tuple[dict, dict]:  # type: ignore[type-arg]
    os.environ["SCALLOP_CURATOR_HOME"] = tempfile.mkdtemp(prefix="scallop-bench-")  # a fresh cache
    cold = run_once(model, profile_name, cases, threads)
    warm = run_once(model, profile_name, cases, threads)
    return cold, warm


def default_models() -> list[Path]:
    from scallop_curator.extraction.demo_model import demo_model_path

    demo = demo_model_path()
    return [FIXTURE] + ([demo] if demo is not None else [])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, action="append",
                        help="a GGUF (repeatable; default: the hybrid fixture and SmolLM2)")
    parser.add_argument("--export", type=Path, default=LOCOMO)
    parser.add_argument("--turns", type=int, default=120, help="the first N user turns, oldest first")
    parser.add_argument("--timezone", default="Europe/Lisbon")
    parser.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 2))
    args = parser.parse_args()
    os.environ["SCALLOP_CURATOR_HOME"] = tempfile.mkdtemp(prefix="scallop-bench-")

    from scallop_curator.extraction.cli import order_cases
    from scallop_curator.importers import load_export

    conversations = load_export(args.export).conversations

    def cases_for(grain: str):  # type: ignore[no-untyped-def]
        cases = [case for c in conversations for case in c.extraction_cases(args.timezone, grain)]
        return order_cases(cases, "oldest")[: args.turns]

    day_cases = cases_for("day")
    days = len({case.time.date() for case in day_cases if case.time})
    print(f"export {args.export.name}: {len(day_cases)} turns on {days} days, zone {args.timezone}; "
          f"{args.threads} threads; load average {os.getloadavg()[0]:.1f}")
    runs = [("compact", "day"), ("scallopbot", "day"), ("scallopbot", "hour"), ("scallopbot", "minute")]
    for model in args.model or default_models():
        print(f"\nmodel {model.name}")
        print(f"{'profile':<11} {'grain':<7} {'own/turn':>8} {'start-up':>8} {'misses':>6} {'evaluated/turn':>14} "
              f"{'cold, turns':>11} {'cold, all':>9} {'warm':>6} {'s/turn':>7}")
        for profile_name, grain in runs:
            cold, warm = measure(model, profile_name, cases_for(grain), args.threads)
            n = max(len(day_cases), 1)
            own = max(cold["own"], 1)
            print(f"{profile_name:<11} {grain:<7} {cold['own'] / n:>8.1f} {cold['startup']:>8} {cold['misses']:>6} "
                  f"{cold['evaluated'] / n:>14.1f} {cold['evaluated'] / own:>10.2f}x "
                  f"{(cold['evaluated'] + cold['startup']) / own:>8.2f}x "
                  f"{(warm['evaluated'] + warm['startup']) / max(warm['own'], 1):>5.2f}x {cold['seconds'] / n:>7.3f}",
                  flush=True)
    print(f"\nload average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
