"""Every path the app uses comes from here, so tests can point them all at a temporary folder."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import IO, Any

import platformdirs

APP_NAME = "scallop-curator"
DB_ENV = "SCALLOP_CURATOR_DB"
HOME_ENV = "SCALLOP_CURATOR_HOME"

# Everything the app writes (store, settings, log, window state, caches, exports) is its owner's
# alone: chat histories and server keys are private.
PRIVATE_UMASK = 0o077
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def _root(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        return Path(override) / kind
    if kind == "data":
        return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if kind == "config":
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    if kind == "cache":
        return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def make_process_private() -> int:
    """Make every file and folder this process creates owner-only from the moment it exists,
    including those made by SQLite (store, WAL, SHM), Qt (window.ini) and llama.cpp, and those of
    the worker process it spawns (the umask is inherited). Returns the previous umask."""
    return os.umask(PRIVATE_UMASK)


def private_dir(path: str | os.PathLike[str]) -> Path:
    """``path`` and any missing parent, created 0700 (``mkdir(parents=True)`` would give the
    parents the default mode)."""
    folder = Path(path)
    missing: list[Path] = []
    probe = folder
    while not probe.is_dir() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for item in reversed(missing):
        try:
            os.mkdir(item, PRIVATE_DIR_MODE)
        except FileExistsError:
            if not item.is_dir():
                raise
    return folder


def app_dir(folder: Path) -> Path:
    """One of the app's own folders, created 0700; one left group- or world-readable by an older
    version is tightened (only the app's own folder, never a parent such as ~/.config)."""
    private_dir(folder)
    try:
        if os.name == "posix" and folder.stat().st_mode & 0o077:
            os.chmod(folder, PRIVATE_DIR_MODE)
    except OSError:
        pass
    return folder


def open_private(path: str | os.PathLike[str], mode: str = "w", encoding: str | None = "utf-8") -> IO[Any]:
    """Open ``path`` for writing (``w``/``a``, text or ``b``), creating it 0600 if it is new."""
    flags = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    flags |= os.O_APPEND if mode.startswith("a") else os.O_TRUNC
    fd = os.open(path, flags, PRIVATE_FILE_MODE)
    try:
        return os.fdopen(fd, mode, encoding=None if "b" in mode else encoding)
    except BaseException:
        os.close(fd)
        raise


def data_dir() -> Path:
    return _root("data")


def config_dir() -> Path:
    return _root("config")


def cache_dir() -> Path:
    return _root("cache")


def log_dir() -> Path:
    return _root("log")


def default_db_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--db`` wins, then ``SCALLOP_CURATOR_DB``, then the platform data directory."""
    if explicit:
        return Path(explicit)
    if os.environ.get(DB_ENV):
        return Path(os.environ[DB_ENV])
    return data_dir() / "memories.db"


def settings_path() -> Path:
    return config_dir() / "settings.json"


def log_path() -> Path:
    return log_dir() / "scallop-curator.log"


def resource(*parts: str) -> Path:
    """A bundled resource file (``resources/`` in the source tree, package data when installed)."""
    return Path(str(resources.files("scallop_curator.resources").joinpath(*parts)))


def sample_export() -> Path:
    return resource("sample", "conversations.json")
