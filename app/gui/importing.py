"""Imports from the window: a queue of dropped files and folders, run one batch at a time by the job runner.

Progress arrives from the Importer's `on_event` on the worker thread and is posted to the UI thread.
Cancel sets the import's cancel event: it stops between two files. Files already copied into the library
stay in its queue (as `pending`) and are transcribed by the next import; the summary counts what is left and
offers Resume, which imports the files the cancel left unread (and so transcribes the queue).

The summary names every file skipped or failed, and every memo without speech, with the importer's reason in
plain words (`app.importer.plain_reason`, as the CLI prints it), and offers "Show imported", which selects
the memos the import made in the list.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
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


@dataclass
class ImportOutcome:
    """What one batch did, for the panel's summary (built from core.ImportSummary)."""

    cancelled: bool
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (path as shown, kind, plain reason)
    imported: list[int] = field(default_factory=list)  # the memos it transcribed
    remaining: list[Path] = field(default_factory=list)  # recordings a cancel left unread: what Resume imports
    waiting: int = 0  # memos copied into the library, not transcribed yet: Resume (any import) does them

    @classmethod
    def of(cls, summary) -> "ImportOutcome":
        report = summary.report
        path_of = {event.memo_id: event.path for event in report.of_kind("queued")}  # a memo's event names its file
        return cls(summary.cancelled,
                   [(path_of.get(event.memo_id, event.path) if event.memo_id else event.path, event.kind,
                     event.plain_reason or event.kind) for event in report.problems()],
                   report.imported_memo_ids(), list(report.not_reached), len(report.waiting_memo_ids()))

    @property
    def not_imported(self) -> int:
        return len(self.remaining) + self.waiting


PROBLEM_ORDER = ("failed", "skipped", "empty")  # the summary lists the files not imported first


def files(count: int) -> str:
    return f"{count} file{'s' * (count != 1)}"


class ImportQueue(QObject):
    status = Signal(object)  # ImportStatus
    failed_file = Signal(str, str)  # file name, reason (plain words)
    reported = Signal(object)  # ImportOutcome of a batch, just before its `finished`
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
        self.last_outcome: ImportOutcome | None = None
        self._left_waiting: list[Path] = []  # batches a cancel dropped: Resume imports them too

    def add(self, paths: list[Path]) -> None:
        paths = [Path(p) for p in paths]
        if paths:
            self.waiting.append(paths)
            self._next()

    def resume(self, paths: list[Path]) -> None:
        """Go on with a cancelled import: `paths` are the recordings it left unread (perhaps none: the files
        it had copied are in the library's queue, which every import transcribes)."""
        self.waiting.append([Path(p) for p in paths])
        self._next()

    def cancel(self) -> None:
        self._left_waiting.extend(path for batch in self.waiting for path in batch)
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
            status = ImportStatus(event.kind, Path(event.path).name, event.plain_reason, progress.files_done,
                                  progress.files_total, progress.seconds_left(), min(1.0, fraction))
            self.runner.post(lambda: self._on_status(status))

        summary = self.library.import_recordings(paths, settings, on_event=on_event, cancel=self._cancel,
                                                 shared_models=True, recover_inbox=False)
        if summary.cancelled and self._left_waiting:  # the batches the cancel dropped: their recordings
            from app.importer import scan

            left, self._left_waiting = self._left_waiting, []
            summary.report.not_reached.extend(scan(left, lambda event: None))
        return summary

    def _on_status(self, status: ImportStatus) -> None:
        self.status.emit(status)
        if status.kind == "failed":
            self.failed_file.emit(status.name, status.reason or "failed")
        if status.kind in ("done", "empty", "failed", "queued"):
            self.memos_changed.emit()

    def _done(self, summary) -> None:
        self.running = False
        self.last_report = summary.report
        self.last_outcome = outcome = ImportOutcome.of(summary)
        self.memos_changed.emit()
        self.reported.emit(outcome)
        if summary.cancelled:
            left = outcome.not_imported
            self.finished.emit(f"Import cancelled: {summary.sentence()}. "
                               + (f"{files(left)} not imported yet." if left else "Nothing was left to import."))
        else:
            self.finished.emit(f"Import finished: {summary.sentence()}.")
        self._next()

    def _failed(self, message: str, error: BaseException) -> None:
        self.running = False
        self._left_waiting = []
        self.memos_changed.emit()
        self.failed_file.emit("import", message)
        self.finished.emit(f"Import stopped: {message}")
        self._next()


class ImportPanel(QFrame):
    """Progress of the import queue with a Cancel button; then its summary: every file skipped or failed (and
    every memo without speech) with its reason, "Show imported", and "Resume" after a cancel.

    The summary covers every batch since `start` (files dropped during an import, a Resume)."""

    cancel_requested = Signal()
    show_imported_requested = Signal(list)  # memo ids
    resume_requested = Signal(list)  # the paths a cancelled import left unread

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.label = QLabel("")
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(False)
        self.bar.setMaximumHeight(10)
        self.cancel_button = QPushButton("Cancel import")
        self.cancel_button.clicked.connect(self._cancel)
        self.show_imported_button = QPushButton("Show imported")
        self.show_imported_button.setToolTip("Select the memos this import made in the list")
        self.show_imported_button.clicked.connect(lambda: self.show_imported_requested.emit(self.imported()))
        self.resume_button = QPushButton("Resume")
        self.resume_button.setToolTip("Import the files the cancelled import did not get to")
        self.resume_button.clicked.connect(self._resume)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self.hide)
        self.failures = QListWidget()  # the problem files, "name — reason" (skipped and empty ones too)
        self.failures.setMaximumHeight(110)
        self.failures.hide()
        top = QHBoxLayout()
        top.addWidget(self.label, 1)
        for button in (self.resume_button, self.show_imported_button, self.cancel_button, self.close_button):
            top.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.addLayout(top)
        layout.addWidget(self.bar)
        layout.addWidget(self.failures)
        self.outcomes: list[ImportOutcome] = []
        self._cancelling = False
        self._completed = False  # the batch ran to its end: the bar shows it full
        self._reported = False  # the batch ended with an outcome (not stopped by an error)
        self.hide()

    def start(self) -> None:
        self.outcomes = []
        self.failures.clear()
        self.failures.hide()
        self.bar.setValue(0)
        self.show_status(ImportStatus("scanning", "", None, 0, 0, None, 0.0))

    def show_status(self, status: ImportStatus) -> None:
        self.show()
        self._completed = self._reported = False
        self.bar.show()
        self.cancel_button.show()
        self.close_button.hide()
        self.show_imported_button.hide()
        self.resume_button.hide()
        if self._cancelling:
            self.label.setText("Cancelling: the import stops after the file it is on…")
        elif status.kind == "scanning":
            self.label.setText("Looking at the files…")
        elif status.kind in ("queued", "skipped", "failed") and not status.files_total:
            self.label.setText(f"Adding {status.name}…")
        else:
            left = f" — about {clock(status.seconds_left)} left" if status.seconds_left else ""
            current = f": {status.name}" if status.kind == "started" else ""
            self.label.setText(f"Transcribing {min(status.files_done + 1, status.files_total)} of "
                               f"{status.files_total}{current}{left}")
        if status.kind != "scanning" or not self.outcomes:  # a Resume keeps the bar where it stopped meanwhile
            self.bar.setValue(int(status.fraction * 1000))

    def add_failure(self, name: str, reason: str) -> None:
        self.failures.setMaximumHeight(110)
        self.failures.setMinimumHeight(0)
        self.failures.addItem(f"{name} — {reason}")
        self.failures.show()
        self.show()

    def show_outcome(self, outcome: ImportOutcome) -> None:
        """A batch ended: the problem files of every batch since `start`, one line each, and what can follow."""
        self.outcomes.append(outcome)
        self._reported, self._completed = True, not outcome.cancelled
        self.failures.clear()
        problems = [problem for outcome_so_far in self.outcomes for problem in outcome_so_far.problems]
        for path, kind, reason in sorted(problems, key=lambda problem: PROBLEM_ORDER.index(problem[1])):
            self.failures.addItem(f"{Path(path).name} — {'imported, but ' * (kind == 'empty')}{reason}")
            self.failures.item(self.failures.count() - 1).setToolTip(path)
        self.failures.setVisible(self.failures.count() > 0)
        if self.failures.count():  # as tall as its lines, up to six (then it scrolls)
            rows = min(self.failures.count(), 6)
            self.failures.setFixedHeight(rows * self.failures.sizeHintForRow(0) + 2 * self.failures.frameWidth())

    def imported(self) -> list[int]:
        return list(dict.fromkeys(memo_id for outcome in self.outcomes for memo_id in outcome.imported))

    def finish(self, summary: str) -> None:
        self.label.setText(summary)
        self._cancelling = False
        if self._completed:
            self.bar.setValue(1000)
        elif not self.bar.value():
            self.bar.hide()  # stopped before any audio was transcribed: nothing to show
        self.cancel_button.hide()
        self.close_button.show()
        last = self.outcomes[-1] if self._reported else None
        self.show_imported_button.setVisible(bool(self.imported()))
        self.resume_button.setVisible(bool(last and last.cancelled and last.not_imported))

    def _cancel(self) -> None:
        self._cancelling = True
        self.label.setText("Cancelling: the import stops after the file it is on…")
        self.cancel_requested.emit()

    def _resume(self) -> None:
        remaining = list(self.outcomes[-1].remaining) if self.outcomes else []
        self.resume_button.hide()
        self.label.setText("Resuming…")
        self.resume_requested.emit(remaining)
