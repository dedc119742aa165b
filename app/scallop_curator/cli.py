"""``scallop-curator``: the window with no arguments (or with export files to open), and headless
subcommands ``extract`` and ``import``. Expected problems print one line and exit 2."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path

from scallop_curator import __version__, paths
from scallop_curator.extraction.cli import add_extract_parser, add_profile_parser, extract_command, profile_command
from scallop_curator.hub.cli import add_model_parser, model_command

SUBCOMMANDS = ("extract", "import", "model", "profile")


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
    add_extract_parser(sub)
    add_profile_parser(sub)
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
        if args.command == "profile":
            return profile_command(args)
        return import_command(args)
    args = _gui_parser().parse_args(argv)
    from scallop_curator.ui.app import run

    return run(files=args.files, db=args.db)


def _fail(message: str) -> int:
    print(f"scallop-curator: {message}", file=sys.stderr)
    return 2


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
