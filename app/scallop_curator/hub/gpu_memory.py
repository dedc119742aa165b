"""How many of a model's layers fit on the GPU, from the GGUF header and the GPU's free memory.

``n_gpu_layers = -1`` in the settings means "as many as fit". llama.cpp counts the offloadable
layers as the repeating blocks plus the output layer (``block_count + 1``); the input embeddings
always stay in RAM. What one block costs on the GPU is estimated as in ``memory_estimate``:

    block     = (file size - input embeddings) / (block_count + 1)     weights, output layer as one block
              + its KV cache (attention blocks) or recurrent state (recurrent blocks)
    resident  = compute buffers: about 300 MB + 5 % of the file, once any layer is offloaded

Blocks are offloaded while ``resident + k x block`` stays within 90 % of the free memory.

Free GPU memory: ``nvidia-smi`` (all NVIDIA GPUs together, as llama.cpp splits layers across
them). Apple Silicon shares its memory: the free RAM is the GPU's. Elsewhere (Vulkan, ROCm) it
is unknown, and llama.cpp is asked for every layer, as ``-1`` always meant there.

Whether the llama.cpp build can offload at all is read from the files installed beside
llama-cpp-python (``libggml-cuda``, ``libggml-metal``...), so that the window process never
loads the native library: the worker process, which loads it anyway, asks llama.cpp itself.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("engine")

#: Offload no more than this share of the free GPU memory: drivers and other programs need some.
GPU_MARGIN = 0.9
#: Offload backends, by the library llama-cpp-python installs for them.
_BACKEND_LIBS = {"cuda": "CUDA", "metal": "Metal", "vulkan": "Vulkan", "hip": "ROCm", "sycl": "SYCL"}


@dataclass(frozen=True)
class GPUMemory:
    """What the GPU offers: a name for people and the free bytes (None: unknown)."""

    name: str
    free_bytes: int | None
    unified: bool = False  # Apple Silicon: the GPU's memory is the RAM


def nvidia_free_memory(timeout: float = 5.0) -> int | None:
    """Free bytes on all NVIDIA GPUs together, from ``nvidia-smi``; None without one (or a driver)."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=memory.free", "--format=csv,noheader,nounits"],
            capture_output=True, text=True, timeout=timeout, check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError) as error:
        log.info("nvidia-smi gave no free memory: %s", error)
        return None
    total = 0
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            total += int(float(line)) * 1024 * 1024  # MiB
        except ValueError:
            log.info("nvidia-smi answered %r, not a number of MiB", line)
            return None
    return total or None


def offload_backend() -> str | None:
    """The GPU backend the installed llama.cpp was built with (e.g. "CUDA"), None for a CPU build,
    read from its library files without loading them."""
    try:
        spec = importlib.util.find_spec("llama_cpp")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        lib = Path(folder) / "lib"
        if not lib.is_dir():
            continue
        names = [path.name.lower() for path in lib.iterdir()]
        for key, name in _BACKEND_LIBS.items():
            if any(n.startswith(f"libggml-{key}") or n.startswith(f"ggml-{key}") for n in names):
                return name
    return None


def gpu_memory(backend: str | None) -> GPUMemory | None:
    """The GPU the backend would use and its free memory; None for a CPU build."""
    if backend is None:
        return None
    if backend == "Metal" or (sys.platform == "darwin" and backend != "CUDA"):
        from scallop_curator.hub.memory_estimate import available_memory

        return GPUMemory("Apple GPU (shared memory)", available_memory(), unified=True)
    if backend == "CUDA":
        return GPUMemory("NVIDIA GPU", nvidia_free_memory())
    return GPUMemory(f"{backend} GPU", None)


@dataclass(frozen=True)
class LayerFit:
    """How a model splits between GPU and RAM."""

    offloadable: int  # block_count + 1 (the output layer)
    gpu_layers: int  # how many of them go to the GPU
    gpu_bytes: int  # estimated GPU memory used
    ram_bytes: int  # estimated RAM still used (input embeddings, the layers left, buffers)

    @property
    def all_fit(self) -> bool:
        return self.gpu_layers >= self.offloadable


def fit_layers(file_size: int, block_count: int, embedding_bytes: int, cache_per_block: list[int],
               overhead_bytes: int, free_bytes: int, requested: int = -1) -> LayerFit:
    """Offload the last ``k`` blocks (llama.cpp's order), the output layer first, while they fit in
    ``GPU_MARGIN`` of ``free_bytes``; ``requested`` >= 0 caps ``k`` (the user's own number).

    ``cache_per_block`` is each block's KV cache or recurrent state, in block order."""
    blocks = max(block_count, 0)
    offloadable = blocks + 1
    weights = max(file_size - embedding_bytes, 0) // offloadable
    cache = (cache_per_block + [0] * blocks)[:blocks]
    # llama.cpp offloads the output layer first (n_gpu_layers > block_count), then blocks from the last.
    costs = [weights] + [weights + cache[il] for il in reversed(range(blocks))]
    limit = offloadable if requested < 0 else min(requested, offloadable)
    budget = int(GPU_MARGIN * free_bytes) - overhead_bytes
    used, k = 0, 0
    while k < limit and used + costs[k] <= budget:
        used += costs[k]
        k += 1
    total = file_size + sum(cache) + overhead_bytes
    gpu = used + (overhead_bytes if k else 0)
    return LayerFit(offloadable=offloadable, gpu_layers=k, gpu_bytes=gpu, ram_bytes=total - gpu)



def resolve_gpu_layers(model_path: str | os.PathLike[str], requested: int, n_ctx: int, supports_offload: bool) -> int:
    """The ``n_gpu_layers`` to give llama.cpp: the user's own number as it is; for -1 ("as many as
    fit") 0 on a build that cannot offload, else the layers that fit in the GPU's free memory (-1,
    every layer, where that memory cannot be told). ``supports_offload`` comes from llama.cpp
    (``llama_supports_gpu_offload``), which the caller has loaded already."""
    if requested >= 0:
        return requested
    if not supports_offload:
        return 0
    from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
    from scallop_curator.hub.memory_estimate import estimate_memory

    backend = offload_backend() or ("Metal" if sys.platform == "darwin" else "CUDA" if shutil.which("nvidia-smi") else "GPU")
    gpu = gpu_memory(backend)
    if gpu is not None and gpu.unified:
        log.info("GPU layers: every layer (%s: the GPU shares the RAM, keeping layers off it saves none)", gpu.name)
        return -1
    try:
        info = read_gguf_info(model_path, expected_architecture="")
    except GGUFProblem as problem:
        log.info("GPU layers: every layer (the header could not be read: %s)", problem)
        return -1
    estimate = estimate_memory(info, n_ctx, available=None, gpu=gpu, gpu_layers=-1)
    if estimate.fit is None:
        log.info("GPU layers: every layer (%s)", estimate.gpu_verdict)
        return -1
    log.info("GPU layers: %d of %d (%s)", estimate.fit.gpu_layers, estimate.fit.offloadable, estimate.gpu_verdict)
    return estimate.fit.gpu_layers
