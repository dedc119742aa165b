"""``scallop-curator eval``: measure models against a teacher's (or a person's) facts.

    eval CASES... --model GGUF [--model GGUF | --server URL ...] [--profile P ...] [--json]
    eval runs                  every saved run, one row each
    eval review                the store's reviewed turns as a run: proposals against what you kept
    eval --compare RUN RUN     two saved runs side by side, with the cases that changed

One row per model x prompt profile; every run is saved in the store.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from scallop_curator import paths
from scallop_curator.cli import fail as _fail
from scallop_curator.evaluation.backends import DEFAULT_PROFILE, Backend, Client

COLUMNS = ("run", "model", "profile", "agreement", "parse %", "median ms", "p90 ms", "precision", "recall",
           "quiet agr.", "kappa")


def add_eval_parser(sub: Any) -> None:
    parser = sub.add_parser("eval", help="measure models against reference facts (case files or ScallopBot traces)",
                            description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", metavar="CASES",
                        help="case files (JSON Lines) or a ScallopBot memories.db; or the word 'runs' or 'review'")
    parser.add_argument("--model", action="append", default=[], metavar="GGUF", help="a GGUF model (repeatable)")
    parser.add_argument("--server", action="append", default=[], metavar="URL",
                        help="an OpenAI-compatible server (repeatable)")
    parser.add_argument("--server-model", metavar="ID", help="with --server: the model id (default: the first listed)")
    parser.add_argument("--api-key", metavar="KEY", help="with --server: the API key it expects")
    parser.add_argument("--profile", action="append", default=[], metavar="P",
                        help=f"a prompt profile (repeatable; default: {DEFAULT_PROFILE})")
    parser.add_argument("--limit", type=int, metavar="N", help="only the first N cases")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--compare", nargs=2, type=int, metavar="RUN", help="compare two saved runs")
    parser.add_argument("--db", help="the store the runs are saved in")
    parser.add_argument("--n-ctx", type=int, help="context size in tokens")
    parser.add_argument("--threads", type=int, help="CPU threads")


def _number(value: float | int | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def row_cells(run_id: int, label: str, profile: str, fig: dict[str, Any]) -> list[str]:
    parse = None if fig["parse_rate"] is None else 100 * fig["parse_rate"]
    return [str(run_id), label, profile, _number(fig["agreement"]), _number(parse, 1), _number(fig["median_ms"], 0),
            _number(fig["p90_ms"], 0), _number(fig["precision"]), _number(fig["recall"]),
            _number(fig["quiet_agreement"]), _number(fig["kappa"])]


def table(rows: list[list[str]]) -> str:
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)) for r in rows]
    return "\n".join(line.rstrip() for line in lines)


def eval_command(args: argparse.Namespace, make_client: Callable[[Backend], Client] | None = None) -> int:
    """``make_client`` replaces the backends' clients (tests: a scripted engine in the real worker)."""
    from scallop_curator.store import Store, StoreError

    try:
        store = Store(paths.default_db_path(args.db))
    except StoreError as problem:
        return _fail(str(problem))
    try:
        if args.compare:
            return _compare(store, *args.compare, as_json=args.json)
        if args.cases == ["runs"]:
            return _list(store, as_json=args.json)
        if args.cases == ["review"]:
            return _review(store, as_json=args.json)
        return _evaluate(store, args, make_client)
    except StoreError as problem:
        return _fail(str(problem))
    finally:
        store.close()


def _backends(args: argparse.Namespace) -> list[Backend]:
    return ([Backend("gguf", m) for m in args.model]
            + [Backend("server", s, args.server_model, args.api_key) for s in args.server])


def _evaluate(store: Any, args: argparse.Namespace, make_client: Callable[[Backend], Client] | None) -> int:
    from tqdm import tqdm

    from scallop_curator.evaluation import runs
    from scallop_curator.evaluation.cases import CaseProblem
    from scallop_curator.evaluation.harness import figures, run_cases, with_profile
    from scallop_curator.evaluation.sources import load_sources
    from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec, WorkerClient, WorkerCrashed
    from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf
    from scallop_curator.extraction.prompt import PromptError, load_prompt
    from scallop_curator.settings import Settings

    if not args.cases:
        return _fail("eval needs case files or a ScallopBot memories.db (or 'runs', or --compare RUN RUN)")
    backends = _backends(args)
    if not backends:
        return _fail("eval needs at least one --model GGUF or --server URL")
    if (args.server_model or args.api_key) and not args.server:
        return _fail("--server-model and --api-key need --server URL")
    if args.limit is not None and args.limit < 1:
        return _fail("--limit must be at least 1")
    settings = Settings.load()
    try:
        loaded = load_sources(args.cases)
        if make_client is None:
            for backend in backends:
                if backend.kind == "gguf":
                    check_gguf(backend.target)
        prompt = load_prompt(settings.prompt_path)
    except (CaseProblem, ModelFileProblem, PromptError) as problem:
        return _fail(str(problem))
    for note in loaded.notes:
        print(note, file=sys.stderr)
    cases = loaded.cases[: args.limit] if args.limit else loaded.cases
    if not cases:
        return _fail("no usable cases in " + ", ".join(args.cases))
    engine = settings.engine.model_copy(
        update={k: v for k, v in {"n_ctx": args.n_ctx, "n_threads": args.threads}.items() if v})
    profiles = args.profile or [DEFAULT_PROFILE]
    rows: list[dict[str, Any]] = []
    with tqdm(total=len(cases) * len(backends) * len(profiles), unit="case", file=sys.stderr) as bar:
        for backend in backends:
            client = make_client(backend) if make_client else _client(backend, WorkerClient)
            try:
                for profile in profiles:
                    base = ModelSpec(backend.target if backend.kind == "gguf" else (backend.server_model or ""),
                                     str(settings.prompt_path) if settings.prompt_path else None, engine)
                    spec, note = with_profile(base, profile)
                    if note:
                        print(f"note: {note}", file=sys.stderr)
                    bar.set_description(f"loading {backend.label}")
                    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
                    started = time.perf_counter()
                    client.load(spec)
                    bar.set_description(f"{backend.label} / {profile}")
                    results = run_cases(client, spec, cases, lambda _r: bar.update(1))
                    wall = time.perf_counter() - started
                    fig = figures(results)
                    meta = runs.RunMeta(backend.label, backend.target, backend.kind, profile, note, prompt.version,
                                        [str(c) for c in args.cases])
                    run_id = runs.save_run(store, meta, started_at, wall, fig, results)
                    rows.append({"run": run_id, "model": backend.label, "profile": profile, "profile_note": note,
                                 "wall_s": wall, **fig.as_dict()})
            except (EngineError, WorkerCrashed) as problem:
                return _fail(f"{backend.label}: {problem}")
            except (Cancelled, KeyboardInterrupt):
                return _fail("cancelled")
            finally:
                client.shutdown()
    _print_rows(rows, args.json)
    return 0


def _client(backend: Backend, worker: Callable[[], Client]) -> Client:
    if backend.kind == "server":
        from scallop_curator.extraction.server_client import ServerClient

        return ServerClient(backend.target, backend.api_key)
    return worker()


def _print_rows(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        print(table([row_cells(r["run"], r["model"], r["profile"], r) for r in rows]))


def _list(store: Any, as_json: bool) -> int:
    from scallop_curator.evaluation import runs

    saved = runs.list_runs(store)
    if as_json:
        print(json.dumps([{"run": r.id, "started_at": r.started_at, "model": r.label, "profile": r.profile,
                           "cases": r.n_cases, **r.figures} for r in saved], indent=2, ensure_ascii=False))
    elif not saved:
        print("no evaluation runs saved yet")
    else:
        print(table([row_cells(r.id, r.label, r.profile, r.figures) for r in saved]))
    return 0


def _review(store: Any, as_json: bool) -> int:
    from scallop_curator.evaluation import runs
    from scallop_curator.evaluation.review_run import save_review_run

    run_id = save_review_run(store)
    if run_id is None:
        return _fail(f"nothing reviewed yet in {store.path}")
    run = runs.get_run(store, run_id)
    _print_rows([{"run": run.id, "model": run.label, "profile": run.profile, **run.figures}], as_json)
    return 0


def _compare(store: Any, first: int, second: int, as_json: bool) -> int:
    from scallop_curator.evaluation import runs

    a, b = runs.get_run(store, first), runs.get_run(store, second)
    by_case = {r.case.case_id: r.score for r in runs.results(store, first)}
    better = worse = same = 0
    for r in runs.results(store, second):
        if r.case.case_id not in by_case:
            continue
        delta = r.score - by_case[r.case.case_id]
        better += delta > 1e-9
        worse += delta < -1e-9
        same += abs(delta) <= 1e-9
    if as_json:
        print(json.dumps({"runs": [{"run": r.id, "model": r.label, "profile": r.profile, **r.figures} for r in (a, b)],
                          "cases": {"better": better, "worse": worse, "same": same}}, indent=2))
        return 0
    print(table([row_cells(r.id, r.label, r.profile, r.figures) for r in (a, b)]))
    print(f"cases in both runs: {better + worse + same}; run {second} scores better on {better}, "
          f"worse on {worse}, the same on {same}")
    return 0
