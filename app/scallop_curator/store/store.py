"""All reads and writes of the SQLite store. Every write is one transaction, committed before return."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sqlite3
import time
from datetime import datetime, timezone
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from scallop_curator.domain.conversation import Conversation
from scallop_curator.domain.fact_fields import EDITABLE_FIELDS  # kept as a JSON overlay of the user's changes
from scallop_curator.domain.review import Status
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import fresh_schema, memories, migrations, schema, write_marks
from scallop_curator.store.relation_cache import RelationCache
from scallop_curator.store.turn_inserts import TurnInserts
from scallop_curator.store.write_turns import WalCheckpoints, WriteTurns, writing_here
from scallop_curator.store.turn_merge import StoredRow, content_key, plan_merge, same_turns
from scallop_curator.store.records import (
    ConversationSummary,
    ImportSummary,
    StoredProposal,
    StoredTurn,
    StoredTurnResult,
)

if TYPE_CHECKING:  # the import command loads neither: pydantic models, and sqlite-utils (see Store.db)
    import sqlite_utils

    from scallop_curator.domain.clock import TimeGrain
    from scallop_curator.domain.extraction_case import ExtractionCase
    from scallop_curator.domain.results import RunInfo, TurnResult

log = logging.getLogger("store")


def normalise(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


REFUSED = ("was left as it was: it was imported before with another person as the user (as {stored!r}), "
           "and importing it again that way would mix two people's memories")


def _free_key(role: str, text: str, source_id: str, taken: set[str]) -> str:
    """The export's id for a new turn, unless a stored turn has it (a position id that shifted, or an
    edited message): then one made from its content, so the two never collide."""
    key = source_id
    while key in taken:
        key = f"{source_id}~{content_key(role, text, key)}"
    taken.add(key)
    return key


class ImportCancelled(Exception):
    """The user cancelled an import; nothing of the file was kept."""


class StoreError(Exception):
    """An expected failure of the store (locked, unreadable, full disk), phrased for the user."""


def fts_query(text: str) -> str:
    """The user's filter as an FTS5 query: every word must occur, the last as a prefix (so typing
    narrows as it goes). Words are quoted, so FTS5 syntax in the filter is never interpreted."""
    words = re.findall(r"\w+", text)
    if not words:
        return ""
    return " ".join(f'"{w}"' for w in words[:-1]) + (" " if len(words) > 1 else "") + f'"{words[-1]}"*'


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _friendly(path: Path, error: sqlite3.Error) -> StoreError:
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return StoreError(f"The memory store {path} is busy: an import still running, or another program, "
                          "is writing to it. Try again in a moment.")
    if "disk is full" in text or "full" in text:
        return StoreError(f"The disk holding {path} is full; free some space and try again.")
    if "not a database" in text or "malformed" in text:
        return StoreError(f"{path} is not a Scallop Curator store, or it is damaged.")
    return StoreError(f"The memory store {path} could not be used: {error}.")


#: While another connection waits for the write lock, an import commits after this many conversations
#: or this many seconds, whichever comes first: a decision made meanwhile waits about one batch and
#: its last statement (5 ms batches: p95 14 ms, against 25 with 15 ms), not the whole file.
IMPORT_BATCH = 100
IMPORT_BATCH_SECONDS = 0.005
#: ...but while no other connection waits for the lock (write_turns), the batch goes on up to this
#: long: every commit rewrites the index pages its rows touched (random ids), so 15 ms batches wrote
#: the same pages again and again (a third of a 200 MB import's time went to commits).
IMPORT_BATCH_MAX_SECONDS = 0.1
#: After each batch the import leaves the write lock free this long, for a writer polling for it.
IMPORT_YIELD_SECONDS = 0.002
#: How long a write waits for another connection's write lock before it fails as "busy".
BUSY_SECONDS = 5.0
BUSY_POLL_SECONDS = 0.0005


def _is_busy(error: sqlite3.OperationalError) -> bool:
    text = str(error).lower()
    return "locked" in text or "busy" in text


_KEEP = object()  # a decision that leaves the proposal's field edits as they are


class Store:
    def __init__(self, path: str | os.PathLike[str], session: bool = True, writer: str | None = None) -> None:
        """``session=False``: a helper connection (a background export) that makes no undoable
        decisions, so it claims no session and never adopts the window's undo history.
        ``writer``: the tag its commits are counted under (``write_marks``); a window's helper
        connections take the window's, so the window does not take their commits for another's."""
        self.path = Path(path)
        self.origin = ""
        self.writer = writer or os.urandom(8).hex()
        self.own_commits = 0  # marked by this connection: the rest under its tag are its helpers'
        self._turns = WriteTurns(self.path)
        self.last_touched: set[int] = set()  # memory ids the latest decision touched (for Changes)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not self.path.exists()
        self._db: sqlite_utils.Database | None = None
        try:
            self.conn = conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS)
            conn.execute("PRAGMA journal_mode=WAL")
            # FULL: a decision shown as done must survive a crash or power cut right after.
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA recursive_triggers=ON")  # as sqlite-utils sets it, whenever Store.db is first used
            conn.isolation_level = None  # transactions are begun explicitly, as writers (see _writing)
            with self._immediate():
                self._set_up_schema()
            if session:
                from scallop_curator.store.sessions import claim_origin  # (socket, uuid: not for a helper connection)

                with self._immediate():
                    self.origin = claim_origin(self.db)
                    write_marks.forget_old(conn)
            self.relations = RelationCache(conn)
        except migrations.NewerStore as error:
            raise StoreError(f"{self.path} was written by a newer Scallop Curator ({error}); "
                             "update the app to open it.") from error
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error
        if new_file or self.path.stat().st_mode & 0o077:
            self._restrict_permissions()

    @property
    def db(self) -> sqlite_utils.Database:
        """The connection wrapped by sqlite-utils, for its table helpers: made when first needed, so
        that an import (plain SQL on ``conn``) does not import sqlite-utils (about 0.07 s)."""
        if self._db is None:
            from scallop_curator.store.sqlite_utils_lean import database

            self._db = database(self.conn)
        return self._db

    def _set_up_schema(self) -> None:
        """A new store gets the whole schema from ``fresh_schema`` (plain SQL); an older one is
        migrated (with sqlite-utils' helpers); an up-to-date one is only checked (plain SQL)."""
        if self.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()[0] == 0:
            if fresh_schema.create(self.conn) == migrations.latest():
                return
        elif self._schema_version() == migrations.latest():
            return
        schema.create(self.db)
        migrations.migrate(self.db)

    def _schema_version(self) -> int | None:
        """The version the store says it has; None when it has no ``meta`` table (not set up)."""
        try:
            row = self.conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:
            return None
        return int(row[0]) if row else 1

    def _restrict_permissions(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(str(self.path) + suffix)
            if candidate.exists():
                try:
                    candidate.chmod(0o600)
                except OSError:
                    log.warning("could not restrict permissions of %s", candidate)

    @contextlib.contextmanager
    def _immediate(self, long_write: bool = False) -> Iterator[None]:
        """A transaction that starts as a writer (``BEGIN IMMEDIATE``): it waits for the write lock
        up to the busy timeout at its start, instead of failing at once when a deferred transaction
        that has read tries to write while another connection writes. Nested use joins the outer one.
        A short write says so to an import on another thread of this process (``writing_here``);
        ``long_write`` (an import's own batches) does not."""
        conn = self.conn
        if conn.in_transaction:
            yield
            return
        with contextlib.nullcontext() if long_write else writing_here(self.path):
            self._begin_writing(conn)
            before = conn.total_changes
            try:
                yield
                marked = conn.total_changes != before
                if marked:
                    write_marks.mark(conn, self.writer)
                conn.execute("COMMIT")
            except BaseException:
                # also a failed COMMIT: a transaction left open would swallow every later write
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self.own_commits += marked

    def _begin_writing(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, asking again every half millisecond while another connection writes.

        SQLite's own busy handler sleeps longer and longer between tries (up to 100 ms), so it kept
        missing the moment between an import's batches, and a decision waited for most of the import
        (1.5-2.7 s). Polling finds that moment (the import leaves ``IMPORT_YIELD_SECONDS`` for it), so
        a writer waits at most about one batch. Only the start of a write polls; reads keep the
        connection's busy timeout. While it waits it holds its turn (see ``write_turns``)."""
        patience = int(conn.execute("PRAGMA busy_timeout").fetchone()[0])  # ms, as the connection was set
        conn.execute("PRAGMA busy_timeout = 0")
        try:
            try:
                conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
            deadline = time.monotonic() + patience / 1000
            with self._turns.waiting():
                while True:
                    time.sleep(BUSY_POLL_SECONDS)
                    try:
                        conn.execute("BEGIN IMMEDIATE")
                        return
                    except sqlite3.OperationalError as error:
                        if not _is_busy(error) or time.monotonic() > deadline:
                            raise
        finally:
            conn.execute(f"PRAGMA busy_timeout = {patience}")

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One committed transaction; SQLite failures become plain StoreErrors."""
        try:
            with self._immediate():
                yield
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error

    def data_version(self) -> int:
        """Changes when another connection commits to the store (never for this one's own commits)."""
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])

    def write_counts(self) -> tuple[int, int]:
        """(commits of other writers, commits of this connection's helpers): the first moves when
        another window or the CLI commits, the second when a helper connection sharing this one's
        tag does (an extraction's results, an import's batches)."""
        others, own = write_marks.counts(self.conn, self.writer)
        return others, own - self.own_commits

    def close(self) -> None:
        if self.origin:
            from scallop_curator.store.sessions import release_origin

            try:
                with self._immediate():
                    release_origin(self.db, self.origin)
            except sqlite3.Error:
                log.warning("could not mark session %s closed", self.origin)
        self.conn.close()
        self._turns.close()

    # ---------------------------------------------------------------- import
    def import_file(self, imported: ImportedFile, source_file: str,
                    progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> ImportSummary:
        """Add new conversations and new turns only; never touches existing turns' decisions.

        One transaction: a cancelled or failed import leaves the store exactly as it was.
        """
        new_conversations = new_turns = unchanged = 0
        refused: list[tuple[str, str]] = []
        total = len(imported.conversations)
        created: list[str] = []  # conversations this import added, and turns it added to others:
        grown: list[str] = []    # taken out again if it is cancelled or fails after a batch committed
        first_turn = (self.conn.execute("SELECT MAX(id) FROM turns").fetchone()[0] or 0) + 1
        position = 0
        inserts = TurnInserts(self.conn)  # new turns go in many to a statement (see turn_inserts)
        # An import's batches need not reach the disk one by one (a file cut short by a power cut is
        # completed by importing it again): with NORMAL, a batch's commit costs no fsync, so batches
        # can be small enough to keep the lock free for the window. The import then checkpoints after
        # each batch, on its own thread, outside the lock: that syncs what it wrote and keeps the WAL
        # short. Otherwise the next decision's commit (FULL) had to fsync the import's unsynced
        # megabytes, or copy them into the database as the automatic checkpoint, holding up the
        # window for up to 1.7 s. WAL keeps the store consistent either way.
        self.conn.execute("PRAGMA synchronous=NORMAL")
        checkpoints = WalCheckpoints(self.path)  # on a thread of their own, overlapping the next batch
        try:
            while position < total:
                if position:
                    self._turns.let_waiters_in()  # a writer waiting (a decision) takes its turn here
                    time.sleep(IMPORT_YIELD_SECONDS)
                batch_started, start = time.monotonic(), position
                with self._immediate(long_write=True):
                    while position < total:
                        conversation = imported.conversations[position]
                        if should_stop is not None and should_stop():
                            raise ImportCancelled()
                        if progress is not None and position % 200 == 0:
                            progress(position, total)
                        position += 1
                        merged = self._merge_conversation(conversation, source_file, imported.format_name, inserts)
                        if merged is None:
                            stored = self.conn.execute("SELECT title FROM conversations WHERE id = ?",
                                                     [conversation.id]).fetchone()[0]
                            refused.append((conversation.title or conversation.id, REFUSED.format(stored=stored)))
                            continue
                        added, is_new = merged
                        new_turns += added
                        new_conversations += int(is_new)
                        unchanged += int(not is_new and added == 0)
                        (created if is_new else grown if added else []).append(conversation.id)
                        elapsed = time.monotonic() - batch_started
                        if (position - start >= IMPORT_BATCH or elapsed > IMPORT_BATCH_SECONDS) and (
                                elapsed > IMPORT_BATCH_MAX_SECONDS or self._turns.someone_waits()):
                            break
                    if should_stop is not None and should_stop():
                        raise ImportCancelled()  # asked while its last conversation merged: this batch is not committed
                    inserts.flush()
                checkpoints.request()
        except BaseException as error:  # cancelled, a store error, or a bug: no half-imported file
            self._take_back(created, grown, first_turn)
            if isinstance(error, sqlite3.Error):
                raise _friendly(self.path, error) from error
            raise
        finally:
            checkpoints.finish()
            self.conn.execute("PRAGMA synchronous=FULL")
        return ImportSummary(source_file, imported.format_name, new_conversations, new_turns, unchanged,
                             [*imported.skipped, *refused], list(imported.notes))

    def _take_back(self, created: list[str], grown: list[str], first_turn: int) -> None:
        """Remove what a cancelled or failed import had committed, so it leaves the store as it was."""
        if not created and not grown:
            return
        try:
            with self._immediate():
                for start in range(0, len(created), 500):
                    chunk = created[start:start + 500]
                    marks = ",".join("?" * len(chunk))
                    self.conn.execute(f"DELETE FROM turns WHERE conversation_id IN ({marks})", chunk)
                    self.conn.execute(f"DELETE FROM conversations WHERE id IN ({marks})", chunk)
                for conversation_id in grown:
                    self.conn.execute("DELETE FROM turns WHERE conversation_id = ? AND id >= ? AND id NOT IN "
                                    "(SELECT turn_id FROM proposals)", [conversation_id, first_turn])
                    self._renumber_turns(conversation_id)
        except sqlite3.Error as error:
            log.warning("could not take back a cancelled import: %s", error)

    def _renumber_turns(self, conversation_id: str) -> None:
        """Keep ``idx`` a dense 0..n-1 position after turns were taken out."""
        rows = self.conn.execute(
            "SELECT id, idx FROM turns WHERE conversation_id = ? ORDER BY idx, id", [conversation_id]
        ).fetchall()
        for position, (turn_id, idx) in enumerate(rows):
            if idx != position:
                self.conn.execute("UPDATE turns SET idx = ? WHERE id = ?", [position, turn_id])

    def _merge_conversation(self, conversation: Conversation, source_file: str,
                            format_name: str, inserts: TurnInserts) -> tuple[int, bool] | None:
        """Fold one conversation in (see :mod:`turn_merge`); None when it was refused: stored
        before with the roles swapped (another person taken as the user), left as it was."""
        is_new = self.conn.execute("SELECT 1 FROM conversations WHERE id = ?", [conversation.id]).fetchone() is None
        if not is_new:
            inserts.flush()  # its turns are read below: a file may hold the same conversation twice
        stored = [] if is_new else [
            StoredRow(*row) for row in self.conn.execute(
                "SELECT id, role, text, source_id FROM turns WHERE conversation_id = ? ORDER BY idx, id",
                [conversation.id],
            ).fetchall()
        ]
        plan = None if not is_new and same_turns(stored, conversation.turns) else plan_merge(stored, conversation.turns)
        if plan is not None and plan.roles_swapped:
            return None
        if is_new:
            # Plain SQL: sqlite-utils' insert() inspects the table on every call (most of an import's time).
            self.conn.execute(
                "INSERT INTO conversations (id, title, created_at, updated_at, source_file, format, imported_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [conversation.id, conversation.title, _iso(conversation.created_at), _iso(conversation.updated_at),
                 source_file, format_name, _now()],
            )
        else:
            self.conn.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                [conversation.title, _iso(conversation.updated_at), conversation.id],
            )
        if plan is None:  # the same turns: only the title or date may have changed
            return 0, False
        taken = {row.source_id for row in stored}
        for turn_id, text in plan.retext.items():
            self.conn.execute("UPDATE turns SET text = ? WHERE id = ?", [text, turn_id])
        for position, item in enumerate(plan.order):
            if isinstance(item, int):
                self.conn.execute("UPDATE turns SET idx = ? WHERE id = ? AND idx IS NOT ?", [position, item, position])
                continue
            turn = conversation.turns[item[1]]
            inserts.add(conversation.id, position, turn.role, turn.text, _iso(turn.time),
                        _free_key(turn.role, turn.text, turn.source_id, taken))
        return len(plan.new), is_new

    # ---------------------------------------------------------------- reading
    _ORDERS = {
        "newest": "COALESCE(c.created_at, '') DESC, c.title",
        "oldest": "COALESCE(c.created_at, '9999') ASC, c.title",
        "title": "c.title COLLATE NOCASE, c.created_at DESC",
    }

    def _where(self, text: str, since: str | None, pending_only: bool) -> tuple[str, list[object]]:
        clauses: list[str] = []
        params: list[object] = []
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            match = fts_query(text)
            if match:
                # Titles by substring, messages through the FTS5 index (words, the last one a prefix).
                clauses.append("(c.title LIKE ? ESCAPE '\\' OR c.id IN (SELECT t.conversation_id FROM turns_fts f "
                               "JOIN turns t ON t.id = f.rowid WHERE turns_fts MATCH ?))")
                params.extend([f"%{escaped}%", match])
            else:
                clauses.append("c.title LIKE ? ESCAPE '\\'")
                params.append(f"%{escaped}%")
        if since:
            clauses.append("c.created_at >= ?")
            params.append(since)
        if pending_only:
            clauses.append("EXISTS (SELECT 1 FROM proposals p WHERE p.conversation_id = c.id AND p.status = 'pending')")
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params

    def conversation_ids(self, text: str = "", since: str | None = None, order: str = "newest",
                         limit: int = -1, offset: int = 0, pending_only: bool = False) -> list[str]:
        """One page of conversation ids, filtered by title and date, in the chosen order."""
        where, params = self._where(text, since, pending_only)
        rows = self.conn.execute(
            f"SELECT c.id FROM conversations c{where} ORDER BY {self._ORDERS[order]} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [row[0] for row in rows]

    def conversation_count(self, text: str = "", since: str | None = None) -> int:
        where, params = self._where(text, since, False)
        return self.conn.execute(f"SELECT COUNT(*) FROM conversations c{where}", params).fetchone()[0]

    def summaries(self, ids: list[str]) -> dict[str, ConversationSummary]:
        """Counts for just these conversations: a page of the list costs a page of work."""
        result: dict[str, ConversationSummary] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.conn.execute(
                f"""
                SELECT c.id, c.title, c.created_at,
                  (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id),
                  (SELECT COUNT(*) FROM turns t WHERE t.conversation_id = c.id AND t.role = 'user'),
                  (SELECT COUNT(DISTINCT r.turn_id) FROM turn_results r WHERE r.conversation_id = c.id),
                  (SELECT COUNT(*) FROM proposals p WHERE p.conversation_id = c.id AND p.status = 'pending'),
                  (SELECT COUNT(*) FROM proposals p WHERE p.conversation_id = c.id AND p.status != 'withdrawn')
                FROM conversations c WHERE c.id IN ({marks})
                """,
                chunk,
            ).fetchall()
            result.update({row[0]: ConversationSummary(*row) for row in rows})
        return result

    def conversations(self) -> list[ConversationSummary]:
        ids = self.conversation_ids()
        found = self.summaries(ids)
        return [found[i] for i in ids]

    def conversation(self, conversation_id: str) -> Conversation:
        """Rebuild the domain conversation (used to build extraction cases)."""
        row = self.conn.execute("SELECT title, created_at, updated_at FROM conversations WHERE id = ?",
                              [conversation_id]).fetchone()
        if row is None:
            raise KeyError(conversation_id)
        turns = [
            {"role": t.role, "text": t.text, "time": t.time, "source_id": str(t.id)}
            for t in self.turns(conversation_id)
        ]
        # The dates too: a turn without its own time is shown the conversation's in the prompt.
        return Conversation.from_dict({"id": conversation_id, "title": row[0], "created_at": row[1],
                                       "updated_at": row[2], "turns": turns})

    def turns(self, conversation_id: str) -> list[StoredTurn]:
        rows = self.conn.execute(
            "SELECT id, conversation_id, idx, role, text, time FROM turns WHERE conversation_id = ? ORDER BY idx",
            [conversation_id],
        ).fetchall()
        return [StoredTurn(*row) for row in rows]

    def turn_results(self, conversation_id: str) -> dict[int, StoredTurnResult]:
        """The latest result per turn of this conversation."""
        rows = self.conn.execute(
            """
            SELECT turn_id, parse_ok, n_facts, error, raw_output, truncated, latency_ms FROM turn_results
            WHERE id IN (SELECT MAX(id) FROM turn_results WHERE conversation_id = ? GROUP BY turn_id)
            """,
            [conversation_id],
        ).fetchall()
        return {
            row[0]: StoredTurnResult(row[0], bool(row[1]), row[2], row[3], row[4] or "", bool(row[5]), row[6] or 0.0)
            for row in rows
        }

    _PROPOSAL_COLUMNS = """p.id, p.conversation_id, p.turn_id, t.idx, p.content, p.subject, p.category,
        p.confidence, p.action, p.old_value, p.replaces, p.status, p.edited_text, p.manual, p.truncated,
        p.model, p.prompt_version, p.edited_fields"""

    @staticmethod
    def _proposal(row: tuple) -> StoredProposal:
        """A proposal as the user sees it: the fields they edited laid over the model's."""
        values = list(row)
        values[11] = Status(values[11])
        values[13] = bool(values[13])
        values[14] = bool(values[14])
        if values[17]:
            edits = json.loads(values[17])
            for position, name in enumerate(EDITABLE_FIELDS, start=5):
                if name in edits:
                    values[position] = edits[name]
        return StoredProposal(*values)

    def proposals(self, conversation_id: str) -> list[StoredProposal]:
        rows = self.conn.execute(
            f"""SELECT {self._PROPOSAL_COLUMNS} FROM proposals p JOIN turns t ON t.id = p.turn_id
            WHERE p.conversation_id = ? AND p.status != 'withdrawn' ORDER BY t.idx, p.id""",
            [conversation_id],
        ).fetchall()
        return [self._proposal(row) for row in rows]

    def proposal(self, proposal_id: int) -> StoredProposal:
        row = self.conn.execute(
            f"SELECT {self._PROPOSAL_COLUMNS} FROM proposals p JOIN turns t ON t.id = p.turn_id WHERE p.id = ?",
            [proposal_id],
        ).fetchone()
        if row is None:
            raise KeyError(proposal_id)
        return self._proposal(row)

    def memories(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM memories ORDER BY id"))

    def saved_facts(self) -> dict[tuple[str, str], int]:
        """(subject, normalised text) of every saved memory -> the proposal it came from, so a
        proposal that repeats what is already kept can say so."""
        rows = self.conn.execute("SELECT subject, content, proposal_id FROM memories").fetchall()
        return {(subject.lower(), normalise(content)): proposal_id for subject, content, proposal_id in rows}

    def pending_count(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM proposals WHERE status = 'pending'").fetchone()[0]

    # ---------------------------------------------------------------- extraction
    def start_run(self, info: RunInfo) -> int:
        with self._writing():
            table = self.db["runs"].insert(
                {"started_at": _now(), "model": info.model, "model_hash": info.model_hash,
                 "prompt_version": info.prompt_version, "backend": info.backend, "status": "running",
                 "prompt_profile": info.prompt_profile}
            )
        return int(table.last_pk)

    def interrupt_stale_runs(self) -> int:
        """Runs still marked ``running`` when the window opens were cut short (the app was killed):
        mark them ``interrupted`` so they are not taken for live ones. Returns how many."""
        with self._writing():
            cursor = self.conn.execute(
                "UPDATE runs SET status = 'interrupted', finished_at = ? WHERE status = 'running'", [_now()])
        return cursor.rowcount

    def last_run_status(self) -> str | None:
        row = self.conn.execute("SELECT status FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def extracted_turn_indexes(self, conversation_id: str) -> set[int]:
        """Positions of the turns of this conversation that have a result (read or not)."""
        rows = self.conn.execute(
            "SELECT DISTINCT t.idx FROM turn_results r JOIN turns t ON t.id = r.turn_id WHERE r.conversation_id = ?",
            [conversation_id],
        ).fetchall()
        return {row[0] for row in rows}

    def extraction_cases(self, conversation_ids: Sequence[str], zone: str | None = None,
                         grain: TimeGrain = "day", only_new: bool = False) -> list[ExtractionCase]:
        """The cases of these conversations in this order (``only_new``: turns with no result yet),
        in a few queries: see ``case_reads``."""
        from scallop_curator.store.case_reads import extraction_cases

        return extraction_cases(self.conn, conversation_ids, zone, grain, only_new)

    def conversations_with_unextracted(self) -> list[str]:
        """Conversations, newest first, that still have a user turn with no result: what "extract
        all new" must do, whether the run before was finished, cancelled or killed."""
        rows = self.conn.execute(
            f"""SELECT c.id FROM conversations c WHERE EXISTS (
                  SELECT 1 FROM turns t WHERE t.conversation_id = c.id AND t.role = 'user'
                  AND NOT EXISTS (SELECT 1 FROM turn_results r WHERE r.turn_id = t.id))
                ORDER BY {self._ORDERS['newest']}"""
        ).fetchall()
        return [row[0] for row in rows]

    def unextracted_turn_count(self, conversation_ids: list[str] | None = None) -> int:
        """User turns with no result, in these conversations (default: all)."""
        where, params = "", []
        if conversation_ids is not None:
            if not conversation_ids:
                return 0
            where = f" AND t.conversation_id IN ({','.join('?' * len(conversation_ids))})"
            params = list(conversation_ids)
        return self.conn.execute(
            "SELECT COUNT(*) FROM turns t WHERE t.role = 'user' AND NOT EXISTS "
            f"(SELECT 1 FROM turn_results r WHERE r.turn_id = t.id){where}", params).fetchone()[0]

    def finish_run(self, run_id: int, status: str) -> None:
        with self._writing():
            self.db["runs"].update(run_id, {"finished_at": _now(), "status": status})

    def turn_id(self, conversation_id: str, turn_index: int) -> int:
        row = self.conn.execute(
            "SELECT id FROM turns WHERE conversation_id = ? AND idx = ?", [conversation_id, turn_index]
        ).fetchone()
        if row is None:
            raise KeyError((conversation_id, turn_index))
        return int(row[0])

    def record_result(self, run_id: int, info: RunInfo, result: TurnResult) -> list[int]:
        """Store one turn's result; undecided proposals from earlier runs on that turn are replaced."""
        turn_id = self.turn_id(result.conversation_id, result.turn_index)
        ids: list[int] = []
        with self._writing():
            self.db["turn_results"].insert(
                {"run_id": run_id, "conversation_id": result.conversation_id, "turn_id": turn_id,
                 "parse_ok": int(result.parse_ok), "n_facts": len(result.facts), "error": result.error,
                 "raw_output": result.raw_output, "truncated": int(result.truncated),
                 "latency_ms": result.latency_ms, "created_at": _now()}
            )
            self.conn.execute(
                "DELETE FROM proposals WHERE turn_id = ? AND status = 'pending' AND manual = 0 "
                "AND id NOT IN (SELECT proposal_id FROM journal WHERE proposal_id IS NOT NULL)",
                [turn_id],
            )
            for fact in result.facts:
                table = self.db["proposals"].insert(
                    {"run_id": run_id, "conversation_id": result.conversation_id, "turn_id": turn_id,
                     **fact.model_dump(), "status": Status.PENDING.value, "edited_text": None, "manual": 0,
                     "truncated": int(result.truncated), "model": info.model, "model_hash": info.model_hash,
                     "prompt_version": info.prompt_version, "created_at": _now(), "decided_at": None,
                     "prompt_profile": info.prompt_profile}
                )
                ids.append(int(table.last_pk))
        return ids

    # ---------------------------------------------------------------- review
    def decide(self, proposal_id: int, status: Status, edited_text: str | None = None,
               fields: dict[str, object] | None = None, effect: dict | None = None) -> StoredProposal:
        """Record a decision and keep the memories table in step, in one committed transaction.

        ``fields`` holds the user's values for any of ``EDITABLE_FIELDS``; only those that differ
        from the model's are kept, so the model's answer stays intact beside the edit. ``effect`` is
        what accepting does to other kept memories (see ``memories.keep_in_step``)."""
        with self._writing():
            edited_fields = self._field_edits(proposal_id, fields) if fields is not None else _KEEP
            self._journal([(proposal_id, status, edited_text, effect, edited_fields)])
        return self.proposal(proposal_id)

    def decide_many(self, decisions: list[tuple[int, Status, str | None, dict | None]]) -> None:
        """Several decisions as one transaction and one undo step."""
        with self._writing():
            self._journal([(*decision, _KEEP) for decision in decisions])

    def _field_edits(self, proposal_id: int, fields: dict[str, object]) -> str | None:
        row = self.conn.execute(f"SELECT {', '.join(EDITABLE_FIELDS)} FROM proposals WHERE id = ?",
                              [proposal_id]).fetchone()
        if row is None:
            raise KeyError(proposal_id)
        original = dict(zip(EDITABLE_FIELDS, row, strict=True))
        unknown = set(fields) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        edits = {name: value for name, value in fields.items() if value != original[name]}
        return json.dumps(edits, sort_keys=True) if edits else None

    def _journal(self, decisions: list[tuple[int, Status, str | None, dict | None, object]]) -> None:
        self.last_touched = set()
        # a new action ends this session's redo chain
        self.conn.execute("DELETE FROM journal WHERE undone = 1 AND origin = ?", [self.origin])
        group: int | None = None
        for proposal_id, status, edited_text, effect, fields in decisions:
            current = self.conn.execute("SELECT status, edited_text, effect, edited_fields FROM proposals WHERE id = ?",
                                      [proposal_id]).fetchone()
            if current is None:
                raise KeyError(proposal_id)
            edited_fields = current[3] if fields is _KEEP else fields
            cursor = self.conn.execute(
                "INSERT INTO journal (proposal_id, status, edited_text, previous_status, previous_text, decided_at, "
                "undone, origin, grp, effect, previous_effect, edited_fields, previous_fields) "
                "VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?)",
                [proposal_id, status.value, edited_text, current[0], current[1], _now(), self.origin, group,
                 json.dumps(effect) if effect else None, current[2], edited_fields, current[3]],
            )
            if group is None:
                group = int(cursor.lastrowid)
                self.conn.execute("UPDATE journal SET grp = ? WHERE id = ?", [group, group])
            self._apply(proposal_id, status, edited_text, effect, edited_fields)

    def add_manual(self, conversation_id: str, turn_id: int, content: str, subject: str = "user",
                   category: str = "general", effect: dict | None = None) -> StoredProposal:
        """A memory the model missed, typed by the user; it is accepted at once and can be undone."""
        with self._writing():
            table = self.db["proposals"].insert(
                {"run_id": None, "conversation_id": conversation_id, "turn_id": turn_id, "content": content,
                 "subject": subject, "category": category, "confidence": 1.0, "action": "fact",
                 "old_value": None, "replaces": None, "status": Status.WITHDRAWN.value, "edited_text": None,
                 "manual": 1, "truncated": 0, "model": None, "model_hash": None, "prompt_version": None,
                 "created_at": _now(), "decided_at": None}
            )
            proposal_id = int(table.last_pk)
            self._journal([(proposal_id, Status.ACCEPTED, None, effect, _KEEP)])
        return self.proposal(proposal_id)

    def undo(self) -> int | None:
        """Revert this session's latest step still in force; returns the proposal it touched (the
        first of a bulk step)."""
        touched = self.undo_step()
        return touched[0] if touched else None

    def undo_step(self) -> list[int]:
        self.last_touched = set()
        with self._writing():
            row = self.conn.execute("SELECT grp FROM journal WHERE undone = 0 AND origin = ? ORDER BY id DESC LIMIT 1",
                                  [self.origin]).fetchone()
            if row is None:
                return []
            rows = self.conn.execute(
                "SELECT id, proposal_id, previous_status, previous_text, previous_effect, previous_fields, memory_id, "
                "memory_after, memory_before FROM journal WHERE grp = ? AND undone = 0 ORDER BY id DESC",
                [row[0]]).fetchall()
            for journal_id, proposal_id, status, text, effect, fields, memory_id, after, before in rows:
                self.conn.execute("UPDATE journal SET undone = 1 WHERE id = ?", [journal_id])
                if memory_id is not None:
                    self._put_back(memory_id, after, before, "undone")
                else:
                    self._apply(proposal_id, Status(status), text, json.loads(effect) if effect else None, fields)
        return [int(r[1]) for r in reversed(rows) if r[1] is not None]

    def redo(self) -> int | None:
        touched = self.redo_step()
        return touched[0] if touched else None

    def redo_step(self) -> list[int]:
        self.last_touched = set()
        with self._writing():
            row = self.conn.execute("SELECT grp FROM journal WHERE undone = 1 AND origin = ? ORDER BY id LIMIT 1",
                                  [self.origin]).fetchone()
            if row is None:
                return []
            rows = self.conn.execute(
                "SELECT id, proposal_id, status, edited_text, effect, edited_fields, memory_id, memory_before, "
                "memory_after FROM journal WHERE grp = ? AND undone = 1 ORDER BY id", [row[0]]).fetchall()
            for journal_id, proposal_id, status, text, effect, fields, memory_id, before, after in rows:
                self.conn.execute("UPDATE journal SET undone = 0 WHERE id = ?", [journal_id])
                if memory_id is not None:
                    self._put_back(memory_id, before, after, "redone")
                else:
                    self._apply(proposal_id, Status(status), text, json.loads(effect) if effect else None, fields)
        return [int(r[1]) for r in rows if r[1] is not None]

    def change_memory(self, memory_id: int, change: Callable[[], bool]) -> bool:
        """Run ``change`` (an edit, forget, restore or supersede of one kept memory) as one committed,
        journalled step of this session, so undo and redo take it back and forth like a decision.
        Returns whether anything changed (nothing is journalled otherwise)."""
        self.last_touched = set()
        with self._writing():
            before = memories.state(self.db, memory_id)
            if not change():
                return False
            after = memories.state(self.db, memory_id)
            self.conn.execute("DELETE FROM journal WHERE undone = 1 AND origin = ?", [self.origin])
            cursor = self.conn.execute(
                "INSERT INTO journal (proposal_id, decided_at, undone, origin, memory_id, memory_before, memory_after) "
                "VALUES (NULL, ?, 0, ?, ?, ?, ?)",
                [_now(), self.origin, memory_id, json.dumps(before), json.dumps(after)])
            self.conn.execute("UPDATE journal SET grp = id WHERE id = ?", [cursor.lastrowid])
        self.last_touched = {memory_id}
        return True

    def _put_back(self, memory_id: int, expected: str, wanted: str, why: str) -> None:
        if memories.put_back(self.db, memory_id, json.loads(expected), json.loads(wanted), f"{why} by hand"):
            self.last_touched.add(memory_id)

    def can_undo(self) -> bool:
        return self.conn.execute("SELECT 1 FROM journal WHERE undone = 0 AND origin = ? LIMIT 1",
                               [self.origin]).fetchone() is not None

    def can_redo(self) -> bool:
        return self.conn.execute("SELECT 1 FROM journal WHERE undone = 1 AND origin = ? LIMIT 1",
                               [self.origin]).fetchone() is not None

    def _apply(self, proposal_id: int, status: Status, edited_text: str | None,
               effect: dict | None = None, edited_fields: str | None = None) -> set[int]:
        """Set the proposal's decision (text and field edits) and bring kept memories in step;
        returns the memory ids touched."""
        touched = memories.reverse_effect(self.db, proposal_id)
        self.conn.execute(
            "UPDATE proposals SET status = ?, edited_text = ?, edited_fields = ?, decided_at = ?, effect = NULL "
            "WHERE id = ?",
            [status.value, edited_text, edited_fields, _now(), proposal_id],
        )
        applied, more = memories.keep_in_step(self.db, proposal_id, status.keeps_memory, effect)
        if applied:
            self.conn.execute("UPDATE proposals SET effect = ? WHERE id = ?", [json.dumps(applied), proposal_id])
        self.last_touched |= touched | more
        return touched | more

    # ---------------------------------------------------------------- ui state
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        """Remembered UI state; never worth failing an action for."""
        try:
            with self._writing():
                self.db["meta"].upsert({"key": key, "value": value}, pk="key")
        except StoreError as error:
            log.warning("could not remember %s: %s", key, error)
