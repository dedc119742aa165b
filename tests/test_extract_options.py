"""``extract``'s whole-history options: skip rules (marked, counted, never silent), the order,
``--dry-run`` (turns, tokens and time, nothing run), the profile on every output line, and the
profile recorded on every stored proposal."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from scallop_curator.domain.conversation import Conversation, ExtractionCase, Turn
from scallop_curator.extraction.cli import order_cases
from scallop_curator.extraction.skip_rules import SkipRules, is_code_or_log


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scallop_curator", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=600, env=os.environ.copy())


def case(message: str) -> ExtractionCase:
    return ExtractionCase(conversation_id="c", turn_index=1, context=None, message=message)


TRACEBACK = """Traceback (most recent call last):
  File "app.py", line 12, in <module>
    main()
  File "app.py", line 8, in main
    return compute(x)
ZeroDivisionError: division by zero"""
LOG = """2024-03-01 10:00:01 INFO starting worker
2024-03-01 10:00:02 WARN cache cold
2024-03-01 10:00:05 ERROR connection refused (db:5432)"""
FENCED = "```python\ndef f(x):\n    return x * 2\n```"
PROSE_WITH_CODE = ("I'm a nurse and I'm learning Python in the evenings for a hospital rota tool I'm building.\n"
                   "Here is what fails:\n```python\nprint(rota[0])\n```\nWhy?")


@pytest.mark.parametrize("text", [TRACEBACK, LOG, FENCED, "const x = 1;\nlet y = f(x);\nif (y) {\n  go();\n}"])
def test_code_and_log_pastes_are_recognised(text: str):
    assert is_code_or_log(text)


@pytest.mark.parametrize("text", [PROSE_WITH_CODE, "My wife Jamie flies for a regional airline.",
                                  "Shopping list:\n- eggs\n- milk\n- bread", "ok"])
def test_prose_is_not_code(text: str):
    assert not is_code_or_log(text)


def test_skip_rules_say_why():
    rules = SkipRules(min_chars=10, skip_code=True)
    assert rules.reason(case("thanks!")) == "short"
    assert rules.reason(case(LOG)) == "code"
    assert rules.reason(case("I live in a small flat in Leeds.")) is None
    assert not SkipRules().active and SkipRules().reason(case("x")) is None


def test_order_oldest_or_newest_first_keeps_untimed_turns_last():
    stamp = lambda day: datetime(2025, 1, day, tzinfo=timezone.utc)  # noqa: E731
    turns = [Turn(role="user", text=f"m{day}", time=stamp(day) if day else None, source_id=str(i))
             for i, day in enumerate([3, 0, 1, 2])]
    cases = Conversation(id="c", turns=turns).extraction_cases("UTC")
    assert [c.message for c in order_cases(cases, "export")] == ["m3", "m0", "m1", "m2"]
    assert [c.message for c in order_cases(cases, "oldest")] == ["m1", "m2", "m3", "m0"]
    assert [c.message for c in order_cases(cases, "newest")] == ["m3", "m2", "m1", "m0"]


@pytest.mark.model
def test_dry_run_then_a_run_then_a_dry_run_with_a_time(tmp_path: Path, sample_export: Path, demo_model: Path):
    first = run("extract", str(sample_export), "--model", str(demo_model), "--dry-run", "--skip-short", "40", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "turns to extract" in first.stdout and "skipped: " in first.stdout and " short)" in first.stdout
    assert "counted with the model's vocabulary" in first.stdout
    assert "time: not known yet" in first.stdout
    assert not list(tmp_path.iterdir())  # nothing written, nothing run

    out = tmp_path / "out.jsonl"
    done = run("extract", str(sample_export), "--model", str(demo_model), "--out", str(out), "--profile", "scallopbot",
               "--skip-short", "90", "--timezone", "Europe/Lisbon", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    skipped = [line for line in lines if "skipped" in line]
    extracted = [line for line in lines if "skipped" not in line]
    assert len(skipped) == 11 and len(extracted) == 4 and len(lines) == 15
    assert all(line["skipped"] == "short" for line in skipped)
    assert f"{len(skipped)} turns skipped" in done.stderr and "without --skip-short" in done.stderr
    for line in lines:
        assert line["prompt_profile"] == "scallopbot" and line["prompt_version"] == "scallopbot-1"
        assert line["time_source"] in ("turn", "conversation")
    for line in extracted:
        assert line["parse_ok"], line
        assert json.loads(line["raw_output"])["proactive_triggers"] == []

    again = run("extract", str(sample_export), "--model", str(demo_model), "--profile", "scallopbot", "--dry-run",
                cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert "15 turns to extract" in again.stdout and "time: about " in again.stdout


def test_dry_run_needs_no_out_but_a_run_does(tmp_path: Path, sample_export: Path):
    done = run("extract", str(sample_export), cwd=tmp_path)
    assert done.returncode == 2 and "--out FILE is needed" in done.stderr


def test_an_unknown_timezone_is_one_line(tmp_path: Path, sample_export: Path, demo_model: Path):
    done = run("extract", str(sample_export), "--model", str(demo_model), "--timezone", "Nowhere/Town", "--dry-run",
               cwd=tmp_path)
    assert done.returncode == 2 and "unknown timezone 'Nowhere/Town'" in done.stderr
    assert "Traceback" not in done.stderr


def test_profile_make_writes_a_profile_extract_can_use(tmp_path: Path):
    source = tmp_path / "fact-extractor.ts"
    from test_prompt_profiles import SOURCE  # the ScallopBot-shaped source file

    source.write_text(SOURCE, encoding="utf-8")
    done = run("profile", "make", "--from", str(source), "--out", str(tmp_path / "prod.toml"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "--profile" in done.stdout and (tmp_path / "prod.toml").is_file()
    bad = run("profile", "make", "--from", str(tmp_path / "missing.ts"), "--out", str(tmp_path / "x.toml"), cwd=tmp_path)
    assert bad.returncode == 2 and "missing.ts" in bad.stderr and "Traceback" not in bad.stderr


# ---------------------------------------------------------------- the store
def test_the_profile_is_recorded_on_every_proposal_and_old_stores_gain_the_column(tmp_path: Path, sample_export: Path):
    import sqlite_utils

    from scallop_curator.domain.facts import Fact
    from scallop_curator.domain.results import RunInfo, TurnResult
    from scallop_curator.importers import load_export
    from scallop_curator.store import Store, schema

    path = tmp_path / "old.db"
    old = sqlite_utils.Database(path)
    schema.create(old)  # a store as the release before this step wrote it
    old.conn.close()
    assert "prompt_profile" not in sqlite_utils.Database(path)["proposals"].columns_dict

    store = Store(path)
    store.import_file(load_export(sample_export), str(sample_export))
    conversation = store.conversation(store.db.execute("SELECT id FROM conversations LIMIT 1").fetchone()[0])
    first = conversation.extraction_cases()[0]
    info = RunInfo(model="m", prompt_version="scallopbot-1", prompt_profile="scallopbot")
    run_id = store.start_run(info)
    fact = Fact(content="Moved to Dublin", subject="user", category="location", confidence=0.9)
    store.record_result(run_id, info, TurnResult(conversation_id=first.conversation_id, turn_index=first.turn_index,
                                                 parse_ok=True, facts=[fact]))
    rows = store.db.execute("SELECT prompt_profile FROM proposals").fetchall()
    assert rows == [("scallopbot",)]
    assert store.db.execute("SELECT prompt_profile FROM runs").fetchall() == [("scallopbot",)]
    store.close()
