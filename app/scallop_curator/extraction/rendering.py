"""A profile rendered through a model's own chat template, as tokens: the whole prompt of a turn,
and the prefix that turns at the same date and time share. Needs only the model's vocabulary, so
a dry run counts tokens exactly without loading the weights."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.extraction import chat_template
from scallop_curator.extraction.profiles import PromptProfile

CONTEXT_MARK = "\u2063CONTEXT\u2063"
MESSAGE_MARK = "\u2063MESSAGE\u2063"
_CONTEXT_MARK, _MESSAGE_MARK = CONTEXT_MARK, MESSAGE_MARK


class PromptRenderer:
    """Renders ``prompt`` with ``llm``'s chat template and tokenizer."""

    def __init__(self, llm: Any, prompt: PromptProfile) -> None:
        self.llm = llm
        self.prompt = prompt
        metadata: dict[str, Any] = llm.metadata
        self.template = metadata.get("tokenizer.chat_template")
        self.bos = self._token_text(llm.token_bos())
        self.eos = self._token_text(llm.token_eos())
        # Turns with no timestamp at all are shown this run's date (and say so: time_source "none").
        self._run_time = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def _tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _plain_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def prompt_tokens(self, context: str | None, message: str, when: datetime | None = None,
                      zone: str = "") -> list[int]:
        """The whole prompt as tokens. Only the template's own text may hold special tokens:
        a pasted "<|im_end|>" in a chat message stays text and cannot end the turn early."""
        rendered = self._render(_CONTEXT_MARK if context else None, _MESSAGE_MARK, when, zone)
        tokens: list[int] = []
        for part in re.split(f"({_CONTEXT_MARK}|{_MESSAGE_MARK})", rendered):
            if part == _CONTEXT_MARK:
                tokens += self._plain_tokens(context or "")
            elif part == _MESSAGE_MARK:
                tokens += self._plain_tokens(message)
            elif part:
                tokens += self._tokens(part)
        return tokens

    def _render(self, context: str | None, message: str, when: datetime | None = None, zone: str = "") -> str:
        messages = self.prompt.messages(context, message, when or self._run_time, zone)
        return chat_template.render(self.template, messages, self.bos, self.eos)

    def _clock(self, case: ExtractionCase) -> tuple[datetime, str]:
        return case.time or self._run_time, case.timezone or ""

    def _prefix_for(self, when: datetime | None, zone: str) -> list[int]:
        """The tokens every turn at this date and time shares: the rendering up to where the
        previous reply or the message starts, whether or not the turn has a previous reply."""
        with_context = self._render(_CONTEXT_MARK, _MESSAGE_MARK, when, zone)
        without = self._render(None, _MESSAGE_MARK, when, zone)
        cuts = [with_context.find(mark) for mark in (_CONTEXT_MARK, _MESSAGE_MARK) if mark in with_context]
        if not cuts:  # a custom prompt that places neither part: nothing fixed to snapshot
            return []
        end = min(cuts)
        common = next((i for i, (a, b) in enumerate(zip(with_context[:end], without)) if a != b), end)
        # Drop the last token: the tokenizer may merge it with what follows the prefix.
        return self._tokens(with_context[:common])[:-1]

    def case_tokens(self, case: ExtractionCase) -> tuple[int, list[int]]:
        """(whole prompt tokens, shared prefix tokens) of one case, uncut."""
        when, zone = self._clock(case)
        return len(self.prompt_tokens(case.context, case.message, when, zone)), self._prefix_for(when, zone)
