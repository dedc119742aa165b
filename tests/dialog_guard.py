"""Stand-ins for every Qt call that would block a test on a modal dialog (see conftest's ``dialogs``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog, QFileDialog, QInputDialog, QMessageBox

# Seconds a dialog whose real exec() a test asked for may stay open before the watchdog rejects it.
WATCHDOG_S = 30

Button = QMessageBox.StandardButton
# name -> the answer an unexpected call gets: always the refusing one.
REFUSALS: dict[tuple[type, str], Any] = {
    (QMessageBox, "information"): Button.Ok,
    (QMessageBox, "warning"): Button.Ok,
    (QMessageBox, "critical"): Button.Ok,
    (QMessageBox, "question"): Button.No,
    (QMessageBox, "about"): None,
    (QMessageBox, "aboutQt"): None,
    (QInputDialog, "getItem"): ("", False),
    (QInputDialog, "getText"): ("", False),
    (QInputDialog, "getMultiLineText"): ("", False),
    (QInputDialog, "getInt"): (0, False),
    (QInputDialog, "getDouble"): (0.0, False),
    (QFileDialog, "getOpenFileName"): ("", ""),
    (QFileDialog, "getOpenFileNames"): ([], ""),
    (QFileDialog, "getSaveFileName"): ("", ""),
    (QFileDialog, "getExistingDirectory"): "",
    (QFileDialog, "getOpenFileUrl"): None,
    (QFileDialog, "getOpenFileUrls"): ([], ""),
    (QFileDialog, "getSaveFileUrl"): None,
    (QFileDialog, "getExistingDirectoryUrl"): None,
}
# Classes whose exec() blocks: QDialog's and the C++ overrides PySide6 exposes separately.
EXEC_CLASSES = tuple(c for c in (QDialog, QMessageBox, QFileDialog, QInputDialog) if "exec" in vars(c))


def _describe(args: tuple[Any, ...]) -> str:
    return ", ".join(repr(a)[:80] for a in args if isinstance(a, str))


class DialogGuard:
    """Records every dialog a test opens; unexpected ones get a refusal and fail the test."""

    def __init__(self, real_exec: tuple[str, ...] = ()) -> None:
        self.real_exec = real_exec
        self.answers: dict[str, Any] = {}
        self.seen: list[str] = []
        self.unexpected: list[str] = []

    def answer(self, name: str, value: Any) -> None:
        """Expect ``Class.function`` (e.g. ``"QMessageBox.question"``), answered with ``value`` (a callable
        gets the call's arguments)."""
        self.answers[name] = value

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for (cls, name), refusal in REFUSALS.items():
            if hasattr(cls, name):
                monkeypatch.setattr(cls, name, staticmethod(self._static(f"{cls.__name__}.{name}", refusal)))
        for cls in EXEC_CLASSES:
            monkeypatch.setattr(cls, "exec", self._exec(cls.exec))
            if "exec_" in vars(cls):
                monkeypatch.setattr(cls, "exec_", self._exec(cls.exec))

    def _static(self, name: str, refusal: Any) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.seen.append(f"{name}({_describe(args)})")
            if name in self.answers:
                answer = self.answers[name]
                return answer(*args, **kwargs) if callable(answer) else answer
            self.unexpected.append(self.seen[-1])
            return refusal
        return call

    def _exec(self, real: Callable[..., Any]) -> Callable[..., Any]:
        guard = self

        def exec_(widget: Any, *args: Any) -> Any:
            kind = type(widget).__name__
            title = widget.windowTitle() if hasattr(widget, "windowTitle") else ""
            guard.seen.append(f"{kind}.exec({title!r})")
            if kind in guard.answers:
                answer = guard.answers[kind]
                return answer(widget) if callable(answer) else answer
            if kind in guard.real_exec:
                watchdog = QTimer(widget)
                watchdog.setSingleShot(True)

                def expire() -> None:
                    guard.unexpected.append(f"{kind} still open after {WATCHDOG_S} s")
                    widget.reject()
                watchdog.timeout.connect(expire)
                watchdog.start(WATCHDOG_S * 1000)
                try:
                    return real(widget, *args)
                finally:
                    watchdog.stop()
            guard.unexpected.append(guard.seen[-1])
            widget.setResult(0)
            return 0  # QDialog.DialogCode.Rejected; for a QMessageBox, no button
        return exec_
