"""Hooks for the screenshot test and the GUI benchmark, switched on by environment variables.

    MUSINGS_SCREENSHOT=path   once the window is on screen and filled, open the newest memo, save a
                              screenshot of the window to `path` and quit
    MUSINGS_GUI_TIMING=1      print JSON lines with time.time() when the window is exposed ("visible")
    MUSINGS_GUI_RECORD=1      with TIMING: start recording once visible, print "recording" when the
                              microphone runs, then stop and quit once the memo is made
    MUSINGS_GUI_STALLS=folder with TIMING: tick a 10 ms timer for a few idle seconds (the baseline), then
                              import `folder` from the window and print the longest gaps between ticks
    MUSINGS_GUI_RECORD_STALLS=seconds  with TIMING: the same ticks while recording for `seconds` (live
                              transcription runs) and until the memo is made
"""
from __future__ import annotations

import json
import os
import sys
import time

from PySide6.QtCore import QTimer

SCREENSHOT_DELAY_MS = 1500


def install_probes(app, window) -> None:
    screenshot = os.environ.get("MUSINGS_SCREENSHOT")
    timing = os.environ.get("MUSINGS_GUI_TIMING") == "1"
    record = os.environ.get("MUSINGS_GUI_RECORD") == "1"
    stalls = os.environ.get("MUSINGS_GUI_STALLS")
    record_stalls = os.environ.get("MUSINGS_GUI_RECORD_STALLS")
    if not (screenshot or timing):
        return

    def report(event: str, **extra) -> None:
        print(json.dumps({"event": event, "t": time.time(), **extra}), flush=True)

    def when_visible() -> None:
        handle = window.windowHandle()
        if handle is None or not handle.isExposed():
            QTimer.singleShot(5, when_visible)
            return
        if timing:
            report("visible")
        if record:
            def on_state(state: str) -> None:
                report(state)
                if state == "recording":
                    QTimer.singleShot(1500, window.recording.stop)
                elif state == "idle" and window.recording.controller is not None:
                    window.close()

            window.recording.state_changed.connect(on_state)
            window.recording.error.connect(lambda message: (report("error", message=message), window.close()))
            window.recording.start()
        if stalls:
            measure_stalls(window, stalls, report)
        elif record_stalls:
            measure_recording_stalls(window, float(record_stalls), report)
        elif screenshot:
            QTimer.singleShot(SCREENSHOT_DELAY_MS, take_screenshot)
        elif not record:
            window.close()

    def take_screenshot() -> None:
        ids = window.memo_list.memo_ids()
        if ids and window.memo_view.memo is None:
            window.memo_list.select_memo(ids[0])
        QTimer.singleShot(1200, save)  # related ideas arrive from a job

    def save() -> None:
        ok = window.grab().save(screenshot)
        print(json.dumps({"event": "screenshot", "path": screenshot, "ok": ok}), flush=True)
        if not ok:
            print(f"musings: could not save the screenshot to {screenshot}", file=sys.stderr)
        window.close()

    QTimer.singleShot(0, when_visible)


IDLE_BASELINE_SECONDS = 3.0
TICK_MS = 10


class StallTicker:
    """A 10 ms timer on the UI thread; the gaps between its ticks, per phase, are the UI's stalls."""

    def __init__(self, window, busy: str):
        self.busy = busy
        self.gaps: dict[str, list[float]] = {"idle": [], busy: []}
        self.phase, self.last, self.started = "idle", time.perf_counter(), 0.0
        self.long_gaps: list[tuple[float, float]] = []  # (seconds into the busy phase, gap)
        self.timer = QTimer(window)
        self.timer.setInterval(TICK_MS)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps[self.phase].append(now - self.last)
        if self.phase == self.busy and now - self.last > 0.1:
            self.long_gaps.append((round(self.last - self.started, 2), round(now - self.last, 3)))
        self.last = now

    def begin_busy(self) -> None:
        self.phase, self.last = self.busy, time.perf_counter()
        self.started = self.last

    def report(self, report) -> float:
        """Print the phases' stalls; returns the busy phase's length in seconds."""
        self.timer.stop()
        for name, values in self.gaps.items():
            ordered = sorted(values)
            report(f"stalls-{name}", ticks=len(values), max_gap_ms=round(1000 * ordered[-1], 1) if ordered else None,
                   p99_gap_ms=round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1) if ordered else None,
                   over_100ms=sum(v > 0.1 for v in values))
        report("long-gaps", gaps=self.long_gaps[:40])
        return round(time.perf_counter() - self.started, 1)


def measure_stalls(window, folder: str, report) -> None:
    """Longest gaps between 10 ms ticks: idle (baseline), then during an import of `folder`."""
    from pathlib import Path

    ticker = StallTicker(window, "import")

    def start_import() -> None:
        ticker.begin_busy()
        window.imports.finished.connect(finish)
        window.import_paths([Path(folder)])

    def finish(summary: str) -> None:
        report("import-finished", summary=summary, seconds=ticker.report(report))
        window.close()

    QTimer.singleShot(int(IDLE_BASELINE_SECONDS * 1000), start_import)


def measure_recording_stalls(window, seconds: float, report) -> None:
    """The same gaps while recording for `seconds` with live transcription, until the memo is made."""
    ticker = StallTicker(window, "recording")

    def on_state(state: str) -> None:
        if state == "recording":
            QTimer.singleShot(int(seconds * 1000), window.recording.stop)
        elif state == "idle":
            report("recording-finished", seconds=ticker.report(report))
            window.close()

    def start() -> None:
        ticker.begin_busy()
        window.recording.state_changed.connect(on_state)
        window.recording.error.connect(lambda message: (report("error", message=message), window.close()))
        window.recording.start()

    QTimer.singleShot(int(IDLE_BASELINE_SECONDS * 1000), start)
