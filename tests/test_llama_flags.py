"""packaging/llama_flags.sh: the CMake flags llama-cpp-python is built with. CUDA (for the GPU
present only) where nvcc and a working nvidia-smi are found, never with SCALLOP_FORCE_CPU=1; the
CPU flags stay portable either way. nvcc and nvidia-smi are stand-in scripts put first on PATH."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def flags(tmp_path: Path, nvidia_smi_status: int, force_cpu: bool = False) -> list[str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for name, status in (("nvcc", 0), ("nvidia-smi", nvidia_smi_status)):
        tool = bin_dir / name
        tool.write_text(f"#!/bin/sh\nexit {status}\n")
        tool.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    env.pop("SCALLOP_FORCE_CPU", None)
    if force_cpu:
        env["SCALLOP_FORCE_CPU"] = "1"
    out = subprocess.run(["bash", "-c", "source packaging/llama_flags.sh && llama_cmake_args"], cwd=REPO, env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return out.split()


def test_a_gpu_with_its_toolkit_builds_cuda_for_that_gpu_only(tmp_path: Path) -> None:
    args = flags(tmp_path, nvidia_smi_status=0)
    assert "-DGGML_CUDA=ON" in args and "-DCMAKE_CUDA_ARCHITECTURES=native" in args
    assert "-DGGML_NATIVE=OFF" in args  # the CPU part stays portable


def test_no_working_gpu_means_a_cpu_build(tmp_path: Path) -> None:
    args = flags(tmp_path, nvidia_smi_status=9)  # nvidia-smi there, but no GPU or driver answers
    assert not any("CUDA" in arg for arg in args)
    assert "-DGGML_NATIVE=OFF" in args


def test_force_cpu_overrides_a_gpu(tmp_path: Path) -> None:
    args = flags(tmp_path, nvidia_smi_status=0, force_cpu=True)
    assert not any("CUDA" in arg for arg in args)
