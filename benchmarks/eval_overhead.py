"""``scallop-curator eval`` end to end (worker start, model load, extraction, scoring, saving the
run) on the 60 dev cases, against the sum of bare llama-cpp-python calls on the same prompts with
the same grammar and sampling, in the same run. Target: ratio <= 1.10.

Usage: python benchmarks/eval_overhead.py [MODEL.gguf] [--rounds N] [--cases N]
(``--cases`` takes the first N dev cases, for a machine too busy for all 60)
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

from _common import ROOT, model_path, quiet_home
from pipeline_overhead import bare

DEV = ROOT / "tests" / "fixtures" / "eval" / "dev.jsonl"


def run_eval(model: str, db: Path, limit: int) -> tuple[float, dict]:  # type: ignore[type-arg]
    from scallop_curator.cli import _headless_parser
    from scallop_curator.evaluation.cli import eval_command

    args = _headless_parser().parse_args(["eval", str(DEV), "--model", model, "--json", "--db", str(db),
                                          "--limit", str(limit)])
    out = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(out):
        code = eval_command(args)
    wall = time.perf_counter() - started
    if code != 0:
        sys.exit(f"eval failed with exit code {code}")
    return wall, json.loads(out.getvalue())[0]


def main() -> None:
    quiet_home()
    from scallop_curator.evaluation.cases import read_case_file
    from scallop_curator.evaluation.runs import results
    from scallop_curator.settings import EngineSettings
    from scallop_curator.store import Store

    parser = argparse.ArgumentParser()
    parser.add_argument("model", nargs="?")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--cases", type=int, default=60)
    options = parser.parse_args()
    model = str(model_path([sys.argv[0]] + ([options.model] if options.model else [])))
    rounds = options.rounds
    cases = [c.extraction_case(i) for i, c in enumerate(read_case_file(DEV))][: options.cases]
    settings = EngineSettings()
    print(f"model {model}\n{len(cases)} dev cases, {settings.n_threads} threads")
    totals = []
    with tempfile.TemporaryDirectory() as folder:
        for round_ in range(rounds):  # alternate, so drift on a shared machine hits both sides alike
            bare_times = bare(model, cases, settings)
            db = Path(folder) / f"bench-{round_}.db"
            wall, row = run_eval(model, db, len(cases))
            store = Store(db)
            engine_ms = sum(r.latency_ms for r in results(store, row["run"]))
            store.close()
            totals.append((sum(bare_times), wall))
            print(f"round {round_ + 1}: bare llama-cpp-python {sum(bare_times):6.1f} s "
                  f"(median {statistics.median(bare_times):.2f} s/case) | eval wall {wall:6.1f} s "
                  f"(engine's own per-case latencies sum to {engine_ms / 1000:.1f} s; wall / that "
                  f"{wall / (engine_ms / 1000):.3f}) | ratio {wall / sum(bare_times):.3f} | agreement {row['agreement']:.3f}, "
                  f"parse {100 * row['parse_rate']:.1f} %")
    bare_total = sum(t[0] for t in totals)
    eval_total = sum(t[1] for t in totals)
    print(f"overall ratio eval wall / bare calls = {eval_total / bare_total:.3f} (target <= 1.10)")


if __name__ == "__main__":
    main()
