"""``scallop-curator model download`` and ``scallop-curator model info [FILE]``: headless, no Qt.
Expected problems print one line and exit 2."""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from scallop_curator.extraction.models_on_disk import HUB_FILE, HUB_REPO

DEFAULT_N_CTX = 8192


def add_model_parser(subparsers: Any) -> argparse.ArgumentParser:
    model = subparsers.add_parser("model", help="download scallopmemory-1, or show what a GGUF file is")
    sub = model.add_subparsers(dest="model_command", required=True)
    download = sub.add_parser(
        "download",
        help=f"download {HUB_FILE} (3.16 GB) into the Hugging Face cache; run again to resume",
        description="Downloads into the Hugging Face cache (HF_HOME / HF_HUB_CACHE), honouring HF_ENDPOINT and "
        "HF_HUB_OFFLINE. The file is checked against the SHA-256 the Hub publishes before it is used. "
        "Ctrl+C cancels; the bytes so far are kept and the next run resumes.",
    )
    download.add_argument("--revision", default="main", help="branch, tag or commit (default: main)")
    download.add_argument("--repo", default=HUB_REPO, help=argparse.SUPPRESS)
    download.add_argument("--file", default=HUB_FILE, help=argparse.SUPPRESS)
    download.add_argument("--discard-partial", action="store_true", help="on cancel, delete the bytes so far")
    info = sub.add_parser("info", help="show a GGUF file's header facts, warnings and memory needs, without loading it")
    info.add_argument("file", nargs="?", help="a GGUF file (default: the downloaded scallopmemory-1, else the demo model)")
    info.add_argument("--n-ctx", type=int, help="context size in tokens for the memory estimate (default: the setting)")
    info.add_argument("--n-gpu-layers", type=int,
                      help="layers on the GPU for the estimate, -1 as many as fit (default: the setting)")
    return model


def model_command(args: argparse.Namespace) -> int:
    if args.model_command == "download":
        return _download(args)
    return _info(args)


def _fail(message: str) -> int:
    print(f"scallop-curator: {message}", file=sys.stderr)
    return 2


def _download(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from scallop_curator.hub.download import DownloadProblem, download_model
    from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info

    cancel = threading.Event()
    outcome: dict[str, Any] = {}
    bars: dict[str, Any] = {}

    def progress(p) -> None:  # type: ignore[no-untyped-def]
        bar = bars.get(p.phase)
        if bar is None:
            for other in bars.values():
                other.close()
            bars.clear()
            desc = "checking kept bytes" if p.phase == "checking" else "downloading"
            bar = bars[p.phase] = tqdm(
                total=p.total, initial=p.done, unit="B", unit_scale=True, unit_divisor=1000,
                desc=desc, file=sys.stderr, dynamic_ncols=True,
            )
        bar.update(p.done - bar.n)

    def work() -> None:
        try:
            outcome["result"] = download_model(
                progress, cancel, repo_id=args.repo, filename=args.file, revision=args.revision,
                keep_partial=not args.discard_partial,
            )
        except DownloadProblem as problem:
            outcome["problem"] = problem
        except BaseException as error:  # noqa: BLE001 - re-raised in the main thread
            outcome["error"] = error
        finally:
            finished.set()

    # Wait on an Event, not Thread.join: a Ctrl+C inside join() can leave the Thread marked finished.
    finished = threading.Event()
    threading.Thread(target=work, name="model-download", daemon=True).start()
    try:
        while not finished.is_set():
            try:
                finished.wait(0.2)
            except KeyboardInterrupt:
                if not cancel.is_set():
                    cancel.set()
                    print("\ncancelling…", file=sys.stderr)
    finally:
        for bar in bars.values():
            bar.close()
    if "error" in outcome:
        raise outcome["error"]
    if "problem" in outcome:
        return _fail(str(outcome["problem"]))
    result = outcome["result"]
    print(f"{result.message}: {result.path}")
    try:
        info = read_gguf_info(result.path)
    except GGUFProblem as problem:
        return _fail(str(problem))
    for warning in info.warnings:
        print(f"Warning: {warning}")
    return 0


def _engine_defaults() -> tuple[int, int]:
    """The context size and GPU layers setting the estimate is for."""
    try:
        from scallop_curator.settings import Settings

        engine = Settings.load().engine
        return int(engine.n_ctx), int(engine.n_gpu_layers)
    except Exception:  # noqa: BLE001 - the estimate only needs sensible numbers
        return DEFAULT_N_CTX, -1


def _info(args: argparse.Namespace) -> int:
    from scallop_curator.extraction.models_on_disk import resolve_model
    from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
    from scallop_curator.hub.memory_estimate import estimate_memory

    path = args.file or resolve_model(None)
    if path is None:
        return _fail("no model: give a GGUF file, or run 'scallop-curator model download'")
    try:
        info = read_gguf_info(path)
    except GGUFProblem as problem:
        return _fail(str(problem))
    for label, value in info.facts():
        print(f"{label + ':':16}{value}")
    n_ctx, gpu_layers = _engine_defaults()
    if args.n_gpu_layers is not None:
        gpu_layers = args.n_gpu_layers
    estimate = estimate_memory(info, args.n_ctx or n_ctx, gpu_layers=gpu_layers)
    print(f"{'Memory:':16}{estimate.verdict}")
    print(f"{'':16}({estimate.breakdown()})")
    print(f"{'GPU:':16}{estimate.gpu_verdict or 'none: this llama.cpp build runs on the CPU only'}")
    for warning in info.warnings:
        print(f"Warning: {warning}")
    return 0
