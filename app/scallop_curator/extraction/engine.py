"""The local llama.cpp engine. It lives inside the worker process only: a crash in native code
must never take the window down with it."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scallop_curator import paths
from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import TurnResult
from scallop_curator.extraction.grammar import fact_grammar, max_answer_tokens
from scallop_curator.extraction.model_file import fingerprint
from scallop_curator.extraction.output import ParseFailure, parse_facts
from scallop_curator.extraction.profiles import WIDEST, PromptProfile
from scallop_curator.extraction.rendering import PromptRenderer
from scallop_curator.settings import EngineSettings

log = logging.getLogger("engine")

CUT_MARK = "\n[… {n} characters cut …]\n"
MIN_MESSAGE_TOKENS = 256
_STATE_MAGIC = b"SCALLOP-PREFIX-STATE 1\n"
#: Prefix snapshots kept in memory (a prompt that shows the date has one prefix per day) ...
MEMORY_SNAPSHOTS = 4
#: ... and on disk per model and prompt version, least recently used dropped first.
DISK_SNAPSHOTS = 32


@dataclass
class EngineStats:
    prompt_tokens: int = 0
    evaluated_tokens: int = 0


class LocalEngine(PromptRenderer):
    """Loads one GGUF and extracts facts from one case at a time.

    The fixed prompt prefix is evaluated once and snapshotted; every turn restores that
    snapshot, so only the variable tail is evaluated. This works for hybrid/recurrent
    architectures too, where llama.cpp cannot truncate state to a shared prefix. A prompt that
    shows the turn's date has one prefix per date (and time grain): snapshots are keyed by the
    prefix's tokens, kept in memory and on disk, least recently used dropped.
    """

    def __init__(self, model_path: str | Path, prompt: PromptProfile, settings: EngineSettings,
                 reuse_prefix: bool = True, persist_prefix: bool = True) -> None:
        import llama_cpp
        from llama_cpp import Llama

        from scallop_curator.extraction import checked_greedy
        from scallop_curator.hub.gpu_memory import resolve_gpu_layers

        self.prompt = prompt
        self.settings = settings
        self.reuse_prefix = reuse_prefix
        self.model_path = Path(model_path)
        self.persist_prefix = persist_prefix
        self.prefix_source: str | None = None  # "disk" or "evaluated" once snapshotted
        #: The layers given to the GPU: the setting, or for -1 the layers that fit (0 on a CPU build).
        self.gpu_layers = resolve_gpu_layers(self.model_path, settings.n_gpu_layers, settings.n_ctx,
                                             bool(llama_cpp.llama_supports_gpu_offload()))
        self.llm = Llama(
            model_path=str(model_path),
            n_ctx=settings.n_ctx,
            n_threads=settings.n_threads,
            n_batch=settings.n_batch,
            n_gpu_layers=self.gpu_layers,
            seed=settings.seed,
            verbose=False,
        )
        # Greedy under the answer grammar, checking only the token taken (see checked_greedy):
        # every completion gets this sampler, reset, in place of the library's sampler chain.
        checked_greedy.install(self.llm, fact_grammar(prompt.answer))
        self.max_tokens = max_answer_tokens(prompt.answer)
        PromptRenderer.__init__(self, self.llm, prompt)
        self._last_eval = 0
        self._real_eval = self.llm.eval
        self.llm.eval = self._counting_eval  # type: ignore[method-assign]
        self._prefix_tokens: list[int] = []
        self._prefix_state: Any = None
        self._snapshots: OrderedDict[tuple[int, ...], Any] = OrderedDict()
        #: Where each turn's prefix came from: "memory", "disk" or "evaluated" (a miss).
        self.prefix_stats: Counter[str] = Counter()
        self.prefix_tokens_evaluated = 0  # over the engine's life, at start-up included
        self._fixed_tokens = len(self.prompt_tokens(None, "", WIDEST))
        needed = self.max_tokens + self._fixed_tokens + MIN_MESSAGE_TOKENS
        if settings.n_ctx < needed:
            raise ValueError(
                f"the context size ({settings.n_ctx:,} tokens) is too small: the instructions and the longest "
                f"answer alone need {needed:,}. Raise it to at least {needed:,} in Settings."
            )
        if reuse_prefix and not prompt.uses_clock:
            self._use_prefix(self._prefix_for(None, ""))

    # -------------------------------------------------------------- helpers
    def _counting_eval(self, tokens: Any) -> None:
        self._last_eval += len(tokens)
        self._real_eval(tokens)

    def _use_prefix(self, tokens: list[int]) -> Any:
        """Make ``tokens``' snapshot the current one, from memory, disk, or by evaluating them."""
        if not tokens:
            return None
        key = tuple(tokens)
        state = self._snapshots.get(key)
        if state is not None:
            self._snapshots.move_to_end(key)
            source = "memory"
        else:
            file = self._state_file(tokens) if self.persist_prefix else None
            if file is not None and self._load_state_file(file, tokens):
                state, source = self._prefix_state, "disk"
            else:
                self.llm.reset()
                self.llm.eval(tokens)
                state, source = _lean(self.llm.save_state()), "evaluated"
                self.prefix_tokens_evaluated += len(tokens)
                if file is not None:
                    _write_state_file(file, tokens, state)
            self._snapshots[key] = state
            while len(self._snapshots) > MEMORY_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        self.prefix_stats[source] += 1
        self.prefix_source = source
        self._prefix_tokens, self._prefix_state = tokens, state
        return state

    # -------------------------------------------------------------- snapshot on disk
    def _state_file(self, tokens: list[int]) -> Path | None:
        """One file per (model fingerprint, prompt version); the name also pins the exact prefix
        tokens and the llama.cpp build, whose state format may change."""
        import llama_cpp

        try:
            model = fingerprint(self.model_path)
        except OSError:
            return None
        pin = hashlib.sha256(json.dumps([tokens, llama_cpp.__version__]).encode()).hexdigest()[:12]
        version = "".join(c if c.isalnum() or c in "-_." else "_" for c in self.prompt.version)
        return paths.cache_dir() / "prefix-state" / f"{model}-{version}-{pin}.state"

    def _load_state_file(self, file: Path, tokens: list[int]) -> bool:
        from llama_cpp import LlamaState

        try:
            data = file.read_bytes()
        except FileNotFoundError:
            return False
        except OSError as error:
            log.warning("prefix state %s unreadable: %s", file, error)
            return False
        try:
            if not data.startswith(_STATE_MAGIC):
                raise ValueError("not a prefix state file")
            end = data.index(b"\n", len(_STATE_MAGIC))
            header = json.loads(data[len(_STATE_MAGIC):end])
            blob = data[end + 1:]
            if header["tokens"] != tokens or header["size"] != len(blob):
                raise ValueError("prefix or size mismatch")
            import numpy as np

            input_ids = np.zeros_like(self.llm.input_ids)
            input_ids[: len(tokens)] = tokens
            state = LlamaState(input_ids=input_ids, scores=np.zeros((1, self.llm.n_vocab()), dtype=np.single),
                               n_tokens=len(tokens), llama_state=blob, llama_state_size=len(blob),
                               seed=header["seed"])
            self.llm.load_state(state)  # raises if llama.cpp rejects the data
        except (ValueError, KeyError, TypeError, RuntimeError) as error:
            log.warning("prefix state %s not usable (%s); evaluating the prefix again", file, error)
            self.llm.reset()
            return False
        self._prefix_state = state
        try:
            os.utime(file)  # most recently used: the last to be dropped
        except OSError:
            pass
        return True

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
        when, zone = self._clock(case)
        tokens = self.prompt_tokens(context, message, when, zone)
        self._last_eval = 0
        if self.reuse_prefix and self.prompt.uses_clock:
            self._use_prefix(self._prefix_for(when, zone))
        elif self.reuse_prefix and self._prefix_state is not None:
            self.prefix_stats["memory"] += 1
        prefix_evaluated = self._last_eval  # a new date's prefix, evaluated for this turn
        if self.reuse_prefix and self._prefix_state is not None and tokens[: len(self._prefix_tokens)] == self._prefix_tokens:
            self.llm.load_state(self._prefix_state)
        else:
            # Without a snapshot to restore, start clean: llama.cpp cannot trim the state of
            # recurrent layers back to a shared prefix, so reusing whatever is there is unsafe.
            self.llm.reset()
        self._last_eval = 0
        n_before = self.llm.n_tokens
        reused = n_before if tokens[:n_before] == list(self.llm.input_ids[:n_before]) else 0
        response = self.llm.create_completion(
            tokens,
            max_tokens=self.max_tokens,
            temperature=0.0,
            stopping_criteria=StoppingCriteriaList([lambda _ids, _logits: should_stop()]),
        )
        raw = response["choices"][0]["text"]
        completion_tokens = response["usage"]["completion_tokens"]
        # The last generated token is evaluated too when generation ends on EOS (not on
        # max_tokens): never count more prompt tokens than were not already in the state.
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
            evaluated_tokens=prefix_evaluated + min(evaluated, len(tokens) - reused),
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


def _lean(state: Any) -> Any:
    """Drop the per-token scores from a snapshot. llama-cpp-python fills them only with
    ``logits_all=True``, which we never use (sampling reads the context's own logits, and every
    turn evaluates at least one token after a restore), yet ``save_state`` copies
    min(n_prefix, n_batch) x n_vocab floats: hundreds of MB for a 250k-token vocabulary, copied
    again on every ``load_state``. One zero row broadcasts into ``load_state``'s assignment."""
    import numpy as np

    state.scores = np.zeros((1, state.scores.shape[1]), dtype=np.single)
    return state


def _write_state_file(file: Path, tokens: list[int], state: Any) -> None:
    header = json.dumps({"tokens": tokens, "size": state.llama_state_size, "seed": state.seed})
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".tmp{os.getpid()}")
        tmp.write_bytes(_STATE_MAGIC + header.encode() + b"\n" + bytes(state.llama_state))
        os.replace(tmp, file)
        # One model and prompt version has one prefix per date shown: keep the most recently used.
        stem = file.name.rsplit("-", 1)[0] + "-"
        same = [old for old in file.parent.glob(f"{stem}*.state") if old.name.rsplit("-", 1)[0] + "-" == stem]
        same.sort(key=lambda old: old.stat().st_mtime, reverse=True)
        for old in same[DISK_SNAPSHOTS:]:
            if old != file:
                old.unlink(missing_ok=True)
    except OSError as error:
        log.warning("prefix state not saved to %s: %s", file, error)
