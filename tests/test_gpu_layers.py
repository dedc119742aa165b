"""GPU layers "as many as fit" (the setting -1): the free GPU memory from nvidia-smi (a stand-in
script first on PATH here; the real one on a GPU machine), the fit arithmetic, the memory
estimate's GPU part, and the real engine on the tiny hybrid fixture: 0 layers on a CPU build of
llama.cpp (nvidia-smi never asked), the layers that fit on a GPU build."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scallop_curator.hub.gguf_info import read_gguf_info
from scallop_curator.hub.gpu_memory import GPUMemory, fit_layers, nvidia_free_memory, resolve_gpu_layers
from scallop_curator.hub.memory_estimate import estimate_memory

TINY_QWEN35 = Path(__file__).resolve().parent / "fixtures" / "models" / "tiny-qwen35.gguf"
MiB = 1024 * 1024


@pytest.fixture
def fake_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """``answer(text, status=0)``: nvidia-smi prints ``text`` and exits with ``status``; every call
    is logged to ``calls`` (its arguments, one line a call)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    calls = tmp_path / "calls"

    def answer(text: str, status: int = 0) -> Path:
        tool = bin_dir / "nvidia-smi"
        tool.write_text(f"#!/bin/sh\necho \"$@\" >> '{calls}'\nprintf '%s' '{text}'\nexit {status}\n")
        tool.chmod(0o755)
        return calls

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return answer


def test_free_memory_is_read_from_nvidia_smi_and_summed_over_gpus(fake_nvidia_smi) -> None:  # type: ignore[no-untyped-def]
    calls = fake_nvidia_smi("2048\n1024\n")
    assert nvidia_free_memory() == 3072 * MiB
    assert "--query-gpu=memory.free --format=csv,noheader,nounits" in calls.read_text()


@pytest.mark.parametrize("text, status", [("", 9), ("[N/A]\n", 0), ("", 0)])
def test_no_answer_from_nvidia_smi_means_unknown(fake_nvidia_smi, text: str, status: int) -> None:  # type: ignore[no-untyped-def]
    fake_nvidia_smi(text, status)
    assert nvidia_free_memory() is None


def test_fit_offloads_the_output_layer_then_blocks_from_the_last() -> None:
    # 4 blocks + output = 5 offloadable; weights (1100 - 100 embeddings) / 5 = 200 each;
    # blocks 0 and 3 hold 10 bytes of cache. Budget 0.9 x 1000 - 50 buffers = 850:
    # output 200 + block 3 210 + block 2 200 + block 1 200 = 810, block 0 (210) no longer fits.
    fit = fit_layers(1100, 4, 100, [10, 0, 0, 10], 50, 1000)
    assert (fit.offloadable, fit.gpu_layers, fit.gpu_bytes) == (5, 4, 810 + 50)
    assert fit.ram_bytes == 1100 + 20 + 50 - fit.gpu_bytes  # block 0, its cache and the embeddings
    assert not fit.all_fit
    assert fit_layers(1100, 4, 100, [10, 0, 0, 10], 50, 10_000).all_fit
    assert fit_layers(1100, 4, 100, [10, 0, 0, 10], 50, 10_000, requested=2).gpu_layers == 2
    nothing = fit_layers(1100, 4, 100, [10, 0, 0, 10], 50, 100)
    assert (nothing.gpu_layers, nothing.gpu_bytes, nothing.ram_bytes) == (0, 0, 1100 + 20 + 50)


def _partial_free_mib() -> tuple[int, int]:
    """A free GPU memory (MiB) in which only some of the tiny model's layers fit, and how many."""
    info = read_gguf_info(TINY_QWEN35, expected_architecture="")
    for mib in range(250, 1000):
        fit = estimate_memory(info, 8192, available=None, gpu=GPUMemory("NVIDIA GPU", mib * MiB)).fit
        assert fit is not None
        if 0 < fit.gpu_layers < fit.offloadable:
            return mib, fit.gpu_layers
    raise AssertionError("no free memory gives a partial fit")


def test_estimate_says_how_many_layers_fit_and_what_stays_in_ram() -> None:
    info = read_gguf_info(TINY_QWEN35, expected_architecture="")
    mib, layers = _partial_free_mib()
    partial = estimate_memory(info, 8192, available=None, gpu=GPUMemory("NVIDIA GPU", mib * MiB))
    assert partial.gpu_verdict is not None
    assert f"{layers} of 5 layers fit" in partial.gpu_verdict and "stay in RAM" in partial.gpu_verdict
    assert partial.needed_bytes == partial.fit.ram_bytes < partial.total_bytes  # type: ignore[union-attr]
    roomy = estimate_memory(info, 8192, available=None, gpu=GPUMemory("NVIDIA GPU", 80_000 * MiB))
    assert roomy.gpu_verdict is not None and roomy.gpu_verdict.startswith("NVIDIA GPU: all 5 layers fit")
    off = estimate_memory(info, 8192, available=None, gpu=GPUMemory("NVIDIA GPU", 80_000 * MiB), gpu_layers=0)
    assert "set to 0" in (off.gpu_verdict or "") and off.needed_bytes == off.total_bytes
    shared = estimate_memory(info, 8192, available=None, gpu=GPUMemory("Apple GPU", 8000 * MiB, unified=True))
    assert shared.needed_bytes == shared.total_bytes  # one memory: everything counts against the RAM
    cpu = estimate_memory(info, 8192, available=None, gpu=None)
    assert cpu.gpu_verdict is None and cpu.needed_bytes == cpu.total_bytes


def test_resolve_keeps_a_number_and_asks_no_gpu_on_a_cpu_build(fake_nvidia_smi) -> None:  # type: ignore[no-untyped-def]
    calls = fake_nvidia_smi("80000\n")
    assert resolve_gpu_layers(TINY_QWEN35, 3, 8192, supports_offload=True) == 3
    assert resolve_gpu_layers(TINY_QWEN35, -1, 8192, supports_offload=False) == 0
    assert not calls.exists()


def test_resolve_fits_the_layers_into_the_free_gpu_memory(fake_nvidia_smi) -> None:  # type: ignore[no-untyped-def]
    fake_nvidia_smi("80000\n")
    assert resolve_gpu_layers(TINY_QWEN35, -1, 8192, supports_offload=True) == 5
    mib, layers = _partial_free_mib()
    fake_nvidia_smi(f"{mib}\n")
    assert resolve_gpu_layers(TINY_QWEN35, -1, 8192, supports_offload=True) == layers
    fake_nvidia_smi("100\n")
    assert resolve_gpu_layers(TINY_QWEN35, -1, 8192, supports_offload=True) == 0


@pytest.mark.model
def test_engine_as_many_as_fit_runs_on_this_build() -> None:
    """The real engine with the default setting: a CPU build resolves -1 to 0 layers and extracts;
    a GPU build (a device machine) puts every layer of the tiny model on the GPU and extracts."""
    import llama_cpp

    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    settings = EngineSettings(n_ctx=8192, n_threads=2)
    assert settings.n_gpu_layers == -1
    engine = LocalEngine(TINY_QWEN35, load_prompt(), settings, persist_prefix=False)
    try:
        expected = 5 if llama_cpp.llama_supports_gpu_offload() else 0
        assert engine.gpu_layers == expected
        engine.max_tokens = 24
        result = engine.extract(ExtractionCase(conversation_id="c", turn_index=1, context=None,
                                               message="I moved to Oslo last year with my wife Anna."))
        assert result.prompt_tokens > 0 and result.raw_output
    finally:
        engine.llm.close()


@pytest.mark.model
def test_engine_partial_offload(fake_nvidia_smi) -> None:  # type: ignore[no-untyped-def]
    """With free GPU memory for only some layers (nvidia-smi says so), a GPU build offloads those
    and still extracts; a CPU build offloads none."""
    import llama_cpp

    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.extraction.engine import LocalEngine
    from scallop_curator.extraction.prompt import load_prompt
    from scallop_curator.settings import EngineSettings

    mib, layers = _partial_free_mib()
    fake_nvidia_smi(f"{mib}\n")
    engine = LocalEngine(TINY_QWEN35, load_prompt(), EngineSettings(n_ctx=8192, n_threads=2), persist_prefix=False)
    try:
        assert engine.gpu_layers == (layers if llama_cpp.llama_supports_gpu_offload() else 0)
        engine.max_tokens = 24
        result = engine.extract(ExtractionCase(conversation_id="c", turn_index=1, context="Hello there.",
                                               message="My daughter's birthday is on 14 March."))
        assert result.prompt_tokens > 0 and result.raw_output
    finally:
        engine.llm.close()


@pytest.mark.parametrize("saved, loaded", [(0, -1), (12, 12), (-1, -1)])
def test_version_2_default_of_0_becomes_as_many_as_fit(saved: int, loaded: int) -> None:
    """Version 2 wrote its default 0 into every settings file: that 0 was no choice, so it becomes
    -1; any other number was the user's and stays."""
    import json

    from scallop_curator import paths
    from scallop_curator.settings import SCHEMA_VERSION, Settings

    path = paths.settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"schema_version": 2, "model_path": "/models/a.gguf",
                                "engine": {"n_ctx": 4096, "n_threads": 2, "n_batch": 256, "n_gpu_layers": saved, "seed": 0}}))
    settings = Settings.load()
    assert settings.take_problems() == []
    assert (settings.schema_version, settings.engine.n_gpu_layers, settings.engine.n_ctx) == (SCHEMA_VERSION, loaded, 4096)


def test_model_info_has_a_gpu_line(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    from scallop_curator.hub.cli import add_model_parser, model_command
    from scallop_curator.hub.gpu_memory import offload_backend

    parser = argparse.ArgumentParser(prog="scallop-curator")
    add_model_parser(parser.add_subparsers(dest="command", required=True))
    assert model_command(parser.parse_args(["model", "info", str(TINY_QWEN35), "--n-gpu-layers", "0"])) == 0
    [gpu_line] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("GPU:")]
    if offload_backend() is None:
        assert gpu_line.endswith("none: this llama.cpp build runs on the CPU only")
    else:  # a GPU build: the GPU is named, and the setting 0 keeps the model off it
        assert "GPU layers is set to 0" in gpu_line


def test_apple_silicon_puts_every_layer_on_its_shared_memory_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    """Metal shares the RAM: no layer kept off the GPU would save memory, so -1 stays -1."""
    from scallop_curator.hub import gpu_memory

    monkeypatch.setattr(gpu_memory, "offload_backend", lambda: "Metal")
    assert resolve_gpu_layers(TINY_QWEN35, -1, 8192, supports_offload=True) == -1
