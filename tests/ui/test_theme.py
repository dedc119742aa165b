"""Theme switch: View → Theme sets the palette at once (dark or light window colour) and is
remembered for the next start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import QApplication, QMenu

from scallop_curator import paths
from scallop_curator.ui import theme


@pytest.fixture(autouse=True)
def back_to_system(qapp: QApplication) -> Iterator[None]:
    """The QApplication is shared by the whole session: leave it as the platform made it."""
    style = qapp.style().name()
    yield
    theme.apply_theme(qapp, "system")
    assert qapp.style().name() == style


def _window_lightness(widget_palette: QPalette) -> int:
    return widget_palette.color(QPalette.ColorRole.Window).lightness()


def _theme_action(window, choice: str) -> QAction:  # type: ignore[no-untyped-def]
    action = window.findChild(QAction, f"theme_{choice}")
    assert action is not None, f"no View → Theme → {choice}"
    return action


def test_apply_theme_sets_a_dark_then_light_palette(qapp: QApplication) -> None:
    theme.apply_theme(qapp, "dark")
    assert theme.is_dark(qapp.palette())
    assert _window_lightness(qapp.palette()) < 80
    assert qapp.palette().color(QPalette.ColorRole.Text).lightness() > 180  # readable on it
    theme.apply_theme(qapp, "light")
    assert not theme.is_dark(qapp.palette())
    assert _window_lightness(qapp.palette()) > 180
    assert qapp.palette().color(QPalette.ColorRole.Text).lightness() < 80


def test_system_follows_the_platform(qapp: QApplication) -> None:
    theme.apply_theme(qapp, "dark")
    theme.apply_theme(qapp, "system")
    assert theme.current_choice(qapp) == "system"
    assert theme.is_dark(qapp.palette()) == theme.system_is_dark(qapp)


def test_system_choice_follows_a_change_of_the_system_scheme(qapp: QApplication, qtbot) -> None:  # type: ignore[no-untyped-def]
    hints = qapp.styleHints()
    theme.apply_theme(qapp, "system")
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)  # what the platform sends when the user switches
    assert theme.is_dark(qapp.palette())
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert not theme.is_dark(qapp.palette())
    theme.apply_theme(qapp, "light")  # a fixed choice ignores the system
    hints.colorSchemeChanged.emit(Qt.ColorScheme.Dark)
    assert not theme.is_dark(qapp.palette())


def test_menu_switch_changes_the_window_and_is_remembered(qapp: QApplication, qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window = open_window()
    view_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    theme_menu = next(a.menu() for a in view_menu.actions() if isinstance(a.menu(), QMenu) and a.text() == "&Theme")
    assert [a.objectName() for a in theme_menu.actions()] == ["theme_system", "theme_light", "theme_dark"]
    assert _theme_action(window, "system").isChecked()

    _theme_action(window, "dark").trigger()
    assert _theme_action(window, "dark").isChecked() and not _theme_action(window, "system").isChecked()
    # Widgets take the new application palette from a posted event.
    qtbot.waitUntil(lambda: _window_lightness(window.proposal_view.palette()) < 80)
    assert _window_lightness(window.palette()) < 80
    assert theme.saved_choice() == "dark"
    assert "theme=dark" in (paths.config_dir() / "window.ini").read_text()

    _theme_action(window, "light").trigger()
    qtbot.waitUntil(lambda: _window_lightness(window.proposal_view.palette()) > 180)
    assert _window_lightness(window.palette()) > 180
    assert theme.saved_choice() == "light"


def test_a_new_window_shows_the_remembered_choice(qapp: QApplication, qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    theme.save_choice("dark")
    theme.apply_theme(qapp, theme.saved_choice())  # what app.run does at start
    window = open_window()
    assert _theme_action(window, "dark").isChecked()
    qtbot.waitUntil(lambda: _window_lightness(window.palette()) < 80)


def test_an_unknown_saved_choice_means_system() -> None:
    theme.save_choice("purple")  # type: ignore[arg-type]
    assert theme.saved_choice() == "system"


def test_meaning_colours_stay_readable_in_both_themes(qapp: QApplication, qtbot) -> None:  # type: ignore[no-untyped-def]
    for choice in ("light", "dark"):
        theme.apply_theme(qapp, choice)  # type: ignore[arg-type]
        palette = qapp.palette()
        window = palette.color(QPalette.ColorRole.Window)
        for meaning in ("error", "warning", "success", "accent", "muted"):
            colour = theme.meaning_colour(palette, meaning)
            assert abs(colour.lightness() - window.lightness()) > 60, (choice, meaning, colour.name())


def test_start_draws_the_system_theme_as_last_time_and_corrects_it_after_the_first_frame(qapp: QApplication) -> None:
    """``start_theme`` does not ask Qt for the scheme (that builds the ``Qt`` enums, ~50 ms before
    the first frame): it uses the one remembered at the last start. ``confirm_system_theme`` asks
    after the first frame, corrects and remembers."""
    assert not theme.system_is_dark(qapp)  # offscreen: no platform theme reports dark
    remembered = theme._store()
    remembered.setValue("system_dark", "true")  # the system was dark at the last start
    remembered.sync()
    assert theme.start_theme(qapp, "system") is True  # a check is due after the first frame
    assert theme.is_dark(qapp.palette()) and theme.current_choice(qapp) == "system"
    theme.confirm_system_theme(qapp)
    assert not theme.is_dark(qapp.palette())  # light now: corrected
    assert theme._store().value("system_dark") == "false"  # and remembered for the next start
    assert theme.start_theme(qapp, "system") is True
    assert not theme.is_dark(qapp.palette())


def test_start_keeps_the_platforms_look_for_the_system_theme_when_nothing_is_remembered(qapp: QApplication) -> None:
    style = qapp.style().name()
    assert theme.start_theme(qapp, "system") is True  # a first start: nothing remembered
    assert qapp.style().name() == style and not theme.is_dark(qapp.palette())
    theme.confirm_system_theme(qapp)
    assert qapp.style().name() == style and not theme.is_dark(qapp.palette())
    assert theme._store().value("system_dark") is None  # as it was: nothing written when nothing changed


def test_start_applies_a_fixed_choice_at_once(qapp: QApplication) -> None:
    assert theme.start_theme(qapp, "dark") is False
    assert theme.is_dark(qapp.palette())
    theme.confirm_system_theme(qapp)  # the user's own choice is not the system's to change
    assert theme.is_dark(qapp.palette())
