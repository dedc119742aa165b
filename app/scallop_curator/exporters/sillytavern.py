"""SillyTavern lorebook (World Info) JSON. Facts about the user are constant entries (always in the
prompt); facts about a named person are keyed on that name, so they come in when the name comes up."""

from __future__ import annotations

from scallop_curator.exporters import grouped, subject_title
from scallop_curator.store.memories import MemoryRow


def world_info(rows: list[MemoryRow], name: str = "Scallop Curator memories") -> dict:
    entries: dict[str, dict] = {}
    for order, (subject, category, members) in enumerate(grouped(rows)):
        about_user = subject.lower() in ("user", "agent")
        uid = len(entries)
        entries[str(uid)] = {
            "uid": uid,
            "key": [] if about_user else [subject],
            "keysecondary": [],
            "comment": f"{subject_title(subject)} · {category}",
            "content": "\n".join(m.content for m in members),
            "constant": about_user,
            "selective": False,
            "order": 100 + order,
            "position": 0,
            "disable": False,
        }
    return {"name": name, "entries": entries}
