"""Light and dark themes: follow the system by default, or the user's pick (View → Theme).

Qt 6.5+ reports the system's scheme (``QStyleHints.colorScheme``) and, with a platform theme
(Windows, macOS, GNOME/KDE), hands the app a matching palette. Where no platform theme answers
(a bare Linux session, Xvfb, offscreen), asking for dark changes nothing, so we fall back to the
Fusion style with a dark palette built here. Every other colour in the ui is read from the
palette's roles, so this module is the only place that names colours.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal, cast

from PySide6.QtCore import QObject, QSettings
from PySide6.QtGui import QAction, QActionGroup, QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMenu, QStyleFactory, QWidget

from scallop_curator import paths

if TYPE_CHECKING:  # named where used: naming Qt builds its ~100 enums (40-60 ms, see shell_props)
    from PySide6.QtCore import Qt

log = logging.getLogger("ui")

Choice = Literal["system", "light", "dark"]
CHOICES: tuple[Choice, ...] = ("system", "light", "dark")
LABELS: dict[Choice, str] = {"system": "&System", "light": "&Light", "dark": "&Dark"}
_KEY = "theme"
_SYSTEM_DARK_KEY = "system_dark"  # whether the system was dark at the last start (see start_theme)

# Role → colour for the fallback dark palette; the disabled group gets dimmer text.
_DARK: dict[QPalette.ColorRole, str] = {
    QPalette.ColorRole.Window: "#2b2b2e",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1f1f22",
    QPalette.ColorRole.AlternateBase: "#2a2a2e",
    QPalette.ColorRole.ToolTipBase: "#3a3a3e",
    QPalette.ColorRole.ToolTipText: "#f0f0f0",
    QPalette.ColorRole.PlaceholderText: "#8c8c8c",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Button: "#35353a",
    QPalette.ColorRole.ButtonText: "#e6e6e6",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#4a4a50",
    QPalette.ColorRole.Midlight: "#3e3e44",
    QPalette.ColorRole.Mid: "#303035",
    QPalette.ColorRole.Dark: "#18181a",
    QPalette.ColorRole.Shadow: "#0c0c0d",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#7fb0ff",
    QPalette.ColorRole.LinkVisited: "#c39bff",
}
_DARK_DISABLED = {QPalette.ColorRole.WindowText, QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText}


# Meanings the palette has no role for (an error, a warning, an accepted fact), one shade for a
# light window and one for a dark one, so text in them stays readable in both themes.
_MEANINGS: dict[str, tuple[str, str]] = {
    "error": ("#b00020", "#ff7b7b"),
    "warning": ("#8a5a00", "#e8b65a"),
    "success": ("#2e7d4f", "#6fcf97"),
}


def meaning_colour(palette: QPalette, meaning: str) -> QColor:
    """The colour for "error", "warning" or "success" that reads well on this palette's window;
    "accent" and "muted" come from the palette's own Link and PlaceholderText roles."""
    if meaning == "accent":
        return palette.color(QPalette.ColorRole.Link)
    if meaning == "muted":
        return palette.color(QPalette.ColorRole.PlaceholderText)
    light, dark = _MEANINGS[meaning]
    return QColor(dark if is_dark(palette) else light)


def meaning_style(widget: QWidget, meaning: str) -> str:
    """A style sheet line for a label's text in that meaning, for the widget's current palette."""
    return f"color: {meaning_colour(widget.palette(), meaning).name()};"


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in _DARK.items():
        palette.setColor(role, QColor(colour))
    for role in _DARK_DISABLED:
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a7a"))
    return palette


def is_dark(palette: QPalette) -> bool:
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def _store() -> QSettings:
    return QSettings(str(paths.config_dir() / "window.ini"), QSettings.Format.IniFormat)


def saved_choice() -> Choice:
    value = _store().value(_KEY, "system")
    return cast(Choice, value) if value in CHOICES else "system"


def save_choice(choice: Choice) -> None:
    settings = _store()
    settings.setValue(_KEY, choice)
    settings.sync()


class _ThemeState(QObject):
    """What the app looked like before any theme was applied, and the system-change hook."""

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self.setObjectName("themeState")
        # The platform's own style, recorded when we first replace it (by Fusion): naming the style
        # at start-up would make PySide build QStyle's enums before the window's first frame.
        self.style_name: str | None = None
        self.choice: Choice = "system"
        self.dark = False  # what the app is themed for now
        app.styleHints().colorSchemeChanged.connect(self._system_changed)

    def _system_changed(self, scheme: Qt.ColorScheme) -> None:
        from PySide6.QtCore import Qt

        app = QApplication.instance()
        if self.choice == "system" and isinstance(app, QApplication):
            _apply(app, self, "system", system_dark=scheme == Qt.ColorScheme.Dark)


def _state(app: QApplication) -> _ThemeState:
    state = app.findChild(_ThemeState, "themeState")
    return state if state is not None else _ThemeState(app)


def system_is_dark(app: QGuiApplication) -> bool:
    from PySide6.QtCore import Qt

    return app.styleHints().colorScheme() == Qt.ColorScheme.Dark


def _ask_platform(app: QApplication, scheme: Qt.ColorScheme) -> None:
    """Qt 6.8+ can ask the platform theme for a scheme; older Qt or no platform theme: no-op."""
    setter = getattr(app.styleHints(), "setColorScheme", None)
    if setter is not None:
        setter(scheme)


def _apply(app: QApplication, state: _ThemeState, choice: Choice, system_dark: bool | None = None) -> None:
    from PySide6.QtCore import Qt

    state.choice = choice  # first: asking the platform below may report a change at once
    wanted = {"system": Qt.ColorScheme.Unknown, "light": Qt.ColorScheme.Light, "dark": Qt.ColorScheme.Dark}[choice]
    _ask_platform(app, wanted)
    if choice == "system":
        want_dark = system_is_dark(app) if system_dark is None else system_dark
    else:
        want_dark = choice == "dark"
    _match(app, state, want_dark, choice)


def _match(app: QApplication, state: _ThemeState, want_dark: bool, choice: Choice) -> None:
    """Back to the platform's own look first (an empty palette resolves to the platform's or the
    style's own); keep it when it already is as dark or light as wanted, else Fusion."""
    state.dark = want_dark
    if state.style_name is not None and app.style().name().lower() != state.style_name.lower():
        app.setStyle(state.style_name)
    app.setPalette(QPalette())
    if is_dark(app.palette()) == want_dark:
        return
    # The platform did not follow: Fusion draws every role from the palette, so it themes fully.
    if state.style_name is None:
        state.style_name = app.style().name()
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(dark_palette() if want_dark else app.style().standardPalette())
    log.info("theme %s: the platform did not follow, using Fusion %s", choice, "dark" if want_dark else "light")


def start_theme(app: QApplication, choice: Choice) -> bool:
    """The theme at start, before the window exists, so that its first frame is drawn right. A
    fixed choice is applied as always. "system" keeps the platform's look, or Fusion dark where
    the system was dark at the last start and the platform did not follow: asking Qt for the
    scheme makes PySide build the ``Qt`` namespace's ~100 enums (40-60 ms, see ``shell_props``),
    so ``confirm_system_theme`` asks right after the first frame and redraws only if the system
    changed since. Returns whether that check is due."""
    if choice in CHOICES and choice != "system":
        apply_theme(app, choice)
        return False
    state = _state(app)
    state.choice = "system"
    state.dark = is_dark(app.palette())  # the platform's own look
    if not state.dark and _store().value(_SYSTEM_DARK_KEY, "false") == "true":
        _match(app, state, True, "system")
    return True


def confirm_system_theme(app: QApplication) -> None:
    """After the first frame: the system's scheme now, remembered for the next start; applied
    only where it is not what the window was drawn with."""
    state = _state(app)
    if state.choice != "system":  # the user picked a theme meanwhile
        return
    dark = system_is_dark(app)
    if dark != state.dark:
        _apply(app, state, "system", system_dark=dark)
    store = _store()
    if store.value(_SYSTEM_DARK_KEY, "false") != ("true" if dark else "false"):
        store.setValue(_SYSTEM_DARK_KEY, "true" if dark else "false")
        store.sync()


def apply_theme(app: QApplication, choice: Choice) -> None:
    """Apply a theme now and keep following the system while the choice is "system"."""
    if choice not in CHOICES:
        choice = "system"
    _apply(app, _state(app), choice)


def current_choice(app: QApplication) -> Choice:
    return _state(app).choice


def add_theme_menu(parent: QWidget, menu: QMenu) -> QMenu:
    """View → Theme: System / Light / Dark, one checked; a pick applies at once and is remembered."""
    submenu = menu.addMenu("&Theme")
    group = QActionGroup(submenu)
    group.setExclusive(True)
    app = QApplication.instance()
    active = current_choice(app) if isinstance(app, QApplication) else saved_choice()
    for choice in CHOICES:
        action = QAction(LABELS[choice], parent, checkable=True, checked=choice == active)
        action.setObjectName(f"theme_{choice}")
        action.setData(choice)
        action.setStatusTip("Follow the system's light or dark setting" if choice == "system"
                            else f"Always use the {choice} theme")
        group.addAction(action)
        submenu.addAction(action)
        action.triggered.connect(lambda _checked=False, c=choice: choose_theme(c))
    return submenu


def choose_theme(choice: Choice) -> None:
    app = QApplication.instance()
    if isinstance(app, QApplication):
        apply_theme(app, choice)
    save_choice(choice)
