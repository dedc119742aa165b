from __future__ import annotations

import threading
from pathlib import Path


def import_and_wait(qtbot, window, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Imports run in the background; wait for the queue to empty."""
    with qtbot.waitSignal(window.importer.finished, timeout=30_000):
        window.import_files([path])


def hold_import_at(monkeypatch, title: str) -> tuple[threading.Event, threading.Event]:  # type: ignore[no-untyped-def]
    """Make the import thread wait before it merges the conversation titled ``title``: returns
    (reached, gate); set ``gate`` to let it go on (in a ``finally``, so a failed test never leaves
    the thread waiting)."""
    from scallop_curator.store import store as store_module

    reached, gate = threading.Event(), threading.Event()
    merge = store_module.Store._merge_conversation

    def held(self, conversation, *args):  # type: ignore[no-untyped-def]
        if conversation.title == title:
            reached.set()
            gate.wait(60)
        return merge(self, conversation, *args)

    monkeypatch.setattr(store_module.Store, "_merge_conversation", held)
    return reached, gate


def write_chatgpt_export(path: Path, conversations: list[tuple[str, int, list[tuple[str, str]]]],
                         prefix: str = "conv") -> Path:
    """A minimal ChatGPT ``conversations.json``: (title, create_time, [(role, text), ...]) each;
    their ids are ``prefix-0``, ``prefix-1``…, so exports of one account share them."""
    import json

    exported = []
    for number, (title, created, turns) in enumerate(conversations):
        mapping: dict[str, dict] = {"root": {"id": "root", "message": None, "parent": None, "children": []}}
        parent = "root"
        for position, (role, text) in enumerate(turns):
            node = f"c{number}-m{position}"
            mapping[node] = {
                "id": node, "parent": parent, "children": [],
                "message": {"id": node, "author": {"role": role, "name": None, "metadata": {}},
                            "create_time": created + position * 60, "update_time": None,
                            "content": {"content_type": "text", "parts": [text]},
                            "status": "finished_successfully", "end_turn": True, "weight": 1.0,
                            "metadata": {}, "recipient": "all"},
            }
            mapping[parent]["children"].append(node)
            parent = node
        exported.append({"title": title, "create_time": created, "update_time": created + 3600,
                         "mapping": mapping, "current_node": parent, "id": f"{prefix}-{number}",
                         "conversation_id": f"{prefix}-{number}"})
    path.write_text(json.dumps(exported), encoding="utf-8")
    return path


def wait_filled(qtbot, window) -> None:  # type: ignore[no-untyped-def]
    """``ui.app.open_window`` shows the window first and opens the store right after its first
    paint: wait for that, whichever side of it the test is on."""
    if not window.is_filled:
        with qtbot.waitSignal(window.filled, timeout=60_000):
            pass
