"""The GUI's side of recording: owns the CaptureController, brings its callbacks to the UI thread, polls the level.

Controller commands (start opens the microphone, which can take a moment) run through the job runner,
so a slow device never freezes the window.
"""
from __future__ import annotations

import logging
import threading

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)
LEVEL_POLL_MS = 50


class RecordingDriver(QObject):
    state_changed = Signal(str)  # idle / starting / recording / finishing
    progress = Signal(float, float)  # elapsed seconds, level dBFS
    memo_made = Signal(object)  # app.capture.CaptureOutcome
    error = Signal(str)

    def __init__(self, runner, library, preferences, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.library = library
        self.controller = None
        # Jobs may ask for the controller from two threads at once (preload, a first click): one is made.
        self._controller_lock = threading.Lock()
        self.state = "idle"
        self._timer = QTimer(self)
        self._timer.setInterval(LEVEL_POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.configure(preferences)

    def configure(self, preferences) -> None:
        """(Re)create the controller for these preferences; an old one finishes its memos in the background."""
        with self._controller_lock:
            old, self.controller = self.controller, None
        if old is not None:
            self.runner.run(old.close, name="close recorder")
        self.preferences = preferences

    def _ensure_controller(self):
        from app.controller import CaptureController  # slow the first time (imports the use cases)

        with self._controller_lock:
            return self._make_controller(CaptureController)

    def _make_controller(self, CaptureController):
        if self.controller is None:
            prefs = self.preferences
            self.controller = CaptureController(
                self.library.data_dir, prefs.transcription_settings(), device=prefs.device(),
                night_mode=prefs.night_mode,
                on_state=lambda state: self.runner.post(lambda: self._set_state(state)),
                on_memo=lambda outcome: self.runner.post(lambda: self.memo_made.emit(outcome)),
                on_error=lambda message: self.runner.post(lambda: self._on_error(message)),
            )
        return self.controller

    def preload(self) -> None:
        """Load Whisper and recover unfinished recordings in the background (called once the window shows)."""
        self.runner.run(lambda: self._ensure_controller().preload(), name="preload recorder",
                        on_failure=lambda message, error: self.error.emit(message))

    def toggle(self) -> None:
        if self.state == "starting":
            return
        if self.state != "recording":
            self._set_state("starting")
        self.runner.run(self._toggle_in_background, name="toggle recording",
                        on_success=self._after_toggle,
                        on_failure=lambda message, error: self._on_error(message))

    def _toggle_in_background(self) -> str:
        return self._ensure_controller().toggle()

    def start(self) -> None:
        if self.state not in ("recording", "starting"):
            self.toggle()

    def stop(self) -> None:
        if self.state == "recording":
            self.toggle()

    def _after_toggle(self, state: str) -> None:
        # The controller reports every change through on_state; this covers a start that failed.
        if self.state == "starting" and state != "recording":
            self._set_state(state)

    def _set_state(self, state: str) -> None:
        self.state = state
        if state == "recording":
            self._timer.start()
        else:
            self._timer.stop()
        self.state_changed.emit(state)

    def _on_error(self, message: str) -> None:
        if self.state == "starting":
            self._set_state(self.controller.state if self.controller else "idle")
        self.error.emit(message)

    def _poll(self) -> None:
        controller = self.controller
        if controller is not None:
            self.progress.emit(controller.elapsed, controller.level)

    def close(self) -> None:
        self._timer.stop()
        if self.controller is not None:
            try:
                self.controller.close()
            except Exception:
                log.exception("closing the recorder failed")
