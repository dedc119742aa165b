"""Everything the app writes is its owner's alone (0600 files, 0700 folders), from the moment it
is created: a whole session in a fresh home folder, started the way the app starts, with an
ordinary umask (022) that would otherwise make every file world-readable."""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from scallop_curator import paths

pytestmark = [pytest.mark.model, pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")]


@pytest.fixture
def user_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh home with the platform folders (XDG) inside it, and the umask most users have."""
    home = tmp_path / "user"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    for variable, folder in (("XDG_DATA_HOME", ".local/share"), ("XDG_CONFIG_HOME", ".config"),
                             ("XDG_CACHE_HOME", ".cache"), ("XDG_STATE_HOME", ".local/state")):
        monkeypatch.setenv(variable, str(home / folder))
    monkeypatch.setenv("HF_HOME", str(home / ".cache" / "huggingface"))
    monkeypatch.delenv(paths.HOME_ENV, raising=False)
    monkeypatch.delenv(paths.DB_ENV, raising=False)
    before = os.umask(0o022)
    root = logging.getLogger()
    handlers = list(root.handlers)
    yield home
    os.umask(before)
    for handler in root.handlers:
        if handler not in handlers:  # the app's log file, in this test's folder
            root.removeHandler(handler)
            handler.close()


def one_turn_export(sample: Path, title: str, folder: Path) -> Path:
    """A ChatGPT export of one conversation of the sample cut after its first exchange, so the
    headless extract has a single turn to do."""
    [conversation] = [c for c in json.loads(sample.read_text(encoding="utf-8")) if c["title"] == title]
    mapping = conversation["mapping"]
    node = next(n for n in mapping.values() if n["parent"] is None)
    kept = {}
    while True:
        kept[node["id"]] = node
        message = node.get("message")
        if message and message["author"]["role"] == "assistant":
            node["children"] = []
            break
        node = mapping[node["children"][0]]
    conversation["mapping"] = kept
    conversation["current_node"] = node["id"]
    conversations = [conversation]
    folder.mkdir()
    path = folder / "conversations.json"
    path.write_text(json.dumps(conversations), encoding="utf-8")
    return path


def _modes(*roots: Path) -> dict[Path, int]:
    found: dict[Path, int] = {}
    for root in roots:
        for path in [root, *root.rglob("*")] if root.is_dir() else [root]:
            info = path.lstat()
            if not stat.S_ISLNK(info.st_mode):
                found[path] = stat.S_IMODE(info.st_mode)
    return found


def _not_private(modes: dict[Path, int]) -> list[str]:
    return [f"{path} is {oct(mode)}" for path, mode in sorted(modes.items()) if mode & 0o077]


def test_a_whole_session_writes_only_private_files(qtbot, user_home: Path, tmp_path: Path, sample_export: Path,  # type: ignore[no-untyped-def]
                                                   demo_model: Path) -> None:
    from scallop_curator.cli import main as cli_main
    from scallop_curator.domain.review import Status
    from scallop_curator.ui import app
    from tests.ui.helpers import wait_filled

    tiny = one_turn_export(sample_export, "Sourdough starter", tmp_path / "in")
    out_folder = tmp_path / "out"
    out_folder.mkdir()  # the user's own folder: only what the app writes in it is checked

    log_path = app.prepare_process()  # as `scallop-curator` starts
    window = app.open_window()
    qtbot.addWidget(window)
    wait_filled(qtbot, window)  # shown first, filled right after
    with qtbot.waitSignal(window.importer.finished, timeout=60_000):
        window.import_files([sample_export])
    conversation = next(s for s in window.store.conversations() if s.title == "Quick maths")
    window.select_conversation(conversation.id)
    # One thread: llama.cpp's threads spin-wait on each other, which on a shared test machine with
    # more busy processes than cores makes a turn ten times slower.
    window.settings.engine.n_threads = 1
    with qtbot.waitSignal(window.controller.finished, timeout=600_000) as extraction:
        window.extraction.extract_current()  # the real SmolLM2, in the real worker process
    assert extraction.args == ["done"]
    if window.proposals.rowCount():
        window.proposal_view.setCurrentIndex(window.proposals.index(0))
        window._decide(Status.ACCEPTED)
    during = _modes(user_home)  # the store's WAL and SHM exist while it is open

    out = out_folder / "proposals.jsonl"
    assert cli_main(["extract", str(tiny), "--model", str(demo_model), "--threads", "1", "--out", str(out)]) == 0
    window.close()
    window.store.close()
    after = _modes(user_home)
    written = {**during, **after, **_modes(out)}

    names = {path.name for path in written}
    data, config, cache = paths.data_dir(), paths.config_dir(), paths.cache_dir()
    for expected in (data / "memories.db", config / "settings.json", config / "window.ini", log_path, out):
        assert expected in written, f"the session did not write {expected}"
    assert {"memories.db-wal", "memories.db-shm"} & names, "the store's WAL/SHM files were never seen"
    assert any(path.suffix == ".state" and path.parent == cache / "prefix-state" for path in written)
    assert all(str(path).startswith(str(user_home)) or path == out for path in written)
    assert _not_private({path: mode for path, mode in written.items() if path != user_home}) == []
    assert json.loads(out.read_text(encoding="utf-8").splitlines()[0])["conversation_id"]


def test_folders_left_open_by_an_older_version_are_closed(user_home: Path) -> None:
    from scallop_curator.ui import app

    config = paths.config_dir()
    config.mkdir(parents=True, mode=0o755)
    os.chmod(config, 0o755)
    app.prepare_process()
    assert stat.S_IMODE(config.stat().st_mode) == 0o700
    assert stat.S_IMODE(config.parent.stat().st_mode) == 0o755  # ~/.config itself is not ours


def test_private_helpers_create_owner_only(tmp_path: Path) -> None:
    before = os.umask(0o022)  # not relying on the umask: the helpers ask for the mode themselves
    try:
        folder = paths.private_dir(tmp_path / "a" / "b")
        with paths.open_private(folder / "out.jsonl", "w") as handle:
            handle.write("{}\n")
        with paths.open_private(folder / "out.jsonl", "a") as handle:
            handle.write("{}\n")
    finally:
        os.umask(before)
    assert (folder / "out.jsonl").read_text(encoding="utf-8") == "{}\n{}\n"
    assert stat.S_IMODE((folder / "out.jsonl").stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o700
