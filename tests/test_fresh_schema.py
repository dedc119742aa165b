"""A new store is made from ``fresh_schema`` (plain SQL, no sqlite-utils): it must be the very store
that ``schema.create`` and every migration step make, and the import command must load neither
sqlite-utils nor pydantic, into a new store or an existing one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from scallop_curator.store import Store, fresh_schema, migrations

PRAGMAS = ("user_version", "application_id", "auto_vacuum", "foreign_keys", "recursive_triggers")


def _pragmas(conn: sqlite3.Connection) -> dict[str, object]:
    return {name: conn.execute(f"PRAGMA {name}").fetchone()[0] for name in PRAGMAS}


def test_the_written_schema_is_at_the_latest_version() -> None:
    from scallop_curator.store.fresh_schema_sql import VERSION

    assert VERSION == migrations.latest(), (
        "a migration step was added: rewrite the new store's schema with "
        "`python -m scallop_curator.store.fresh_schema` (new stores otherwise import sqlite-utils to migrate)")


def test_a_new_store_is_the_one_the_migrations_make(tmp_path: Path) -> None:
    store = Store(tmp_path / "new.db", session=False)
    try:
        made = fresh_schema.made_by_migrations()
        made.execute("PRAGMA foreign_keys=ON")  # as every Store connection sets it
        # The one row besides: the commit that made the store, counted for its writer (write_marks).
        own = [s for s in fresh_schema.statements_of(store.conn) if not s.startswith('INSERT INTO "write_marks"')]
        assert own == fresh_schema.statements_of(made)
        assert store.conn.execute("SELECT writer, commits FROM write_marks").fetchall() == [(store.writer, 1)]
        assert _pragmas(store.conn) == _pragmas(made)
        # The new store works as one: its FTS5 indexes follow the rows, its version is current.
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            migrations.latest())
        assert store.conn.execute("SELECT v FROM memories_fts_config WHERE k = 'usermerge'").fetchone()[0] == 2
    finally:
        store.close()


def test_an_old_store_is_still_migrated(tmp_path: Path) -> None:
    """An existing store below the latest version goes through the migration steps (with sqlite-utils)."""
    path = tmp_path / "old.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "stores" / "v1-store.db").read_bytes())
    store = Store(path, session=False)
    try:
        assert store.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0] == str(
            migrations.latest())
    finally:
        store.close()


PROBE = """
import sys
from scallop_curator.cli import main
code = main(sys.argv[1:])
heavy = ("pydantic", "pydantic_core", "sqlite_utils", "click", "dateutil", "pluggy", "numpy")
print("exit", code, "loaded", sorted(name for name in heavy if name in sys.modules))
"""


def test_the_import_command_loads_neither_sqlite_utils_nor_pydantic(tmp_path: Path, sample_export: Path) -> None:
    db = tmp_path / "x.db"
    lines = []
    for _ in range(2):  # a new store, then the same one again (the merge path)
        done = subprocess.run([sys.executable, "-c", PROBE, "import", str(sample_export), "--db", str(db)],
                              cwd=tmp_path, capture_output=True, text=True, env=os.environ.copy())
        assert done.returncode == 0, done.stderr
        lines.append(done.stdout)
    assert "5 new conversations" in lines[0] and "0 new conversations, 0 new turns, 5 unchanged" in lines[1]
    assert [out.splitlines()[-1] for out in lines] == ["exit 0 loaded []", "exit 0 loaded []"]
