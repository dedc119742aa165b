"""Mutated exports of every format: load_export raises nothing but ImportProblem, and never hangs."""

from __future__ import annotations

import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scallop_curator.importers import ImportProblem, load_export

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"
SAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "samples"
SEEDS = sorted(p for p in FIXTURES.iterdir() if p.is_file() and p.stat().st_size < 200_000) + [
    SAMPLES / "chatgpt" / "chatgpt-tree.json", SAMPLES / "claude" / "claude-bakery-chat.json",
    SAMPLES / "claude" / "conversations.json",
]
RUNS = {"inputs": 0, "problems": 0, "imported": 0}
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6000"))


def _mutate_json(value, draw, depth=0):
    """Delete a key, change a value's type, or descend."""
    if isinstance(value, dict) and value:
        key = draw(st.sampled_from(sorted(value, key=str)))
        action = draw(st.sampled_from(["delete", "retype", "descend", "descend"]))
        value = dict(value)
        if action == "delete":
            del value[key]
        elif action == "retype":
            value[key] = draw(st.sampled_from([None, 0, -1, 1e308, "", "x", [], {}, True, [None], {"a": None}]))
        else:
            value[key] = _mutate_json(value[key], draw, depth + 1)
        return value
    if isinstance(value, list) and value:
        index = draw(st.integers(0, len(value) - 1))
        value = list(value)
        action = draw(st.sampled_from(["delete", "retype", "descend", "descend"]))
        if action == "delete":
            del value[index]
        elif action == "retype":
            value[index] = draw(st.sampled_from([None, 0, "", [], {}, False]))
        else:
            value[index] = _mutate_json(value[index], draw, depth + 1)
        return value
    return draw(st.sampled_from([None, 0, "", [], {}, "Prompted x", 10**30]))


@st.composite
def mutated_export(draw):
    seed = draw(st.sampled_from(SEEDS))
    raw = seed.read_bytes()
    suffix = seed.suffix
    kind = draw(st.sampled_from(["truncate", "flip", "json", "json", "insert", "zip-member"]))
    if kind == "zip-member" and suffix == ".zip":
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            members = {i.filename: archive.read(i) for i in archive.infolist()}
        name = draw(st.sampled_from(sorted(members)))
        data = members[name]
        members[name] = data[: draw(st.integers(0, len(data)))]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for member, content in members.items():
                archive.writestr(member, content)
        return suffix, out.getvalue()
    if kind == "json" and suffix in (".json", ".jsonl"):
        try:
            if suffix == ".json":
                value = json.loads(raw)
                for _ in range(draw(st.integers(1, 4))):
                    value = _mutate_json(value, draw)
                return suffix, json.dumps(value).encode()
            lines = [json.loads(line) for line in raw.splitlines() if line.strip()]
            lines = _mutate_json(lines, draw)
            return suffix, "\n".join(json.dumps(line) for line in lines).encode()
        except (ValueError, RecursionError):
            pass
    if kind == "insert":
        at = draw(st.integers(0, len(raw)))
        junk = draw(st.sampled_from([b"\x00", b"\xff", b"{", b"]", b'"', b"\\", b",", b"\n", b"[[[[[[" * 50]))
        return suffix, raw[:at] + junk + raw[at:]
    if kind == "flip" and raw:
        data = bytearray(raw)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        return suffix, bytes(data)
    return suffix, raw[: draw(st.integers(0, max(len(raw) - 1, 0)))]


@pytest.fixture(scope="module")
def workdir():
    path = Path(tempfile.mkdtemp(prefix="fuzz-exports-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)
    print(f"\nfuzz: {RUNS['inputs']} inputs ran ({RUNS['problems']} ImportProblem, {RUNS['imported']} imported)")


@settings(max_examples=EXAMPLES, deadline=3000, suppress_health_check=list(HealthCheck), derandomize=True)
@given(case=mutated_export())
def test_mutated_exports(workdir, case):
    suffix, data = case
    path = workdir / f"export-{RUNS['inputs']}{suffix}"
    path.write_bytes(data)
    RUNS["inputs"] += 1
    try:
        result = load_export(path)
    except ImportProblem as problem:
        RUNS["problems"] += 1
        message = str(problem)
        assert problem.detail.strip()
        assert path.name in message
        assert "unexpectedly" not in message, message  # the safety net caught a real bug
    else:
        RUNS["imported"] += 1
        assert result.conversations
    finally:
        path.unlink(missing_ok=True)


@settings(max_examples=EXAMPLES // 2, deadline=3000, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.binary(max_size=2000), suffix=st.sampled_from([".json", ".jsonl", ".txt", ".zip", ".db", ".html"]))
def test_random_bytes(workdir, data, suffix):
    path = workdir / f"random-{RUNS['inputs']}{suffix}"
    path.write_bytes(data)
    RUNS["inputs"] += 1
    try:
        load_export(path)
        RUNS["imported"] += 1
    except ImportProblem as problem:
        RUNS["problems"] += 1
        assert problem.detail.strip() and path.name in str(problem)
        assert "unexpectedly" not in str(problem), str(problem)
    finally:
        path.unlink(missing_ok=True)
