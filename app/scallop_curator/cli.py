"""``scallop-curator``: the window with no arguments (or with export files to open), and headless
subcommands ``extract`` and ``import``. Expected problems print one line and exit 2."""

from __future__ import annotations

import argparse
import difflib
import json
import logging
import sys
import time
from pathlib import Path

from scallop_curator import __version__, paths
from scallop_curator.hub.cli import add_model_parser, model_command

SUBCOMMANDS = ("extract", "import", "model")


def _gui_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="scallop-curator",
        description="Review the memories a local model proposes from your chat history. "
        f"Headless subcommands: {', '.join(SUBCOMMANDS)} (see 'scallop-curator extract --help').",
    )
    parser.add_argument("files", nargs="*", help="chat exports to open")
    parser.add_argument("--db", help=f"the memory store (default: ${paths.DB_ENV} or the data folder)")
    parser.add_argument("--version", action="version", version=__version__)
    return parser


def _headless_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scallop-curator")
    sub = parser.add_subparsers(dest="command", required=True)
    extract = sub.add_parser("extract", help="propose memories for every user turn of an export")
    extract.add_argument("export", help="a chat export file")
    backend = extract.add_mutually_exclusive_group()
    backend.add_argument("--model", help="a GGUF model file (default: scallopmemory-1 if downloaded, else the demo model)")
    backend.add_argument("--server", metavar="URL",
                         help="an OpenAI-compatible server instead of a local model (llama-server, Ollama, LM Studio, vLLM)")
    extract.add_argument("--server-model", metavar="ID", help="with --server: the model id to use (default: the first listed)")
    extract.add_argument("--api-key", metavar="KEY", help="with --server: the API key it expects")
    extract.add_argument("--concurrency", type=int, default=1, metavar="N", help="with --server: turns in flight at once")
    extract.add_argument("--out", required=True, help="where to write one JSON line per user turn")
    extract.add_argument("--prompt", help="a prompt file replacing the bundled one")
    extract.add_argument("--n-ctx", type=int, help="context size in tokens")
    extract.add_argument("--threads", type=int, help="CPU threads")
    importer = sub.add_parser("import", help="import chat exports into the memory store")
    importer.add_argument("files", nargs="+")
    importer.add_argument("--db", help="the memory store")
    add_model_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in SUBCOMMANDS:
        args = _headless_parser().parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if args.command == "extract":
            return extract_command(args)
        if args.command == "model":
            return model_command(args)
        return import_command(args)
    parser = _gui_parser()
    args = parser.parse_args(argv)
    _refuse_unknown_words(parser, args.files)
    from scallop_curator.ui.app import run

    return run(files=args.files, db=args.db)


def _refuse_unknown_words(parser: argparse.ArgumentParser, files: list[str]) -> None:
    """A word that is neither a subcommand nor an existing file is a typo: say so (exit 2) instead of
    opening the window, which would import the other files and, without a display, abort."""
    for position, word in enumerate(files):
        if Path(word).exists():
            continue
        if position > 0:
            parser.error(f"no such file: {word}")
        close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        parser.error(f"'{word}' is neither a subcommand ({', '.join(SUBCOMMANDS)}) nor an existing file{hint}")


def _fail(message: str) -> int:
    print(f"scallop-curator: {message}", file=sys.stderr)
    return 2


def extract_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from scallop_curator.extraction.client import Cancelled, EngineError, ModelSpec, WorkerClient, WorkerCrashed
    from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf
    from scallop_curator.extraction.models_on_disk import resolve_model
    from scallop_curator.extraction.prompt import PromptError, load_prompt
    from scallop_curator.importers import ImportProblem, load_export
    from scallop_curator.settings import Settings

    settings = Settings.load()
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
        prompt = load_prompt(args.prompt or settings.prompt_path)
    except (ImportProblem, ModelFileProblem, PromptError) as problem:
        return _fail(str(problem))
    engine = settings.engine.model_copy(
        update={k: v for k, v in {"n_ctx": args.n_ctx, "n_threads": args.threads}.items() if v}
    )
    cases = [case for conversation in imported.conversations for case in conversation.extraction_cases()]
    spec = ModelSpec(str(model) if model else (args.server_model or ""),
                     str(prompt.path) if args.prompt or settings.prompt_path else None, engine)
    out = Path(args.out)
    try:
        handle = out.open("w", encoding="utf-8")
    except OSError as error:
        return _fail(f"cannot write {out}: {error.strerror or error}")
    if args.server:
        from scallop_curator.extraction.server_client import ServerClient

        client: WorkerClient | ServerClient = ServerClient(args.server, args.api_key, args.concurrency)
    else:
        client = WorkerClient()
    failures = 0
    try:
        with handle, tqdm(total=len(cases), unit="turn", file=sys.stderr) as bar:
            bar.set_description("loading model")
            client.load(spec)
            bar.set_description("extracting")

            def write(result) -> None:  # type: ignore[no-untyped-def]
                nonlocal failures
                failures += not result.parse_ok
                line = result.model_dump(mode="json")
                line.update(model=model.name if model else client.model_id, prompt_version=prompt.version)
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
    print(f"{len(cases)} turns from {len(imported.conversations)} conversations written to {out}"
          + (f"; {failures} could not be parsed" if failures else ""), file=sys.stderr)
    return 0


def import_command(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from scallop_curator.importers import ImportProblem, load_export
    from scallop_curator.store import Store, StoreError

    try:
        store = Store(paths.default_db_path(args.db))
    except StoreError as problem:
        return _fail(str(problem))
    status = 0
    started = time.perf_counter()
    for name in tqdm(args.files, unit="file", file=sys.stderr, disable=len(args.files) < 2):
        try:
            summary = store.import_file(load_export(name), str(Path(name).resolve()))
        except (ImportProblem, StoreError) as problem:
            print(f"scallop-curator: {problem}", file=sys.stderr)
            status = 2
            continue
        print(f"{name}: {summary.format_name}, {summary.new_conversations} new conversations, "
              f"{summary.new_turns} new turns, {summary.unchanged_conversations} unchanged")
        for title, reason in summary.skipped:
            print(f"  skipped {title!r}: {reason}")
    print(f"done in {time.perf_counter() - started:.1f} s; store: {store.path}", file=sys.stderr)
    store.close()
    return status
