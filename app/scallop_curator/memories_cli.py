"""``scallop-curator memories list|add|edit|forget|restore|history`` and ``scallop-curator export``:
the kept memories without the window. Expected problems print one line and exit 2; a memory that
needs a choice (it conflicts with or would replace a kept one) exits 3 and says which flag to add."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from scallop_curator import paths
from scallop_curator.cli import fail as _fail
from scallop_curator.domain.facts import CATEGORIES

STATUSES = ("current", "superseded", "forgotten")


def add_memories_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("memories", help="list, add, edit or forget kept memories")
    parser.add_argument("--db", help="the memory store")
    verbs = parser.add_subparsers(dest="verb", required=True)
    db = {"help": "the memory store", "default": argparse.SUPPRESS}  # given before or after the verb
    listing = verbs.add_parser("list", help="kept memories, newest first")
    listing.add_argument("--db", **db)
    listing.add_argument("--search", default="", metavar="TEXT", help="only memories with these words")
    listing.add_argument("--status", choices=(*STATUSES, "all"), default="current")
    listing.add_argument("--subject", help="only memories about this subject")
    listing.add_argument("--category", choices=CATEGORIES)
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    add = verbs.add_parser("add", help="keep a memory typed by hand (checked against what is kept)")
    add.add_argument("--db", **db)
    add.add_argument("text")
    add.add_argument("--subject", default="user")
    add.add_argument("--category", choices=CATEGORIES, default="general")
    choice = add.add_mutually_exclusive_group()
    choice.add_argument("--replace", action="store_true", help="it replaces the memory it conflicts with")
    choice.add_argument("--keep-both", action="store_true", help="keep it beside the memory it conflicts with")
    edit = verbs.add_parser("edit", help="change a memory's text (its history keeps the old text)")
    edit.add_argument("--db", **db)
    edit.add_argument("id", type=int)
    edit.add_argument("text")
    load = verbs.add_parser("import", help="bring back memories from a JSON Lines export")
    load.add_argument("--db", **db)
    load.add_argument("file", type=Path)
    for name, text in (("forget", "forget a memory (restorable; never exported)"),
                       ("restore", "bring back a forgotten or superseded memory"),
                       ("history", "how a memory changed")):
        verb = verbs.add_parser(name, help=text)
        verb.add_argument("--db", **db)
        verb.add_argument("id", type=int)


def add_export_parser(sub: argparse._SubParsersAction) -> None:
    from scallop_curator.exporters import TARGETS

    parser = sub.add_parser("export", help="take kept memories into an assistant or a file")
    parser.add_argument("--db", help="the memory store")
    parser.add_argument("--to", required=True, choices=TARGETS)
    parser.add_argument("--out", type=Path, help="the file to write (text, sillytavern, jsonl, markdown)")
    parser.add_argument("--url", help="Open WebUI's address, e.g. http://localhost:3000")
    parser.add_argument("--api-key", help="an Open WebUI API key")
    parser.add_argument("--target-db", type=Path, help="ScallopBot's memories.db")
    parser.add_argument("--budget", type=int, default=1500, help="text: at most this many characters (0: no limit)")
    parser.add_argument("--include-superseded", action="store_true", help="also memories replaced since")


def _open(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from scallop_curator.store import Store

    return Store(paths.default_db_path(args.db))


def memories_command(args: argparse.Namespace) -> int:
    from scallop_curator.store import StoreError, memories, operations
    from scallop_curator.store.memories_relation import RelationKind

    try:
        store = _open(args)
    except StoreError as problem:
        return _fail(str(problem))
    try:
        if args.verb == "list":
            statuses = None if args.status == "all" else (args.status,)
            rows = memories.listed(store.db, search=args.search, statuses=statuses, subject=args.subject,
                                   category=args.category)
            for row in rows:
                if args.json:
                    print(json.dumps(asdict(row) | {"source_turn_ids": row.turn_ids}, ensure_ascii=False))
                else:
                    flag = "" if row.status == "current" else f" [{row.status}]"
                    print(f"{row.id}\t{row.subject}\t{row.category}\t{row.content}{flag}")
            return 0
        if args.verb == "add":
            choice = operations.REPLACE if args.replace else operations.KEEP_BOTH if args.keep_both else None
            try:
                _, found, memory_id = operations.add_memory(store, args.text, args.subject, args.category, choice)
            except operations.ChoiceNeeded as needed:
                shown = "; ".join(f"memory {m.id} “{m.content}”" for m in needed.relation.memories)
                verb = "conflicts with" if needed.relation.kind is RelationKind.CONFLICTS else "would replace"
                return _fail(f"{verb} {shown}. Add --replace or --keep-both.", 3)
            if found.kind is RelationKind.ALREADY_KEPT:
                print(f"already kept as memory {memory_id}: {found.memories[0].content}")
            else:
                replaced = f" (replaces {', '.join(map(str, found.ids))})" if choice == operations.REPLACE else ""
                print(f"kept as memory {memory_id}{replaced}")
            return 0
        if args.verb == "edit":
            operations.edit_memory(store, args.id, args.text)
            print(f"memory {args.id} edited")
            return 0
        if args.verb == "import":
            from scallop_curator.exporters import ExportError, jsonl

            try:
                added, kept = jsonl.read(store, args.file)
            except ExportError as problem:
                return _fail(str(problem))
            print(f"{args.file}: {added} memories added, {kept} already kept")
            return 0
        if args.verb == "forget":
            operations.forget_memory(store, args.id)
            print(f"memory {args.id} forgotten (restore with: scallop-curator memories restore {args.id})")
            return 0
        if args.verb == "restore":
            operations.restore_memory(store, args.id)
            print(f"memory {args.id} restored")
            return 0
        if args.verb == "history":
            try:
                memories.get(store.db, args.id)
            except memories.NoSuchMemory:
                return _fail(f"there is no memory {args.id} in {store.path}")
            for step in memories.history(store.db, args.id):
                change = (f"{step.old_text!r} -> {step.new_text!r}" if step.old_text != step.new_text
                          else f"{step.old_status} -> {step.new_status}")
                print(f"{step.at}\t{change}\t{step.why or ''}")
            return 0
    except StoreError as problem:
        return _fail(str(problem))
    finally:
        store.close()
    return 2


def export_command(args: argparse.Namespace) -> int:
    from scallop_curator.exporters import ExportError
    from scallop_curator.exporters.run import ExportRequest, export
    from scallop_curator.store import StoreError

    try:
        store = _open(args)
    except StoreError as problem:
        return _fail(str(problem))
    request = ExportRequest(args.to, args.out, args.url, args.api_key, args.target_db, args.budget or None,
                            args.include_superseded)
    try:
        print(export(store, request))
    except (ExportError, StoreError) as problem:
        return _fail(str(problem))
    finally:
        store.close()
    return 0
