"""Markdown: every exported memory under a heading per subject and category, with where it came from."""

from __future__ import annotations

from scallop_curator.exporters import grouped, subject_title
from scallop_curator.store.memories import MemoryRow


def render(rows: list[MemoryRow]) -> str:
    lines = ["# Memories", ""]
    subject = None
    for group_subject, category, members in grouped(rows):
        if group_subject != subject:
            lines += [f"## {subject_title(group_subject)}", ""]
            subject = group_subject
        lines += [f"### {category.capitalize()}", ""]
        for memory in members:
            note = f" *(superseded {memory.valid_until[:10]})*" if memory.status == "superseded" and memory.valid_until else ""
            lines.append(f"- {_escape(memory.content)}{note}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _escape(text: str) -> str:
    """Memories are text, not markup: characters Markdown would act on are escaped."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in " ".join(text.split()))
