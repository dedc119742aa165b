"""Prompt tokens evaluated per turn with the prefix snapshot against a full evaluation each
turn, on the sample export, same model, same run. Target: at least 3x fewer with reuse.

Usage: python benchmarks/prefix_reuse.py [MODEL.gguf]
"""

from __future__ import annotations

import statistics
import sys
import time

from _common import model_path, quiet_home, sample_cases


def main() -> None:
    quiet_home()
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    model = model_path(sys.argv)
    cases = sample_cases()
    figures = {}
    for reuse in (False, True):
        engine = LocalEngine(model, load_prompt(), EngineSettings(), reuse_prefix=reuse)
        evaluated, prompt, seconds = [], [], []
        for case in cases:
            started = time.perf_counter()
            result = engine.extract(case)
            seconds.append(time.perf_counter() - started)
            evaluated.append(result.evaluated_tokens)
            prompt.append(result.prompt_tokens)
        figures[reuse] = (evaluated, prompt, seconds)
        label = "with reuse   " if reuse else "without reuse"
        print(f"{label}: prompt {statistics.mean(prompt):6.1f} tokens/turn, evaluated {statistics.mean(evaluated):6.1f} "
              f"tokens/turn (total {sum(evaluated)}), {sum(seconds):.1f} s for {len(cases)} turns")
        del engine
    ratio = sum(figures[False][0]) / max(sum(figures[True][0]), 1)
    print(f"evaluated prompt tokens: {ratio:.1f}x fewer with reuse (target >= 3x)")


if __name__ == "__main__":
    main()
