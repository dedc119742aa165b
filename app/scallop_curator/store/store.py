"""All reads and writes of the SQLite store. Every write is one transaction, committed before return."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
from datetime import datetime, timezone
from collections.abc import Callable, Iterator
from pathlib import Path

import sqlite_utils

from scallop_curator.domain.conversation import Conversation
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.domain.review import Status
from scallop_curator.importers.base import ImportedFile
from scallop_curator.store import migrations, schema
from scallop_curator.store.records import (
    ConversationSummary,
    ImportSummary,
    StoredProposal,
    StoredTurn,
    StoredTurnResult,
)

log = logging.getLogger("store")


def normalise(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


class ImportCancelled(Exception):
    """The user cancelled an import; nothing of the file was kept."""


class StoreError(Exception):
    """An expected failure of the store (locked, unreadable, full disk), phrased for the user."""


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


class Store:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        new_file = not self.path.exists()
        try:
            conn = sqlite3.connect(self.path, timeout=5.0)
            self.db = sqlite_utils.Database(conn)
            self.db.execute("PRAGMA journal_mode=WAL")
            # FULL: a decision shown as done must survive a crash or power cut right after.
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            with self.db.atomic():
                schema.create(self.db)
                migrations.migrate(self.db)
        except migrations.NewerStore as error:
            raise StoreError(f"{self.path} was written by a newer Scallop Curator ({error}); "
                             "update the app to open it.") from error
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error
        if new_file or self.path.stat().st_mode & 0o077:
            self._restrict_permissions()

    def _restrict_permissions(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            candidate = Path(str(self.path) + suffix)
            if candidate.exists():
                try:
                    candidate.chmod(0o600)
                except OSError:
                    log.warning("could not restrict permissions of %s", candidate)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One committed transaction; SQLite failures become plain StoreErrors."""
        try:
            with self.db.atomic():
                yield
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error

    def close(self) -> None:
        self.db.conn.close()

    # ---------------------------------------------------------------- import
    def import_file(self, imported: ImportedFile, source_file: str,
                    progress: Callable[[int, int], None] | None = None,
                    should_stop: Callable[[], bool] | None = None) -> ImportSummary:
        """Add new conversations and new turns only; never touches existing turns' decisions.

        One transaction: a cancelled or failed import leaves the store exactly as it was.
        """
        new_conversations = new_turns = unchanged = 0
        total = len(imported.conversations)
        try:
            with self._writing():
                for position, conversation in enumerate(imported.conversations):
                    if should_stop is not None and should_stop():
                        raise ImportCancelled()
                    if progress is not None and position % 200 == 0:
                        progress(position, total)
                    added, is_new = self._merge_conversation(conversation, source_file, imported.format_name)
                    new_turns += added
                    new_conversations += int(is_new)
                    unchanged += int(not is_new and added == 0)
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error
        return ImportSummary(source_file, imported.format_name, new_conversations, new_turns, unchanged,
                             list(imported.skipped))

    def _merge_conversation(self, conversation: Conversation, source_file: str, format_name: str) -> tuple[int, bool]:
        is_new = self.db.execute("SELECT 1 FROM conversations WHERE id = ?", [conversation.id]).fetchone() is None
        if is_new:
            self.db["conversations"].insert(
                {"id": conversation.id, "title": conversation.title, "created_at": _iso(conversation.created_at),
                 "updated_at": _iso(conversation.updated_at), "source_file": source_file,
                 "format": format_name, "imported_at": _now()}
            )
        else:
            self.db.execute(
                "UPDATE conversations SET title = ?, updated_at = ? WHERE id = ?",
                [conversation.title, _iso(conversation.updated_at), conversation.id],
            )
        known = {
            row[0]: row[1]
            for row in self.db.execute(
                "SELECT source_id, id FROM turns WHERE conversation_id = ?", [conversation.id]
            ).fetchall()
        }
        added = 0
        for index, turn in enumerate(conversation.turns):
            if turn.source_id in known:
                self.db.execute("UPDATE turns SET idx = ? WHERE id = ?", [index, known[turn.source_id]])
                continue
            self.db["turns"].insert(
                {"conversation_id": conversation.id, "idx": index, "role": turn.role, "text": turn.text,
                 "time": _iso(turn.time), "source_id": turn.source_id}
            )
            added += 1
        if not is_new:
            self._renumber_turns(conversation.id)
        return added, is_new

    def _renumber_turns(self, conversation_id: str) -> None:
        """Keep ``idx`` a dense 0..n-1 position: a turn no longer in a newer export (another branch
        was chosen) keeps its place, and extraction cases, which count positions, stay aligned."""
        rows = self.db.execute(
            "SELECT id, idx FROM turns WHERE conversation_id = ? ORDER BY idx, id", [conversation_id]
        ).fetchall()
        for position, (turn_id, idx) in enumerate(rows):
            if idx != position:
                self.db.execute("UPDATE turns SET idx = ? WHERE id = ?", [position, turn_id])

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
            clauses.append("c.title LIKE ? ESCAPE '\\'")
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
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
        rows = self.db.execute(
            f"SELECT c.id FROM conversations c{where} ORDER BY {self._ORDERS[order]} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        ).fetchall()
        return [row[0] for row in rows]

    def conversation_count(self, text: str = "", since: str | None = None) -> int:
        where, params = self._where(text, since, False)
        return self.db.execute(f"SELECT COUNT(*) FROM conversations c{where}", params).fetchone()[0]

    def summaries(self, ids: list[str]) -> dict[str, ConversationSummary]:
        """Counts for just these conversations: a page of the list costs a page of work."""
        result: dict[str, ConversationSummary] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
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
        row = self.db.execute("SELECT title FROM conversations WHERE id = ?", [conversation_id]).fetchone()
        if row is None:
            raise KeyError(conversation_id)
        turns = [
            {"role": t.role, "text": t.text, "time": t.time, "source_id": str(t.id)}
            for t in self.turns(conversation_id)
        ]
        return Conversation.model_validate({"id": conversation_id, "title": row[0], "turns": turns})

    def turns(self, conversation_id: str) -> list[StoredTurn]:
        rows = self.db.execute(
            "SELECT id, conversation_id, idx, role, text, time FROM turns WHERE conversation_id = ? ORDER BY idx",
            [conversation_id],
        ).fetchall()
        return [StoredTurn(*row) for row in rows]

    def turn_results(self, conversation_id: str) -> dict[int, StoredTurnResult]:
        """The latest result per turn of this conversation."""
        rows = self.db.execute(
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
        p.model, p.prompt_version"""

    @staticmethod
    def _proposal(row: tuple) -> StoredProposal:
        values = list(row)
        values[11] = Status(values[11])
        values[13] = bool(values[13])
        values[14] = bool(values[14])
        return StoredProposal(*values)

    def proposals(self, conversation_id: str) -> list[StoredProposal]:
        rows = self.db.execute(
            f"""SELECT {self._PROPOSAL_COLUMNS} FROM proposals p JOIN turns t ON t.id = p.turn_id
            WHERE p.conversation_id = ? AND p.status != 'withdrawn' ORDER BY t.idx, p.id""",
            [conversation_id],
        ).fetchall()
        return [self._proposal(row) for row in rows]

    def proposal(self, proposal_id: int) -> StoredProposal:
        row = self.db.execute(
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
        rows = self.db.execute("SELECT subject, content, proposal_id FROM memories").fetchall()
        return {(subject.lower(), normalise(content)): proposal_id for subject, content, proposal_id in rows}

    def pending_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM proposals WHERE status = 'pending'").fetchone()[0]

    # ---------------------------------------------------------------- extraction
    def start_run(self, info: RunInfo) -> int:
        with self._writing():
            table = self.db["runs"].insert(
                {"started_at": _now(), "model": info.model, "model_hash": info.model_hash,
                 "prompt_version": info.prompt_version, "backend": info.backend, "status": "running",
                 "prompt_profile": info.prompt_profile}
            )
        return int(table.last_pk)

    def finish_run(self, run_id: int, status: str) -> None:
        with self._writing():
            self.db["runs"].update(run_id, {"finished_at": _now(), "status": status})

    def turn_id(self, conversation_id: str, turn_index: int) -> int:
        row = self.db.execute(
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
            self.db.execute(
                "DELETE FROM proposals WHERE turn_id = ? AND status = 'pending' AND manual = 0 "
                "AND id NOT IN (SELECT proposal_id FROM journal)",
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
    def decide(self, proposal_id: int, status: Status, edited_text: str | None = None) -> StoredProposal:
        """Record a decision and keep the memories table in step, in one committed transaction."""
        try:
            with self._writing():
                current = self.proposal(proposal_id)
                self.db.execute("DELETE FROM journal WHERE undone = 1")  # a new action ends the redo chain
                self.db["journal"].insert(
                    {"proposal_id": proposal_id, "status": status.value, "edited_text": edited_text,
                     "previous_status": current.status.value, "previous_text": current.edited_text,
                     "decided_at": _now(), "undone": 0}
                )
                self._apply(proposal_id, status, edited_text)
        except sqlite3.Error as error:
            raise _friendly(self.path, error) from error
        return self.proposal(proposal_id)

    def add_manual(self, conversation_id: str, turn_id: int, content: str, subject: str = "user",
                   category: str = "general") -> StoredProposal:
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
            self.db.execute("DELETE FROM journal WHERE undone = 1")
            self.db["journal"].insert(
                {"proposal_id": proposal_id, "status": Status.ACCEPTED.value, "edited_text": None,
                 "previous_status": Status.WITHDRAWN.value, "previous_text": None, "decided_at": _now(),
                 "undone": 0}
            )
            self._apply(proposal_id, Status.ACCEPTED, None)
        return self.proposal(proposal_id)

    def undo(self) -> int | None:
        """Revert the latest decision still in force; returns the proposal it touched."""
        with self._writing():
            row = self.db.execute(
                "SELECT id, proposal_id, previous_status, previous_text FROM journal WHERE undone = 0 "
                "ORDER BY id DESC LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE journal SET undone = 1 WHERE id = ?", [row[0]])
            self._apply(row[1], Status(row[2]), row[3])
        return int(row[1])

    def redo(self) -> int | None:
        with self._writing():
            row = self.db.execute(
                "SELECT id, proposal_id, status, edited_text FROM journal WHERE undone = 1 ORDER BY id LIMIT 1"
            ).fetchone()
            if row is None:
                return None
            self.db.execute("UPDATE journal SET undone = 0 WHERE id = ?", [row[0]])
            self._apply(row[1], Status(row[2]), row[3])
        return int(row[1])

    def can_undo(self) -> bool:
        return self.db.execute("SELECT 1 FROM journal WHERE undone = 0 LIMIT 1").fetchone() is not None

    def can_redo(self) -> bool:
        return self.db.execute("SELECT 1 FROM journal WHERE undone = 1 LIMIT 1").fetchone() is not None

    def _apply(self, proposal_id: int, status: Status, edited_text: str | None) -> None:
        self.db.execute(
            "UPDATE proposals SET status = ?, edited_text = ?, decided_at = ? WHERE id = ?",
            [status.value, edited_text, _now(), proposal_id],
        )
        self.db.execute("DELETE FROM memories WHERE proposal_id = ?", [proposal_id])
        if status.keeps_memory:
            proposal = self.proposal(proposal_id)
            turn = self.db.execute("SELECT id, time FROM turns WHERE id = ?", [proposal.turn_id]).fetchone()
            self.db["memories"].insert(
                {"proposal_id": proposal_id, "content": proposal.text, "subject": proposal.subject,
                 "category": proposal.category, "confidence": proposal.confidence, "action": proposal.action,
                 "old_value": proposal.old_value, "replaces": proposal.replaces,
                 "conversation_id": proposal.conversation_id, "source_turn_ids": json.dumps([turn[0]]),
                 "source_times": json.dumps([turn[1]]), "created_at": _now()}
            )

    # ---------------------------------------------------------------- ui state
    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str | None) -> None:
        """Remembered UI state; never worth failing an action for."""
        try:
            with self._writing():
                self.db["meta"].upsert({"key": key, "value": value}, pk="key")
        except StoreError as error:
            log.warning("could not remember %s: %s", key, error)
