#!/usr/bin/env python3
"""Import under hostile and big inputs: peak memory (whole process) and time, each case in a fresh process.

Cases (issue 8, "memory stays bounded on any input"; issue 11, "import speed"):
  sparse-2g     a 2 GiB sparse conversations.json (truncate -s 2G): refused before reading
  sparse-1g     a 1 GiB sparse file (under the file limit): refused while reading, memory bounded
  zip-nul       a ~10 MB zip whose conversations.json unpacks to 1.48 GB of mostly NUL bytes
  zip-string    the same size of member, but a JSON list whose one conversation holds a 1.48 GB string
  whole-60      a 60 MB JSON object (an OpenAI messages file): the biggest kind of input read whole
  export-200    a normal ~200 MB ChatGPT export (made with shared/tools/make_big_chatgpt_export.py)
  ratio-50/200  `scallop-curator import` (whole process, into a fresh store) against a plain
                `json.load` of the same file (whole process), median of --repeat runs
Peak memory is the child's ru_maxrss (from wait4), so it includes the interpreter (~30 MB); inputs
are made in child processes, since Linux carries a parent's peak RSS into the children it forks.

Usage: python benchmarks/import_memory.py [--dir DIR] [--cases sparse-2g,zip-nul,...]
           [--export-200 PATH] [--export-50 PATH] [--repeat 3]
Targets: every case under a few hundred MB; the import at most 1.5x json.load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKER = ROOT.parent / "shared" / "tools" / "make_big_chatgpt_export.py"
ALL = ["sparse-2g", "sparse-1g", "zip-nul", "zip-string", "whole-60", "export-200", "ratio-50", "ratio-200"]
MEMBER_BYTES = 1_480_000_000

LOAD = r"""
import sys
from scallop_curator.importers import ImportProblem, load_export
try:
    result = load_export(sys.argv[1])
    print(f"imported {len(result.conversations)} conversations, {sum(len(c.turns) for c in result.conversations)} turns")
except ImportProblem as problem:
    print(f"refused: {problem}")
"""
JSON_LOAD = "import json, sys\nwith open(sys.argv[1], 'rb') as f: print(len(json.load(f)))"


CPU: list[float] = []  # user + system seconds of each measured child, for the ratios on a busy machine


def measure(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Seconds, peak RSS in bytes, and the last line printed, of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    CPU.append(usage.ru_utime + usage.ru_stime)
    if os.waitstatus_to_exitcode(status) not in (0, 2):
        raise SystemExit(f"{argv} failed:\n{output}")
    lines = [line for line in output.splitlines() if line.strip()]
    return seconds, usage.ru_maxrss * 1024, (lines[-1] if lines else "")


def sparse(folder: Path, size: int) -> Path:
    path = folder / f"sparse-{size >> 20}M" / "conversations.json"
    path.parent.mkdir(exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def member_zip(folder: Path, name: str, head: bytes, tail: bytes, filler: bytes) -> Path:
    """A zip whose conversations.json is head + filler... + tail, MEMBER_BYTES long, ratio ~140."""
    path = folder / f"{name}.zip"
    if path.exists():
        return path
    rng = random.Random(7)
    block = 1 << 20
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("conversations.json", "w", force_zip64=True) as member:
            member.write(head)
            written = len(head)
            while written < MEMBER_BYTES - len(tail):
                chunk = bytearray(filler * (min(block, MEMBER_BYTES - len(tail) - written) // len(filler) or 1))
                for _ in range(len(chunk) // 150):  # enough entropy to keep the ratio under the limit
                    chunk[rng.randrange(len(chunk))] = rng.choice(b"abcdefghijklmnopqrstuvwxyz")
                member.write(chunk)
                written += len(chunk)
            member.write(tail)
    return path


def whole_object(folder: Path, size: int) -> Path:
    """Made in a child process: Linux carries a parent's peak RSS into every child it forks later."""
    path = folder / "messages-60mb.json"
    if not path.exists():
        subprocess.run([sys.executable, __file__, "--make-whole", str(path), str(size)], check=True)
    return path


def _make_whole(path: Path, size: int) -> None:
    if not path.exists():
        rng = random.Random(3)
        words = ["tea", "Lyon", "sister", "nurse", "commute", "heating", "Python", "tuple", "garden", "été", "日本"]
        messages, total = [], 0
        while total < size:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(5, 80)))
            messages.append({"role": rng.choice(["user", "assistant"]), "content": text})
            total += len(text) + 40
        path.write_text(json.dumps({"messages": messages}, ensure_ascii=False), encoding="utf-8")


def export(folder: Path, size_mb: int, given: str | None) -> Path:
    if given:
        return Path(given)
    path = folder / f"chatgpt-{size_mb}mb.json"
    if not path.exists():
        subprocess.run([sys.executable, str(MAKER), str(size_mb), str(path)], check=True)
    return path


def show(name: str, seconds: float, peak: int, outcome: str) -> None:
    print(f"{name:<12} {seconds:7.2f} s   peak RSS {peak / 1e6:8.1f} MB   {outcome[:150]}", flush=True)


def compile_app() -> None:
    """Write the app's bytecode first, as an installed app has it: with PYTHONDONTWRITEBYTECODE set
    (as on the development machines) every run of an editable install compiled its ~40 modules
    again, about 0.1 s of each `import` measured before."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "app" / "scallop_curator")], check=True)


def ratio(name: str, path: Path, folder: Path, repeat: int) -> None:
    compile_app()
    cli = [str(Path(sys.executable).parent / "scallop-curator"), "import"]
    env = dict(os.environ, SCALLOP_CURATOR_HOME=str(folder / "home"))
    loads, imports, load_peaks, import_peaks, load_cpu, import_cpu = [], [], [], [], [], []
    for _ in range(repeat):
        seconds, peak, _ = measure([sys.executable, "-c", JSON_LOAD, str(path)])
        loads.append(seconds)
        load_peaks.append(peak)
        load_cpu.append(CPU[-1])
        db = folder / "ratio.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        seconds, peak, outcome = measure([*cli, "--db", str(db), str(path)], env)
        imports.append(seconds)
        import_peaks.append(peak)
        import_cpu.append(CPU[-1])
    size = path.stat().st_size / 1e6
    print(f"{name:<12} {size:.0f} MB: json.load {statistics.median(loads):.2f} s (peak {max(load_peaks) / 1e6:.0f} MB), "
          f"scallop-curator import {statistics.median(imports):.2f} s (peak {max(import_peaks) / 1e6:.0f} MB): "
          f"{statistics.median(imports) / statistics.median(loads):.2f}x the time, "
          f"{max(import_peaks) / max(load_peaks):.2f}x the memory; CPU time {statistics.median(load_cpu):.2f} s vs "
          f"{statistics.median(import_cpu):.2f} s: {statistics.median(import_cpu) / statistics.median(load_cpu):.2f}x  "
          f"[{outcome[:60]}]", flush=True)


def main() -> None:
    if sys.argv[1:2] == ["--make-whole"]:
        _make_whole(Path(sys.argv[2]), int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="keep the inputs here (they are reused)")
    parser.add_argument("--cases", default=",".join(ALL))
    parser.add_argument("--export-200", help="a ~200 MB ChatGPT conversations.json to use")
    parser.add_argument("--export-50", help="a ~50 MB ChatGPT conversations.json to use")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="import-memory-") as tmp:
        folder = Path(args.dir) if args.dir else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        load = [sys.executable, "-c", LOAD]
        for case in args.cases.split(","):
            if case == "sparse-2g":
                show(case, *measure([*load, str(sparse(folder, 2 * 1024**3))]))
            elif case == "sparse-1g":
                show(case, *measure([*load, str(sparse(folder, 1024**3))]))
            elif case == "zip-nul":
                path = member_zip(folder, "zip-nul", b"", b"", b"\x00")
                show(case, *measure([*load, str(path)]))
                print(f"{'':12} (zip {path.stat().st_size / 1e6:.1f} MB)")
            elif case == "zip-string":
                path = member_zip(folder, "zip-string", b'[{"title": "x", "mapping": {}, "pad": "', b'"}]', b"a")
                show(case, *measure([*load, str(path)]))
                print(f"{'':12} (zip {path.stat().st_size / 1e6:.1f} MB)")
            elif case == "whole-60":
                path = whole_object(folder, 60_000_000)
                show(case, *measure([*load, str(path)]))
                print(f"{'':12} ({path.stat().st_size / 1e6:.1f} MB)")
            elif case == "export-200":
                show(case, *measure([*load, str(export(folder, 200, args.export_200))]))
            elif case == "ratio-50":
                ratio(case, export(folder, 52, args.export_50), folder, args.repeat)
            elif case == "ratio-200":
                ratio(case, export(folder, 200, args.export_200), folder, args.repeat)
            else:
                raise SystemExit(f"unknown case {case}; known: {', '.join(ALL)}")


if __name__ == "__main__":
    main()
