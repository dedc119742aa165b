"""The headless import keeps freed heap memory for reuse (importers/heap.py): streaming a big list
then faults far fewer pages in. Counted in page faults (a count, not a time)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

CHILD = r"""
import resource, sys
from scallop_curator.importers.heap import keep_freed_memory
from scallop_curator.importers.json_stream import iter_json_array
if sys.argv[2] == "keep":
    assert keep_freed_memory()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
count = sum(1 for _ in iter_json_array(lambda: open(sys.argv[1], "rb"), 1 << 40, 1 << 30))
print(count, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(path: Path, mode: str) -> tuple[int, int]:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), mode], capture_output=True, text=True, check=True)
    count, faults = done.stdout.split()
    return int(count), int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_streaming_with_freed_memory_kept_faults_far_fewer_pages(tmp_path: Path) -> None:
    items = [{"id": i, "text": "été 日本 " * 400, "n": list(range(50))} for i in range(2500)]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    assert path.stat().st_size > 8_000_000
    count, default = _faults(path, "default")
    kept_count, kept = _faults(path, "keep")
    assert count == kept_count == len(items)
    assert kept < default / 2, (kept, default)


def test_it_says_whether_it_could() -> None:
    """In a child process: the setting is process-wide, and this test process must keep its own."""
    code = "from scallop_curator.importers.heap import keep_freed_memory; print(keep_freed_memory())"
    said = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    import platform

    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert said == str(expected)
