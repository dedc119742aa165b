"""The local llama.cpp engine. It lives inside the worker process only: a crash in native code
must never take the window down with it."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.extraction import chat_template
from scallop_curator.extraction.grammar import fact_grammar, max_answer_tokens
from scallop_curator.extraction.output import ParseFailure, parse_facts
from scallop_curator.extraction.prompt import PromptTemplate
from scallop_curator.settings import EngineSettings

log = logging.getLogger("engine")

CUT_MARK = "\n[… {n} characters cut …]\n"
_SENTINEL = "\u2063SCALLOP\u2063"


@dataclass
class EngineStats:
    prompt_tokens: int = 0
    evaluated_tokens: int = 0


class LocalEngine:
    """Loads one GGUF and extracts facts from one case at a time.

    The fixed prompt prefix is evaluated once and snapshotted; every turn restores that
    snapshot, so only the variable tail is evaluated. This works for hybrid/recurrent
    architectures too, where llama.cpp cannot truncate state to a shared prefix.
    """

    def __init__(self, model_path: str | Path, prompt: PromptTemplate, settings: EngineSettings,
                 reuse_prefix: bool = True) -> None:
        from llama_cpp import Llama, LlamaGrammar

        self.prompt = prompt
        self.settings = settings
        self.reuse_prefix = reuse_prefix
        self.llm = Llama(
            model_path=str(model_path),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_batch=settings.n_batch,
            n_gpu_layers=settings.n_gpu_layers,
            seed=settings.seed,
            verbose=False,
        )
        self._grammar = LlamaGrammar.from_string(fact_grammar(), verbose=False)
        self.max_tokens = max_answer_tokens()
        metadata: dict[str, Any] = self.llm.metadata
        self.template = metadata.get("tokenizer.chat_template")
        self.bos = self._token_text(self.llm.token_bos())
        self.eos = self._token_text(self.llm.token_eos())
        self._last_eval = 0
        self._real_eval = self.llm.eval
        self.llm.eval = self._counting_eval  # type: ignore[method-assign]
        self._prefix_tokens: list[int] = []
        self._prefix_state: Any = None
        self._fixed_tokens = len(self._tokens(self._render(None, "")))
        if reuse_prefix:
            self._snapshot_prefix()

    # -------------------------------------------------------------- helpers
    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        return self.llm.detokenize([token], special=True).decode("utf-8", errors="ignore")

    def _counting_eval(self, tokens: Any) -> None:
        self._last_eval += len(tokens)
        self._real_eval(tokens)

    def _tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def _plain_tokens(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    def _render(self, context: str | None, message: str) -> str:
        return chat_template.render(self.template, self.prompt.messages(context, message), self.bos, self.eos)

    def _snapshot_prefix(self) -> None:
        rendered = self._render(_SENTINEL, "x")
        prefix_text = rendered[: rendered.index(_SENTINEL)]
        # Drop the last token: the tokenizer may merge it with what follows the prefix.
        tokens = self._tokens(prefix_text)[:-1]
        if not tokens:
            return
        self.llm.reset()
        self.llm.eval(tokens)
        self._prefix_tokens = tokens
        self._prefix_state = self.llm.save_state()

    def _cut(self, text: str, budget: int) -> tuple[str, bool]:
        """Keep the start and the end of a text that does not fit in ``budget`` tokens."""
        tokens = self._plain_tokens(text)
        if len(tokens) <= budget:
            return text, False
        keep = max(budget - 24, 16)
        head = self.llm.detokenize(tokens[: keep * 2 // 3]).decode("utf-8", errors="ignore")
        tail = self.llm.detokenize(tokens[-(keep - keep * 2 // 3):]).decode("utf-8", errors="ignore")
        cut = len(text) - len(head) - len(tail)
        return head + CUT_MARK.format(n=f"{cut:,}") + tail, True

    def fit(self, case: ExtractionCase) -> tuple[str | None, str, bool]:
        budget = self.settings.n_ctx - self.max_tokens - self._fixed_tokens - 8
        context, message = case.context, case.message
        cut_context = cut_message = False
        if context:
            context, cut_context = self._cut(context, max(budget // 4, 32))
            budget -= len(self._plain_tokens(context))
        message, cut_message = self._cut(message, max(budget, 32))
        return context, message, cut_context or cut_message

    # -------------------------------------------------------------- extraction
    def extract(self, case: ExtractionCase, should_stop: Callable[[], bool] = lambda: False) -> TurnResult:
        from llama_cpp import StoppingCriteriaList

        started = time.perf_counter()
        context, message, truncated = self.fit(case)
        tokens = self._tokens(self._render(context, message))
        if self.reuse_prefix and self._prefix_state is not None and tokens[: len(self._prefix_tokens)] == self._prefix_tokens:
            self.llm.load_state(self._prefix_state)
        elif not self.reuse_prefix:
            self.llm.reset()
        self._last_eval = 0
        n_before = self.llm.n_tokens
        reused = n_before if tokens[:n_before] == list(self.llm.input_ids[:n_before]) else 0
        response = self.llm.create_completion(
            tokens,
            max_tokens=self.max_tokens,
            temperature=0.0,
            grammar=self._grammar,
            stopping_criteria=StoppingCriteriaList([lambda _ids, _logits: should_stop()]),
        )
        raw = response["choices"][0]["text"]
        completion_tokens = response["usage"]["completion_tokens"]
        evaluated = max(self._last_eval - completion_tokens + 1, 0)
        latency = (time.perf_counter() - started) * 1000
        result = TurnResult(
            conversation_id=case.conversation_id,
            turn_index=case.turn_index,
            parse_ok=False,
            raw_output=raw,
            latency_ms=round(latency, 1),
            truncated=truncated,
            prompt_tokens=len(tokens),
            evaluated_tokens=min(evaluated, len(tokens) - reused) if reused else evaluated,
        )
        if should_stop():
            result.error = "cancelled"
            return result
        try:
            result.facts = parse_facts(raw)
            result.parse_ok = True
        except ParseFailure as failure:
            result.error = str(failure)
        return result
