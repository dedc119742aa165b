"""A whole chat history through the local engine: a ChatGPT-shaped export of N user turns (default
2,000), every turn extracted in date order with the app's defaults (compact profile, day grain,
prefix snapshots), no Qt. Prints turns per minute and the prompt tokens evaluated against the
lower bound: the sum of each turn's own tokens (its prompt minus the prefix it shares with every
turn of its day), which no reuse of work can beat.

    python benchmarks/whole_history.py                          # SmolLM2 (the demo model), 2,000 turns
    python benchmarks/whole_history.py --turns 30               # a short check
    python benchmarks/whole_history.py --model M.gguf --n-gpu-layers 0    # CPU only (-1: as many as fit)
    python benchmarks/whole_history.py --max-seconds 240 --json out.json  # stop early, figures so far

The export is made here (``make_export``) from the repository's own sample export
(resources/sample/conversations.json): its conversations repeated with fresh ids, each copy six
hours after the last (about four a day), a filler sentence added to each user message so that no
two turns are the same text. Same seed, same bytes. Snapshots on disk are off, so every day's
first turn evaluates the prefix once. SIGTERM or Ctrl+C stops it and prints the figures so far.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "app"))
SAMPLE = REPO / "resources" / "sample" / "conversations.json"
FILLER = (
    "By the way, I started cycling to work this month.",
    "Can you keep it short? I am on my phone.",
    "My brother Tomas is moving to Lyon in the autumn.",
    "thanks, that helps",
    "I only drink decaf after lunch these days.",
    "What is a good way to learn SQL joins?",
)


class Stop(Exception):
    """SIGTERM: stop between turns and report what was done."""


def _user_turns(conversation: dict[str, Any]) -> int:
    return sum(1 for node in conversation["mapping"].values()
               if (node.get("message") or {}).get("author", {}).get("role") == "user")


def make_export(turns: int, out: Path, seed: int = 7) -> int:
    """Write a ChatGPT ``conversations.json`` with at least ``turns`` user messages; returns how many."""
    samples = [c for c in json.loads(SAMPLE.read_text(encoding="utf-8")) if isinstance(c, dict) and "mapping" in c]
    rng = random.Random(seed)
    conversations, total, n = [], 0, 0
    while total < turns:
        conversation = copy.deepcopy(samples[n % len(samples)])
        shift = n * 6 * 3600.0
        ids = {old: str(uuid.UUID(int=rng.getrandbits(128))) for old in conversation["mapping"]}
        mapping = {}
        for old, node in conversation["mapping"].items():
            node["id"] = ids[old]
            node["parent"] = ids.get(node.get("parent"))
            node["children"] = [ids[c] for c in node.get("children", []) if c in ids]
            message = node.get("message")
            if message:
                message["id"] = str(uuid.UUID(int=rng.getrandbits(128)))
                if isinstance(message.get("create_time"), (int, float)):
                    message["create_time"] += shift
                parts = (message.get("content") or {}).get("parts")
                if parts and isinstance(parts[0], str) and message.get("author", {}).get("role") == "user":
                    parts[0] = f"{parts[0]}\n\n{rng.choice(FILLER)}"
            mapping[ids[old]] = node
        conversation["mapping"] = mapping
        conversation["current_node"] = ids.get(conversation.get("current_node"))
        conversation["id"] = conversation["conversation_id"] = str(uuid.UUID(int=rng.getrandbits(128)))
        for key in ("create_time", "update_time"):
            if isinstance(conversation.get(key), (int, float)):
                conversation[key] += shift
        conversation["title"] = f"{conversation.get('title') or 'Untitled'} #{n + 1}"
        conversations.append(conversation)
        total += _user_turns(conversation)
        n += 1
    out.write_text(json.dumps(conversations, ensure_ascii=False), encoding="utf-8")
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="a GGUF (default: SmolLM2, the demo model)")
    parser.add_argument("--turns", type=int, default=2000)
    parser.add_argument("--n-gpu-layers", type=int, default=-1, help="-1: as many as fit (the default setting); 0: CPU")
    parser.add_argument("--threads", type=int, default=min(8, os.cpu_count() or 2))
    parser.add_argument("--n-ctx", type=int, default=8192)
    parser.add_argument("--profile", default="compact")
    parser.add_argument("--timezone", default="Europe/Lisbon")
    parser.add_argument("--max-tokens", type=int, help="cap each answer (default: the profile's own cap)")
    parser.add_argument("--max-seconds", type=float, help="stop after this long (mid-answer too) and report the turns done")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    os.environ["SCALLOP_CURATOR_HOME"] = tempfile.mkdtemp(prefix="scallop-bench-")

    from scallop_curator.extraction.cli import order_cases
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.importers import load_export
    from scallop_curator.settings import EngineSettings

    model = args.model
    if model is None:
        from scallop_curator.extraction.demo_model import demo_model_path

        model = demo_model_path()
        if model is None:
            sys.exit("no model: pass --model, or run packaging/setup.sh to get the demo model")
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "conversations.json"
        started = time.perf_counter()
        made = make_export(args.turns, export)
        conversations = load_export(export).conversations
        cases = [case for c in conversations for case in c.extraction_cases(args.timezone, "day")]
        cases = order_cases(cases, "oldest")[: args.turns]
        print(f"export: {made} user turns in {len(conversations)} conversations, "
              f"{export.stat().st_size / 1e6:.1f} MB, made and imported in {time.perf_counter() - started:.1f} s; "
              f"{len(cases)} turns over {len({c.time.date() for c in cases if c.time})} days")

    settings = EngineSettings(n_ctx=args.n_ctx, n_threads=args.threads, n_gpu_layers=args.n_gpu_layers)
    started = time.perf_counter()
    engine = LocalEngine(model, load_prompt(args.profile), settings, persist_prefix=False)
    load_s = time.perf_counter() - started
    if args.max_tokens:
        engine.max_tokens = args.max_tokens
    import llama_cpp

    print(f"model {Path(model).name}: loaded in {load_s:.1f} s; GPU layers {engine.gpu_layers} "
          f"(setting {args.n_gpu_layers}; this llama.cpp offloads: {bool(llama_cpp.llama_supports_gpu_offload())}); "
          f"{args.threads} threads, n_ctx {args.n_ctx}, profile {args.profile}, answer cap {engine.max_tokens} tokens")

    def stop(_signum: int, _frame: Any) -> None:
        raise Stop

    signal.signal(signal.SIGTERM, stop)
    figures = {"turns": 0, "prompt": 0, "evaluated": engine.prefix_tokens_evaluated, "own": 0, "parsed": 0,
               "facts": 0, "answer_tokens": 0}
    step = max(len(cases) // 10, 1)
    run_started = time.perf_counter()
    deadline = run_started + args.max_seconds if args.max_seconds else None
    last_print = 0.0
    finished = run_started  # the end of the last whole turn: a turn cut short counts neither turn nor time
    stopped: str | None = None
    try:
        for i, case in enumerate(cases, 1):
            when, zone = engine._clock(case)
            prefix = len(engine._prefix_for(when, zone))
            result = engine.extract(case, should_stop=lambda: deadline is not None and time.perf_counter() > deadline)
            if result.error == "cancelled":  # the deadline came mid-answer: this turn does not count
                stopped = f"stopped after {args.max_seconds:.0f} s (--max-seconds), mid-turn"
                break
            figures["turns"] = i
            finished = time.perf_counter()
            figures["prompt"] += result.prompt_tokens
            figures["evaluated"] += result.evaluated_tokens
            figures["own"] += result.prompt_tokens - prefix
            figures["parsed"] += int(result.parse_ok)
            figures["facts"] += len(result.facts)
            figures["answer_tokens"] += len(engine.llm.tokenize(result.raw_output.encode(), add_bos=False))
            elapsed = time.perf_counter() - run_started
            if i % step == 0 or elapsed - last_print > 30:
                last_print = elapsed
                print(f"  {i:5d} turns in {elapsed:6.1f} s, {60 * i / elapsed:7.1f} turns/min so far", flush=True)
            if deadline is not None and time.perf_counter() > deadline:
                stopped = f"stopped after {args.max_seconds:.0f} s (--max-seconds)"
                break
    except (Stop, KeyboardInterrupt):
        stopped = "stopped by a signal"
    seconds = finished - run_started
    engine.llm.close()

    n = max(figures["turns"], 1)
    summary = {
        **figures, "seconds": round(seconds, 2), "turns_per_minute": round(60 * figures["turns"] / max(seconds, 1e-9), 1),
        "evaluated_over_own": round(figures["evaluated"] / max(figures["own"], 1), 3),
        "prefix_misses": engine.prefix_stats["evaluated"], "gpu_layers": engine.gpu_layers,
        "n_gpu_layers_setting": args.n_gpu_layers, "model": Path(model).name, "stopped": stopped,
    }
    print(f"{figures['turns']} of {len(cases)} turns in {seconds:.1f} s: {summary['turns_per_minute']} turns/min "
          f"({seconds / n:.3f} s/turn){'; ' + stopped if stopped else ''}")
    print(f"prompt tokens {figures['prompt']:,} ({figures['prompt'] / n:.0f}/turn); evaluated {figures['evaluated']:,} "
          f"({figures['evaluated'] / n:.0f}/turn, prefix misses {summary['prefix_misses']}); lower bound (own tokens) "
          f"{figures['own']:,} ({figures['own'] / n:.0f}/turn); evaluated / lower bound {summary['evaluated_over_own']}x")
    print(f"answers parsed {figures['parsed']}/{figures['turns']}, facts {figures['facts']}, answer tokens "
          f"{figures['answer_tokens']:,} ({figures['answer_tokens'] / n:.0f}/turn)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
