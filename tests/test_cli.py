"""The headless subcommands, run as a user would: ``python -m scallop_curator ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scallop_curator.cli import SUBCOMMANDS

REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # No timeout of its own: pytest-timeout bounds every test, however loaded the machine is.
    return subprocess.run([sys.executable, "-m", "scallop_curator", *args], cwd=cwd, capture_output=True,
                          text=True, env=os.environ.copy())


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.strip()]


@pytest.mark.model
def test_extract_writes_one_line_per_user_turn(tmp_path: Path, demo_model: Path) -> None:
    # Three user turns in two conversations: every turn still goes through the real model (the whole
    # sample's 15 turns are the engine tests' and the benchmarks' work).
    export = tmp_path / "chats.json"
    export.write_text(json.dumps([
        {"id": "a", "conversations": [{"from": "human", "value": "My cat Miso is three years old."},
                                      {"from": "gpt", "value": "Miso sounds lovely."},
                                      {"from": "human", "value": "I moved to Porto last month."}]},
        {"id": "b", "conversations": [{"from": "human", "value": "I'm allergic to peanuts."},
                                      {"from": "gpt", "value": "Noted."}]},
    ]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    # One thread: on a loaded machine, llama.cpp's threads spin waiting for a peer that is not running.
    done = run("extract", str(export), "--model", str(demo_model), "--threads", "1", "--out", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3
    for line in lines:
        assert {"conversation_id", "turn_index", "parse_ok", "facts", "raw_output", "latency_ms"} <= line.keys()
        assert line["parse_ok"] is True, line
        assert isinstance(line["facts"], list) and line["latency_ms"] > 0
        assert line["model"] == demo_model.name and line["prompt_version"] == "compact-2"
        assert line["prompt_profile"] == "compact" and line["time_source"] in ("turn", "conversation", "none")
    assert len({(line["conversation_id"], line["turn_index"]) for line in lines}) == 3
    assert "3 turns from 2 conversations" in done.stderr


def test_extract_with_a_file_that_is_not_a_model(tmp_path: Path, sample_export: Path) -> None:
    done = run("extract", str(sample_export), "--model", str(REPO / "README.md"), "--out", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    [line] = error_lines(done.stderr)
    assert "README.md is not a GGUF model file" in line
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out.jsonl").exists()


def test_extract_with_a_file_that_is_not_an_export(tmp_path: Path, demo_model: Path) -> None:
    notes = tmp_path / "notes.json"
    notes.write_text(json.dumps({"shopping": ["eggs", "milk"]}), encoding="utf-8")
    done = run("extract", str(notes), "--model", str(demo_model), "--out", "out.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    [line] = error_lines(done.stderr)
    assert "notes.json" in line
    assert "Traceback" not in done.stderr


def test_extract_into_a_missing_folder_fails_plainly(tmp_path: Path, sample_export: Path, demo_model: Path) -> None:
    done = run("extract", str(sample_export), "--model", str(demo_model), "--out",
               str(tmp_path / "no" / "such" / "out.jsonl"), cwd=tmp_path)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "out.jsonl" in error_lines(done.stderr)[-1]


def test_import_twice_adds_nothing_the_second_time(tmp_path: Path, sample_export: Path) -> None:
    db = tmp_path / "x.db"
    first = run("import", str(sample_export), "--db", str(db), cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "5 new conversations" in first.stdout and "29 new turns" in first.stdout
    assert db.exists() and db.stat().st_mode & 0o777 == 0o600
    second = run("import", str(sample_export), "--db", str(db), cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "0 new conversations, 0 new turns, 5 unchanged" in second.stdout


def test_import_loads_only_what_importing_needs(tmp_path: Path, sample_export: Path) -> None:
    """`import` does not pay for the other subcommands' modules, Qt, or numpy (sqlite-utils' optional
    import), and numpy still imports afterwards for whoever needs it."""
    unwanted = ("scallop_curator.extraction", "scallop_curator.evaluation", "scallop_curator.exporters",
                "scallop_curator.hub", "scallop_curator.ui", "PySide6", "numpy", "llama_cpp", "tqdm")
    probe = ("import sys\nfrom scallop_curator.cli import main\ncode = main(sys.argv[2:])\n"
             "loaded = sorted(m for m in sys.modules if m.startswith(tuple(sys.argv[1].split(','))))\n"
             "import numpy, sqlite_utils\nprint('exit', code, 'loaded', loaded, 'numpy', numpy.zeros(2).sum())\n")
    done = subprocess.run([sys.executable, "-c", probe, ",".join(unwanted), "import", str(sample_export),
                           "--db", str(tmp_path / "x.db")], cwd=tmp_path, capture_output=True, text=True,
                          env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    assert "5 new conversations" in done.stdout
    assert done.stdout.splitlines()[-1] == "exit 0 loaded [] numpy 0.0"


def test_import_uses_the_db_environment_variable(tmp_path: Path, sample_export: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "from-env.db"
    monkeypatch.setenv("SCALLOP_CURATOR_DB", str(db))
    done = run("import", str(sample_export), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert db.exists() and str(db) in done.stderr


def test_import_of_a_non_export_exits_2_naming_the_file(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"\xff\xfe not utf-8 \x00\x01")
    done = run("import", str(notes), "--db", str(tmp_path / "x.db"), cwd=tmp_path)
    assert done.returncode == 2
    assert "notes.txt" in done.stderr and "Traceback" not in done.stderr


def test_import_into_a_damaged_store_fails_plainly(tmp_path: Path, sample_export: Path) -> None:
    db = tmp_path / "x.db"
    db.write_bytes(b"garbage " * 1000)
    done = run("import", str(sample_export), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 2
    [line] = error_lines(done.stderr)
    assert "not a Scallop Curator store" in line


@pytest.mark.parametrize(("words", "hint"), [(["imprt", "notes.txt"], "did you mean 'import'?"),
                                             (["extact"], "did you mean 'extract'?"),
                                             (["notes.txt", "missing.json"], "no such file: missing.json")])
def test_a_mistyped_subcommand_is_an_error_not_the_window(tmp_path: Path, words: list[str], hint: str) -> None:
    """No window, no import, no hang: exit 2 naming the subcommands (Qt is never even imported)."""
    (tmp_path / "notes.txt").write_text("User: I live in Porto.\nAssistant: Nice.\n", encoding="utf-8")
    probe = ("import sys\nfrom scallop_curator.cli import main\n"
             "try:\n    main(sys.argv[1:])\nexcept SystemExit as stop:\n"
             "    print('exit', stop.code, 'qt' if 'PySide6' in sys.modules else 'no-qt')\n")
    done = subprocess.run([sys.executable, "-c", probe, *words], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert done.stdout.strip() == "exit 2 no-qt", done.stderr
    assert hint in done.stderr
    if "no such file" not in hint:
        assert ", ".join(SUBCOMMANDS) in done.stderr
    assert not any((tmp_path / "home").rglob("*.db"))
    cli = run(*words, cwd=tmp_path)
    assert cli.returncode == 2 and "Traceback" not in cli.stderr
