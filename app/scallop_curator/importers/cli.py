"""``scallop-curator import FILE... [--user NAME | --user LOG=NAME]``: headless, no Qt.

Multi-speaker logs (LoCoMo, ``Name: text`` transcripts) have no roles: ``--user`` says who "the
user" is, by name in every log it speaks in, or for one log as ``LOG=NAME`` (repeatable). Without
it each log takes its first speaker, and the output says, log by log, who was taken.
Expected problems print one line and exit 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scallop_curator import paths
from scallop_curator.cli import fail
from scallop_curator.importers.base import ImportOptions


def add_import_parser(subparsers: Any) -> argparse.ArgumentParser:
    importer = subparsers.add_parser("import", help="import chat exports into the memory store")
    importer.add_argument("files", nargs="+")
    importer.add_argument("--db", help="the memory store")
    importer.add_argument(
        "--user", action="append", default=[], metavar="NAME|LOG=NAME",
        help="in multi-speaker logs, whose messages are the user's: a name (used in every log it speaks in) "
        "or LOG=NAME for one log (its sample id, or 'conversation N' in a transcript); repeatable. "
        "Default: each log's first speaker",
    )
    return importer


def options_from(users: list[str]) -> ImportOptions | None:
    """--user values as ImportOptions: ``NAME`` for every log, ``LOG=NAME`` for one."""
    if not users:
        return None
    names: list[str] = []
    by_log: dict[str, str] = {}
    for value in users:
        log, sep, name = value.partition("=")
        if sep and log.strip() and name.strip():
            by_log[log.strip()] = name.strip()
        elif value.strip():
            names.append(value.strip())
    return ImportOptions(user_names=tuple(names), user_by_log=by_log)


def _with_progress(files: list[str]) -> Iterable[str]:
    """A progress bar over several files; tqdm is imported only then (it costs start-up time)."""
    if len(files) < 2:
        return files
    from tqdm import tqdm

    return tqdm(files, unit="file", file=sys.stderr)


def import_command(args: argparse.Namespace) -> int:
    from scallop_curator.importers import ImportProblem, load_export
    from scallop_curator.importers.heap import keep_freed_memory
    from scallop_curator.store import Store, StoreError

    keep_freed_memory()  # this process ends with the import: fewer page faults while streaming

    try:
        # A helper connection: an import makes no undoable decisions, so it claims no undo session (two
        # fewer synced writes, and it never adopts a closed window's history).
        store = Store(paths.default_db_path(args.db), session=False)
    except StoreError as problem:
        return fail(str(problem))
    options = options_from(getattr(args, "user", []) or [])
    status = 0
    started = time.perf_counter()
    for name in _with_progress(args.files):
        try:
            summary = store.import_file(load_export(name, options), str(Path(name).resolve()))
        except (ImportProblem, StoreError) as problem:
            status = fail(str(problem))
            continue
        print(f"{name}: {summary.format_name}, {summary.new_conversations} new conversations, "
              f"{summary.new_turns} new turns, {summary.unchanged_conversations} unchanged")
        for line in summary.notes:
            print(f"  user: {line}")
        if any("was taken as the user" in line for line in summary.notes):
            print("  (choose with --user NAME, or --user LOG=NAME for one log)")
        for title, reason in summary.skipped:
            print(f"  skipped {title!r}: {reason}")
    print(f"done in {time.perf_counter() - started:.1f} s; store: {store.path}", file=sys.stderr)
    store.close()
    return status
