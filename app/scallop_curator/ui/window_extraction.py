"""The window's model side as a controller: choosing the backend and prompt, checking memory,
running and resuming extractions, and showing each turn's result (stored on the extraction
thread, see ``ResultSink``) in the review views and the status bar.

``MainWindow.fill`` creates one ``ExtractionActions`` with everything it works with: the store,
the settings, the review controller, the status bar's parts and two callbacks. It owns the
background ``ExtractionController`` (the window keeps ``controller`` as a name for it, as it keeps
``importer`` for the import side's)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QProgressBar, QWidget

from scallop_curator.ui import plain
from scallop_curator.ui.case_reader import CaseReader
from scallop_curator.ui.widgets import set_progress

if TYPE_CHECKING:
    from scallop_curator.domain.conversation import ExtractionCase
    from scallop_curator.domain.results import RunInfo, TurnResult
    from scallop_curator.extraction.client import ModelSpec
    from scallop_curator.extraction.speed import SpeedMeter
    from scallop_curator.settings import Settings
    from scallop_curator.store import Store
    from scallop_curator.ui.review_controller import ReviewController

# The model-side modules (llama.cpp's client, the GGUF reader with numpy, the Hub, the store) are
# imported where they are used, not with the window: start-up does not wait for them.

log = logging.getLogger("ui")

#: Up to this many conversations their cases are read on the UI thread (a few ms). More, up to a
#: whole history (about 0.1 s for 2,000 turns in 667 conversations), are read on a thread.
INLINE_CONVERSATIONS = 25


@dataclass(frozen=True)
class ExtractionStatus:
    """The parts of the window's status bar and menu an extraction writes to (an import has its
    own progress parts beside these)."""

    progress_label: QLabel
    progress_bar: QProgressBar
    resume_label: QLabel
    resume_action: QAction
    show_progress: Callable[[bool], None]


class ExtractionActions(QObject):
    """Extractions for one window and one store. The menus call its public methods; the
    extraction controller's signals reach its slots on the UI thread."""

    def __init__(self, parent: QWidget, store: Store, settings: Settings, review: ReviewController,
                 status: ExtractionStatus, notify: Callable[[str, int], None],
                 status_changed: Callable[[], None], client: Any = None) -> None:
        from scallop_curator.ui.extraction_controller import ExtractionController

        super().__init__(parent)
        self._parent = parent  # dialogs and messages open over it
        self.store = store
        self.settings = settings
        self.review = review
        self.status = status
        self.notify = notify
        self.update_status = status_changed
        self.controller = ExtractionController(client, self)
        self.model_state = "not loaded"
        self.speed_meter: SpeedMeter | None = None  # the running job's measured speed, kept when it ends
        self._run: tuple[int, RunInfo] | None = None
        self._remaining: list[ExtractionCase] = []  # what a stopped extraction still has to do
        self._cases = CaseReader(self)  # a whole history's cases, read off the UI thread
        self._cases.failed.connect(self._cases_not_read)
        controller = self.controller
        controller.modelState.connect(self._model_state_changed)
        controller.progress.connect(self._progress)
        controller.resultReady.connect(self._store_result)
        controller.resultNotStored.connect(self._result_not_stored)
        controller.finished.connect(self._extraction_finished)
        controller.failed.connect(self._extraction_failed)

    @property
    def dialog_parent(self) -> QWidget:
        return self._parent

    # ------------------------------------------------------------------ model and prompt
    def choose_model(self) -> None:
        from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf

        name, _ = QFileDialog.getOpenFileName(self._parent, "Choose a GGUF model", str(Path.home()),
                                              "GGUF models (*.gguf);;All files (*)")
        if not name:
            return
        try:
            check_gguf(name)
        except ModelFileProblem as problem:
            plain.warning(self._parent, "Not a model file", str(problem))
            return
        self.settings.model_path = name
        self.settings.save()
        self.update_status()

    def choose_prompt(self) -> None:
        from scallop_curator.extraction.prompt import PromptError, load_prompt

        name, _ = QFileDialog.getOpenFileName(self._parent, "Choose a prompt file", str(Path.home()),
                                              "Prompt files (*.txt);;All files (*)")
        if not name:
            return
        try:
            prompt = load_prompt(name)
        except PromptError as problem:
            plain.warning(self._parent, "Prompt not usable", str(problem))
            return
        self.settings.prompt_path = name
        self.settings.save()
        self.notify(f"Using prompt {prompt.version} from {name}", 5000)

    def reset_prompt(self) -> None:
        self.settings.prompt_path = None
        self.settings.save()
        self.notify("Using the bundled prompt", 4000)

    def model_spec(self) -> tuple[ModelSpec, RunInfo] | None:
        """The backend, model and prompt to extract with, checked; ``None`` after saying why not."""
        from scallop_curator.domain.results import RunInfo
        from scallop_curator.extraction.client import ModelSpec, WorkerClient
        from scallop_curator.extraction.model_file import ModelFileProblem, check_gguf, fingerprint
        from scallop_curator.extraction.models_on_disk import resolve_model
        from scallop_curator.extraction.prompt import PromptError, load_prompt

        if self.settings.model_source == "server":
            return self._server_spec()
        if not isinstance(self.controller.client, WorkerClient):
            self.controller.use_client(WorkerClient())
        model = resolve_model(self.settings.model_path)
        if model is None:
            plain.information(self._parent, "No model", "Choose a GGUF model file first (Model → Choose model file).")
            return None
        try:
            check_gguf(model)
            prompt = load_prompt(self.settings.prompt_path or self.settings.prompt_profile)
        except (ModelFileProblem, PromptError) as problem:
            plain.warning(self._parent, "Cannot extract", str(problem))
            return None
        if not self._memory_is_enough(model):
            return None
        spec = ModelSpec(str(model), self.settings.prompt_path or self.settings.prompt_profile, self.settings.engine)
        info = RunInfo(model=model.name, model_hash=fingerprint(model), prompt_version=prompt.version,
                       prompt_profile=prompt.name)
        return spec, info

    def _memory_is_enough(self, model: Path) -> bool:
        """Say before loading, not by crashing, when the model and its context will not fit."""
        from scallop_curator.hub.gguf_info import GGUFProblem, read_gguf_info
        from scallop_curator.hub.memory_estimate import estimate_memory

        if self.controller.client.loaded is not None and self.controller.client.loaded.model_path == str(model):
            return True
        try:
            estimate = estimate_memory(read_gguf_info(model), self.settings.engine.n_ctx)
        except GGUFProblem as problem:
            plain.warning(self._parent, "Cannot extract", str(problem))
            return False
        if estimate.fits is not False:
            return True
        answer = plain.question(
            self._parent, "Not enough memory",
            f"{model.name} {estimate.verdict}.\nLoading it may make this computer very slow or stop the model. "
            "A smaller context size (Edit → Settings) needs less. Load it anyway?")
        return answer == QMessageBox.StandardButton.Yes

    def _server_spec(self) -> tuple[ModelSpec, RunInfo] | None:
        from scallop_curator.domain.results import RunInfo
        from scallop_curator.extraction.prompt import PromptError, load_prompt
        from scallop_curator.ui.model_setup import server_client_class, server_spec

        client_class = server_client_class()
        if client_class is None or not self.settings.server_url:
            plain.information(self._parent, "No server", "Give the server's address first (Model → Choose model…).")
            return None
        try:
            prompt = load_prompt(self.settings.prompt_path or self.settings.prompt_profile)
        except PromptError as problem:
            plain.warning(self._parent, "Cannot extract", str(problem))
            return None
        wanted = (self.settings.server_url, self.settings.server_api_key, self.settings.server_concurrency)
        if getattr(self.controller.client, "settings_key", None) != wanted:
            client = client_class(self.settings.server_url, api_key=self.settings.server_api_key,
                                  concurrency=self.settings.server_concurrency)
            client.settings_key = wanted
            self.controller.use_client(client)
        info = RunInfo(model=self.settings.server_model or "server default", prompt_version=prompt.version,
                       backend=f"server {self.settings.server_url}", prompt_profile=prompt.name)
        return server_spec(self.settings), info

    # ------------------------------------------------------------------ starting
    def extract_current(self) -> None:
        conversation_id = self.review.current_conversation()
        if conversation_id is None:
            return
        self._extract([conversation_id])

    def extract_all(self) -> None:
        """Every user turn that has no result yet, in every conversation: also the rest of one a
        cancelled, failed or killed run left half done (decided by the store, so across restarts)."""
        ids = self.store.conversations_with_unextracted()
        if not ids:
            self.notify("Every conversation has been extracted.", 4000)
            return
        self._extract(ids, only_new=True)

    def unextracted_cases(self, conversation_ids: list[str]) -> list[ExtractionCase]:
        from scallop_curator.ui import extraction_plan_dialog as plan_ui
        return self.store.extraction_cases(conversation_ids, *plan_ui.clock_of(self.settings), only_new=True)

    def _extract(self, conversation_ids: list[str], only_new: bool = False) -> None:
        from scallop_curator.ui import extraction_plan_dialog as plan_ui
        if self.refuse_second_start():
            return
        prepared = self.model_spec()
        if prepared is None:
            return
        spec, info = prepared

        def begin(cases: list[ExtractionCase]) -> None:
            if not cases:
                self.notify("This conversation has no user turns to extract.", 4000)
                return
            plan_ui.begin_extraction(self, spec, info, cases, [self.review.current_conversation()])

        self._with_cases(conversation_ids, only_new, begin)

    def _with_cases(self, conversation_ids: list[str], only_new: bool,
                    then: Callable[[list[ExtractionCase]], None]) -> None:
        """Read these conversations' cases and hand them to ``then``: at once for a few, from a
        thread (``then`` runs on the UI thread when they arrive) for many."""
        from scallop_curator.ui import extraction_plan_dialog as plan_ui
        zone, grain = plan_ui.clock_of(self.settings)
        if len(conversation_ids) <= INLINE_CONVERSATIONS:
            then(self.store.extraction_cases(conversation_ids, zone, grain, only_new))
            return

        def arrived(cases: list[ExtractionCase]) -> None:
            self._preparing(False)
            if self.running:  # started by another way meanwhile (nothing should, but never two jobs)
                self.notify("An extraction is already running.", 3000)
                return
            then(cases)

        self._preparing(True, len(conversation_ids))
        self._cases.read(self.store.path, conversation_ids, zone, grain, only_new, arrived)

    def _preparing(self, shown: bool, conversations: int = 0) -> None:
        """While the cases are read, the progress area says so, with its Cancel."""
        self.status.show_progress(shown)
        if shown:
            set_progress(self.status.progress_bar, 0, maximum=0)  # busy
            self.status.progress_label.setText(f"preparing · reading {conversations:,} conversations")

    def cancel_preparing(self) -> None:
        """Cancel (or the window closing) while the cases are read: nothing starts."""
        if self._cases.cancel():
            self._preparing(False)
            self.notify("Extraction cancelled before it started.", 5000)

    @property
    def running(self) -> bool:
        """A job runs, or its end is still on its way to the UI thread (until then a new start
        would be taken for the old one when its ``finished`` arrives)."""
        return self.controller.busy or self._run is not None

    def refuse_second_start(self) -> bool:
        """True, with a note, while an extraction runs or is being prepared."""
        if self.running:
            self.notify("An extraction is already running.", 3000)
        elif self._cases.reading:
            self.notify("An extraction is being prepared.", 3000)
        else:
            return False
        return True

    def _cases_not_read(self, message: str) -> None:
        self._preparing(False)
        plain.warning(self._parent, "Cannot extract", message)

    def start_job(self, spec: ModelSpec, info: RunInfo, cases: list[ExtractionCase]) -> None:
        """Start the job (the plan is decided); remembered in the store so Resume finds it after a restart."""
        self._remaining = list(cases)
        self.store.set_meta("extraction.job", json.dumps(sorted({c.conversation_id for c in cases})))
        self.status.resume_action.setEnabled(False)
        self.status.resume_label.hide()
        self._run = (self.store.start_run(info), info)
        self.status.show_progress(True)
        self.status.progress_label.setText(f"starting · {len(cases)} turns")
        set_progress(self.status.progress_bar, 0, maximum=len(cases))
        # The controller stores each result on its own thread before handing it over.
        from scallop_curator.ui.extraction_controller import ResultSink

        self.controller.start(spec, cases, ResultSink(self.store.path, *self._run, writer=self.store.writer))

    # ------------------------------------------------------------------ resuming
    def _stopped_job_conversations(self) -> list[str]:
        saved = self.store.get_meta("extraction.job")
        return list(json.loads(saved)) if saved else []

    def _stopped_job_size(self) -> int:
        from scallop_curator.store.skips import skipped_total
        if self._remaining:
            return len(self._remaining)
        ids = self._stopped_job_conversations()
        return max(0, sum(self.store.unextracted_turn_count(ids[i:i + 500]) for i in range(0, len(ids), 500))
                   - skipped_total(self.store, ids))  # skipped turns wait for the user, not for Resume

    def resume_extraction(self) -> None:
        """Carry on where a cancelled or failed extraction stopped, without redoing finished turns:
        what this session knows is left, or after a restart the turns without a result in the
        conversations the stopped job was working on."""
        from scallop_curator.ui import extraction_plan_dialog as plan_ui
        if self._cases.reading:
            self.notify("An extraction is being prepared.", 3000)
            return
        ids: list[str] = []
        if not self.running and not self._remaining:
            stopped = self._stopped_job_conversations()
            known = set(self.store.conversation_ids()) if stopped else set()
            ids = [i for i in stopped if i in known]
        if self.running or not (self._remaining or ids):
            self.notify("There is no stopped extraction to resume.", 3000)
            return
        prepared = self.model_spec()
        if prepared is None:
            return

        def begin(cases: list[ExtractionCase]) -> None:
            if not cases:
                self.notify("There is no stopped extraction to resume.", 3000)
                return
            plan_ui.begin_extraction(self, *prepared, cases, [self.review.current_conversation()])

        if self._remaining:
            begin(list(self._remaining))
        else:
            self._with_cases(ids, True, begin)

    def update_resume_hint(self) -> None:
        """A lasting hint (not a passing note) while a stopped extraction has turns left; it is
        rebuilt from the store on start-up, so it survives a restart or a killed app."""
        left = 0 if self.running else self._stopped_job_size()
        label = self.status.resume_label
        self.status.resume_action.setEnabled(left > 0)
        if left:
            label.setText(f"{left} turns not extracted · Ctrl+R resumes")
            label.show()
        else:
            label.clear()
            label.hide()
            if not self.running and self.store.get_meta("extraction.job"):
                self.store.set_meta("extraction.job", None)

    # ------------------------------------------------------------------ the controller's signals
    def _result_not_stored(self, result: TurnResult, message: str) -> None:
        self.notify(f"A result could not be saved ({message}); Resume will extract that turn again.", 8000)

    def _store_result(self, result: TurnResult) -> None:
        """Show a result the controller has stored (on its own thread, see ResultSink)."""
        from scallop_curator.store.changes import Changes
        from scallop_curator.ui import extraction_plan_dialog as plan_ui

        if self._run is not None:
            plan_ui.measure(self, result)
            self._remaining = [c for c in self._remaining
                               if (c.conversation_id, c.turn_index) != (result.conversation_id, result.turn_index)]
        # Stored already, by the sink's connection: the views hear it as any other change, from what it touched.
        self.review.ops.publish(Changes(conversations=frozenset({result.conversation_id})))

    def _progress(self, done: int, total: int, seconds_left: float) -> None:
        set_progress(self.status.progress_bar, done, maximum=total)
        eta = "" if seconds_left < 0 or done == 0 else f" · ~{_duration(seconds_left)} left"
        self.status.progress_label.setText(f"extracting {done}/{total} turns{eta}")

    def _model_state_changed(self, state: str) -> None:
        self.model_state = state
        self.update_status()

    def _extraction_finished(self, status: str) -> None:
        from scallop_curator.store import StoreError
        from scallop_curator.ui import extraction_plan_dialog as plan_ui
        run, self._run = self._run, None  # ended, whether or not the store takes note of it
        if run is not None:
            try:
                self.store.finish_run(run[0], status)
            except StoreError as error:  # left "running"; the next start-up marks it interrupted
                self.notify(f"The end of the extraction run could not be saved ({error}).", 8000)
        plan_ui.finish_measuring(self)
        self.status.show_progress(False)
        if status == "done" and not self._remaining:
            self.notify("Extraction finished.", 5000)
        elif status == "cancelled":
            self.notify("Extraction cancelled; the turns already done are kept.", 5000)
        elif status == "done":
            self.notify("Extraction finished, but some results could not be saved.", 8000)
        self.review.refresh_after_change()
        self.update_resume_hint()

    def _extraction_failed(self, message: str) -> None:
        plain.warning(self._parent, "Extraction stopped", message)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"
