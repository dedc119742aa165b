"""Evaluation cases: one user message, its context, and the facts a careful reader would keep.

The line format is the dev set's (``tests/fixtures/eval/README.md``): ``case_id``, ``context``,
``message``, ``reference.facts`` (six fields each), ``tags``; plus optional ``date`` (the day the
message was written: ScallopBot's traces carry it) and ``session`` (where it was said).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.facts import Action, Category, Fact


class CaseProblem(Exception):
    """A case file that cannot be read, phrased for the user (file and line)."""


class CaseFact(BaseModel):
    """A reference fact: the model's fact without a confidence."""

    model_config = ConfigDict(extra="ignore")

    content: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    category: Category
    action: Action = "fact"
    old_value: str | None = None
    replaces: str | None = None

    @classmethod
    def from_fact(cls, fact: Fact) -> CaseFact:
        return cls.model_validate(fact.model_dump())


class Reference(BaseModel):
    facts: list[CaseFact] = Field(default_factory=list)


class EvalCase(BaseModel):
    case_id: str = Field(min_length=1)
    context: str | None = None
    message: str
    date: str | None = None
    #: The conversation or bot session the message came from, when known (the export caps empty
    #: targets per session).
    session: str | None = None
    reference: Reference = Field(default_factory=Reference)
    tags: list[str] = Field(default_factory=list)

    def extraction_case(self, index: int) -> ExtractionCase:
        """What the model reads; ``index`` keeps results in case order whatever the ids are."""
        return ExtractionCase(conversation_id=self.case_id, turn_index=index, context=self.context,
                              message=self.message)

    def to_line(self) -> str:
        data = self.model_dump(mode="json")
        for optional in ("date", "session"):
            if data[optional] is None:
                del data[optional]
        return json.dumps(data, ensure_ascii=False)


def read_case_file(path: str | Path) -> list[EvalCase]:
    """All cases of a JSON Lines file; a bad line refuses the file, naming the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CaseProblem(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CaseProblem(f"{path}: cannot be read as UTF-8 text ({error})") from None
    cases: list[EvalCase] = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(EvalCase.model_validate_json(line))
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "the line"
            raise CaseProblem(f"{path}, line {number}: not a case ({where}: {first['msg']})") from None
    if not cases:
        raise CaseProblem(f"{path}: no cases in the file")
    return cases


def write_case_file(path: str | Path, cases: Iterable[EvalCase]) -> int:
    lines = [case.to_line() for case in cases]
    Path(path).write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return len(lines)


def unique_ids(cases: list[EvalCase]) -> list[EvalCase]:
    """Cases from several files may share ids: later duplicates get a ``#n`` suffix."""
    seen: dict[str, int] = {}
    out = []
    for case in cases:
        count = seen.get(case.case_id, 0)
        seen[case.case_id] = count + 1
        out.append(case if count == 0 else case.model_copy(update={"case_id": f"{case.case_id}#{count + 1}"}))
    return out
