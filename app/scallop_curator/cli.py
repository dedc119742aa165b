"""``scallop-curator``: the window with no arguments (or with export files to open), and headless
subcommands ``extract`` and ``import``. Expected problems print one line and exit 2."""

from __future__ import annotations

import argparse
import difflib
import logging
import sys
from pathlib import Path

from scallop_curator import __version__, paths
from scallop_curator.evaluation.cli import add_eval_parser, eval_command
from scallop_curator.extraction.cli import add_extract_parser, add_profile_parser, extract_command, profile_command
from scallop_curator.hub.cli import add_model_parser, model_command
from scallop_curator.memories_cli import add_export_parser, add_memories_parser, export_command, memories_command

SUBCOMMANDS = ("extract", "import", "model", "profile", "eval", "memories", "export")


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
    from scallop_curator.importers.cli import add_import_parser  # the importers load only when needed

    parser = argparse.ArgumentParser(prog="scallop-curator")
    sub = parser.add_subparsers(dest="command", required=True)
    add_extract_parser(sub)
    add_profile_parser(sub)
    add_import_parser(sub)
    add_model_parser(sub)
    add_eval_parser(sub)
    add_memories_parser(sub)
    add_export_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths.make_process_private()  # everything written from here on (store, settings, log, --out) is owner-only
    if argv and argv[0] in SUBCOMMANDS:
        args = _headless_parser().parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        if args.command == "extract":
            return extract_command(args)
        if args.command == "model":
            return model_command(args)
        if args.command == "profile":
            return profile_command(args)
        if args.command == "memories":
            return memories_command(args)
        if args.command == "export":
            return export_command(args)
        if args.command == "eval":
            return eval_command(args)
        from scallop_curator.importers.cli import import_command

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


