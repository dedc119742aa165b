"""Rendering a GGUF's own chat template, with thinking switched off, and the template read from the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gguf
import pytest

from scallop_curator.extraction import chat_template
from scallop_curator.extraction.chat_template import CHATML, EMPTY_THINK, TemplateProblem, render, strip_thinking

# Qwen3's shape: ChatML, with the empty think block written by the template itself when
# enable_thinking is false, and reasoning of earlier assistant turns stripped from history.
QWEN3_STYLE = (
    "{%- for message in messages %}"
    "{%- if message.role == 'assistant' and '</think>' in message.content %}"
    "{%- set content = message.content.split('</think>')[-1].lstrip('\\n') %}"
    "{%- else %}{%- set content = message.content %}{%- endif %}"
    "{{- '<|im_start|>' + message.role + '\\n' + content + '<|im_end|>' + '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}"
    "{%- endif %}"
    "{%- endif %}"
)

# A reasoning model's template with no switch: it only strips reasoning from history.
THINKING_NO_SWITCH = (
    "{{ bos_token }}{% for message in messages %}"
    "{% set content = message['content'] %}"
    "{% if '</think>' in content %}{% set content = content.split('</think>')[-1] %}{% endif %}"
    "<|{{ message['role'] }}|>{{ content }}{{ eos_token }}"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>{% endif %}"
)

MESSAGES = [{"role": "system", "content": "Extract facts."}, {"role": "user", "content": "I live in Porto."}]


def test_qwen3_style_template_gets_exactly_one_empty_think_block() -> None:
    prompt = render(QWEN3_STYLE, MESSAGES)
    assert prompt.endswith("<|im_start|>assistant\n" + EMPTY_THINK)
    assert prompt.count("<think>") == 1 and prompt.count("</think>") == 1
    assert prompt.startswith("<|im_start|>system\nExtract facts.<|im_end|>\n<|im_start|>user\nI live in Porto.")


def test_thinking_template_without_switch_still_gets_the_empty_block() -> None:
    prompt = render(THINKING_NO_SWITCH, MESSAGES, bos_token="<s>", eos_token="</s>")
    assert prompt == "<s><|system|>Extract facts.</s><|user|>I live in Porto.</s><|assistant|>" + EMPTY_THINK


def test_template_that_opens_the_think_block_gets_it_closed_not_doubled() -> None:
    # DeepSeek-R1's newer templates end the generation prompt with "<think>\n".
    template = THINKING_NO_SWITCH.replace("<|assistant|>{% endif %}", "<|assistant|><think>\n{% endif %}")
    prompt = render(template, MESSAGES)
    assert prompt.endswith("<|assistant|>" + EMPTY_THINK)
    assert prompt.count("<think>") == 1


def test_non_thinking_template_gets_no_think_block() -> None:
    prompt = render(CHATML, MESSAGES)
    assert "think>" not in prompt
    assert prompt.endswith("<|im_start|>assistant\n")
    assert render(None, MESSAGES) == prompt  # a GGUF without a template falls back to ChatML


def test_user_text_mentioning_think_tags_does_not_change_the_ending() -> None:
    messages = [MESSAGES[0], {"role": "user", "content": "what does </think> mean in <think> tags?"}]
    assert render(CHATML, messages).endswith("<|im_start|>assistant\n")


def test_broken_template_raises_template_problem() -> None:
    with pytest.raises(TemplateProblem, match="chat template failed"):
        render("{{ raise_exception('only user and assistant roles are supported') }}", MESSAGES)


def test_template_using_loop_controls_renders() -> None:
    # Hugging Face renders templates with jinja2.ext.loopcontrols; some GGUF templates use {% break %}.
    template = ("{% for message in messages %}{% if message.role == 'user' %}{{ message.content }}{% break %}"
                "{% endif %}{% endfor %}")
    assert render(template, MESSAGES) == "I live in Porto."


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<think>\nsome reasoning\n</think>\n\n{\"facts\": []}", '{"facts": []}'),
        ("<think>\n\n</think>\n\n{\"facts\": []}", '{"facts": []}'),
        # After the answer, think text is left alone: the JSON parser reads the first value only.
        ("{\"facts\": []}<think>never closed reasoning that ran out",
         '{"facts": []}<think>never closed reasoning that ran out'),
        ("<think>open reasoning, then {\"facts\": []}", '{"facts": []}'),
        ("reasoning without an opening tag</think>{\"facts\": []}", '{"facts": []}'),
        ("<think>a</think>x<think>b</think>y", "x<think>b</think>y"),
        ('{"facts": [{"content": "Writes <think> tags in prompts"}]}', '{"facts": [{"content": "Writes <think> tags in prompts"}]}'),
        ("  plain answer  ", "plain answer"),
    ],
)
def test_strip_thinking(raw: str, expected: str) -> None:
    assert strip_thinking(raw) == expected


def test_uses_thinking() -> None:
    assert chat_template.uses_thinking(QWEN3_STYLE)
    assert chat_template.uses_thinking(THINKING_NO_SWITCH)
    assert not chat_template.uses_thinking(CHATML)


# ------------------------------------------------------------------ template from the GGUF header
def _write_metadata_only_gguf(path: Path, template: str) -> None:
    writer = gguf.GGUFWriter(str(path), arch="qwen3")
    writer.add_name("tiny template carrier")
    writer.add_chat_template(template)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def test_template_round_trips_through_a_gguf_header(tmp_path: Path) -> None:
    path = tmp_path / "tiny.gguf"
    _write_metadata_only_gguf(path, QWEN3_STYLE)
    field = gguf.GGUFReader(str(path)).fields["tokenizer.chat_template"]
    template = field.contents()
    assert template == QWEN3_STYLE
    prompt = render(template, MESSAGES)
    assert prompt.endswith("assistant\n" + EMPTY_THINK) and prompt.count("<think>") == 1


@pytest.mark.model
def test_engine_renders_the_template_stored_in_the_model_file(tmp_path: Path, demo_model: Path) -> None:
    """The demo model with its template replaced: the engine must use the file's template."""
    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    marked = QWEN3_STYLE.replace("'<|im_start|>assistant\\n'", "'<|im_start|>assistant [from-gguf]\\n'")
    template_file = tmp_path / "template.jinja"
    template_file.write_text(marked, encoding="utf-8")
    copy = tmp_path / "qwen3-style.gguf"
    subprocess.run(
        [sys.executable, "-m", "gguf.scripts.gguf_new_metadata", str(demo_model), str(copy),
         "--chat-template-file", str(template_file), "--force"],
        check=True, capture_output=True, timeout=120,
    )
    engine = LocalEngine(copy, load_prompt(), EngineSettings(n_ctx=8192, n_threads=2), reuse_prefix=True)
    try:
        assert engine.template == marked
        case = ExtractionCase(conversation_id="c", turn_index=0, context=None, message="I live in Porto.")
        context, message, truncated = engine.fit(case)
        prompt = engine._render(context, message)
        assert prompt.endswith("<|im_start|>assistant [from-gguf]\n" + EMPTY_THINK)
        assert prompt.count("<think>") == 1
    finally:
        engine.llm.close()
