"""What the prefix-state snapshot saves, per turn and at start-up.

    python benchmarks/prefix_state.py                    # the tiny qwen35 test fixture
    python benchmarks/prefix_state.py --model some.gguf  # a real model (hybrid or not)

Prints, for a few turns with the bundled extraction prompt, the prompt tokens evaluated with the
snapshot and without it (reuse_prefix=False, i.e. what llama-cpp-python does on a hybrid model,
where it cannot cut the state back to the shared prefix); then the start-up plus first-turn time
cold (no snapshot on disk: the prefix is evaluated), after a restart (snapshot read from the
cache folder) and a steady-state turn. The cache goes to a temporary folder, never the user's.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))

FIXTURE = REPO / "tests" / "fixtures" / "models" / "tiny-qwen35.gguf"

REPLY = (
    "Great question! For a week in Lisbon in October I'd suggest staying in Príncipe Real or "
    "Alfama. Day one, walk the old town and take tram 28 early before the crowds; day two, Belém "
    "for the tower, the monastery and the pastéis; day three, a day trip to Sintra (book the Pena "
    "palace tickets ahead). Evenings: fado in Alfama, or the rooftop bars of Bairro Alto. Since you "
    "mentioned your knee, avoid the steepest miradouros on foot and use the elevadores instead. "
    "Budget around 120 euros a day for two including food. Would you like restaurant ideas, "
    "perhaps vegetarian ones, or tips for getting from the airport?"
)
MESSAGES = [
    "Yes please, vegetarian ones. My partner Sam is vegan and I'm vegetarian since 2019.",
    "We land on the 14th at 7am. I hate taxis, is the metro OK with two big suitcases?",
    "Actually we moved the trip to November because of my new job at the hospital in Porto.",
    "Also, I'm allergic to peanuts, so please flag any dish that might have them.",
    "Forget the rooftop bars, we don't drink. Museums and bookshops are more our thing.",
    "One more: my mum is coming for the last two days, she's 78 and uses a walking frame.",
]


def cases():
    from scallop_curator.domain.conversation import ExtractionCase

    return [ExtractionCase(conversation_id="bench", turn_index=2 * i + 1, context=REPLY, message=m)
            for i, m in enumerate(MESSAGES)]


def timed(fn):
    started = time.perf_counter()
    value = fn()
    return value, (time.perf_counter() - started) * 1000


def prompt_only(engine, case):
    """One turn cut to a single answer token: nearly all of its time is prompt evaluation."""
    keep, engine.max_tokens = engine.max_tokens, 1
    try:
        return timed(lambda: engine.extract(case))
    finally:
        engine.max_tokens = keep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, default=FIXTURE)
    parser.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 2))
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--rounds", type=int, default=3, help="repeats; the fastest one is shown")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="scallop-bench-")
    os.environ["SCALLOP_CURATOR_HOME"] = home

    from scallop_curator import paths
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    prompt = load_prompt()
    settings = EngineSettings(n_ctx=args.n_ctx, n_threads=args.threads, seed=0)
    turns = cases()
    print(f"model: {args.model.name}   threads: {args.threads}   prompt: {prompt.version}   "
          f"fastest of {args.rounds} rounds")

    # Per turn: tokens evaluated and time, with the snapshot and without it.
    snap = LocalEngine(args.model, prompt, settings)
    plain = LocalEngine(args.model, prompt, settings, reuse_prefix=False)
    n_prefix = len(snap._prefix_tokens)
    print(f"\nfixed prefix in the snapshot: {n_prefix} tokens")
    print(f"{'turn':>4} {'prompt':>7} {'evaluated':>10} {'evaluated':>10} {'turn ms':>9} {'turn ms':>9} {'prompt ms':>10} {'prompt ms':>10}")
    print(f"{'':>4} {'tokens':>7} {'snapshot':>10} {'without':>10} {'snapshot':>9} {'without':>9} {'snapshot':>10} {'without':>10}")
    totals = [0, 0]
    steady = {"turn": [], "turn_without": [], "prompt": [], "prompt_without": []}
    for i, case in enumerate(turns):
        a_runs = [timed(lambda: snap.extract(case)) for _ in range(args.rounds)]
        b_runs = [timed(lambda: plain.extract(case)) for _ in range(args.rounds)]
        a, b = a_runs[0][0], b_runs[0][0]
        assert a.raw_output == b.raw_output, (a.raw_output, b.raw_output)
        a_ms, b_ms = min(ms for _, ms in a_runs), min(ms for _, ms in b_runs)
        ap_ms = min(prompt_only(snap, case)[1] for _ in range(args.rounds))
        bp_ms = min(prompt_only(plain, case)[1] for _ in range(args.rounds))
        totals[0] += a.evaluated_tokens
        totals[1] += b.evaluated_tokens
        steady["turn"].append(a_ms)
        steady["turn_without"].append(b_ms)
        steady["prompt"].append(ap_ms)
        steady["prompt_without"].append(bp_ms)
        print(f"{i + 1:>4} {a.prompt_tokens:>7} {a.evaluated_tokens:>10} {b.evaluated_tokens:>10} "
              f"{a_ms:>9.1f} {b_ms:>9.1f} {ap_ms:>10.1f} {bp_ms:>10.1f}")
    print(f"total prompt tokens evaluated: {totals[0]} with the snapshot, {totals[1]} without "
          f"({totals[1] / max(totals[0], 1):.1f}x fewer)")
    snap.llm.close()
    plain.llm.close()

    # Start-up + first turn (prompt only, so the answer's length does not blur it).
    def start(cached: bool, reuse: bool = True):
        state_dir = paths.cache_dir() / "prefix-state"
        if not cached:
            for file in state_dir.glob("*.state"):
                file.unlink()
        engine, init_ms = timed(lambda: LocalEngine(args.model, prompt, settings, reuse_prefix=reuse))
        expected = None if not reuse else ("disk" if cached else "evaluated")
        assert engine.prefix_source == expected, engine.prefix_source
        _, turn_ms = prompt_only(engine, turns[0])
        engine.llm.close()
        return init_ms, turn_ms

    rows = {
        "cold start (prefix evaluated, then saved)": min((start(cached=False) for _ in range(args.rounds)), key=sum),
        "restart (snapshot loaded from disk)": min((start(cached=True) for _ in range(args.rounds)), key=sum),
        "no snapshot (reuse_prefix=False)": min((start(cached=True, reuse=False) for _ in range(args.rounds)), key=sum),
    }
    print("\nstart-up + first turn's prompt (ms):")
    for label, (init_ms, turn_ms) in rows.items():
        print(f"  {label:<42} {init_ms:8.1f} + {turn_ms:7.1f} = {init_ms + turn_ms:8.1f}")
    print(f"  {'steady-state turn prompt, snapshot (median)':<42} {statistics.median(steady['prompt']):>28.1f}")
    print(f"  {'steady-state turn prompt, without (median)':<42} {statistics.median(steady['prompt_without']):>28.1f}")
    print(f"  {'steady-state whole turn, snapshot (median)':<42} {statistics.median(steady['turn']):>28.1f}")
    print(f"  {'steady-state whole turn, without (median)':<42} {statistics.median(steady['turn_without']):>28.1f}")


if __name__ == "__main__":
    main()
