"""Imports from the window: a queue of dropped files and folders, run one batch at a time by the job runner.

Progress arrives from the Importer's `on_event` on the worker thread and is posted to the UI thread.
Cancel sets the import's cancel event: it stops between two files. Files already copied into the library
stay in its queue (as `pending`) and are transcribed by the next import.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QListWidget, QProgressBar, QPushButton,
                               QVBoxLayout)

from app.gui.widgets import clock


@dataclass
class ImportStatus:
    """What the panel shows; built on the worker thread from ImportEvent/ImportProgress."""

    kind: str
    name: str
    reason: str | None
    files_done: int
    files_total: int
    seconds_left: float | None
    fraction: float


class ImportQueue(QObject):
    status = Signal(object)  # ImportStatus
    failed_file = Signal(str, str)  # file name, reason
    finished = Signal(str)  # a one-line summary
    memos_changed = Signal()

    def __init__(self, runner, library, preferences_getter, parent=None):
        super().__init__(parent)
        self.runner = runner
        self.library = library
        self._preferences = preferences_getter
        self.waiting: list[list[Path]] = []
        self.running = False
        self._cancel = threading.Event()
        self.last_report = None

    def add(self, paths: list[Path]) -> None:
        paths = [Path(p) for p in paths]
        if paths:
            self.waiting.append(paths)
            self._next()

    def cancel(self) -> None:
        self.waiting.clear()
        self._cancel.set()

    def _next(self) -> None:
        if self.running or not self.waiting:
            return
        self.running = True
        self._cancel.clear()
        paths = self.waiting.pop(0)
        self.status.emit(ImportStatus("scanning", "", None, 0, 0, None, 0.0))
        self.runner.run(self._import, paths, self._preferences().transcription_settings(),
                        on_success=self._done, on_failure=self._failed, name="import")

    def _import(self, paths, settings):
        def on_event(event, progress) -> None:
            total = progress.seconds_total or 0
            fraction = (progress.seconds_done / total) if total else 0.0
            status = ImportStatus(event.kind, Path(event.path).name, event.reason, progress.files_done,
                                  progress.files_total, progress.seconds_left(), min(1.0, fraction))
            self.runner.post(lambda: self._on_status(status))

        return self.library.import_recordings(paths, settings, on_event=on_event, cancel=self._cancel,
                                              shared_models=True, recover_inbox=False)

    def _on_status(self, status: ImportStatus) -> None:
        self.status.emit(status)
        if status.kind == "failed":
            self.failed_file.emit(status.name, status.reason or "failed")
        if status.kind in ("done", "empty", "failed", "queued"):
            self.memos_changed.emit()

    def _done(self, summary) -> None:
        self.running = False
        self.last_report = summary.report
        self.memos_changed.emit()
        if summary.cancelled:
            self.finished.emit("Import cancelled. Files already added wait in the queue; "
                               "the next import transcribes them.")
        else:
            self.finished.emit(f"Import finished: {summary.sentence()}.")
        self._next()

    def _failed(self, message: str, error: BaseException) -> None:
        self.running = False
        self.memos_changed.emit()
        self.failed_file.emit("import", message)
        self.finished.emit(f"Import stopped: {message}")
        self._next()


class ImportPanel(QFrame):
    """Progress of the import queue with a Cancel button, and the files that failed, with their reasons."""

    cancel_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.hide)
        self.failures = QListWidget()
        self.failures.setMaximumHeight(90)
        self.failures.hide()
        top = QHBoxLayout()
        top.addWidget(self.label, 1)
        top.addWidget(self.cancel_button)
        top.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.failures)
        self.hide()

    def start(self) -> None:
        self.failures.clear()
        self.failures.hide()
        self.show_status(ImportStatus("scanning", "", None, 0, 0, None, 0.0))

    def show_status(self, status: ImportStatus) -> None:
        self.show()
        self.cancel_button.show()
        self.close_button.hide()
        if status.kind == "scanning":
            self.label.setText("Looking at the files…")
        elif status.kind in ("queued", "skipped") and not status.files_total:
            self.label.setText(f"Adding {status.name}…")
        else:
            left = f" — about {clock(status.seconds_left)} left" if status.seconds_left else ""
            current = f": {status.name}" if status.kind == "started" else ""
            self.label.setText(f"Transcribing {min(status.files_done + 1, status.files_total)} of "
                               f"{status.files_total}{current}{left}")
        self.bar.setValue(int(status.fraction * 1000))

    def add_failure(self, name: str, reason: str) -> None:
        self.failures.addItem(f"{name} — {reason}")
        self.failures.show()
        self.show()

    def finish(self, summary: str) -> None:
        self.label.setText(summary)
        self.bar.setValue(1000)
        self.cancel_button.hide()
        self.close_button.show()
