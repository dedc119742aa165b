#!/usr/bin/env python3
"""Import benchmark: a ~200 MB ChatGPT export, plain JSON and zipped.

Times load_export + Store(tmp db).import_file against json.load of the same file, and measures
peak memory (ru_maxrss of a fresh subprocess, less the interpreter's baseline) against the file
size. Targets: time <= 2x json.load, peak memory <= 2x file size.

Usage: python benchmarks/import_big_export.py [--size-mb 200] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

MAKER = Path(__file__).resolve().parents[2] / "shared" / "tools" / "make_big_chatgpt_export.py"

CHILD = r"""
import json, resource, sys, time, zipfile
from pathlib import Path
mode, path, db = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
import scallop_curator.importers, scallop_curator.store  # imports are not part of the measurement
from scallop_curator.importers import load_export
from scallop_curator.store import Store
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {}
t0 = time.perf_counter()
if mode == "json.load":
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z, z.open("conversations.json") as f:
            data = json.load(f)
    else:
        with path.open("rb") as f:
            data = json.load(f)
    out["items"] = len(data)
elif mode == "load_export":
    imported = load_export(path)
    out["load_s"] = time.perf_counter() - t0
    out["items"] = len(imported.conversations)
    out["turns"] = sum(len(c.turns) for c in imported.conversations)
else:
    imported = load_export(path)
    out["load_s"] = time.perf_counter() - t0
    store = Store(db)
    t1 = time.perf_counter()
    summary = store.import_file(imported, str(path))
    out["store_s"] = time.perf_counter() - t1
    store.close()
    out["items"] = summary.new_conversations
out["seconds"] = time.perf_counter() - t0
out["peak_bytes"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) * 1024
print(json.dumps(out))
"""


def run(mode: str, path: Path, db: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, mode, str(path), str(db)],
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} on {path.name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=200)
    parser.add_argument("--keep", help="write the exports here and keep them")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        folder = Path(args.keep) if args.keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        plain = folder / "conversations.json"
        zipped = folder / "conversations.zip"
        for target, extra in ((plain, []), (zipped, ["--zip"])):
            if not target.exists():
                subprocess.run([sys.executable, str(MAKER), str(args.size_mb), str(plain), *extra], check=True)
        json_size = plain.stat().st_size
        print(f"export: {json_size / 1e6:.1f} MB JSON, zip {zipped.stat().st_size / 1e6:.1f} MB")
        for path in (plain, zipped):
            baseline = run("json.load", path, folder / "unused.db")
            loaded = run("load_export", path, folder / "unused.db")
            db = folder / f"store-{path.suffix[1:]}.db"
            for suffix in ("", "-wal", "-shm"):
                Path(f"{db}{suffix}").unlink(missing_ok=True)
            full = run("load+store", path, db)
            print(f"\n{path.name} ({json_size / 1e6:.1f} MB of JSON, {loaded['items']} conversations, "
                  f"{loaded['turns']} turns)")
            print(f"  json.load                     {baseline['seconds']:7.2f} s   peak {baseline['peak_bytes'] / 1e6:7.1f} MB"
                  f"  ({baseline['peak_bytes'] / json_size:.2f}x file)")
            print(f"  load_export                   {loaded['seconds']:7.2f} s   peak {loaded['peak_bytes'] / 1e6:7.1f} MB"
                  f"  ({loaded['peak_bytes'] / json_size:.2f}x file)   {loaded['seconds'] / baseline['seconds']:.2f}x json.load")
            print(f"  load_export + Store.import    {full['seconds']:7.2f} s   peak {full['peak_bytes'] / 1e6:7.1f} MB"
                  f"  ({full['peak_bytes'] / json_size:.2f}x file)   {full['seconds'] / baseline['seconds']:.2f}x json.load"
                  f"   (store part {full['store_s']:.2f} s)")


if __name__ == "__main__":
    main()
