"""How a proposed fact relates to what is already kept: new, already kept, conflicts, would
replace or would forget. FTS5 finds a few candidates cheaply; rapidfuzz scores them.

The rules are deliberately simple and explainable, because the user makes the final call:
- *already kept*: same subject, the same words (token-sort ratio >= 92);
- *would replace* (``correction``, ``preference_update``): same subject, kept memories that match
  the old value (``old_value`` or ``replaces``) well (token-set ratio >= 70);
- *would forget* (``forget``): same subject, kept memories matching what is to be forgotten;
- *conflicts*: same subject and attribute, another value -- the attribute being the leading words
  two facts share ("lives in | Paris" vs "lives in | Berlin"), or the same category and nearly
  the same wording.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from rapidfuzz import fuzz

if TYPE_CHECKING:  # only in hints: opening a store imports no sqlite-utils (see Store.db)
    import sqlite_utils

STOPWORDS = frozenset(
    "a an and are as at be but by for from has have he her his i in is it its me my of on or our she "
    "that the their them they this to was we were with you your user user's".split()
)
_WORD = re.compile(r"\w+", re.UNICODE)
_FORGET_LEAD = re.compile(r"^(please\s+)?(forget|remove|delete|don't remember|do not remember)\s+(that\s+)?",
                          re.IGNORECASE)


class RelationKind(str, Enum):
    NEW = "new"
    ALREADY_KEPT = "already kept"
    CONFLICTS = "conflicts"
    WOULD_REPLACE = "would replace"
    WOULD_FORGET = "would forget"


@dataclass(frozen=True)
class KeptMemory:
    id: int
    content: str
    subject: str
    category: str


@dataclass(frozen=True)
class Relation:
    kind: RelationKind
    memories: tuple[KeptMemory, ...] = ()

    @property
    def ids(self) -> list[int]:
        return [memory.id for memory in self.memories]

    def label(self) -> str:
        """One short line for the proposal row."""
        if self.kind in (RelationKind.NEW, RelationKind.ALREADY_KEPT) or not self.memories:
            return self.kind.value
        verb = "conflicts with" if self.kind is RelationKind.CONFLICTS else self.kind.value
        more = f" (+{len(self.memories) - 1})" if len(self.memories) > 1 else ""
        return f"{verb} “{self.memories[0].content}”{more}"


NEW = Relation(RelationKind.NEW)


def words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]


def _numbers(text: str) -> list[str]:
    return sorted(re.findall(r"\d+", text))


def _normal(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _matching(db: sqlite_utils.Database, content_query: str, subject: str, limit: int,
              exclude_proposal: int | None) -> list[KeptMemory]:
    subject_terms = _WORD.findall(subject.lower())
    if not subject_terms:
        return []
    query = f"subject : ({' '.join(_phrase(t) for t in subject_terms)}) AND content : ({content_query})"
    rows = db.execute(
        """SELECT m.id, m.content, m.subject, m.category FROM memories_fts f CROSS JOIN memories m ON m.id = f.rowid
        WHERE memories_fts MATCH ? AND m.status = 'current' AND m.subject = ? COLLATE NOCASE
        AND (? IS NULL OR m.proposal_id IS NULL OR m.proposal_id != ?)
        LIMIT ?""",
        [query, subject, exclude_proposal, exclude_proposal, limit],
    ).fetchall()
    return [KeptMemory(*row) for row in rows]


def candidates(db: sqlite_utils.Database, text: str, subject: str, limit: int = 48,
               exclude_proposal: int | None = None) -> list[KeptMemory]:
    """Current memories about ``subject`` that could repeat or contradict ``text``.

    Unranked full-text queries stop after ``limit`` rows, so the cost does not grow with the number
    of memories sharing a common word: first those with every word of ``text``, then those sharing
    its leading words (its attribute, as in "lives in"), and only when both find nothing, up to 200
    sharing any word (scored by rapidfuzz afterwards; ranking every match would cost as much as
    the matches are many)."""
    terms = sorted(set(words(text)))
    if not terms:
        return []
    found = _matching(db, " AND ".join(_phrase(t) for t in terms), subject, limit, exclude_proposal)
    lead = _lead_words(text, subject)[:2]
    if len(lead) == 2:
        seen = {m.id for m in found}
        found += [m for m in _matching(db, _phrase(" ".join(lead)), subject, limit, exclude_proposal)
                  if m.id not in seen]
    if not found:
        found = _matching(db, " OR ".join(_phrase(t) for t in terms), subject, 200, exclude_proposal)
    return found


def _lead_words(text: str, subject: str) -> list[str]:
    """The fact's words without the subject it starts with ("User", "I", "Anna's")."""
    skip = {"the", "user", "user's", "i", "i'm", "my", *subject.lower().split(), subject.lower() + "'s"}
    tokens = _normal(text).split()
    while tokens and tokens[0] in skip:
        tokens.pop(0)
    return tokens


def _shared_lead(a: str, b: str, subject: str) -> int:
    """How many leading words two facts share, when both go on to say something different."""
    left, right = _lead_words(a, subject), _lead_words(b, subject)
    shared = 0
    for x, y in zip(left, right):
        if x != y:
            break
        shared += 1
    if shared == len(left) or shared == len(right):
        return 0
    return shared


def relation(db: sqlite_utils.Database, text: str, subject: str, category: str, action: str = "fact",
             old_value: str | None = None, replaces: str | None = None,
             exclude_proposal: int | None = None) -> Relation:
    """The relation of one proposed fact to the current kept memories."""
    if action in ("correction", "preference_update", "forget"):
        target = old_value or replaces or _FORGET_LEAD.sub("", text)
        found = candidates(db, target, subject, exclude_proposal=exclude_proposal)
        if action != "forget":
            found += [m for m in candidates(db, text, subject, exclude_proposal=exclude_proposal)
                      if m.id not in {f.id for f in found}]
        scored = sorted(((fuzz.token_set_ratio(_normal(target), _normal(m.content)), m) for m in found),
                        key=lambda pair: -pair[0])
        matches = tuple(m for score, m in scored if score >= 70 and _normal(m.content) != _normal(text))
        if action == "forget":
            return Relation(RelationKind.WOULD_FORGET, matches[:5]) if matches else NEW
        if matches:
            return Relation(RelationKind.WOULD_REPLACE, matches[:3])
    found = candidates(db, text, subject, exclude_proposal=exclude_proposal)
    normal = _normal(text)
    for memory in found:
        same = _normal(memory.content) == normal or (
            fuzz.token_sort_ratio(normal, _normal(memory.content)) >= 92
            and _numbers(normal) == _numbers(memory.content))  # "has 2 kids" is not "has 3 kids"
        if same:
            return Relation(RelationKind.ALREADY_KEPT, (memory,))
    if action == "forget":
        return NEW
    conflicting = tuple(
        m for m in found
        if _shared_lead(text, m.content, subject) >= 2
        or (m.category == category and fuzz.ratio(normal, _normal(m.content)) >= 80)
    )
    if conflicting:
        return Relation(RelationKind.CONFLICTS, conflicting[:3])
    return NEW
