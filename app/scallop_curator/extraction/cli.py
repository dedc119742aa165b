"""``scallop-curator extract`` (propose memories for every user turn of an export, headless) and
``scallop-curator profile make`` (a prompt profile from the user's own ScallopBot copy)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scallop_curator import paths
from scallop_curator.cli import fail as _fail
from scallop_curator.domain.clock import TIME_GRAINS

if TYPE_CHECKING:
    from scallop_curator.domain.conversation import ExtractionCase

ORDERS = ("export", "oldest", "newest")


def add_extract_parser(sub: Any) -> None:
    extract = sub.add_parser("extract", help="propose memories for every user turn of an export")
    extract.add_argument("export", help="a chat export file")
    backend = extract.add_mutually_exclusive_group()
    backend.add_argument("--model", help="a GGUF model file (default: scallopmemory-1 if downloaded, else the demo model)")
    backend.add_argument("--server", metavar="URL",
                         help="an OpenAI-compatible server instead of a local model (llama-server, Ollama, LM Studio, vLLM)")
    extract.add_argument("--server-model", metavar="ID", help="with --server: the model id to use (default: the first listed)")
    extract.add_argument("--api-key", metavar="KEY", help="with --server: the API key it expects")
    extract.add_argument("--concurrency", type=int, default=1, metavar="N", help="with --server: turns in flight at once")
    extract.add_argument("--out", help="where to write one JSON line per user turn (not needed with --dry-run)")
    prompt = extract.add_mutually_exclusive_group()
    prompt.add_argument("--profile", metavar="NAME|FILE",
                        help="the prompt profile: compact, scallopbot, or a profile file (default: the setting, else compact)")
    prompt.add_argument("--prompt", metavar="FILE", help="a prompt file replacing the bundled one (same as --profile FILE)")
    extract.add_argument("--timezone", metavar="ZONE", help="the IANA timezone turn times are shown in (default: this machine's)")
    extract.add_argument("--time-grain", choices=TIME_GRAINS, default="day",
                         help="how finely a prompt that shows the time shows it: day (default) lets every turn of a day "
                              "reuse one evaluated prefix; minute is exact but evaluates the instructions for every turn")
    extract.add_argument("--order", choices=ORDERS, default="export",
                         help="which turns go first: as in the export (default), oldest or newest first")
    extract.add_argument("--skip-short", type=int, default=0, metavar="N",
                         help="skip messages under N characters (marked in the output, counted; run without it to extract them)")
    extract.add_argument("--skip-code", action="store_true",
                         help="skip pure code or log pastes (marked in the output, counted; run without it to extract them)")
    extract.add_argument("--dry-run", action="store_true",
                         help="print the turns, prompt tokens and time it would take, and run nothing")
    extract.add_argument("--n-ctx", type=int, help="context size in tokens")
    extract.add_argument("--threads", type=int, help="CPU threads")


def add_profile_parser(sub: Any) -> None:
    profile = sub.add_parser("profile", help="prompt profiles")
    actions = profile.add_subparsers(dest="profile_action", required=True)
    make = actions.add_parser(
        "make", help="a profile with ScallopBot's exact production prompt, from your own copy of ScallopBot",
        description="Reads ScallopBot's src/memory/fact-extractor.ts (or a checkout folder), or a ScallopBot "
                    "memories.db whose llm_traces rows hold the prompts, and writes a profile file for --profile.")
    make.add_argument("--from", dest="source", required=True, metavar="PATH",
                      help="a ScallopBot checkout, its fact-extractor.ts, or its memories.db")
    make.add_argument("--out", required=True, metavar="FILE", help="the profile file to write (.toml)")


def profile_command(args: argparse.Namespace) -> int:
    from scallop_curator.extraction.profile_make import make_profile
    from scallop_curator.extraction.profiles import PromptError, load_profile

    out = Path(args.out)
    if out.suffix.lower() != ".toml":
        return _fail(f"{out}: a profile file must end in .toml")
    try:
        profile = make_profile(args.source)
        out.write_text(profile.to_toml(), encoding="utf-8")
        made = load_profile(out)
    except PromptError as problem:
        return _fail(str(problem))
    except OSError as error:
        return _fail(f"cannot write {out}: {error.strerror or error}")
    print(f"{out}: profile {made.name} ({made.answer}), use it with: scallop-curator extract EXPORT --profile {out}")
    return 0


def order_cases(cases: list[ExtractionCase], order: str) -> list[ExtractionCase]:
    """Oldest or newest first by each turn's time; turns without one keep their place at the end."""
    if order == "export":
        return cases
    timed = [case for case in cases if case.sort_time is not None]
    untimed = [case for case in cases if case.sort_time is None]
    timed.sort(key=lambda case: case.sort_time, reverse=order == "newest")  # type: ignore[arg-type, return-value]
    return timed + untimed


def extract_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from scallop_curator.domain.clock import UnknownZone
    from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec, WorkerClient, WorkerCrashed
    from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf, fingerprint
    from scallop_curator.extraction.models_on_disk import resolve_model
    from scallop_curator.extraction.prompt import PromptError, load_prompt
    from scallop_curator.extraction.skip_rules import SkipRules
    from scallop_curator.extraction.speed import fit_speed, load_speed, save_speed
    from scallop_curator.importers import ImportProblem, load_export
    from scallop_curator.settings import Settings

    settings = Settings.load()
    if not args.dry_run and not args.out:
        return _fail("--out FILE is needed (or --dry-run to only see what it would take)")
    if args.skip_short < 0:
        return _fail("--skip-short must be 0 or more")
    choice = args.profile or args.prompt or settings.prompt_path or getattr(settings, "prompt_profile", None)
    try:
        imported = load_export(args.export)
        model = None if args.server else resolve_model(args.model or settings.model_path)
        if args.server and args.concurrency < 1:
            return _fail("--concurrency must be at least 1")
        if not args.server and (args.server_model or args.api_key):
            return _fail("--server-model and --api-key need --server URL")
        if model is None and not args.server:
            return _fail("no model: give --model FILE.gguf")
        if model is not None:
            check_gguf(model)
        prompt = load_prompt(choice)
        cases = [case for conversation in imported.conversations
                 for case in conversation.extraction_cases(args.timezone, args.time_grain)]
    except (ImportProblem, ModelFileProblem, PromptError, UnknownZone) as problem:
        return _fail(str(problem))
    cases = order_cases(cases, args.order)
    rules = SkipRules(min_chars=args.skip_short, skip_code=args.skip_code)
    skipped = [(case, why) for case in cases if (why := rules.reason(case))]
    cases = [case for case in cases if not rules.reason(case)]
    speed_key = f"{fingerprint(model)}:{prompt.version}" if model else f"server:{args.server}:{args.server_model or ''}"

    if args.dry_run:
        from collections import Counter

        from scallop_curator.extraction.plan import plan_estimate, plan_local

        speed = load_speed(speed_key)
        plan = plan_local(model, prompt, cases, speed) if model else plan_estimate(prompt, cases, speed)
        plan.skipped = Counter(why for _case, why in skipped)
        print(f"{args.export}: {len(imported.conversations):,} conversations; profile {prompt.name} ({prompt.version})")
        for line in plan.lines():
            print(line)
        return 0

    engine = settings.engine.model_copy(
        update={k: v for k, v in {"n_ctx": args.n_ctx, "n_threads": args.threads}.items() if v}
    )
    spec = ModelSpec(str(model) if model else (args.server_model or ""),
                     str(prompt.path) if prompt.path and choice and str(choice) not in ("compact", "scallopbot") else choice,
                     engine)
    out = Path(args.out)
    try:
        handle = paths.open_private(out, "w")  # owner-only: it holds what the user said
    except OSError as error:
        return _fail(f"cannot write {out}: {error.strerror or error}")
    if args.server:
        from scallop_curator.extraction.server_client import ServerClient

        client: WorkerClient | ServerClient = ServerClient(args.server, args.api_key, args.concurrency)
    else:
        # No window to keep fluid: the worker runs at this command's own priority. Set only while
        # this command runs, so a window in the same process (tests) keeps its niced worker.
        nice_before = os.environ.get("SCALLOP_WORKER_NICE")
        os.environ.setdefault("SCALLOP_WORKER_NICE", "0")
        client = WorkerClient()
    failures = 0
    samples: list[tuple[int, float]] = []
    cases_by_id = {(case.conversation_id, case.turn_index): case for case in cases}

    def provenance(case: ExtractionCase) -> dict[str, Any]:
        return {"model": model.name if model else client.model_id, "prompt_version": prompt.version,
                "prompt_profile": prompt.name, "time_source": case.time_source}

    try:
        with handle, tqdm(total=len(cases), unit="turn", file=sys.stderr) as bar:
            for case, why in skipped:
                line = {"conversation_id": case.conversation_id, "turn_index": case.turn_index, "skipped": why,
                        **provenance(case)}
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.set_description("loading model")
            client.load(spec)
            bar.set_description("extracting")

            def write(result) -> None:  # type: ignore[no-untyped-def]
                nonlocal failures
                failures += not result.parse_ok
                if result.parse_ok:
                    samples.append((result.evaluated_tokens, result.latency_ms / 1000))
                line = result.model_dump(mode="json")
                line.update(provenance(cases_by_id[(result.conversation_id, result.turn_index)]))
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
                handle.flush()
                bar.update(1)

            client.extract(spec, cases, write)
    except (EngineError, WorkerCrashed) as problem:
        return _fail(str(problem))
    except (Cancelled, KeyboardInterrupt):
        return _fail("cancelled")
    finally:
        client.shutdown()
        if not args.server and nice_before is None:
            os.environ.pop("SCALLOP_WORKER_NICE", None)
        measured = fit_speed(samples)
        if measured is not None and (not args.server or args.concurrency == 1):  # turns in parallel overlap
            save_speed(speed_key, measured)
    print(f"{len(cases)} turns from {len(imported.conversations)} conversations written to {out}"
          + (f"; {failures} could not be parsed" if failures else ""), file=sys.stderr)
    if skipped:
        reasons = ", ".join(f"{sum(1 for _c, w in skipped if w == why)} {label}" for why, label in
                            (("short", f"under {args.skip_short} characters"), ("code", "code or log pastes"))
                            if any(w == why for _c, w in skipped))
        print(f"{len(skipped)} turns skipped ({reasons}), marked \"skipped\" in {out}; "
              "run again without --skip-short/--skip-code to extract them", file=sys.stderr)
    return 0
