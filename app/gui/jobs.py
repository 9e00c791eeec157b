"""The one way the GUI runs long work: a function on a worker thread, its outcome delivered to the UI thread.

Like Anki's `taskman`: a job never touches widgets. It gets plain arguments, returns a plain value, and the
`on_success` / `on_failure` callbacks run later on the UI thread. A `UserError` (no microphone, a corrupt
file, a read-only data folder, a refused change) arrives at `on_failure` as its readable message; anything
else is a bug, logged with its traceback (to the data folder's log file, app.logs) before "something went
wrong — details in the log" is delivered.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from PySide6.QtCore import QObject, Signal, Slot

from musings_errors import Cancelled, UserError

log = logging.getLogger(__name__)


def describe_failure(error: BaseException) -> str:
    """One line for the user: the message of an error they can fix, or a pointer to the log for a bug."""
    if isinstance(error, UserError):
        return " ".join(str(error).split())
    return f"something went wrong ({type(error).__name__}) — details in the log"


class JobRunner(QObject):
    """Runs functions on a small thread pool; callbacks run on the thread that owns the runner (the UI)."""

    _deliver = Signal(object)

    def __init__(self, parent: QObject | None = None, workers: int = 3):
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="musings-job")
        self._lock = threading.Lock()
        self._running: dict[int, str] = {}
        self._next_id = 0
        self._closed = False
        # Emitted from worker threads; Qt queues the call to this object's (the UI) thread.
        self._deliver.connect(self._on_deliver)

    # -- the API ------------------------------------------------------------------------------

    def run(
        self,
        function: Callable[..., Any],
        *args: Any,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[str, BaseException], None] | None = None,
        name: str | None = None,
    ) -> int:
        """Run `function(*args)` in the background; returns a job id (-1, and nothing runs, once shut down:
        a timer or signal that fires while the window closes must not start work or raise)."""
        with self._lock:
            if self._closed:
                log.debug("not started after shutdown: %s", name or getattr(function, "__name__", "job"))
                return -1
            self._next_id += 1
            job_id = self._next_id
            self._running[job_id] = name or getattr(function, "__name__", "job")
        self._pool.submit(self._work, job_id, function, args, on_success, on_failure)
        return job_id

    def post(self, callback: Callable[[], None]) -> None:
        """Call `callback()` on the UI thread soon; safe to call from any thread (progress, state changes)."""
        if not self._closed:
            self._deliver.emit(callback)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._running)

    def running(self) -> list[str]:
        with self._lock:
            return list(self._running.values())

    def shutdown(self, wait: bool = False) -> None:
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=wait, cancel_futures=True)

    # -- plumbing -----------------------------------------------------------------------------

    def _work(self, job_id, function, args, on_success, on_failure) -> None:
        try:
            result = function(*args)
        except BaseException as error:  # noqa: BLE001 - every failure must reach the UI
            if not isinstance(error, (UserError, Cancelled)):
                log.error("background job %s failed", self._running.get(job_id), exc_info=error)
            # Bound now: Python unbinds `error` when the except block ends, before the UI runs this.
            self._finish(job_id, lambda failure=error: on_failure and on_failure(describe_failure(failure), failure))
            return
        self._finish(job_id, lambda: on_success and on_success(result))

    def _finish(self, job_id: int, callback: Callable[[], None]) -> None:
        def done() -> None:
            with self._lock:
                self._running.pop(job_id, None)
            callback()

        self.post(done)

    @Slot(object)
    def _on_deliver(self, callback: Callable[[], None]) -> None:
        if self._closed:  # the window is gone: its widgets and connections must not be touched
            return
        try:
            callback()
        except Exception:  # a bug in a UI callback must not take the event loop down
            log.exception("a UI callback failed")
