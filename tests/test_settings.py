"""Settings on disk: atomic, owner-only writes; a failed write keeps the old file; versions are
migrated; a broken or newer file is kept aside and reported once, never silently reset."""

from __future__ import annotations

import errno
import json
import os
import stat
from pathlib import Path

import pytest

from scallop_curator import paths
from scallop_curator.settings import SCHEMA_VERSION, EngineSettings, Settings, SettingsError


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_round_trip_is_atomic_and_owner_only() -> None:
    settings = Settings(model_path="/models/a.gguf", last_export="/exports", engine=EngineSettings(n_ctx=4096))
    settings.save()
    path = paths.settings_path()
    assert _siblings(path) == ["settings.json"]  # no temp file left beside it
    if os.name == "posix":
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["schema_version"] == SCHEMA_VERSION
    loaded = Settings.load()
    assert (loaded.model_path, loaded.last_export, loaded.engine.n_ctx) == ("/models/a.gguf", "/exports", 4096)
    assert loaded.take_problems() == []


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temp_file(monkeypatch: pytest.MonkeyPatch) -> None:
    Settings(model_path="/models/old.gguf").save()
    path = paths.settings_path()
    before = path.read_bytes()

    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patched, pytest.raises(SettingsError) as failed:
        patched.setattr(os, "fsync", no_space)
        Settings(model_path="/models/new.gguf").save()
    message = str(failed.value)
    assert str(path) in message and "No space left on device" in message
    assert "previous settings are kept" in message and "Traceback" not in message
    assert path.read_bytes() == before
    assert _siblings(path) == ["settings.json"]
    assert Settings.load().model_path == "/models/old.gguf"


def test_a_folder_that_cannot_be_written_is_a_plain_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be", encoding="utf-8")
    with pytest.raises(SettingsError, match="could not be saved to"):
        Settings().save(blocker / "settings.json")
    assert blocker.read_text(encoding="utf-8").startswith("a file")


def _write(text: str) -> Path:
    path = paths.settings_path()
    paths.private_dir(path.parent)
    path.write_text(text, encoding="utf-8")
    return path


def _set_aside(path: Path, marker: str) -> list[Path]:
    return sorted(p for p in path.parent.iterdir() if p.name.startswith(f"settings.json.{marker}"))


def test_broken_json_is_kept_aside_and_reported_once() -> None:
    path = _write('{"model_path": "/models/a.gguf", ')
    settings = Settings.load()
    assert settings.model_path is None  # the defaults, for now
    kept = _set_aside(path, "bad-")
    assert len(kept) == 1 and kept[0].read_text(encoding="utf-8") == '{"model_path": "/models/a.gguf", '
    assert not path.exists()
    problems = settings.take_problems()
    assert len(problems) == 1
    assert str(path) in problems[0] and "not valid JSON" in problems[0] and kept[0].name in problems[0]
    assert settings.take_problems() == []  # once
    again = Settings.load()  # the next start has nothing to report and still nothing lost
    assert again.take_problems() == [] and len(_set_aside(path, "bad-")) == 1


@pytest.mark.parametrize("content, said", [
    ({"schema_version": 2, "engine": {"n_ctx": "lots"}}, "engine.n_ctx"),
    ({"schema_version": 2, "server_concurrency": 0}, "server_concurrency"),
    ({"schema_version": "two"}, "schema_version"),
    (["not", "an", "object"], "settings object"),
])
def test_wrong_types_are_kept_aside_not_reset(content: object, said: str) -> None:
    path = _write(json.dumps(content))
    settings = Settings.load()
    kept = _set_aside(path, "bad-")
    assert len(kept) == 1 and json.loads(kept[0].read_text(encoding="utf-8")) == content
    [problem] = settings.take_problems()
    assert said in problem and kept[0].name in problem
    settings.save()  # saving afterwards does not touch the kept file
    assert json.loads(kept[0].read_text(encoding="utf-8")) == content


def test_a_newer_file_is_kept_aside_under_its_version() -> None:
    content = {"schema_version": SCHEMA_VERSION + 1, "model_path": "/models/future.gguf", "new_field": 1}
    path = _write(json.dumps(content))
    settings = Settings.load()
    assert settings.model_path is None
    kept = path.with_name(f"settings.json.newer-{SCHEMA_VERSION + 1}")
    assert json.loads(kept.read_text(encoding="utf-8")) == content
    [problem] = settings.take_problems()
    assert "newer Scallop Curator" in problem and kept.name in problem


def test_version_1_is_migrated() -> None:
    version_1 = {"schema_version": 1, "model_path": "/models/a.gguf", "prompt_path": None,
                 "engine": {"n_ctx": 2048, "n_threads": 2, "n_batch": 256, "n_gpu_layers": 0, "seed": 3},
                 "last_export": "/exports", "model_source": "file", "server_url": None, "server_api_key": None,
                 "server_model": None, "server_concurrency": 4, "first_run_done": True}
    path = _write(json.dumps(version_1))
    settings = Settings.load()
    assert settings.take_problems() == []
    assert settings.schema_version == SCHEMA_VERSION
    assert (settings.model_path, settings.engine.n_ctx, settings.engine.seed, settings.model_source,
            settings.first_run_done) == ("/models/a.gguf", 2048, 3, "file", True)
    settings.save()
    assert json.loads(path.read_text(encoding="utf-8"))["schema_version"] == SCHEMA_VERSION


def test_a_file_without_a_version_is_read_as_version_1() -> None:
    _write(json.dumps({"model_path": "/models/a.gguf"}))
    settings = Settings.load()
    assert settings.take_problems() == [] and settings.model_path == "/models/a.gguf"
