"""Open WebUI memories over its REST API, kept in step with the store:

- a memory never sent before: ``POST /api/v1/memories/add`` with ``{content, type, path}`` (``type``
  ``user`` for facts about the user, ``context`` otherwise; ``path`` from the category or the person);
- a memory whose text changed, or that replaced one sent before: ``POST /api/v1/memories/{id}/update``;
- a memory forgotten, superseded or removed since: ``DELETE /api/v1/memories/{id}``.

The ids Open WebUI returns are kept in the store's ``memory_exports``, so exporting twice adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from scallop_curator.exporters import ExportCancelled, ExportError, exportable
from scallop_curator.store import Store, memories
from scallop_curator.store.memories import MemoryRow

TARGET = "openwebui"


@dataclass(frozen=True)
class SyncReport:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def payload(memory: MemoryRow) -> dict:
    about_user = memory.subject.lower() == "user"
    path = f"{memory.category}" if about_user else f"people/{memory.subject}/{memory.category}"
    return {"content": memory.content, "type": "user" if about_user else "context", "path": path}


class _Api:
    def __init__(self, url: str, api_key: str, client: httpx.Client | None) -> None:
        self.base = url.rstrip("/")
        # a short connect timeout: an address that answers nothing is reported in seconds, not half a minute
        self.client = client or httpx.Client(timeout=httpx.Timeout(30.0, connect=5.0))
        self.headers = {"Authorization": f"Bearer {api_key}"}

    def call(self, method: str, path: str, body: dict | None = None) -> dict | None:
        try:
            response = self.client.request(method, self.base + path, json=body, headers=self.headers)
        except httpx.HTTPError as error:
            raise ExportError(f"Open WebUI at {self.base} could not be reached: {error}") from error
        if response.status_code in (401, 403):
            raise ExportError(f"Open WebUI at {self.base} refused the API key (HTTP {response.status_code}).")
        if method == "DELETE" and response.status_code == 404:
            return None  # already gone there: the goal is reached
        if response.status_code >= 400:
            raise ExportError(f"Open WebUI at {self.base} answered HTTP {response.status_code} to {method} {path}: "
                              f"{response.text[:200]}")
        try:
            return response.json() if response.content else None
        except ValueError as error:
            raise ExportError(f"Open WebUI at {self.base} sent an answer that is not JSON for {path}.") from error


def _sent(store: Store, destination: str) -> dict[int, tuple[str, str]]:
    rows = store.db.execute("SELECT memory_id, external_id, content FROM memory_exports WHERE target = ? AND destination = ?",
                            [TARGET, destination]).fetchall()
    return {row[0]: (row[1], row[2]) for row in rows}


def _remember(store: Store, destination: str, memory_id: int, external_id: str, content: str,
              replaces: int | None = None) -> None:
    with store._writing():
        if replaces is not None:
            store.db.execute("DELETE FROM memory_exports WHERE memory_id = ? AND target = ? AND destination = ?",
                             [replaces, TARGET, destination])
        store.db.execute("INSERT OR REPLACE INTO memory_exports (memory_id, target, destination, external_id, content, "
                         "exported_at) VALUES (?, ?, ?, ?, ?, ?)",
                         [memory_id, TARGET, destination, external_id, content, memories.now()])


def _forget(store: Store, destination: str, memory_id: int) -> None:
    with store._writing():
        store.db.execute("DELETE FROM memory_exports WHERE memory_id = ? AND target = ? AND destination = ?",
                         [memory_id, TARGET, destination])


def sync(store: Store, url: str, api_key: str, client: httpx.Client | None = None,
         progress: Callable[[int, int], None] | None = None,
         should_stop: Callable[[], bool] | None = None) -> SyncReport:
    """Bring Open WebUI in step, one request per memory. ``progress(done, total)`` after each;
    ``should_stop`` is asked before each request (``ExportCancelled``); every request that was answered
    is remembered at once, so a cancelled or failed export goes on where it stopped next time."""
    api = _Api(url, api_key, client)
    destination = api.base
    current = {m.id: m for m in exportable(store)}
    sent = _sent(store, destination)
    added = updated = deleted = unchanged = 0
    gone = [old_id for old_id in sent if old_id not in current]
    total, done = len(gone) + len(current), 0

    def step() -> None:
        nonlocal done
        if should_stop is not None and should_stop():
            raise ExportCancelled(done, total)
        if progress is not None and done % 10 == 0:
            progress(done, total)
        done += 1

    # A correction: the replaced memory's entry there is updated to the new text, not deleted and re-added.
    for old_id in gone:
        external_id = sent[old_id][0]
        step()
        row = store.db.execute("SELECT status, superseded_by FROM memories WHERE id = ?", [old_id]).fetchone()
        successor = row[1] if row and row[0] == memories.SUPERSEDED else None
        if successor in current and successor not in sent:
            new = current[successor]
            api.call("POST", f"/api/v1/memories/{external_id}/update", payload(new))
            _remember(store, destination, new.id, external_id, new.content, replaces=old_id)
            sent[new.id] = (external_id, new.content)
            updated += 1
        else:
            api.call("DELETE", f"/api/v1/memories/{external_id}")
            _forget(store, destination, old_id)
            deleted += 1
        del sent[old_id]
    for memory in current.values():
        step()
        if memory.id in sent:
            external_id, content = sent[memory.id]
            if content == memory.content:
                unchanged += 1
                continue
            api.call("POST", f"/api/v1/memories/{external_id}/update", payload(memory))
            _remember(store, destination, memory.id, external_id, memory.content)
            updated += 1
            continue
        answer = api.call("POST", "/api/v1/memories/add", payload(memory))
        if not isinstance(answer, dict) or "id" not in answer:
            raise ExportError(f"Open WebUI at {destination} did not return the new memory's id.")
        _remember(store, destination, memory.id, str(answer["id"]), memory.content)
        added += 1
    if progress is not None:
        progress(total, total)
    return SyncReport(added, updated, deleted, unchanged)
