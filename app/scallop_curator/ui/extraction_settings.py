"""The Settings dialog's extraction part: the timezone and time grain a prompt's date and time are
shown at, the skip rules, and when the plan of a large extraction is shown first. Kept apart from
``settings_dialog`` so that file stays about the model; the dialog calls :func:`extraction_boxes`
while it builds and :func:`accept_extraction` on OK."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
)

from scallop_curator.domain.clock import UnknownZone, resolve_zone, system_zone_name
from scallop_curator.extraction.prompt import PromptError, load_prompt
from scallop_curator.settings import ExtractionSettings
from scallop_curator.ui.model_setup import ERROR_STYLE

PROFILE_LABELS: dict[str, str] = {
    "compact": "compact (short; shows no date or time)",
    "scallopbot": "scallopbot (ScallopBot's layout, with date, time and timezone)",
}
GRAINS: dict[str, str] = {
    "day": "Day (fastest)",
    "hour": "Hour",
    "minute": "Minute (exact, slowest)",
}
GRAIN_TIP = ("How finely the time is shown. Day shows noon: all of a day's turns share one evaluated start of "
             "the prompt. Hour shares it per hour. Minute is exact, but the instructions are evaluated again for "
             "nearly every turn (much slower on a CPU).")


def extraction_boxes(dialog: Any, layout: QVBoxLayout) -> None:
    """Add the "Dates in prompts" and "Skip rules" boxes to the Settings dialog."""
    current: ExtractionSettings = dialog.draft.extraction
    dates = QGroupBox("Dates in prompts")
    form = QFormLayout(dates)
    zone = QComboBox(objectName="timezone")
    zone.setEditable(True)
    zone.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    zone.addItem(f"This computer's ({system_zone_name()})", None)
    for name in sorted(available_timezones()):
        zone.addItem(name, name)
    completer = QCompleter([zone.itemText(i) for i in range(zone.count())], zone)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    zone.setCompleter(completer)
    if current.timezone:
        found = zone.findData(current.timezone)
        if found >= 0:
            zone.setCurrentIndex(found)
        else:  # a zone this machine does not list: kept as written, checked on OK
            zone.setEditText(current.timezone)
    zone.setToolTip("Turn times are shown to the model in this timezone (an IANA name such as Europe/Lisbon).")
    grain = QComboBox(objectName="timeGrain")
    for key, label in GRAINS.items():
        grain.addItem(label, key)
    grain.setCurrentIndex(max(grain.findData(current.time_grain), 0))
    grain.setToolTip(GRAIN_TIP)
    clock_hint = _note("", "clockHint")
    zone_error = _note("", "timezoneError")
    zone_error.setStyleSheet(ERROR_STYLE)
    zone_error.hide()
    form.addRow("Timezone", zone)
    form.addRow("", zone_error)
    form.addRow("Time shown to", grain)
    form.addRow("", clock_hint)
    note = _note("A turn without a time of its own is given its conversation's date; its proposals say so. "
                 "Changes apply to the next extraction.")
    form.addRow(note)

    skips = QGroupBox("Large histories")
    skip_form = QFormLayout(skips)
    short = QSpinBox(objectName="skipShort")
    short.setRange(0, 100_000)
    short.setValue(current.skip_min_chars)
    short.setSpecialValueText("off")
    short.setSuffix(" characters")
    short.setToolTip("Messages shorter than this (e.g. \"ok\", \"thanks\") are skipped: marked in the turn list, "
                     "counted, and extracted on demand (Ctrl+Shift+T).")
    code = QCheckBox("Skip messages that are pure code or log pastes", objectName="skipCode")
    code.setChecked(current.skip_code)
    code.setToolTip("A paste of code or log lines with (almost) no words of your own around it.")
    confirm = QSpinBox(objectName="confirmTurns")
    confirm.setRange(0, 1_000_000)
    confirm.setValue(current.confirm_turns)
    confirm.setSuffix(" turns")
    confirm.setToolTip("Before extracting more turns than this (or for more than 2 minutes), show how many turns "
                       "and tokens it takes, how long, and which go first.")
    skip_form.addRow("Skip messages under", short)
    skip_form.addRow("", code)
    skip_form.addRow("Show the plan over", confirm)
    skipped_note = _note("Skipped turns are never left out silently: they are marked, counted, and can be "
                         "extracted one by one.")
    skip_form.addRow(skipped_note)

    layout.addWidget(dates)
    layout.addWidget(skips)
    dialog.timezone_combo, dialog.grain_combo, dialog.clock_hint, dialog.timezone_error = zone, grain, clock_hint, zone_error
    dialog.skip_short, dialog.skip_code, dialog.confirm_turns = short, code, confirm
    for signal in (dialog.profile_combo.currentIndexChanged, dialog.prompt_bundled.toggled,
                   dialog.prompt_path.editingFinished):
        signal.connect(lambda *_args: update_clock_hint(dialog))
    update_clock_hint(dialog)


def update_clock_hint(dialog: Any) -> None:
    """Say whether the chosen prompt shows a date or a time at all: the grain only matters when it
    shows the time (where the profile allows)."""
    choice = (str(dialog.profile_combo.currentData()) if dialog.prompt_bundled.isChecked()
              else dialog.prompt_path.text().strip())
    try:
        profile = load_prompt(choice or None)
    except PromptError:
        dialog.clock_hint.setText("")
        dialog.grain_combo.setEnabled(True)
        return
    shows_time = "{time}" in profile.user
    shows_date = "{date}" in profile.user
    dialog.grain_combo.setEnabled(shows_time)
    if shows_time:
        text = f"The prompt {profile.name} shows the date and time."
    elif shows_date:
        text = f"The prompt {profile.name} shows the date only: the time shown does not matter for it."
    else:
        text = f"The prompt {profile.name} shows no date or time: these apply to prompts that do (scallopbot)."
    dialog.clock_hint.setText(text)


def chosen_timezone(dialog: Any) -> tuple[bool, str | None]:
    """(usable, zone): None is this computer's; a typed name must be one the tz database knows."""
    combo: QComboBox = dialog.timezone_combo
    text = combo.currentText().strip()
    index = combo.findText(text)
    if index >= 0:
        return True, combo.itemData(index)
    if not text:
        return True, None
    try:
        name, _zone = resolve_zone(text)
    except UnknownZone as problem:
        dialog.timezone_error.setText(str(problem))
        dialog.timezone_error.show()
        combo.setFocus()
        return False, None
    return True, name


def accept_extraction(dialog: Any) -> bool:
    """Copy the boxes into the draft; False (and the dialog stays open) when the timezone is unknown."""
    usable, zone = chosen_timezone(dialog)
    if not usable:
        return False
    dialog.timezone_error.hide()
    dialog.draft.extraction = dialog.draft.extraction.model_copy(update={
        "timezone": zone,
        "time_grain": str(dialog.grain_combo.currentData()),
        "skip_min_chars": dialog.skip_short.value(),
        "skip_code": dialog.skip_code.isChecked(),
        "confirm_turns": dialog.confirm_turns.value(),
    })
    return True


def _note(text: str, name: str = "") -> QLabel:
    """A wrapped plain-text label (a hint, an error line) for the settings form."""
    label = QLabel(text, objectName=name) if name else QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    return label
