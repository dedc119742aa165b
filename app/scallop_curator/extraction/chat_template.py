"""Render a GGUF's own chat template ourselves, so template switches such as
``enable_thinking`` reach it (llama-cpp-python's chat handlers drop them)."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Any

from jinja2 import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

EMPTY_THINK = "<think>\n\n</think>\n\n"

CHATML = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


class TemplateProblem(Exception):
    pass


def _raise(message: str) -> None:
    raise TemplateError(message)


def _environment() -> ImmutableSandboxedEnvironment:
    # The same options Hugging Face renders with; some templates use {% break %} / {% continue %}.
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.globals["raise_exception"] = _raise
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env


@functools.lru_cache(maxsize=8)
def _compiled(source: str) -> Any:
    """A template compiled once: compiling costs more than rendering (2/3 of a turn's prompt)."""
    return _environment().from_string(source)


def uses_thinking(template: str) -> bool:
    # Some reasoning templates only mention the closing tag (to strip reasoning from history).
    return "<think>" in template or "</think>" in template or "enable_thinking" in template


def render(
    template: str | None,
    messages: list[dict[str, str]],
    bos_token: str = "",
    eos_token: str = "",
) -> str:
    """The full prompt, ending with the assistant's generation prompt and, for thinking models,
    the empty think block that switches thinking off."""
    source = template or CHATML
    try:
        prompt = _compiled(source).render(
            messages=messages,
            add_generation_prompt=True,
            enable_thinking=False,
            bos_token=bos_token,
            eos_token=eos_token,
            tools=None,
        )
    except TemplateError as error:
        raise TemplateProblem(f"The model's chat template failed: {error}") from error
    if uses_thinking(source):
        tail = prompt.rstrip()
        if tail.endswith("<think>"):
            # The template opens the think block itself (DeepSeek-R1 style): close it empty.
            prompt = tail + EMPTY_THINK.removeprefix("<think>")
        elif not tail.endswith("</think>"):
            # A thinking template without the switch: write the empty think block ourselves.
            prompt += EMPTY_THINK
    return prompt


def strip_thinking(text: str) -> str:
    """Drop reasoning the model still wrote before its answer, closed or left open.

    Only a leading think block goes: "<think>" inside a fact's text is part of the answer.
    """
    stripped = text.lstrip()
    if stripped.startswith("<think>"):
        end = stripped.find("</think>")
        if end < 0:
            # Left open: the answer, if any, starts at the first JSON brace after the reasoning.
            brace = stripped.find("{")
            return stripped[brace:].strip() if brace >= 0 else ""
        return stripped[end + len("</think>"):].strip()
    if "</think>" in stripped and not stripped.startswith(("{", "[")):
        # The template opened the block; the model only closed it.
        return stripped.split("</think>", 1)[1].strip()
    return stripped.strip()
