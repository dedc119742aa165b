"""A new store's schema as one list of SQL statements, run on the plain ``sqlite3`` connection.

``schema.create`` and the migration steps build a store's tables with sqlite-utils' helpers; a new
store made that way imported sqlite-utils (with click, dateutil and pluggy: about 0.07 s), the
largest part left of ``scallop-curator import``'s start-up. A new store instead runs the statements
in ``fresh_schema_sql.py``, written by this module from a store made by ``schema.create`` and every
migration, so both ways give the same tables, indexes, triggers and rows (``tests/test_fresh_schema.py``
compares them). Steps added after that file was written still run, through ``migrations.migrate``.

Rewrite it after adding a migration step: ``python -m scallop_curator.store.fresh_schema``.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

GENERATED = Path(__file__).with_name("fresh_schema_sql.py")
_SHADOW = ("_data", "_idx", "_docsize", "_config", "_content")  # FTS5 makes these tables itself


def create(conn: sqlite3.Connection) -> int:
    """Make a new store's tables on ``conn`` (inside the caller's transaction); return their version."""
    from scallop_curator.store.fresh_schema_sql import STATEMENTS, VERSION

    for statement in STATEMENTS:
        conn.execute(statement)
    return VERSION


def statements_of(conn: sqlite3.Connection) -> list[str]:
    """What makes a new store like the one on ``conn``: its schema objects in creation order (not
    FTS5's own tables), then its rows: the FTS5 settings a migration chose and every table's rows."""
    virtual = [name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%'")]
    shadow = {name + suffix for name in virtual for suffix in _SHADOW}
    objects = conn.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid").fetchall()
    statements = [sql for name, sql in objects if name not in shadow]
    for name in virtual:
        for key, value in conn.execute(f'SELECT k, v FROM "{name}_config" WHERE k != \'version\' ORDER BY k'):
            statements.append(f'INSERT INTO "{name}" ("{name}", rank) VALUES ({_literal(key)}, {_literal(value)})')
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                                "AND sql NOT LIKE 'CREATE VIRTUAL TABLE%' ORDER BY rowid")]
    for table in tables:
        if table in shadow:
            continue
        for row in conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid' if _has_rowid(conn, table)
                                else f'SELECT * FROM "{table}"'):
            statements.append(f'INSERT INTO "{table}" VALUES ({", ".join(_literal(v) for v in row)})')
    return statements


def _has_rowid(conn: sqlite3.Connection, table: str) -> bool:
    try:
        conn.execute(f'SELECT rowid FROM "{table}" LIMIT 0')
        return True
    except sqlite3.OperationalError:
        return False


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, (int, float)):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def made_by_migrations() -> sqlite3.Connection:
    """An in-memory store made the long way: ``schema.create`` and every migration step."""
    from scallop_curator.store import migrations, schema
    from scallop_curator.store.sqlite_utils_lean import database

    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.execute("PRAGMA recursive_triggers=on")
    db = database(conn)
    conn.execute("BEGIN")
    schema.create(db)
    migrations.migrate(db)
    conn.execute("COMMIT")
    return conn


def write() -> None:
    from scallop_curator.store import migrations

    statements = statements_of(made_by_migrations())
    lines = [
        '"""Written by ``python -m scallop_curator.store.fresh_schema`` (see ``fresh_schema.py``); do not edit."""',
        "",
        f"VERSION = {migrations.latest()}",
        "STATEMENTS: tuple[str, ...] = (",
        *(f"    {statement!r}," for statement in statements),
        ")",
        "",
    ]
    GENERATED.write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {GENERATED} (schema version {migrations.latest()}, {len(statements)} statements)")


if __name__ == "__main__":
    write()
