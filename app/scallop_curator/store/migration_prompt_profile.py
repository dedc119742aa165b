"""Schema step: the prompt profile a run used, on the run and on each proposal it made.

A store from before this step has runs and proposals without it: they keep NULL (unknown), which
the review shows as no profile rather than guessing the bundled one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from scallop_curator.store import migrations

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

PROFILE_VERSION = 6


@migrations.step(PROFILE_VERSION)
def add_prompt_profile(db: sqlite_utils.Database) -> None:
    for table in ("runs", "proposals"):
        if "prompt_profile" not in db[table].columns_dict:
            db.execute(f"ALTER TABLE {table} ADD COLUMN prompt_profile TEXT")
