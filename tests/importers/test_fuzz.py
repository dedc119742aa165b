"""Fuzz: 10,000 mutated exports of every format, plus hostile titles and texts, from a fixed seed.

Every input must either import (every string storable: no lone surrogates) or raise one plain
ImportProblem naming the file; nothing else may escape, hang, or reach the "unexpectedly" safety
net. Inputs are made with an explicit ``random.Random`` per batch, so a failure names a batch and
an index that reproduce it (``FUZZ_KEEP=DIR`` keeps the failing input). ``FUZZ_INPUTS`` scales it.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scallop_curator.importers import ImportProblem, load_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
SEED = 20261126
INPUTS = int(os.environ.get("FUZZ_INPUTS", "10000"))
BATCHES = 20
PER_BATCH = -(-INPUTS // BATCHES)

# Markup that Qt would render (and load: <img> reads any local path), control and bidi characters,
# lone surrogates, and sizes no real title has. Titles are often written by the assistant itself.
MARKUP = ['<img src="/dev/zero">', "<a href='file:///etc/passwd'>click</a>", "<style>*{color:red}</style>",
          "<b>bold</b><script>alert(1)</script>", '<table><tr><td background="/dev/zero">']
HOSTILE = MARKUP + [
    "nul\x00inside", "\x00", "lone \ud800 high", "lone \udfff low", "\u202eevil\u202c txt.exe", "\u200f\u200e\u061c",
    "x" * 100_000, "line\n" * 2_000, "\ufeffbom", "\U0001f600" * 500, "", " ", "%s%n{0}{{x}}", "\\u0000",
    "Prompted x", "\r\n\r\n", "\t" * 50,
]
JUNK = [b"\x00", b"\xff", b"\xc3", b"{", b"}", b"]", b"[", b'"', b"\\", b",", b"\n", b"[[[[[[" * 50,
        b"\xed\xa0\x80", b"NaN", b"1e400", b"99999999999999999999999999", b'"\\ud800"']

OPENAI = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "I live in Lyon."},
                       {"role": "assistant", "content": [{"type": "text", "text": "Noted."}]}], "title": "Lyon"}
LOCOMO = [{"sample_id": "s1", "conversation": {
    "speaker_a": "Ana", "speaker_b": "Ben", "session_1_date_time": "1:56 pm on 8 May, 2023",
    "session_1": [{"speaker": "Ana", "dia_id": "D1:1", "text": "I adopted a cat."},
                  {"speaker": "Ben", "dia_id": "D1:2", "text": "What is its name?"},
                  {"speaker": "Ana", "dia_id": "D1:3", "text": "Miso."}]}}]


def _seeds() -> list[tuple[str, str, Any]]:
    """(name, kind, payload): kind is file (bytes), zip (members), folder (files) or sqlite (bytes)."""
    seeds: list[tuple[str, str, Any]] = []
    for path in sorted(FIXTURES.iterdir()):
        if path.is_dir():
            seeds.append((path.name, "folder", {f.name: f.read_bytes() for f in sorted(path.iterdir())}))
        elif path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                seeds.append((path.name, "zip", {i.filename: archive.read(i) for i in archive.infolist()}))
        elif path.suffix == ".db":
            seeds.append((path.name, "sqlite", path.read_bytes()))
        else:
            seeds.append((path.name, "file", path.read_bytes()))
    seeds.append(("openai.json", "file", json.dumps(OPENAI).encode()))
    seeds.append(("openai.jsonl", "file", "\n".join(json.dumps(OPENAI) for _ in range(3)).encode()))
    seeds.append(("locomo.json", "file", json.dumps(LOCOMO).encode()))
    return seeds


SEEDS = _seeds()


# ---------------------------------------------------------------- mutations
def _mutate_value(value: Any, rng: random.Random, depth: int = 0) -> Any:
    """Delete a key or item, change a value's type, or descend."""
    if isinstance(value, (dict, list)) and value and depth < 40:
        keys = sorted(value, key=str) if isinstance(value, dict) else list(range(len(value)))
        key = rng.choice(keys)
        value = dict(value) if isinstance(value, dict) else list(value)
        action = rng.choice(["delete", "retype", "descend", "descend", "descend"])
        if action == "delete":
            del value[key]
        elif action == "retype":
            value[key] = rng.choice([None, 0, -1, 1e308, "", "x", [], {}, True, [None], {"a": None}, 10**30, -0.0])
        else:
            value[key] = _mutate_value(value[key], rng, depth + 1)
        return value
    return rng.choice([None, 0, "", [], {}, "Prompted x", 10**30, rng.choice(HOSTILE)])


def _hostile_strings(value: Any, rng: random.Random, rate: float) -> Any:
    """Replace string leaves (and some keys' values only: keys stay, so the format is still found)."""
    if isinstance(value, dict):
        return {k: _hostile_strings(v, rng, rate) for k, v in value.items()}
    if isinstance(value, list):
        return [_hostile_strings(v, rng, rate) for v in value]
    if isinstance(value, str) and rng.random() < rate:
        hostile = rng.choice(HOSTILE)
        return rng.choice([hostile, value + hostile, hostile + value])
    return value


def _deep(rng: random.Random) -> Any:
    """A marker replaced after dumping by nesting far deeper than json.dumps could write."""
    return "@@DEEP@@"


def _dump(value: Any, rng: random.Random, lines: bool) -> bytes:
    text = ("\n".join(json.dumps(v, ensure_ascii=rng.random() < 0.5) for v in value) if lines
            else json.dumps(value, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, None, 1])))
    if "@@DEEP@@" in text:
        depth = rng.choice([500, 5_000, 100_000])
        opener, closer = rng.choice([("[", "]"), ('{"a":', "}")])
        text = text.replace('"@@DEEP@@"', opener * depth + "1" + closer * depth, 1)
    return text.encode("utf-8", "surrogatepass")


def _json_mutation(data: bytes, rng: random.Random) -> bytes | None:
    """Parse, mutate structurally or put in hostile strings or deep nesting, and write back."""
    try:
        text = data.decode("utf-8-sig")
        lines = not text.lstrip().startswith(("[", "{"))
        value = [json.loads(line) for line in text.splitlines() if line.strip()] if lines else json.loads(text)
    except (ValueError, RecursionError):
        return None
    action = rng.choice(["structure", "hostile", "hostile", "deep"])
    if action == "structure":
        for _ in range(rng.randint(1, 4)):
            value = _mutate_value(value, rng)
    elif action == "hostile":
        value = _hostile_strings(value, rng, rng.choice([0.1, 0.5, 1.0]))
    else:
        value = _mutate_value(value, random.Random(rng.random()))  # where the deep value goes
        value = _place(value, _deep(rng), rng)
    return _dump(value, rng, lines)


def _place(value: Any, item: Any, rng: random.Random) -> Any:
    if isinstance(value, dict) and value:
        key = rng.choice(sorted(value, key=str))
        return {**value, key: _place(value[key], item, rng) if rng.random() < 0.7 else item}
    if isinstance(value, list) and value:
        index = rng.randrange(len(value))
        return [*value[:index], _place(value[index], item, rng) if rng.random() < 0.7 else item, *value[index + 1:]]
    return item


def _byte_mutation(data: bytes, rng: random.Random) -> bytes:
    action = rng.choice(["truncate", "flip", "insert", "hostile-line"])
    if action == "truncate" or not data:
        return data[: rng.randint(0, max(len(data) - 1, 0))]
    if action == "flip":
        out = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(len(out))] = rng.randrange(256)
        return bytes(out)
    at = rng.randint(0, len(data))
    if action == "insert":
        return data[:at] + rng.choice(JUNK) + data[at:]
    line = rng.choice(HOSTILE).encode("utf-8", "surrogatepass")
    return data[:at] + b"\nUser: " + line + b"\n" + data[at:]


def _mutate_bytes(name: str, data: bytes, rng: random.Random) -> bytes:
    if name.endswith((".json", ".jsonl")) and rng.random() < 0.6:
        mutated = _json_mutation(data, rng)
        if mutated is not None:
            return mutated
    return _byte_mutation(data, rng)


def _zip_bytes(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return out.getvalue()


def _hostile_sqlite(path: Path, rng: random.Random) -> None:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')") if r[2].upper() in ("TEXT", "")]
            for column in columns:
                if rng.random() < 0.5:
                    hostile = rng.choice(HOSTILE).encode("utf-8", "surrogatepass").decode("utf-8", "replace")
                    conn.execute(f"UPDATE '{table}' SET \"{column}\" = ? || \"{column}\"", [hostile])
        conn.commit()
    finally:
        conn.close()


def make_input(workdir: Path, index: int, rng: random.Random) -> tuple[Path, str]:
    """Write one fuzz input under ``workdir``; returns its path and what it is."""
    if rng.random() < 0.06:
        suffix = rng.choice([".json", ".jsonl", ".txt", ".zip", ".db", ".html", ""])
        path = workdir / f"random-{index}{suffix}"
        path.write_bytes(rng.randbytes(rng.choice([0, 1, 16, 600, 3000])))
        return path, f"random bytes{suffix}"
    name, kind, payload = rng.choice(SEEDS)
    if kind == "file":
        path = workdir / f"in-{index}-{name}"
        path.write_bytes(_mutate_bytes(name, payload, rng))
    elif kind == "zip":
        path = workdir / f"in-{index}-{name}"
        if rng.random() < 0.2:
            path.write_bytes(_byte_mutation(_zip_bytes(payload), rng))
        else:
            members = dict(payload)
            member = rng.choice(sorted(members))
            members[member] = _mutate_bytes(member, members[member], rng)
            path.write_bytes(_zip_bytes(members))
    elif kind == "folder":
        path = workdir / f"in-{index}-{name}"
        path.mkdir()
        files = dict(payload)
        member = rng.choice(sorted(files))
        files[member] = _mutate_bytes(member, files[member], rng)
        for file_name, content in files.items():
            (path / file_name).write_bytes(content)
    else:
        path = workdir / f"in-{index}-{name}"
        path.write_bytes(payload)
        if rng.random() < 0.6:
            _hostile_sqlite(path, rng)
        else:
            path.write_bytes(_byte_mutation(path.read_bytes(), rng))
    return path, name


def _storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@pytest.mark.parametrize("batch", range(BATCHES))
def test_fuzz_batch(tmp_path: Path, batch: int) -> None:
    rng = random.Random(SEED * 1000 + batch)
    counts = {"inputs": 0, "problems": 0, "imported": 0, "markup kept": 0}
    for index in range(PER_BATCH):
        path, what = make_input(tmp_path, index, rng)
        where = f"batch {batch}, input {index} ({what})"
        counts["inputs"] += 1
        try:
            result = load_export(path)
        except ImportProblem as problem:
            counts["problems"] += 1
            message = str(problem)
            assert problem.detail.strip(), where
            assert path.name in message, f"{where}: {message[:300]}"
            assert "unexpectedly" not in message, f"{where}: the safety net caught a bug: {message[:500]}"
        except BaseException:
            keep = os.environ.get("FUZZ_KEEP")
            if keep:
                shutil.move(str(path), Path(keep) / path.name)
            raise
        else:
            counts["imported"] += 1
            assert result.conversations, where
            strings = [s for c in result.conversations for s in (c.id, c.title, *(t.text for t in c.turns))]
            strings += [s for pair in result.skipped for s in pair]
            assert all(_storable(s) for s in strings), f"{where}: a lone surrogate reached the result"
            joined = "\n".join(strings)
            counts["markup kept"] += any(m in joined for m in MARKUP)
        finally:
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink(missing_ok=True)
    assert counts["inputs"] == PER_BATCH
    assert counts["imported"] and counts["problems"], counts  # the mix exercises both outcomes
    print(f"fuzz batch {batch}: {counts}")


def test_fuzz_covers_every_fixture_and_hostile_text() -> None:
    """The seeds are every fixture in the repository (nothing outside it), and markup survives as text."""
    names = {name for name, _, _ in SEEDS}
    assert {p.name for p in FIXTURES.iterdir()} <= names
    assert BATCHES * PER_BATCH >= min(INPUTS, 10_000)
    value = _hostile_strings({"title": "t", "texts": ["a", "b"]}, random.Random(1), 1.0)
    assert all(isinstance(v, str) for v in [value["title"], *value["texts"]])
