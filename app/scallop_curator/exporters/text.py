"""Plain text "about me" for assistants that take pasted memory (Claude's and Gemini's memory import)
or have a length-limited instructions field (ChatGPT's custom instructions, about 1,500 characters):
grouped by subject and category, the most important facts kept when the budget is short."""

from __future__ import annotations

from scallop_curator.exporters import grouped, importance, subject_title
from scallop_curator.store.memories import MemoryRow

DEFAULT_BUDGET = 1500


def render(rows: list[MemoryRow]) -> str:
    lines: list[str] = []
    subject = None
    for group_subject, category, members in grouped(rows):
        if group_subject != subject:
            if lines:
                lines.append("")
            title = subject_title(group_subject)
            lines.append(f"About {title if title not in ('Me', 'My assistant') else title.lower()}:")
            subject = group_subject
        lines.append(f"- {category.capitalize()}: " + "; ".join(m.content.rstrip(". ") for m in members) + ".")
    return "\n".join(lines)


def about_me(rows: list[MemoryRow], budget: int | None = DEFAULT_BUDGET) -> str:
    """The text, at most ``budget`` characters: facts are taken most important first while they fit."""
    if budget is None:
        return render(rows)
    chosen: list[MemoryRow] = []
    misses = 0
    for row in sorted(rows, key=importance):
        if len(render([*chosen, row])) <= budget:
            chosen.append(row)
            misses = 0
        else:
            misses += 1
            if misses > 200:  # the budget is spent; the rest are less important anyway
                break
    return render(chosen)
