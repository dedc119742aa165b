"""Greedy decoding under a grammar that checks only the token it is about to take.

llama-cpp-python's sampler chain applies the grammar to every token of the vocabulary before each
pick: about 10 ms a token with SmolLM2's 49k tokens on a laptop core, as long as the model's own
step, and it grows with the vocabulary (Qwen3.5 has about five times as many). llama.cpp's own
sampler (``common_sampler_sample``) first takes the best token, asks the grammar about that one
token, and falls back to the whole vocabulary only when the grammar refuses it. Under greedy
decoding that is exact: the best token, when the grammar allows it, is also the best allowed one
(ties go to the lowest id both ways). This module is that path for llama-cpp-python, with one
step more: a refused pick first tries the few next-best tokens, which settles most refusals (a
JSON answer's grammar refuses a fifth to a half of the model's first choices) without the whole
vocabulary; the best allowed one among them is the best allowed overall when its logit is above
every token left out.
"""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

#: How many of the best tokens a refused pick tries before the whole vocabulary.
SHORTLIST = 256
_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class CheckedGreedySampler:
    """A stand-in for llama-cpp-python's ``LlamaSampler`` (its ``sample``/``accept``/``reset``/
    ``close``) that decodes greedily under ``grammar`` (GBNF text). The grammar's state advances
    with every token taken: ``reset`` before each completion (``install`` does)."""

    def __init__(self, llm: Any, grammar: str, root: str = "root") -> None:
        import llama_cpp

        self._lib = llama_cpp
        self._n_vocab = llm.n_vocab()
        self._grammar = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, grammar.encode(), root.encode())
        if not self._grammar:
            raise ValueError("llama.cpp could not parse the answer grammar")
        self._one = (llama_cpp.llama_token_data * 1)()
        self._few = np.zeros(SHORTLIST, dtype=_TOKEN_DATA)
        self._all = np.zeros(self._n_vocab, dtype=_TOKEN_DATA)
        self._all["id"] = np.arange(self._n_vocab, dtype=np.intc)
        #: Picks the grammar refused (settled by the shortlist or the whole vocabulary).
        self.refused = 0
        #: Refused picks the shortlist could not settle.
        self.full = 0
        self.taken = 0

    def _allows(self, token: int, logit: float) -> bool:
        lib = self._lib
        self._one[0].id, self._one[0].logit, self._one[0].p = token, logit, 0.0
        array = lib.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        lib.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return bool(np.isfinite(self._one[0].logit))

    def _apply(self, candidates: np.ndarray) -> None:
        """Let the grammar set the logit of every token it refuses to -inf."""
        lib = self._lib
        data = candidates.ctypes.data_as(ctypes.POINTER(lib.llama_token_data))
        array = lib.llama_token_data_array(data=data, size=len(candidates), selected=-1, sorted=False)
        lib.llama_sampler_apply(self._grammar, ctypes.byref(array))

    def _best_of_shortlist(self, logits: np.ndarray) -> int | None:
        """The best allowed token when it is among the ``SHORTLIST`` best and beats every token left
        out (so no tie outside can have a lower id); None when the whole vocabulary must decide."""
        if self._n_vocab <= SHORTLIST:
            return None
        ids = np.argpartition(logits, -SHORTLIST)[-SHORTLIST:]
        few = self._few
        few["id"], few["logit"], few["p"] = ids, logits[ids], 0.0
        floor = float(few["logit"].min())
        self._apply(few)
        best = float(few["logit"].max())
        if not np.isfinite(best) or best <= floor:
            return None
        return int(few["id"][few["logit"] == best].min())

    def _best_allowed(self, logits: np.ndarray) -> int:
        shortlisted = self._best_of_shortlist(logits)
        if shortlisted is not None:
            return shortlisted
        self.full += 1
        self._all["logit"] = logits
        self._all["p"] = 0.0
        self._apply(self._all)
        return int(np.argmax(self._all["logit"]))

    def sample(self, ctx: Any, idx: int = -1) -> int:
        pointer = self._lib.llama_get_logits_ith(ctx.ctx, idx)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,))
        token = int(np.argmax(logits))
        if not self._allows(token, float(logits[token])):
            self.refused += 1
            token = self._best_allowed(logits)
        self.taken += 1
        self.accept(token)
        return token

    def accept(self, token: int) -> None:
        self._lib.llama_sampler_accept(self._grammar, token)

    def reset(self) -> None:
        self._lib.llama_sampler_reset(self._grammar)

    def close(self) -> None:
        if self._grammar:
            self._lib.llama_sampler_free(self._grammar)
            self._grammar = None

    def __del__(self) -> None:
        self.close()


def install(llm: Any, grammar: str) -> CheckedGreedySampler:
    """Make every completion of ``llm`` sample with a checked greedy sampler under ``grammar``:
    llama-cpp-python's ``generate`` asks ``_init_sampler`` for its sampler once per completion, and
    gets this one, reset to the grammar's start."""
    sampler = CheckedGreedySampler(llm, grammar)

    def fresh(**_options: Any) -> CheckedGreedySampler:
        sampler.reset()
        return sampler

    llm._init_sampler = fresh
    return sampler
