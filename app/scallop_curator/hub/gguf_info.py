"""What a GGUF file is, read from its header before loading it: architecture, quantization,
context length, chat template (and its ``enable_thinking`` switch), parameter count, file size.

The header is parsed here with the ``gguf`` package's constants (value types, key names, file
types) rather than ``gguf.GGUFReader``: the reader builds a numpy view for every token and merge
of the vocabulary, which takes seconds on a 150k-token model. This parser memory-maps the file,
reads only the header and the tensor table, and steps over vocabulary arrays by their lengths;
tensor data is never touched.
"""

from __future__ import annotations

import copy
import importlib.util
import mmap
import os
import struct
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any


def _gguf_constants() -> ModuleType:
    """The ``gguf`` package's ``constants`` module (value types, file types) without the package:
    ``import gguf`` loads numpy and its reader (about 150 ms), and this module is read when a model
    is named and before each extraction, on the way to the window. Same file, same enums."""
    name = "scallop_curator._gguf_constants"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("gguf")  # finds the package without running its __init__
    if package is None or not package.submodule_search_locations:
        import gguf.constants  # an unusual install: the package the ordinary way

        return gguf.constants
    location = Path(next(iter(package.submodule_search_locations))) / "constants.py"
    spec = importlib.util.spec_from_file_location(name, location)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_constants = _gguf_constants()
GGUFValueType = _constants.GGUFValueType
LlamaFileType = _constants.LlamaFileType

EXPECTED_ARCHITECTURE = "qwen35"  # scallopmemory-1
_MAGIC = b"GGUF"
_SMALL_ARRAY = 4096  # arrays up to this length are kept (e.g. per-layer head counts); longer ones skipped
_SCALARS: dict[int, str] = {
    GGUFValueType.UINT8: "B", GGUFValueType.INT8: "b", GGUFValueType.UINT16: "H", GGUFValueType.INT16: "h",
    GGUFValueType.UINT32: "I", GGUFValueType.INT32: "i", GGUFValueType.FLOAT32: "f", GGUFValueType.BOOL: "?",
    GGUFValueType.UINT64: "Q", GGUFValueType.INT64: "q", GGUFValueType.FLOAT64: "d",
}


class GGUFProblem(Exception):
    """The file is not a GGUF model we can read; the message is meant for the user."""


@dataclass
class GGUFInfo:
    path: Path
    file_size: int
    version: int
    metadata: dict[str, Any]  # every key; long arrays appear as ("array", length)
    tensor_count: int
    parameter_count: int | None
    warnings: list[str] = field(default_factory=list)

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key.format(arch=self.architecture), default)

    @property
    def architecture(self) -> str | None:
        return self.metadata.get("general.architecture")

    @property
    def name(self) -> str | None:
        return self.metadata.get("general.name")

    @property
    def quantization(self) -> str | None:
        file_type = self.metadata.get("general.file_type")
        if file_type is None:
            return None
        try:
            name = LlamaFileType(int(file_type)).name
        except ValueError:
            return f"unknown file type {file_type}"
        return "F32" if name == "ALL_F32" else name.removeprefix("MOSTLY_")

    @property
    def context_length(self) -> int | None:
        return _int(self.get("{arch}.context_length"))

    @property
    def block_count(self) -> int | None:
        return _int(self.get("{arch}.block_count"))

    @property
    def embedding_length(self) -> int | None:
        return _int(self.get("{arch}.embedding_length"))

    @property
    def head_count(self) -> int | None:
        value = self.get("{arch}.attention.head_count")
        return max(value) if isinstance(value, list) and value else _int(value)

    @property
    def vocab_size(self) -> int | None:
        size = _int(self.get("{arch}.vocab_size"))
        if size is None and isinstance(self.metadata.get("tokenizer.ggml.tokens"), tuple):
            size = self.metadata["tokenizer.ggml.tokens"][1]
        return size

    @property
    def chat_template(self) -> str | None:
        template = self.metadata.get("tokenizer.chat_template")
        return template if isinstance(template, str) and template.strip() else None

    @property
    def has_thinking_switch(self) -> bool:
        return self.chat_template is not None and "enable_thinking" in self.chat_template

    def facts(self) -> list[tuple[str, str]]:
        """(label, value) lines for people."""
        from scallop_curator.hub.download import format_size

        template = "none"
        if self.chat_template:
            template = "present, with an enable_thinking switch" if self.has_thinking_switch else "present, no enable_thinking switch"
        params = self.parameter_count
        rows = [
            ("File", str(self.path)),
            ("Size", format_size(self.file_size)),
            ("Name", self.name or "(not given)"),
            ("Architecture", self.architecture or "(not given)"),
            ("Quantization", self.quantization or "(not given)"),
            ("Parameters", _count(params) if params else str(self.metadata.get("general.size_label", "unknown"))),
            ("Context length", f"{self.context_length} tokens" if self.context_length else "(not given)"),
            ("Layers", str(self.block_count or "?")),
            ("Chat template", template),
        ]
        return rows


_CACHE: dict[tuple[str, int, int, str], GGUFInfo] = {}
_CACHE_LOCK = threading.Lock()


def read_gguf_info(path: str | os.PathLike[str], expected_architecture: str = EXPECTED_ARCHITECTURE) -> GGUFInfo:
    """The header facts and plain-words warnings; :class:`GGUFProblem` for anything that is not a readable GGUF.

    Kept per file (path, size, modification time): the window reads it before every extraction, and
    a header read costs tens of milliseconds on the UI thread; a changed file is read again."""
    path = Path(path)
    try:
        stat = path.stat()
        key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, expected_architecture)
    except OSError:
        key = None
    if key is not None:
        with _CACHE_LOCK:
            cached = _CACHE.get(key)
        if cached is not None:
            return copy.deepcopy(cached)
    info = _read_gguf_info(path, expected_architecture)
    if key is not None:
        with _CACHE_LOCK:
            if len(_CACHE) >= 8:
                _CACHE.pop(next(iter(_CACHE)))
            _CACHE[key] = copy.deepcopy(info)
    return info


def _read_gguf_info(path: Path, expected_architecture: str) -> GGUFInfo:
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise GGUFProblem(f"{path} does not exist.") from None
    except OSError as error:
        raise GGUFProblem(f"{path} cannot be read: {error.strerror or error}.") from None
    if path.is_dir():
        raise GGUFProblem(f"{path} is a folder, not a GGUF model file.")
    if size < 24:
        raise GGUFProblem(f"{path.name} is not a GGUF model file (it is only {size} bytes).")
    try:
        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            if data[:4] != _MAGIC:
                raise GGUFProblem(f"{path.name} is not a GGUF model file (it does not start with 'GGUF').")
            info = _parse(path, size, data)
    except GGUFProblem:
        raise
    except (struct.error, IndexError, ValueError, UnicodeDecodeError, OverflowError, MemoryError):
        raise GGUFProblem(f"{path.name} looks like a GGUF file but its header is damaged or cut short.") from None
    except OSError as error:
        raise GGUFProblem(f"{path} cannot be read: {error.strerror or error}.") from None
    info.warnings = _warnings(info, expected_architecture)
    return info


class _Cursor:
    def __init__(self, data: mmap.mmap, order: str) -> None:
        self.data = data
        self.order = order
        self.offset = 0
        self.size = len(data)

    def scalar(self, code: str) -> Any:
        fmt = self.order + code
        value = struct.unpack_from(fmt, self.data, self.offset)[0]
        self.offset += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        length = self.scalar("Q")
        end = self.offset + length
        if end > self.size:
            raise ValueError("string past the end of the file")
        text = self.data[self.offset : end].decode("utf-8", errors="replace")
        self.offset = end
        return text

    def skip_string(self) -> None:
        length = self.scalar("Q")
        self.offset += length
        if self.offset > self.size:
            raise ValueError("string past the end of the file")

    def value(self, kind: int) -> Any:
        if kind == GGUFValueType.STRING:
            return self.string()
        if kind == GGUFValueType.ARRAY:
            item_kind = self.scalar("I")
            count = self.scalar("Q")
            if count <= _SMALL_ARRAY:
                return [self.value(item_kind) for _ in range(count)]
            if item_kind == GGUFValueType.STRING:
                # A vocabulary: 50k-300k strings, skipped before every extraction's memory check on
                # the UI thread, so in one tight loop (3x faster than skip_string per item).
                length = struct.Struct(self.order + "Q").unpack_from
                data, offset = self.data, self.offset
                for _ in range(count):
                    offset += 8 + length(data, offset)[0]
                self.offset = offset
            elif item_kind in _SCALARS:
                self.offset += count * struct.calcsize(_SCALARS[item_kind])
            else:  # arrays of arrays: walk them
                for _ in range(count):
                    self.value(item_kind)
            if self.offset > self.size:
                raise ValueError("array past the end of the file")
            return ("array", count)
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        raise ValueError(f"unknown GGUF value type {kind}")


def _parse(path: Path, size: int, data: mmap.mmap) -> GGUFInfo:
    version = struct.unpack_from("<I", data, 4)[0]
    order = "<"
    if version & 0xFFFF == 0:  # written on a big-endian machine
        order = ">"
        version = struct.unpack_from(">I", data, 4)[0]
    if version not in (2, 3):
        raise GGUFProblem(f"{path.name} is GGUF version {version}, which this app cannot read (2 or 3 only).")
    cursor = _Cursor(data, order)
    cursor.offset = 8
    tensor_count = cursor.scalar("Q")
    kv_count = cursor.scalar("Q")
    if kv_count > 1_000_000 or tensor_count > 10_000_000:
        raise ValueError("implausible counts")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = cursor.string()
        metadata[key] = cursor.value(cursor.scalar("I"))
    parameters = 0
    for _ in range(tensor_count):
        cursor.skip_string()
        n_dims = cursor.scalar("I")
        elements = 1
        for _ in range(n_dims):
            elements *= cursor.scalar("Q")
        cursor.scalar("I")  # tensor type
        cursor.scalar("Q")  # offset of the data
        parameters += elements
    return GGUFInfo(path, size, version, metadata, tensor_count, parameters or None)


def _warnings(info: GGUFInfo, expected: str | None) -> list[str]:
    found: list[str] = []
    arch = info.architecture
    if not arch:
        found.append("The file does not say which architecture it is; loading it may fail.")
    elif expected and arch != expected:
        found.append(
            f"This model's architecture is '{arch}', not '{expected}' (scallopmemory-1's). It may work, "
            "but the prompt and the output format were tuned for scallopmemory-1."
        )
    if info.chat_template is None:
        found.append("The file has no chat template; a plain ChatML template will be used.")
    elif not info.has_thinking_switch:
        found.append(
            "The chat template has no enable_thinking switch, so thinking cannot be turned off through "
            "it; an empty think block is added instead, and a model that thinks anyway will be slower."
        )
    if info.context_length is None:
        found.append("The file does not say its context length.")
    return found


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    return None


def _count(n: int) -> str:
    for unit, scale in (("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if n >= scale:
            return f"{n / scale:.2f}{unit}".replace(".00", "")
    return str(n)
