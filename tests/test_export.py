"""Each export target tested against what it really reads: files parsed back, a real HTTP server on
127.0.0.1 with Open WebUI's memory endpoints, and a real SQLite file in ScallopBot's schema."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from scallop_curator.cli import main
from scallop_curator.exporters import ExportError, exportable, jsonl, openwebui, scallopbot, sillytavern, text
from scallop_curator.exporters.run import ExportRequest, export
from scallop_curator.store import Store, memories, operations

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def kept(tmp_path: Path) -> Store:
    """A store with memories about the user, a friend and the assistant, one superseded, one forgotten."""
    store = Store(tmp_path / "memories.db")
    add = lambda text, subject="user", category="personal", choice=None: operations.add_memory(  # noqa: E731
        store, text, subject, category, choice)[2]
    add("Name is Sam")
    add("Works as a nurse", category="work")
    paris = add("Lives in Paris", category="location")
    add("Lives in Lyon", category="location", choice=operations.REPLACE)
    assert memories.get(store.db, paris).status == "superseded"
    secret = add("Has a secret diary", category="general")
    operations.forget_memory(store, secret)
    add("Anna is a climber", subject="Anna", category="relationship")
    add("Name is Scally", subject="agent", category="personal")
    yield store
    store.close()


def test_only_current_memories_leave_and_never_forgotten_ones(kept: Store) -> None:
    contents = [m.content for m in exportable(kept)]
    assert "Lives in Paris" not in contents and "Has a secret diary" not in contents
    assert "Lives in Paris" in [m.content for m in exportable(kept, include_superseded=True)]
    assert "Has a secret diary" not in [m.content for m in exportable(kept, include_superseded=True)]


def test_plain_text_is_grouped_and_keeps_the_most_important_within_budget(kept: Store) -> None:
    full = text.about_me(exportable(kept), budget=None)
    assert full.splitlines()[0] == "About me:"
    assert "- Personal: Name is Sam." in full and "About Anna:" in full and "About my assistant:" in full
    assert full.index("About me:") < full.index("About Anna:") < full.index("About my assistant:")
    short = text.about_me(exportable(kept), budget=40)
    assert len(short) <= 40 and "Name is Sam" in short and "Anna" not in short


def test_file_targets_write_what_their_readers_read(kept: Store, tmp_path: Path) -> None:
    st = tmp_path / "lorebook.json"
    export(kept, ExportRequest("sillytavern", out=st))
    book = json.loads(st.read_text())
    entries = list(book["entries"].values())
    assert set(book["entries"]) == {str(e["uid"]) for e in entries}
    for entry in entries:
        assert {"uid", "key", "keysecondary", "comment", "content", "constant", "selective", "order", "position",
                "disable"} <= set(entry)
    anna = next(e for e in entries if "Anna is a climber" in e["content"])
    assert anna["key"] == ["Anna"] and not anna["constant"]
    me = next(e for e in entries if "Name is Sam" in e["content"])
    assert me["constant"] and me["key"] == []
    assert not any("Paris" in e["content"] or "diary" in e["content"] for e in entries)

    md = tmp_path / "memories.md"
    export(kept, ExportRequest("markdown", out=md))
    assert "## Me" in md.read_text() and "- Lives in Lyon" in md.read_text()


def test_jsonl_has_every_field_and_imports_back(kept: Store, tmp_path: Path) -> None:
    out = tmp_path / "memories.jsonl"
    export(kept, ExportRequest("jsonl", out=out, include_superseded=True))
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"content", "subject", "category", "confidence", "status", "valid_until", "superseded_by",
            "provenance"} <= set(lines[0])
    paris = next(line for line in lines if line["content"] == "Lives in Paris")
    assert paris["status"] == "superseded" and paris["superseded_by"]
    other = Store(tmp_path / "other.db")
    assert jsonl.read(other, out) == (len(lines) - 1, 0)  # the superseded line is not brought back
    assert jsonl.read(other, out) == (0, len(lines) - 1)  # a second time: everything already kept
    assert sorted(m.content for m in memories.listed(other.db)) == sorted(m.content for m in exportable(kept))
    other.close()


class _OpenWebUI(BaseHTTPRequestHandler):
    """The memory endpoints of Open WebUI's REST API, in memory."""

    key = "sk-test"
    memories: dict[str, dict] = {}
    calls: list[tuple[str, str]] = []
    delay = 0.0  # seconds each request takes (a slow server, for cancel)

    def _reply(self, status: int, body: object | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _authorised(self) -> bool:
        if self.headers.get("Authorization") != f"Bearer {self.key}":
            self._reply(401, {"detail": "Not authenticated"})
            return False
        return True

    def do_POST(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        time.sleep(self.delay)
        self.calls.append(("POST", self.path))
        if self.path == "/api/v1/memories/add":
            memory_id = str(uuid.uuid4())
            self.memories[memory_id] = {"id": memory_id, **body}
            return self._reply(200, self.memories[memory_id])
        parts = self.path.strip("/").split("/")
        if len(parts) == 5 and parts[4] == "update" and parts[3] in self.memories:
            self.memories[parts[3]].update(body)
            return self._reply(200, self.memories[parts[3]])
        self._reply(404, {"detail": "not found"})

    def do_DELETE(self) -> None:  # noqa: N802
        if not self._authorised():
            return
        self.calls.append(("DELETE", self.path))
        memory_id = self.path.rstrip("/").split("/")[-1]
        if self.memories.pop(memory_id, None) is None:
            return self._reply(404, {"detail": "not found"})
        self._reply(200, True)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def openwebui_server():  # type: ignore[no-untyped-def]
    _OpenWebUI.memories, _OpenWebUI.calls, _OpenWebUI.delay = {}, [], 0.0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _OpenWebUI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _OpenWebUI
    server.shutdown()
    server.server_close()


def test_openwebui_adds_then_updates_and_deletes_by_returned_id(kept: Store, openwebui_server) -> None:  # type: ignore[no-untyped-def]
    url, server = openwebui_server
    report = openwebui.sync(kept, url, "sk-test")
    assert report.added == len(exportable(kept)) and report.deleted == 0
    sent = {m["content"]: m for m in server.memories.values()}
    assert sent["Name is Sam"]["type"] == "user" and sent["Name is Sam"]["path"] == "personal"
    assert sent["Anna is a climber"]["type"] == "context" and sent["Anna is a climber"]["path"] == "people/Anna/relationship"
    assert "Lives in Paris" not in sent and "Has a secret diary" not in sent
    assert openwebui.sync(kept, url, "sk-test").unchanged == report.added  # twice adds nothing
    # a correction updates the replaced memory's entry there; a forget deletes it
    lyon = next(m for m in exportable(kept) if m.content == "Lives in Lyon")
    nurse = next(m for m in exportable(kept) if m.content == "Works as a nurse")
    lyon_remote = kept.db.execute("SELECT external_id FROM memory_exports WHERE memory_id = ?", [lyon.id]).fetchone()[0]
    _, _, nice = operations.add_memory(kept, "Lives in Nice", "user", "location", choice=operations.REPLACE)
    operations.forget_memory(kept, nurse.id)
    server.calls.clear()
    again = openwebui.sync(kept, url, "sk-test")
    assert (again.added, again.updated, again.deleted) == (0, 1, 1)
    assert ("POST", f"/api/v1/memories/{lyon_remote}/update") in server.calls
    assert server.memories[lyon_remote]["content"] == "Lives in Nice"
    assert "Works as a nurse" not in {m["content"] for m in server.memories.values()}


def test_openwebui_refused_key_and_unreachable_server_are_plain_errors(kept: Store, openwebui_server) -> None:  # type: ignore[no-untyped-def]
    url, _ = openwebui_server
    with pytest.raises(ExportError, match="refused the API key"):
        openwebui.sync(kept, url, "wrong")
    with pytest.raises(ExportError, match="could not be reached"):
        openwebui.sync(kept, "http://127.0.0.1:9", "sk-test")


@pytest.fixture
def bot_db(tmp_path: Path) -> Path:
    path = tmp_path / "bot" / "memories.db"
    path.parent.mkdir()
    conn = sqlite3.connect(path)
    conn.executescript((FIXTURES / "scallopbot" / "schema.sql").read_text())
    conn.execute("INSERT INTO memories (id, user_id, content, category, document_date, created_at, updated_at) "
                 "VALUES ('own1', 'default', 'Likes the sea', 'preference', 1, 1, 1)")
    conn.commit()
    conn.close()
    return path


def test_scallopbot_rows_as_the_bot_writes_them_and_no_copies(kept: Store, bot_db: Path) -> None:
    report = scallopbot.export(kept, bot_db)
    assert report.backup is not None and report.backup.exists()
    conn = sqlite3.connect(bot_db)
    conn.row_factory = sqlite3.Row
    rows = {r["content"]: r for r in conn.execute("SELECT * FROM memories WHERE learned_from = 'import'")}
    assert set(rows) == {"Name is Sam", "Works as a nurse", "Lives in Lyon", "Anna is a climber"}
    row = rows["Works as a nurse"]
    assert (row["source"], row["memory_type"], row["is_latest"], row["user_id"]) == ("user", "regular", 1, "default")
    assert row["embedding"] is None and row["category"] == "fact" and row["created_at"] > 10**12
    assert rows["Anna is a climber"]["category"] == "relationship"
    meta = json.loads(row["metadata"])
    assert meta["subject"] == "user" and meta["originalCategory"] == "work" and meta["externalId"]
    profile = dict(conn.execute("SELECT key, value FROM user_profiles WHERE user_id = 'agent'").fetchall())
    assert profile == {"name": "Scally"}
    conn.close()
    scallopbot.export(kept, bot_db)  # a second export adds nothing twice
    conn = sqlite3.connect(bot_db)
    assert conn.execute("SELECT COUNT(*) FROM memories").fetchone()[0] == 5  # 4 + the bot's own
    conn.close()
    # replaced -> is_latest 0 and an UPDATES relation; forgotten -> deleted
    lyon = next(m for m in exportable(kept) if m.content == "Lives in Lyon")
    nurse = next(m for m in exportable(kept) if m.content == "Works as a nurse")
    operations.add_memory(kept, "Lives in Nice", "user", "location", choice=operations.REPLACE)
    operations.forget_memory(kept, nurse.id)
    scallopbot.export(kept, bot_db)
    conn = sqlite3.connect(bot_db)
    latest = dict(conn.execute("SELECT content, is_latest FROM memories").fetchall())
    assert latest["Lives in Lyon"] == 0 and latest["Lives in Nice"] == 1 and "Works as a nurse" not in latest
    assert latest["Likes the sea"] == 1  # the bot's own memories are left alone
    (source, target), = conn.execute(
        "SELECT s.content, t.content FROM memory_relations r JOIN memories s ON s.id = r.source_id "
        "JOIN memories t ON t.id = r.target_id WHERE r.relation_type = 'UPDATES'").fetchall()
    assert (source, target) == ("Lives in Nice", "Lives in Lyon")
    conn.close()
    assert lyon.id


def test_scallopbot_refused_while_the_bot_holds_the_file(kept: Store, bot_db: Path) -> None:
    bot = sqlite3.connect(bot_db)
    bot.execute("SELECT COUNT(*) FROM memories").fetchone()  # an open WAL connection, like the running bot
    with pytest.raises(ExportError, match="ScallopBot is running"):
        scallopbot.export(kept, bot_db)
    bot.close()
    assert not list(bot_db.parent.glob("*.bak"))
    with pytest.raises(ExportError, match="not a ScallopBot"):
        other = bot_db.parent / "other.db"
        sqlite3.connect(other).execute("CREATE TABLE x (a)").connection.close()
        scallopbot.export(kept, other)


def test_cli_memories_and_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "cli.db")
    assert main(["memories", "add", "Lives in Paris", "--category", "location", "--db", db]) == 0
    assert main(["memories", "add", "Lives in Rome", "--category", "location", "--db", db]) == 3
    assert "conflicts with memory 1 “Lives in Paris”" in capsys.readouterr().err
    assert main(["memories", "add", "lives in paris", "--category", "location", "--db", db]) == 0
    assert "already kept as memory 1" in capsys.readouterr().out
    assert main(["memories", "add", "Lives in Rome", "--category", "location", "--replace", "--db", db]) == 0
    assert main(["memories", "edit", "2", "Lives in Roma", "--db", db]) == 0
    capsys.readouterr()
    assert main(["memories", "list", "--status", "all", "--json", "--db", db]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(m["content"], m["status"]) for m in listed] == [("Lives in Roma", "current"), ("Lives in Paris", "superseded")]
    assert main(["memories", "--db", db, "list", "--search", "rom"]) == 0
    assert "Lives in Roma" in capsys.readouterr().out
    assert main(["memories", "forget", "2", "--db", db]) == 0
    assert main(["memories", "forget", "9", "--db", db]) == 2
    out = tmp_path / "me.txt"
    assert main(["export", "--to", "text", "--out", str(out), "--db", db]) == 0
    assert "Roma" not in out.read_text()
    assert main(["export", "--to", "openwebui", "--db", db]) == 2
    assert "needs --url" in capsys.readouterr().err
    assert main(["memories", "restore", "2", "--db", db]) == 0
    lines = tmp_path / "all.jsonl"
    assert main(["export", "--to", "jsonl", "--out", str(lines), "--db", db]) == 0
    other = str(tmp_path / "other.db")
    capsys.readouterr()
    assert main(["memories", "import", str(lines), "--db", other]) == 0
    assert "1 memories added, 0 already kept" in capsys.readouterr().out
    assert main(["memories", "import", str(tmp_path / "missing.jsonl"), "--db", other]) == 2
