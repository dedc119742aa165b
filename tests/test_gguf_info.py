"""GGUF header facts before loading, the memory estimate, and ``model info``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
from scallop_curator.hub.memory_estimate import available_memory, estimate_memory

QWEN_TEMPLATE = (
    "{%- for message in messages %}{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}"
    "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking is false %}{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}"
    "{%- endif %}"
)


def write_qwen35(path: Path) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), "qwen35")
    writer.add_name("tiny qwen35")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q5_K_M)
    writer.add_context_length(262144)
    writer.add_block_count(8)
    writer.add_embedding_length(256)
    writer.add_head_count(8)
    writer.add_head_count_kv(2)
    writer.add_key_length(64)
    writer.add_value_length(64)
    writer.add_full_attention_interval(4)
    writer.add_ssm_conv_kernel(4)
    writer.add_ssm_inner_size(512)
    writer.add_ssm_state_size(64)
    writer.add_ssm_group_count(4)
    writer.add_ssm_time_step_rank(8)
    writer.add_chat_template(QWEN_TEMPLATE)
    writer.add_token_list([f"t{i}" for i in range(5000)])  # longer than the kept-array limit: skipped by length
    writer.add_tensor("token_embd.weight", np.zeros((100, 256), dtype=np.float32))
    writer.add_tensor("output_norm.weight", np.ones(256, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_smollm2_header_facts(demo_model: Path) -> None:
    info = read_gguf_info(demo_model)
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.context_length == 8192
    assert info.block_count == 30
    assert info.chat_template and "<|im_start|>" in info.chat_template
    assert not info.has_thinking_switch
    assert info.vocab_size == 49152
    assert 130e6 < (info.parameter_count or 0) < 140e6
    assert info.file_size == demo_model.stat().st_size
    assert any("no enable_thinking switch" in w for w in info.warnings)
    assert any("'llama', not 'qwen35'" in w for w in info.warnings)
    facts = dict(info.facts())
    assert facts["Architecture"] == "llama" and facts["Quantization"] == "Q4_1"


def test_qwen35_with_thinking_switch_has_no_warning(tmp_path: Path) -> None:
    info = read_gguf_info(write_qwen35(tmp_path / "tiny.gguf"))
    assert info.architecture == "qwen35"
    assert info.quantization == "Q5_K_M"
    assert info.context_length == 262144
    assert info.has_thinking_switch
    assert info.vocab_size == 5000
    assert info.parameter_count == 100 * 256 + 256
    assert info.warnings == []
    assert dict(info.facts())["Chat template"] == "present, with an enable_thinking switch"


def test_memory_estimate_for_a_hybrid_model(tmp_path: Path) -> None:
    info = read_gguf_info(write_qwen35(tmp_path / "tiny.gguf"))
    estimate = estimate_memory(info, 4096, available=None)
    # 8 layers, one in 4 is attention -> 2 attention layers of 2 kv heads x (64 + 64), f16
    assert estimate.kv_bytes == 4096 * 2 * 2 * 128 * 2
    # 6 recurrent layers: (4-1) x (512 + 2x4x64) conv + 64 x 512 state, f32
    assert estimate.state_bytes == 6 * (3 * (512 + 512) + 64 * 512) * 4
    assert estimate.model_bytes == info.file_size
    assert estimate.verdict.endswith("free memory unknown")


def test_memory_verdicts(demo_model: Path) -> None:
    info = read_gguf_info(demo_model)
    # The CPU's verdicts (gpu=None); with a GPU only what stays in RAM counts (tests/test_gpu_layers.py).
    need = estimate_memory(info, 8192, available=None, gpu=None).needed_bytes
    assert 0.4e9 < need < 0.8e9  # 98 MB weights + ~190 MB KV cache + buffers
    fine = estimate_memory(info, 8192, available=20 * need, gpu=None)
    assert fine.fits is True and fine.verdict.endswith("free: fine") and fine.verdict.startswith("needs about")
    tight = estimate_memory(info, 8192, available=int(need * 1.05), gpu=None)
    assert tight.fits is None and "tight" in tight.verdict
    short = estimate_memory(info, 8192, available=need // 2, gpu=None)
    assert short.fits is False and "not enough memory" in short.verdict
    beyond = estimate_memory(info, 16384, available=20 * need, gpu=None)
    assert "more than the 8192" in beyond.verdict


def test_free_memory_is_read() -> None:
    free = available_memory()
    assert free is None or free > 0


@pytest.mark.parametrize("content", [b"", b"not a model at all, just text\n" * 4, b'{"json": true}' * 10])
def test_non_gguf_is_refused(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(content)
    with pytest.raises(GGUFProblem, match="is not a GGUF model file"):
        read_gguf_info(path)


def test_truncated_gguf_is_refused(tmp_path: Path, demo_model: Path) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(demo_model.read_bytes()[:5000])
    with pytest.raises(GGUFProblem, match="damaged or cut short"):
        read_gguf_info(path)


def _model_cli(argv: list[str]) -> int:
    from scallop_curator.hub.cli import add_model_parser, model_command

    parser = argparse.ArgumentParser(prog="scallop-curator")
    add_model_parser(parser.add_subparsers(dest="command", required=True))
    return model_command(parser.parse_args(argv))


def test_model_info_prints_facts_and_verdict(demo_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _model_cli(["model", "info", str(demo_model), "--n-ctx", "4096"]) == 0
    out = capsys.readouterr().out
    assert "Architecture:   llama" in out
    assert "Quantization:   Q4_1" in out
    assert "Memory:         needs about" in out
    assert "Warning: The chat template has no enable_thinking switch" in out


def test_model_info_refuses_a_non_gguf_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert _model_cli(["model", "info", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.strip().count("\n") == 0
    assert "is not a GGUF model file" in captured.err and "Traceback" not in captured.err


def test_header_is_kept_per_file_and_read_again_when_the_file_changes(tmp_path: Path) -> None:
    model = write_qwen35(tmp_path / "model.gguf")
    first = read_gguf_info(model)
    first.warnings.append("changed by a caller")  # a caller's change must not reach the next reader
    again = read_gguf_info(model)
    assert again.architecture == first.architecture and "changed by a caller" not in again.warnings
    model.write_bytes(b"not a model at all, and long enough to be read")  # same path, new content
    with pytest.raises(GGUFProblem, match="not a GGUF model file"):
        read_gguf_info(model)


def test_reading_a_header_loads_neither_numpy_nor_the_gguf_package(demo_model: Path) -> None:
    """It runs when a model is named and before each extraction: ``import gguf`` would bring numpy
    (about 150 ms) onto that path. The enums are the package's own, read from its constants file."""
    import subprocess
    import sys

    code = f"""
import sys
from scallop_curator.hub.gguf_info import LlamaFileType, read_gguf_info
info = read_gguf_info({str(demo_model)!r})
print("numpy" not in sys.modules and "gguf" not in sys.modules, end=" ")
import gguf.constants
print(LlamaFileType.MOSTLY_Q4_1.value == gguf.constants.LlamaFileType.MOSTLY_Q4_1.value, info.quantization)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.split() == ["True", "True", "Q4_1"]
