"""Forward migrations of the store's schema, applied in order when a store is opened.

Each step takes a store at version N-1 to N inside the same transaction as the version bump, so a
store is never left half-migrated. A store newer than this release is refused, not touched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils


Migration = Callable[["sqlite_utils.Database"], None]

#: version -> the step that brings a store from version-1 to version. Add new steps at the end.
STEPS: dict[int, Migration] = {}


def step(version: int) -> Callable[[Migration], Migration]:
    """Register ``fn`` as the migration to ``version``."""

    def register(fn: Migration) -> Migration:
        if version in STEPS:
            raise RuntimeError(f"two migrations to schema version {version}")
        STEPS[version] = fn
        return fn

    return register


def latest() -> int:
    return max([1, *STEPS])


class NewerStore(Exception):
    """The store was written by a newer release; opening it could lose what that release keeps."""


def read_version(db: sqlite_utils.Database) -> int:
    row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 1


def migrate(db: sqlite_utils.Database) -> tuple[int, int]:
    """Bring the store to ``latest()``; return (version found, version now). Runs inside a transaction."""
    found = read_version(db)
    target = latest()
    if found > target:
        raise NewerStore(f"schema version {found}, newer than this release's {target}")
    for version in range(found + 1, target + 1):
        STEPS[version](db)
    if found != target:
        db["meta"].upsert({"key": "schema_version", "value": str(target)}, pk="key")
    return found, target


# Steps live in their own modules; importing them registers them.
from scallop_curator.store import migration_locomo_ids  # noqa: E402,F401
from scallop_curator.store import migration_eval  # noqa: E402,F401
from scallop_curator.store import migration_window  # noqa: E402,F401
from scallop_curator.store import migration_memories  # noqa: E402,F401
from scallop_curator.store import migration_prompt_profile  # noqa: E402,F401
from scallop_curator.store import migration_skips  # noqa: E402,F401
from scallop_curator.store import migration_memory_journal  # noqa: E402,F401
from scallop_curator.store import migration_write_marks  # noqa: E402,F401
