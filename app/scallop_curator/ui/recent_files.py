"""File → Open Recent: the last ten exports imported, most recent first, kept across restarts.

The list lives in its own small JSON file in the config folder (not in settings.json, which has
its own schema and owner), written atomically and readable by the owner only: file paths say
something about the person. A damaged file is logged and kept aside, then the list starts empty.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from scallop_curator import paths

log = logging.getLogger("ui")

LIMIT = 10
VERSION = 1


def recent_path() -> Path:
    return paths.config_dir() / "recent-files.json"


def load() -> list[Path]:
    path = recent_path()
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
        files = data["files"] if isinstance(data, dict) and data.get("version") == VERSION else None
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            raise ValueError("not a recent-files list of version 1")
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as problem:  # JSONDecodeError is a ValueError
        log.warning("%s is unreadable (%s); starting an empty recent-files list", path, problem)
        try:
            path.replace(path.with_suffix(".json.bad"))
        except OSError:
            pass
        return []
    return [Path(f) for f in files[:LIMIT]]


def save(files: list[Path]) -> None:
    """Write the whole list to a temporary file beside it, then rename: never half a file. A
    failed write (a full disk) keeps the old list and is only logged: the list is a convenience,
    never a reason to interrupt what the user is doing."""
    try:
        _write(files)
    except OSError as error:
        log.warning("could not save the recent files list: %s", error)


def _write(files: list[Path]) -> None:
    path = recent_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": VERSION, "files": [str(f) for f in files[:LIMIT]]}, indent=1)
    handle, temporary = tempfile.mkstemp(prefix=".recent-", suffix=".json", dir=path.parent)
    try:
        os.fchmod(handle, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def add(file: str | os.PathLike[str]) -> list[Path]:
    entry = Path(file).resolve()
    files = [entry] + [f for f in load() if f != entry]
    save(files[:LIMIT])
    return files[:LIMIT]


def remove(file: Path) -> list[Path]:
    files = [f for f in load() if f != file]
    save(files)
    return files


def clear() -> None:
    save([])


def _menu_text(number: int, file: Path) -> str:
    name = file.name.replace("&", "&&")  # a file name is not markup: "&" is not a mnemonic
    return f"&{number % 10} {name}" if number <= LIMIT else name


class RecentFilesMenu(QObject):
    """Keeps File → Open Recent in step with the list; each successful import goes on top."""

    def __init__(self, window: QWidget, file_menu: QMenu, before: QAction | None = None) -> None:
        super().__init__(window)
        self.window = window
        self.menu = QMenu("Open &Recent", window)
        self.menu.setObjectName("recentFiles")
        if before is None:
            file_menu.addMenu(self.menu)
        else:
            file_menu.insertMenu(before, self.menu)
        self.menu.aboutToShow.connect(self.rebuild)  # files may have gone since the last look
        window.importer.fileDone.connect(self._imported)  # type: ignore[attr-defined]
        self.rebuild()

    def _imported(self, summary: object, _ids: list[str]) -> None:
        source = getattr(summary, "source", "")
        if source and Path(source).is_file():
            add(source)
            self.rebuild()

    def rebuild(self) -> None:
        self.menu.clear()
        files = load()
        for number, file in enumerate(files, start=1):
            action = self.menu.addAction(_menu_text(number, file))
            action.setData(str(file))
            if file.is_file():
                action.setStatusTip(str(file))
                action.setToolTip(str(file))
            else:
                action.setEnabled(False)  # greyed: shown so the user sees what went, not opened
                action.setText(f"{action.text()} (missing)")
                action.setStatusTip(f"No longer at {file}")
            action.triggered.connect(lambda _checked=False, f=file: self.open(f))
        if files:
            self.menu.addSeparator()
        missing = [f for f in files if not f.is_file()]
        if missing:
            self.menu.addAction("Remove &missing files", self.remove_missing)
        clear_action = self.menu.addAction("&Clear the list", self.clear)
        clear_action.setEnabled(bool(files))
        self.menu.setEnabled(True)

    def open(self, file: Path) -> None:
        """Import the file as File → Open does; a file gone since the menu was built is dropped."""
        if not file.is_file():
            remove(file)
            self.rebuild()
            self.window.notify(f"{file.name} is no longer at {file.parent}; removed it from the recent files.", 8000)  # type: ignore[attr-defined]
            return
        self.window.import_files([file])  # type: ignore[attr-defined]

    def remove_missing(self) -> None:
        files = load()
        kept = [f for f in files if f.is_file()]
        save(kept)
        self.rebuild()
        gone = len(files) - len(kept)
        self.window.notify(f"Removed {gone} missing file{'s' if gone != 1 else ''} from the recent files.", 5000)  # type: ignore[attr-defined]

    def clear(self) -> None:
        clear()
        self.rebuild()

    def actions_for_files(self) -> list[QAction]:
        return [a for a in self.menu.actions() if isinstance(a.data(), str) and a.data()]
