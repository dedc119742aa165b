"""Rules a user may set to leave turns out of an extraction. A skipped turn is never silent: it is
marked with the rule that skipped it, counted, and extracted whenever the rule is off."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from scallop_curator.domain.conversation import ExtractionCase

_FENCE = re.compile(r"```.*?(?:```|\Z)", re.S)
# A line that is code or log output rather than prose.
_CODE_LINE = re.compile(
    r"""^\s*(?:
        \d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}          # a timestamped log line
      | \[?\d{1,2}:\d{2}:\d{2}                      # a clock-stamped log line
      | \[?(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|CRITICAL)\b
      | Traceback\ \(most\ recent | File\ "[^"]+",\ line\ \d+ | at\ [\w.$<>]+\(.*\)$
      | (?:def|class|import|from|return|if|for|while|const|let|var|function|public|private|\#include|SELECT|INSERT|UPDATE)\b.*[:;{(=)]
      | [\w.]*(?:Error|Exception|Warning)\b.*         # an exception line
      | [\w.]+\(.*\);?$                               # a bare call
      | [}\])];?,?$                                   # a closing bracket alone
      | .*[;{}]\s*$                                   # a statement or block line
      | [$>]\ \S+                                     # a shell prompt
      | [\w.\[\]"']+\s*[:=]\s*.*[\[{(,]\s*$           # an assignment or mapping opening a block
    )""",
    re.X,
)


@dataclass(frozen=True)
class SkipRules:
    min_chars: int = 0
    skip_code: bool = False

    @property
    def active(self) -> bool:
        return self.min_chars > 0 or self.skip_code

    @classmethod
    def from_settings(cls, settings: Any) -> SkipRules:
        """The rules a user set (``Settings.extraction``: ``skip_min_chars``, ``skip_code``)."""
        return cls(min_chars=settings.skip_min_chars, skip_code=settings.skip_code)

    def label(self, reason: str) -> str:
        """What a reason means under these rules, for a mark a person reads."""
        if reason == "short":
            return f"short (under {self.min_chars} characters)" if self.min_chars else "short"
        if reason == "code":
            return "code or log paste"
        return reason

    def describe(self) -> str:
        """The rules in one line, e.g. for the plan and the status bar's tooltip."""
        parts = []
        if self.min_chars:
            parts.append(f"messages under {self.min_chars} characters")
        if self.skip_code:
            parts.append("pure code or log pastes")
        return "skipping " + " and ".join(parts) if parts else "no turns skipped"

    def split(self, cases: Iterable[ExtractionCase]) -> tuple[list[ExtractionCase], list[tuple[ExtractionCase, str]]]:
        """(turns to extract, (turn, reason) for each skipped one), in the given order."""
        kept: list[ExtractionCase] = []
        skipped: list[tuple[ExtractionCase, str]] = []
        for case in cases:
            why = self.reason(case) if self.active else None
            if why is None:
                kept.append(case)
            else:
                skipped.append((case, why))
        return kept, skipped

    def reason(self, case: ExtractionCase) -> str | None:
        """Why this turn is skipped ("short" or "code"), or None to extract it."""
        text = case.message.strip()
        if self.min_chars and len(text) < self.min_chars:
            return "short"
        if self.skip_code and is_code_or_log(text):
            return "code"
        return None


def is_code_or_log(text: str) -> bool:
    """A paste of code or log output with (almost) no words of the user's own around it.

    A fenced block counts as code; outside fences, at least three lines and four in five of
    them looking like code or log lines."""
    outside = _FENCE.sub("", text)
    fenced = len(text) - len(outside)
    prose = [line for line in outside.splitlines() if line.strip()]
    if fenced and sum(len(line) for line in prose) <= max(40, fenced // 10):
        return all(_CODE_LINE.match(line) for line in prose) or sum(len(line) for line in prose) <= 40
    if len(prose) < 3:
        return False
    return sum(1 for line in prose if _CODE_LINE.match(line)) * 5 >= len(prose) * 4
