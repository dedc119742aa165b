"""``scallop-curator``: the window with no arguments (or with export files to open), and headless
subcommands (``COMMANDS``), each imported only when it runs. Expected problems print one line and exit 2."""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scallop_curator import __version__, paths

#: Each headless subcommand: the module that holds it, the function adding its parser, and the one
#: running it. A module is imported only when its subcommand runs, so `import` does not pay for
#: extraction, evaluation or the exporters (most of the CLI's start-up time before).
COMMANDS: dict[str, tuple[str, str, str]] = {
    "extract": ("scallop_curator.extraction.cli", "add_extract_parser", "extract_command"),
    "import": ("scallop_curator.importers.cli", "add_import_parser", "import_command"),
    "model": ("scallop_curator.hub.cli", "add_model_parser", "model_command"),
    "profile": ("scallop_curator.extraction.cli", "add_profile_parser", "profile_command"),
    "eval": ("scallop_curator.evaluation.cli", "add_eval_parser", "eval_command"),
    "memories": ("scallop_curator.memories_cli", "add_memories_parser", "memories_command"),
    "export": ("scallop_curator.memories_cli", "add_export_parser", "export_command"),
}
SUBCOMMANDS = tuple(COMMANDS)


def _command_part(command: str, part: int) -> Callable[..., Any]:
    module = importlib.import_module(COMMANDS[command][0])
    return getattr(module, COMMANDS[command][part])


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


def _headless_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of one subcommand (only its module is imported), or of all of them."""
    parser = argparse.ArgumentParser(prog="scallop-curator")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in (command,) if command else SUBCOMMANDS:
        _command_part(name, 1)(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    paths.make_process_private()  # everything written from here on (store, settings, log, --out) is owner-only
    # Pydantic looks for plugins in every installed package's entry points before its first model is
    # built (about 50 ms of each command's start-up); this app uses none. An explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if argv and argv[0] in SUBCOMMANDS:
        args = _headless_parser(argv[0]).parse_args(argv)
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        return int(_command_part(args.command, 2)(args))
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
        import difflib  # only for a typo: not with every start of the window

        close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        parser.error(f"'{word}' is neither a subcommand ({', '.join(SUBCOMMANDS)}) nor an existing file{hint}")


def fail(message: str, code: int = 2) -> int:
    """An expected problem, for every subcommand: one line on stderr, and the exit status."""
    print(f"scallop-curator: {message}", file=sys.stderr)
    return code


