"""Every path the app uses comes from here, so tests can point them all at a temporary folder."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import platformdirs

APP_NAME = "scallop-curator"
DB_ENV = "SCALLOP_CURATOR_DB"
HOME_ENV = "SCALLOP_CURATOR_HOME"


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
