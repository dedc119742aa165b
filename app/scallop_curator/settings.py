"""The one settings model: typed, versioned, stored as JSON in the platform config directory.

The file is written atomically (a 0600 temp file beside it, fsync, rename), so a full disk or a
kill leaves the previous file whole. A file that is broken or written by a newer version is kept
aside under a new name and reported once, never silently overwritten with defaults. The server
key lives in the keychain (see ``keychain``), in the file only when the user asks for it."""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, PrivateAttr, ValidationError

from scallop_curator import keychain, paths

log = logging.getLogger("settings")

SCHEMA_VERSION = 3


class SettingsError(Exception):
    """The settings could not be saved (full disk, read-only folder): a plain message, not a bug."""


def _default_threads() -> int:
    return max(1, min(8, (os.cpu_count() or 2)))


class EngineSettings(BaseModel):
    """How llama.cpp runs the model; defaults suit a laptop CPU."""

    n_ctx: int = Field(default=8192, ge=1024, le=131072)
    n_threads: int = Field(default_factory=_default_threads, ge=1, le=256)
    n_batch: int = Field(default=512, ge=16, le=8192)
    # -1: as many as fit in the GPU's free memory, resolved when the model loads (0 on a CPU build).
    n_gpu_layers: int = Field(default=-1, ge=-1, le=1000)
    seed: int = 0


class ExtractionSettings(BaseModel):
    """What the window's extractions use besides the model: the clock a prompt shows, the rules that
    leave turns out, and the order turns go in. Added in settings version 2 with defaults, so older
    files load unchanged (no migration step needed)."""

    timezone: str | None = Field(default=None, description="IANA zone turn times are shown in; None: this machine's.")
    time_grain: Literal["minute", "hour", "day"] = Field(
        default="day", description="How finely a prompt that shows the time shows it; day lets a day's turns share one prefix.")
    skip_min_chars: int = Field(default=0, ge=0, le=100_000, description="Skip messages under this many characters; 0: off.")
    skip_code: bool = Field(default=False, description="Skip messages that are pure code or log pastes.")
    order: Literal["newest", "selected", "oldest"] = Field(default="newest", description="Which turns a large extraction does first.")
    confirm_turns: int = Field(default=50, ge=0, le=1_000_000,
                               description="Show the plan before an extraction of more turns than this (or over 2 minutes).")


class Settings(BaseModel):
    schema_version: int = SCHEMA_VERSION
    model_path: str | None = None
    prompt_path: str | None = Field(default=None, description="A user's own prompt file, replacing the bundled one.")
    prompt_profile: str = Field(default="compact", description="The bundled prompt profile (compact, scallopbot) when no prompt_path.")
    engine: EngineSettings = Field(default_factory=EngineSettings)
    last_export: str | None = None
    # Where the model comes from, as the user chose it in "Choose a model" (None: never chosen;
    # then resolve_model falls back to a downloaded scallopmemory-1, else the demo model).
    model_source: Literal["hub", "file", "server", "demo"] | None = None
    server_url: str | None = Field(default=None, description="An OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1")
    # The key itself: kept in the keychain, in the file only with server_api_key_in_file, else
    # for this session only (no keychain on this system).
    server_api_key: str | None = None
    server_api_key_in_file: bool = Field(default=False, description="The user chose to keep the key in this file, in plain text.")
    server_api_key_in_keychain: bool = Field(default=False, description="A key was stored in the keychain.")
    server_model: str | None = Field(default=None, description="A model id the server lists; None: the first it lists.")
    server_concurrency: int = Field(default=4, ge=1, le=64)
    first_run_done: bool = Field(default=False, description="The user has answered the first-run model question.")
    extraction: ExtractionSettings = Field(default_factory=ExtractionSettings)

    # What the keychain holds as far as this object knows: saves skip the keychain when unchanged.
    _keychain_value: str | None = PrivateAttr(default=None)
    _problems: list[str] = PrivateAttr(default_factory=list)

    @classmethod
    def load(cls, path: Path | None = None) -> Settings:
        """The saved settings, or the defaults when there are none or they cannot be used; what went
        wrong is logged and kept for :meth:`take_problems` (the window shows it once)."""
        path = path or paths.settings_path()
        problems: list[str] = []
        raw = _read(path, problems)
        settings = cls()
        if raw is not None:
            try:
                settings = cls.model_validate(raw)
            except ValidationError as error:
                first = error.errors()[0]
                where = ".".join(str(part) for part in first["loc"]) or "the file"
                _set_aside(path, f"bad-{time.strftime('%Y%m%d-%H%M%S')}", f"{where}: {first['msg']}", problems)
                settings = cls()
            else:
                settings._settle_key(path, raw, problems)
        for problem in problems:
            log.warning("%s", problem)
        settings._problems = problems
        return settings

    def take_problems(self) -> list[str]:
        """What :meth:`load` had to report, once: later calls get nothing."""
        problems, self._problems = self._problems, []
        return problems

    def _settle_key(self, path: Path, raw: dict[str, Any], problems: list[str]) -> None:
        """Move a plain key out of the file into the keychain, or fetch the key from the keychain."""
        if self.server_api_key_in_file:
            return
        if self.server_api_key:  # a key in the file that the user did not ask to keep there
            if keychain.store(self.server_api_key):
                self._keychain_value = self.server_api_key
                self.server_api_key_in_keychain = True
                try:
                    self.save(path)
                except SettingsError as error:
                    problems.append(f"The server key was copied into the keychain, but {path} still holds "
                                    f"it in plain text: {error}")
                else:
                    log.info("moved the server key from %s into the keychain", path)
            else:  # nowhere safer to keep it: it stays where it was rather than being lost
                self.server_api_key_in_file = True
            return
        if self.server_api_key_in_keychain:
            self.server_api_key = self._keychain_value = keychain.read()
            if self.server_api_key is None:
                problems.append("The server API key could not be read from the system keychain: "
                                "enter it again in Model → Choose model… if the server needs one.")

    def _sync_keychain(self) -> None:
        """Before a save: the key goes to the keychain, or stays for this session only."""
        key = self.server_api_key
        if self.server_api_key_in_file:
            if self.server_api_key_in_keychain and keychain.delete():  # one copy, where the user chose
                self.server_api_key_in_keychain = False
                self._keychain_value = None
            return
        if key == self._keychain_value and (key is None or self.server_api_key_in_keychain):
            return
        if key is None:
            if not self.server_api_key_in_keychain or keychain.delete():
                self.server_api_key_in_keychain = False
                self._keychain_value = None
        elif keychain.store(key):
            self.server_api_key_in_keychain = True
            self._keychain_value = key
        else:
            log.debug("no keychain: the server key is kept for this session only")
            self.server_api_key_in_keychain = False

    def save(self, path: Path | None = None) -> None:
        """Write atomically; raises SettingsError (the old file stays as it was) when it cannot."""
        path = path or paths.settings_path()
        self._sync_keychain()
        exclude = None if self.server_api_key_in_file else {"server_api_key"}
        _write_atomically(path, self.model_dump_json(indent=2, exclude=exclude))


# -- reading, migrating and setting aside ------------------------------------------------------

_MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}


def _migration(from_version: int) -> Callable[[Callable[[dict[str, Any]], dict[str, Any]]], Callable[[dict[str, Any]], dict[str, Any]]]:
    def register(step: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        _MIGRATIONS[from_version] = step
        return step

    return register


@_migration(1)
def _key_leaves_the_file(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 2 keeps the server key in the keychain. A version-1 key is moved there on load
    (Settings._settle_key); with no keychain it stays in the file, where the user had put it."""
    raw = dict(raw)
    if raw.get("server_api_key") and not keychain.available():
        raw["server_api_key_in_file"] = True
    raw["schema_version"] = 2
    return raw


@_migration(2)
def _gpu_layers_as_many_as_fit(raw: dict[str, Any]) -> dict[str, Any]:
    """Version 3's GPU layers default is -1, "as many as fit" (0 on a CPU-only build). Version 2
    wrote its default 0 into every file, so a 0 there is that default, not a choice: it becomes -1."""
    raw = dict(raw)
    engine = raw.get("engine")
    if isinstance(engine, dict) and engine.get("n_gpu_layers") == 0:
        raw["engine"] = {**engine, "n_gpu_layers": -1}
    raw["schema_version"] = 3
    return raw


def _read(path: Path, problems: list[str]) -> dict[str, Any] | None:
    """The file's content migrated to SCHEMA_VERSION; None (and a problem noted) when unusable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as error:
        problems.append(f"The settings file {path} could not be read ({error.strerror or error}); "
                        "the defaults are used for this session.")
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        raw = json.loads(text)
    except ValueError as error:
        _set_aside(path, f"bad-{stamp}", f"it is not valid JSON ({error})", problems)
        return None
    if not isinstance(raw, dict):
        _set_aside(path, f"bad-{stamp}", "it does not hold a settings object", problems)
        return None
    version = raw.get("schema_version", 1)
    if type(version) is not int or version < 1:
        _set_aside(path, f"bad-{stamp}", f"its schema_version {version!r} is not a version number", problems)
        return None
    if version > SCHEMA_VERSION:
        _set_aside(path, f"newer-{version}",
                   f"it was written by a newer Scallop Curator (settings version {version}; this one "
                   f"reads up to {SCHEMA_VERSION})", problems)
        return None
    while version < SCHEMA_VERSION:
        raw = _MIGRATIONS[version](raw)
        version = raw["schema_version"]
    return raw


def _set_aside(path: Path, suffix: str, reason: str, problems: list[str]) -> None:
    """Keep an unusable settings file under a new name, so that nothing the user had is lost."""
    target = path.with_name(f"{path.name}.{suffix}")
    count = 1
    while target.exists():
        count += 1
        target = path.with_name(f"{path.name}.{suffix}-{count}")
    try:
        os.replace(path, target)
    except OSError as error:
        problems.append(f"The settings file {path} cannot be used: {reason}. It could not be kept aside "
                        f"({error.strerror or error}); the defaults are used for this session.")
        return
    problems.append(f"The settings file {path} cannot be used: {reason}. It was kept as {target.name} "
                    "and the defaults are used.")


def _write_atomically(path: Path, text: str) -> None:
    """A 0600 temp file in the same folder, fsync, then rename over the old file: readers (and a
    crash) see the old file or the new one, never half of one; a failure leaves no temp file."""
    tmp: str | None = None
    try:
        paths.private_dir(path.parent)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # created 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as error:
        raise SettingsError(f"The settings could not be saved to {path} ({error.strerror or error}); "
                            "the previous settings are kept.") from error
    finally:
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX); best effort."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
