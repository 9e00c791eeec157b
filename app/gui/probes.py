"""Hooks for the screenshot test and the GUI benchmark, switched on by environment variables.

    MUSINGS_SCREENSHOT=path   once the window is on screen and filled, open the newest memo, save a
                              screenshot of the window to `path` and quit
    MUSINGS_GUI_TIMING=1      print JSON lines with time.time() when the window is exposed ("visible")
    MUSINGS_GUI_RECORD=1      with TIMING: start recording once visible, print "recording" when the
                              microphone runs, then stop and quit once the memo is made
    MUSINGS_GUI_STALLS=folder with TIMING: tick a 10 ms timer for a few idle seconds (the baseline), then
                              import `folder` from the window and print the longest gaps between ticks
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


def measure_stalls(window, folder: str, report) -> None:
    """Longest gaps between 10 ms ticks: idle (baseline), then during an import of `folder`."""
    from pathlib import Path

    gaps: dict[str, list[float]] = {"idle": [], "import": []}
    phase = {"name": "idle", "last": time.perf_counter(), "import_started": 0.0}
    long_gaps: list[tuple[float, float]] = []  # (seconds into the import, gap)
    ticker = QTimer(window)
    ticker.setInterval(TICK_MS)

    def tick() -> None:
        now = time.perf_counter()
        gaps[phase["name"]].append(now - phase["last"])
        if phase["name"] == "import" and now - phase["last"] > 0.1:
            long_gaps.append((round(phase["last"] - phase["import_started"], 2), round(now - phase["last"], 3)))
        phase["last"] = now

    def start_import() -> None:
        phase.update(name="import", last=time.perf_counter(), import_started=time.perf_counter())
        window.imports.finished.connect(finish)
        window.import_paths([Path(folder)])

    def finish(summary: str) -> None:
        ticker.stop()
        for name, values in gaps.items():
            ordered = sorted(values)
            report(f"stalls-{name}", ticks=len(values), max_gap_ms=round(1000 * ordered[-1], 1) if ordered else None,
                   p99_gap_ms=round(1000 * ordered[int(0.99 * (len(ordered) - 1))], 1) if ordered else None,
                   over_100ms=sum(v > 0.1 for v in values))
        report("long-gaps", gaps=long_gaps[:40])
        report("import-finished", summary=summary, seconds=round(time.perf_counter() - phase["import_started"], 1))
        window.close()

    ticker.timeout.connect(tick)
    ticker.start()
    QTimer.singleShot(int(IDLE_BASELINE_SECONDS * 1000), start_import)
