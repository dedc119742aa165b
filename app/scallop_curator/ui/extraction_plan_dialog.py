"""Before a large extraction: how many turns and prompt tokens it will take and how long at this
machine's measured speed on this model, which turns go first, and what the skip rules leave out.

The window's extraction side (``ExtractionActions``) calls :func:`begin_extraction` where it used
to start a job: it applies the skip rules (skipped turns are recorded, marked and counted, never
left out silently), shows the plan when the job is large, orders the turns as chosen, and starts
the job. The dialog closes before the job starts, so reviewing goes on while the model works."""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from scallop_curator.domain.clock import UnknownZone, resolve_zone
from scallop_curator.domain.conversation import ExtractionCase
from scallop_curator.domain.results import RunInfo, TurnResult
from scallop_curator.extraction.client import ModelSpec
from scallop_curator.extraction.plan import ORDERS, Plan, Stopped, is_large, order_cases, plan_estimate, plan_local
from scallop_curator.extraction.profiles import PromptProfile
from scallop_curator.extraction.prompt import PromptError, load_prompt
from scallop_curator.extraction.skip_rules import SkipRules
from scallop_curator.extraction.speed import Speed, SpeedMeter, load_speed, local_key, server_key
from scallop_curator.settings import Settings, SettingsError
from scallop_curator.store.skips import record_skips
from scallop_curator.ui.relay import UiRelay

if TYPE_CHECKING:
    from scallop_curator.ui.window_extraction import ExtractionActions

log = logging.getLogger("ui")


def clock_of(settings: Settings) -> tuple[str | None, str]:
    """(timezone, time grain) for ``Conversation.extraction_cases`` from the settings. A zone this
    machine does not know (a settings file from another machine) falls back to this machine's."""
    zone = settings.extraction.timezone or None
    if zone:
        try:
            resolve_zone(zone)
        except UnknownZone:
            log.warning("timezone %r in the settings is unknown here; using this machine's", zone)
            zone = None
    return zone, settings.extraction.time_grain


def speed_key(settings: Settings, info: RunInfo) -> tuple[str, int]:
    """(the key this backend's speed is kept under, turns in flight at once)."""
    if settings.model_source == "server":
        return server_key(settings.server_url or "", settings.server_model), settings.server_concurrency
    return local_key(info.model_hash or info.model, info.prompt_version), 1


class _Counter(UiRelay):
    """Carries the exact count from its thread to the UI thread."""

    counted = Signal(object)


class ExtractionPlanDialog(QDialog):
    """The plan of one extraction; Start accepts (with :attr:`order`), Cancel starts nothing."""

    def __init__(self, parent: QWidget | None, plan: Plan, order: str, rules: SkipRules,
                 has_selection: bool = False) -> None:
        super().__init__(parent)
        self.plan = plan
        self.rules = rules
        self.setWindowTitle(f"Extract {plan.turns:,} turns?")
        self.setObjectName("extractionPlan")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        self.summary = QLabel(objectName="planSummary")
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.summary)
        self.rules_label = QLabel(objectName="planRules")
        self.rules_label.setTextFormat(Qt.TextFormat.PlainText)
        self.rules_label.setWordWrap(True)
        skipped = sum(plan.skipped.values())
        self.rules_label.setText(
            f"Skip rules (Edit → Settings): {rules.describe()}."
            + (f" The {skipped:,} skipped turns are marked in the turn list and counted; select one and use "
               "Model → Extract the selected turn to extract it." if skipped else ""))
        layout.addWidget(self.rules_label)
        form = QFormLayout()
        self.order_combo = QComboBox(objectName="planOrder")
        for key, label in ORDERS.items():
            if key == "selected" and not has_selection:
                continue
            self.order_combo.addItem(label, key)
        found = self.order_combo.findData(order)
        self.order_combo.setCurrentIndex(max(found, 0))
        self.initial_order = self.order  # what was shown first: only a change the user made is remembered
        form.addRow("Order", self.order_combo)
        layout.addLayout(form)
        note = QLabel("You can review proposals while it runs. Cancel (Ctrl+.) stops it; Resume (Ctrl+R) carries "
                      "on later without redoing a finished turn.")
        note.setWordWrap(True)
        note.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(note)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.start_button = buttons.addButton("Start", QDialogButtonBox.ButtonRole.AcceptRole)
        self.start_button.setObjectName("planStart")
        self.start_button.setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._counter: _Counter | None = None
        self._stop_counting = threading.Event()
        self.show_plan(plan)

    @property
    def order(self) -> str:
        return str(self.order_combo.currentData())

    def show_plan(self, plan: Plan) -> None:
        self.plan = plan
        self.summary.setText("\n".join(plan.lines()))

    def count_exactly(self, model: Path, profile: PromptProfile, cases: list[ExtractionCase],
                      speed: Speed | None) -> None:
        """Count the prompt tokens with the model's own vocabulary on a thread (seconds for
        thousands of turns); the estimate from characters shows meanwhile."""
        self._counter = _Counter(self)
        self._counter.counted.connect(self._counted)
        self.summary.setText(self.summary.text() + "\n(counting the tokens with the model's vocabulary…)")
        counter = self._counter
        skipped = Counter(self.plan.skipped)
        stop = self._stop_counting

        def work() -> None:
            try:
                plan = plan_local(model, profile, cases, speed, should_stop=stop.is_set)
            except Stopped:  # the plan was closed: the extraction must not share the CPU with a count
                return
            except Exception as error:  # the estimate stays; an exact count is a nicety
                log.warning("exact token count failed: %s", error)
                counter.post("counted", None)
                return
            plan.skipped = skipped
            counter.post("counted", plan)

        threading.Thread(target=work, name="plan-count", daemon=True).start()

    def done(self, result: int) -> None:
        """Closing (Start or Cancel) stops a count still running."""
        self._stop_counting.set()
        super().done(result)

    def _counted(self, plan: Plan | None) -> None:
        if plan is None:
            self.summary.setText("\n".join(self.plan.lines()))
            return
        self.show_plan(plan)


def begin_extraction(actions: ExtractionActions, spec: ModelSpec, info: RunInfo, cases: list[ExtractionCase],
                     first: Iterable[str] = ()) -> bool:
    """Apply the skip rules, show the plan of a large job, order it and start it. False when
    nothing was started (cancelled, or every turn skipped)."""
    settings: Settings = actions.settings
    parent = actions.dialog_parent
    rules = SkipRules.from_settings(settings.extraction)
    kept, skipped = rules.split(cases)
    key, parallel = speed_key(settings, info)
    speed = load_speed(key)
    try:
        profile = load_prompt(settings.prompt_path or settings.prompt_profile)
    except PromptError as problem:  # checked by the caller already; said plainly if it changed since
        from scallop_curator.ui import plain

        plain.warning(parent, "Cannot extract", str(problem))
        return False
    plan = plan_estimate(profile, kept, speed)
    plan.skipped = Counter(why for _case, why in skipped)
    first = [cid for cid in first if cid]
    order = settings.extraction.order
    conversations = {case.conversation_id for case in kept}
    shown = bool(kept) and is_large(plan, settings.extraction.confirm_turns)
    if shown:
        dialog = ExtractionPlanDialog(parent, plan, order, rules, has_selection=bool(set(first) & conversations))
        if settings.model_source != "server" and spec.model_path and Path(spec.model_path).is_file():
            dialog.count_exactly(Path(spec.model_path), profile, kept, speed)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            actions.notify("Extraction not started.", 3000)
            return False
        order = dialog.order
        if order != dialog.initial_order:
            settings.extraction.order = order  # type: ignore[assignment]
            try:
                settings.save()
            except SettingsError as problem:
                actions.notify(str(problem), 8000)
    if skipped:
        record_skips(actions.store, [(case.conversation_id, case.turn_index, why, rules.label(why))
                                     for case, why in skipped])
        after_skips(actions, {case.conversation_id for case, _why in skipped})
    if not kept:
        actions.notify(f"All {len(skipped):,} turns were skipped by your rules ({rules.describe()}); they are "
                       "marked in the turn list: Model → Extract the selected turn extracts one.", 10000)
        return False
    if shown or len(conversations) > 1:
        kept = order_cases(kept, order, first)
    actions.speed_meter = SpeedMeter(key, parallel)
    actions.start_job(spec, info, kept)
    if skipped:
        actions.notify(f"{len(skipped):,} turns skipped by your rules ({rules.describe()}); they are marked "
                       "in the turn list.", 8000)
    return True


def after_skips(actions: ExtractionActions, conversation_ids: set[str]) -> None:
    """Show new skip marks: the open conversation's turns, the list's counts, the status bar."""
    review = actions.review
    if review.current_conversation() in conversation_ids:
        review.turns.refresh()
    review.conversations.refresh_counts(sorted(conversation_ids))
    actions.update_status()


def measure(actions: ExtractionActions, result: TurnResult) -> None:
    """One turn's time, towards this machine's measured speed on this model."""
    meter = actions.speed_meter
    if meter is not None:
        meter.add(result.evaluated_tokens, result.latency_ms, result.parse_ok)


def finish_measuring(actions: ExtractionActions) -> None:
    """Keep the run's measured speed for the next plan's estimate."""
    meter = actions.speed_meter
    actions.speed_meter = None
    if meter is not None:
        meter.save()
