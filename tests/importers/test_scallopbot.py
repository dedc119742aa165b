import hashlib
import shutil
import sqlite3

import pytest

from scallop_curator.importers import ImportProblem, load_export
from tests.importers.conftest import texts


def test_sessions_and_kinds(fixtures):
    result = load_export(fixtures / "memories.db")
    assert result.format_name == "ScallopBot database"
    by_id = {c.id: c for c in result.conversations}
    assert set(by_id) == {"scallopbot:s-1", "scallopbot:s-2"}  # the empty session is left out
    garden = by_id["scallopbot:s-1"]
    assert garden.title == "Garden plans"
    assert [t.role for t in garden.turns] == ["user", "assistant", "user"]
    assert garden.turns[1].text == "Cherry tomatoes suit terraces."  # JSON blocks, thinking dropped
    assert garden.turns[2].text.startswith("[not json")  # bracketed text that is not JSON is kept
    assert "TOOL-OUTPUT" not in texts(garden) and "climate" not in texts(garden)
    assert garden.turns[0].time.year == 2024
    assert by_id["scallopbot:s-2"].title.startswith("Remind me")  # bad metadata JSON tolerated


def test_never_writes(fixtures, tmp_path):
    db = tmp_path / "memories.db"
    shutil.copy(fixtures / "memories.db", db)
    before = hashlib.sha256(db.read_bytes()).hexdigest()
    db.chmod(0o444)
    load_export(db)
    assert hashlib.sha256(db.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memories.db"]


def test_other_sqlite_is_not_an_export(tmp_path):
    db = tmp_path / "other.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE notes (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(ImportProblem, match="other.db.*SQLite"):
        load_export(db)


def test_damaged_database(fixtures, tmp_path):
    db = tmp_path / "memories.db"
    raw = bytearray((fixtures / "memories.db").read_bytes())
    db.write_bytes(bytes(raw[:100]) + b"\x00" * 50)
    with pytest.raises(ImportProblem, match="memories.db"):
        load_export(db)
