"""``scallop-curator import`` with multi-speaker logs: --user per name or per log, and what was taken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scallop_curator.importers.cli import options_from


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scallop_curator", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=os.environ.copy())


@pytest.fixture
def pairs(tmp_path: Path) -> Path:
    records = []
    for sample, a, b in [("pair-1", "Rita", "Tom"), ("pair-2", "Ana", "Ben")]:
        records.append({"sample_id": sample, "conversation": {
            "speaker_a": a, "speaker_b": b, "session_1_date_time": "1:56 pm on 8 May, 2023",
            "session_1": [{"speaker": a, "dia_id": "D1:1", "text": f"{a} here."},
                          {"speaker": b, "dia_id": "D1:2", "text": f"{b} here."}]}})
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_without_user_it_says_who_was_taken_for_each_log(tmp_path: Path, pairs: Path) -> None:
    done = run("import", str(pairs), "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "2 new conversations" in done.stdout
    assert "user: pair-1: Rita was taken as the user (the first speaker); the others: Tom" in done.stdout
    assert "user: pair-2: Ana was taken as the user (the first speaker); the others: Ben" in done.stdout
    assert "--user NAME" in done.stdout


def test_user_by_name_and_by_log_and_no_second_copy(tmp_path: Path, pairs: Path) -> None:
    db = str(tmp_path / "x.db")
    done = run("import", str(pairs), "--db", db, "--user", "Tom", "--user", "pair-2=Ben", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "user: pair-1: Tom is the user; the others: Rita" in done.stdout
    assert "user: pair-2: Ben is the user; the others: Ana" in done.stdout
    assert "--user NAME" not in done.stdout
    again = run("import", str(pairs), "--db", db, "--user", "Rita", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "0 new conversations, 0 new turns, 0 unchanged" in again.stdout
    assert ("skipped 'Rita with Tom, session 1 (1:56 pm on 8 May, 2023)': was left as it was: it was imported "
            "before with another person as the user (as 'Tom with Rita, session 1 (1:56 pm on 8 May, 2023)')"
            in again.stdout)
    assert "skipped 'Ana with Ben, session 1" in again.stdout


def test_a_name_nobody_has_fails_plainly(tmp_path: Path, pairs: Path) -> None:
    done = run("import", str(pairs), "--db", str(tmp_path / "x.db"), "--user", "Zed", cwd=tmp_path)
    assert done.returncode == 2
    assert "pairs.json" in done.stderr and "Zed does not speak in this file" in done.stderr
    assert "Traceback" not in done.stderr


def test_named_transcript_imports_headless(tmp_path: Path) -> None:
    path = tmp_path / "chat.txt"
    path.write_text("Alice: I bought a piano.\nBob: Do you play?\nAlice: Since I was six.\nBob: Nice.\n")
    done = run("import", str(path), "--db", str(tmp_path / "x.db"), "--user", "Bob", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "named-speaker transcript, 1 new conversations, 4 new turns" in done.stdout
    assert "user: conversation 1: Bob is the user; the others: Alice" in done.stdout


def test_options_from_user_values() -> None:
    assert options_from([]) is None
    options = options_from(["Tom", "pair-2=Ben", "conversation 3 = Alice"])
    assert options is not None
    assert options.user_names == ("Tom",)
    assert options.user_by_log == {"pair-2": "Ben", "conversation 3": "Alice"}
