"""``scallop-curator eval``: a scripted engine in the real worker process (figures known exactly),
the real SmolLM2 GGUF on dev cases, ScallopBot traces as cases, saved runs listed and compared."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from scallop_curator.cli import _headless_parser
from scallop_curator.evaluation import runs
from scallop_curator.evaluation.cases import write_case_file
from scallop_curator.evaluation.cases import EvalCase
from scallop_curator.evaluation.cli import eval_command
from scallop_curator.evaluation.harness import figures
from scallop_curator.extraction.client import WorkerClient
from scallop_curator.store import Store

from test_eval_traces import make_traces_db

REPO = Path(__file__).resolve().parents[1]
DEV = REPO / "tests" / "fixtures" / "eval" / "dev.jsonl"

# What tests/fake_engine.py answers is known: a fact per keyword, ``parse_ok`` false on "UNPARSEABLE".
FAKE_CASES = [
    {"case_id": "f1", "context": None, "message": "I plan ships in Rotterdam",  # exact: 1.0
     "reference": {"facts": [{"content": "Works as a planner at the container terminal in Rotterdam",
                              "subject": "user", "category": "work", "action": "fact"}]}},
    {"case_id": "f2", "context": "Hi!", "message": "hello there", "reference": {"facts": []}},  # both quiet: 1.0
    {"case_id": "f3", "context": None, "message": "walnuts are bad for me",  # category differs: 0.75
     "reference": {"facts": [{"content": "Allergic to walnuts", "subject": "user", "category": "preference"}]}},
    {"case_id": "f4", "context": None, "message": "Ana says hi", "reference": {"facts": []}},  # invented: 0.0
    {"case_id": "f5", "context": None, "message": "UNPARSEABLE flashcards",  # parse failure counts as quiet: 0.0
     "reference": {"facts": [{"content": "Prefers flashcards over textbooks", "subject": "user",
                              "category": "preference"}]}},
]


def fake_client(_backend: object) -> WorkerClient:
    return WorkerClient(engine_factory="fake_engine:make_engine")


def run_eval(argv: list[str], **kwargs: object) -> int:
    args = _headless_parser().parse_args(["eval", *argv])
    return eval_command(args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def fake_cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    write_case_file(path, [EvalCase.model_validate(c) for c in FAKE_CASES])
    return path


def test_the_printed_row_has_the_known_figures(fake_cases: Path, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "store.db"
    assert run_eval([str(fake_cases), "--model", "fake.gguf", "--db", str(db)], make_client=fake_client) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["run", "model", "profile", "agreement", "parse", "%", "median", "ms", "p90", "ms",
                              "precision", "recall", "quiet", "agr.", "kappa"]
    # agreement (1 + 1 + 0.75 + 0 + 0) / 5; parse 4 of 5; precision and recall 2 matched of 3;
    # quiet: model [F T F F T] vs reference [F T F T F]: p_o 0.6, p_e 0.52, kappa 0.08 / 0.48
    assert out[1].split() == ["1", "fake.gguf", "default", "0.550", "80.0", "1", "1", "0.667", "0.667", "0.600",
                              "0.167"]
    store = Store(db)
    saved = runs.results(store, 1)
    assert [r.score for r in saved] == [1.0, 1.0, 0.75, 0.0, 0.0]
    assert [sorted(k.value for k in r.kinds) for r in saved] == [
        [], [], ["field mismatch"], ["invented fact", "quiet vs not"], ["missed fact", "quiet vs not"]]
    assert saved[4].parse_ok is False
    store.close()


def test_json_rows_per_model_and_profile_and_the_profile_note(fake_cases: Path, tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "store.db")
    code = run_eval([str(fake_cases), "--model", "a.gguf", "--model", "b.gguf", "--profile", "default",
                     "--profile", "compact", "--json", "--db", db], make_client=fake_client)
    assert code == 0
    captured = capsys.readouterr()
    rows = json.loads(captured.out)
    assert [(r["run"], r["model"], r["profile"]) for r in rows] == [
        (1, "a.gguf", "default"), (2, "a.gguf", "compact"), (3, "b.gguf", "default"), (4, "b.gguf", "compact")]
    assert [r["agreement"] for r in rows] == [pytest.approx(0.55)] * 4
    assert rows[1]["profile_note"] and "'compact'" in rows[1]["profile_note"]
    assert "note: prompt profile 'compact' is not available" in captured.err

    assert run_eval(["runs", "--db", db]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 5 and listed[4].split()[:3] == ["4", "b.gguf", "compact"]

    assert run_eval(["--compare", "1", "4", "--db", db]) == 0
    compared = capsys.readouterr().out
    assert "cases in both runs: 5; run 4 scores better on 0, worse on 0, the same on 5" in compared


def test_traces_as_cases_and_their_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    traces = make_traces_db(tmp_path / "memories.db")
    assert run_eval([str(traces), "--model", "fake.gguf", "--json", "--db", str(tmp_path / "s.db")],
                    make_client=fake_client) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)[0]["cases"] == 2
    assert "6 fact_extract traces: 2 cases, 1 without content" in captured.err


def test_expected_problems_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = str(tmp_path / "s.db")
    assert run_eval([str(tmp_path / "missing.jsonl"), "--model", "x.gguf", "--db", db], make_client=fake_client) == 2
    assert capsys.readouterr().err.strip() == f"scallop-curator: {tmp_path / 'missing.jsonl'}: no such file"
    assert run_eval([str(DEV), "--db", db]) == 2
    assert "at least one --model" in capsys.readouterr().err
    assert run_eval(["--compare", "7", "8", "--db", db]) == 2
    assert "no evaluation run 7" in capsys.readouterr().err


def test_eval_review_needs_a_review(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_eval(["review", "--db", str(tmp_path / "s.db")]) == 2
    assert "nothing reviewed yet" in capsys.readouterr().err


@pytest.mark.model
def test_eval_on_dev_cases_with_smollm2(tmp_path: Path, demo_model: Path) -> None:
    db = tmp_path / "store.db"
    done = subprocess.run([sys.executable, "-m", "scallop_curator", "eval", str(DEV), "--model", str(demo_model),
                           "--limit", "2", "--json", "--db", str(db)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=1200, env=os.environ.copy())
    assert done.returncode == 0, done.stderr
    (row,) = json.loads(done.stdout)
    assert row["model"] == demo_model.name and row["cases"] == 2
    store = Store(db)
    saved = runs.results(store, row["run"])
    assert [r.case.case_id for r in saved] == ["dev-001", "dev-002"]
    assert all(r.latency_ms > 0 for r in saved)
    # The printed figures are the ones the saved per-case results give.
    from scallop_curator.evaluation.harness import CaseResult
    from scallop_curator.evaluation.agreement import compare

    again = figures([CaseResult(r.index, r.case, r.parse_ok, r.model_facts, r.raw_output, r.error, r.latency_ms,
                                compare(r.model_facts, r.case.reference.facts)) for r in saved]).as_dict()
    assert again == {k: row[k] for k in again}
    store.close()
