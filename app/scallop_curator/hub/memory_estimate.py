"""Will the model fit in memory? A rough estimate from the GGUF header, compared with free memory.

needed = file size                      (weights; llama.cpp maps the file, it must stay in RAM to run well)
       + KV cache                       n_ctx x attention layers x kv heads x (key + value length) x 2 bytes (f16)
       + recurrent state                for hybrid models (qwen35/qwen3next "gated delta net" layers, Mamba):
                                        per recurrent layer, in f32,
                                        (conv_kernel - 1) x (inner_size + 2 x group_count x state_size)
                                        + state_size x inner_size
       + working buffers                about 300 MB + 5 % of the file (compute buffers, logits, scratch)

Attention layers: every layer, except for a hybrid with ``full_attention_interval`` k (one attention
layer in k) or with per-layer kv head counts where 0 marks a recurrent layer. It is meant to be
within some 20 %, not exact.

With a GPU (see ``gpu_memory``), the layers that fit in its free memory are offloaded (the setting
``n_gpu_layers``, -1: as many as fit) and only the rest is counted against the RAM; on Apple
Silicon the GPU shares the RAM, so everything is counted against it.

Free memory: ``MemAvailable`` from /proc/meminfo on Linux, GlobalMemoryStatusEx on Windows,
``os.sysconf`` free pages elsewhere where offered (an underestimate), else unknown.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Literal

from scallop_curator.hub.download import format_size
from scallop_curator.hub.gguf_info import GGUFInfo
from scallop_curator.hub import gpu_memory as gpu_info
from scallop_curator.hub.gpu_memory import GPUMemory, LayerFit, fit_layers

KV_BYTES_PER_VALUE = 2  # llama.cpp's default f16 cache
STATE_BYTES_PER_VALUE = 4  # recurrent state is f32
BASE_OVERHEAD = 300_000_000


@dataclass(frozen=True)
class MemoryEstimate:
    n_ctx: int
    model_bytes: int
    kv_bytes: int
    state_bytes: int
    overhead_bytes: int
    available_bytes: int | None
    note: str | None = None  # e.g. n_ctx beyond the model's trained context
    gpu: GPUMemory | None = None  # None: a CPU build of llama.cpp
    fit: LayerFit | None = None  # the split between GPU and RAM, where the GPU's free memory is known
    gpu_layers_setting: int = -1  # -1: as many as fit

    @property
    def total_bytes(self) -> int:
        return self.model_bytes + self.kv_bytes + self.state_bytes + self.overhead_bytes

    @property
    def needed_bytes(self) -> int:
        """RAM needed: everything, less what goes to a GPU of its own."""
        if self.fit is not None and self.gpu is not None and not self.gpu.unified:
            return self.fit.ram_bytes
        return self.total_bytes

    @property
    def fits(self) -> bool | None:
        """True (comfortably), False (not enough), None (unknown free memory or tight)."""
        if self.available_bytes is None:
            return None
        if self.needed_bytes <= 0.9 * self.available_bytes:
            return True
        if self.needed_bytes <= self.available_bytes:
            return None
        return False

    @property
    def verdict(self) -> str:
        needs = f"needs about {format_size(self.needed_bytes)}"
        if self.available_bytes is None:
            text = f"{needs}; free memory unknown"
        else:
            free = f"{format_size(self.available_bytes)} free"
            if self.needed_bytes <= 0.9 * self.available_bytes:
                text = f"{needs}, {free}: fine"
            elif self.needed_bytes <= self.available_bytes:
                text = f"{needs}, {free}: tight; close other programs first"
            else:
                text = f"{needs}, {free}: not enough memory; close other programs or use a smaller context (--n-ctx)"
        return f"{text} ({self.note})" if self.note else text

    @property
    def gpu_verdict(self) -> str | None:
        """The GPU's part in words; None for a CPU build."""
        gpu, fit = self.gpu, self.fit
        if gpu is None:
            return None
        if self.gpu_layers_setting == 0:
            return f"{gpu.name} not used: GPU layers is set to 0, so the model runs on the CPU"
        if gpu.free_bytes is None or fit is None:
            if self.gpu_layers_setting > 0:
                return f"{gpu.name}: {self.gpu_layers_setting} layers, as set; its free memory is unknown"
            return f"{gpu.name}: free memory unknown; every layer is offloaded (set GPU layers to limit it)"
        free = f"{format_size(gpu.free_bytes)} free"
        if gpu.unified:
            return f"{gpu.name}: all {fit.offloadable} layers run on it, in the memory above"
        if fit.all_fit:
            return (f"{gpu.name}: all {fit.offloadable} layers fit ({format_size(fit.gpu_bytes)} of "
                    f"{free}); {format_size(fit.ram_bytes)} stays in RAM (input embeddings)")
        if 0 < self.gpu_layers_setting == fit.gpu_layers:
            return (f"{gpu.name}: {fit.gpu_layers} of {fit.offloadable} layers, as set ({format_size(fit.gpu_bytes)} "
                    f"of {free}); {format_size(fit.ram_bytes)} stays in RAM")
        if fit.gpu_layers == 0:
            return (f"{gpu.name}: no layer fits in {free}; the model runs on the CPU, "
                    f"all {format_size(fit.ram_bytes)} in RAM")
        return (f"{gpu.name}: {fit.gpu_layers} of {fit.offloadable} layers fit ({format_size(fit.gpu_bytes)} "
                f"of {free}); the other {fit.offloadable - fit.gpu_layers} and the input embeddings, "
                f"{format_size(fit.ram_bytes)}, stay in RAM and run on the CPU (slower)")

    @property
    def is_warning(self) -> bool:
        return self.fits is not True or self.note is not None

    def breakdown(self) -> str:
        return (
            f"weights {format_size(self.model_bytes)}, KV cache for {self.n_ctx} tokens {format_size(self.kv_bytes)}"
            + (f", recurrent state {format_size(self.state_bytes)}" if self.state_bytes else "")
            + f", working buffers ~{format_size(self.overhead_bytes)}"
        )


def estimate_memory(info: GGUFInfo, n_ctx: int, available: int | None = -1,
                    gpu: GPUMemory | None | Literal["detect"] = "detect", gpu_layers: int = -1) -> MemoryEstimate:
    """``available=-1`` reads free memory now; pass a number (or None) to compare with that instead.
    ``gpu="detect"`` looks for an offloading llama.cpp build and the GPU's free memory; pass a
    :class:`GPUMemory` (or None: CPU only) instead. ``gpu_layers`` is the setting (-1: as many as fit)."""
    layers = info.block_count or 0
    head_count = info.head_count or 1
    embedding = info.embedding_length or 0
    key_len = _int(info.get("{arch}.attention.key_length")) or (embedding // head_count if head_count else 0)
    value_len = _int(info.get("{arch}.attention.value_length")) or key_len
    kv_heads = info.get("{arch}.attention.head_count_kv", head_count)

    per_layer_kv = kv_heads if isinstance(kv_heads, list) else [(_int(kv_heads) or head_count)] * layers
    interval = _int(info.get("{arch}.full_attention_interval"))
    attention = [
        il for il in range(min(layers, len(per_layer_kv)))
        if per_layer_kv[il] and (not interval or (il + 1) % interval == 0)
    ]
    kv_per_layer = {il: n_ctx * per_layer_kv[il] * (key_len + value_len) * KV_BYTES_PER_VALUE for il in attention}
    kv_bytes = sum(kv_per_layer.values())

    state_bytes, per_layer = 0, 0
    conv = _int(info.get("{arch}.ssm.conv_kernel"))
    inner = _int(info.get("{arch}.ssm.inner_size"))
    state = _int(info.get("{arch}.ssm.state_size"))
    if conv and inner and state:
        groups = _int(info.get("{arch}.ssm.group_count")) or 1
        recurrent_layers = layers - len(attention)
        per_layer = (conv - 1) * (inner + 2 * groups * state) + state * inner
        state_bytes = recurrent_layers * per_layer * STATE_BYTES_PER_VALUE

    cache = [kv_per_layer.get(il, per_layer * STATE_BYTES_PER_VALUE if state_bytes else 0) for il in range(layers)]
    overhead = BASE_OVERHEAD + info.file_size // 20
    if gpu == "detect":
        gpu = gpu_info.gpu_memory(gpu_info.offload_backend())
    fit = None
    if gpu is not None and gpu.free_bytes is not None and layers:
        vocab = info.vocab_size or 0
        params = info.parameter_count or 0
        embedding_bytes = info.file_size * vocab * embedding // params if params else 0
        fit = fit_layers(info.file_size, layers, min(embedding_bytes, info.file_size), cache, overhead,
                         gpu.free_bytes, gpu_layers)

    note = None
    if info.context_length and n_ctx > info.context_length:
        note = f"a context of {n_ctx} tokens is more than the {info.context_length} the model was trained for"
    return MemoryEstimate(
        n_ctx=n_ctx,
        model_bytes=info.file_size,
        kv_bytes=kv_bytes,
        state_bytes=state_bytes,
        overhead_bytes=overhead,
        available_bytes=available_memory() if available == -1 else available,
        note=note,
        gpu=gpu,
        fit=fit,
        gpu_layers_setting=gpu_layers,
    )


def available_memory() -> int | None:
    """Bytes of memory available to a new program now, or None where it cannot be told."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    if sys.platform == "win32":
        return _windows_available()
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _windows_available() -> int | None:
    try:
        import ctypes

        class MemoryStatus(ctypes.Structure):
            _fields_ = [
                ("dwLength", ctypes.c_ulong), ("dwMemoryLoad", ctypes.c_ulong),
                ("ullTotalPhys", ctypes.c_ulonglong), ("ullAvailPhys", ctypes.c_ulonglong),
                ("ullTotalPageFile", ctypes.c_ulonglong), ("ullAvailPageFile", ctypes.c_ulonglong),
                ("ullTotalVirtual", ctypes.c_ulonglong), ("ullAvailVirtual", ctypes.c_ulonglong),
                ("ullAvailExtendedVirtual", ctypes.c_ulonglong),
            ]

        status = MemoryStatus()
        status.dwLength = ctypes.sizeof(MemoryStatus)
        if ctypes.windll.kernel32.GlobalMemoryStatusEx(ctypes.byref(status)):  # type: ignore[attr-defined]
            return int(status.ullAvailPhys)
    except Exception:  # noqa: BLE001 - unknown is an answer
        return None
    return None


def _int(value) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None
