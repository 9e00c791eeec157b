"""The window's side of bench/bench_scale_gui.py (issue 14): one MainWindow on one library, in this process, a
10 ms QTimer ticking on the UI thread, and the list actions one after another; JSON lines on stdout.

    python -m app.gui.scale_probe DATA_DIR      (BENCH_STARTED=time.time() of the parent's launch)

Here rather than in bench/ because only app/gui imports Qt (tests/gui/test_contract.py); bench/ stays Qt-free.
An action's stall is the longest gap between two ticks from the moment it is triggered until its work is done
(the job runner idle and, for a search, an answer shown) plus SETTLE_S.
"""
from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

TICK_MS = 10
SETTLE_S = 0.3


def measure_window(data_dir: Path) -> None:
    process_started = float(os.environ["BENCH_STARTED"])
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.memo_list import DATE, DURATION, FIRST_LINE, TITLE
    from app.gui.settings import SettingsStore
    from app.gui.sidebar import ALL

    def report(event: str, **extra) -> None:
        print(json.dumps({"event": event, **extra}), flush=True)

    app = QApplication.instance() or QApplication([sys.argv[0]])
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-gui-"))
    os.environ["MUSINGS_RUNTIME_DIR"] = str(scratch / "run")

    gaps: list[tuple[float, float]] = []  # (tick time, gap before it)
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now, now - last[0]))
        last[0] = now

    ticker = QTimer()
    ticker.setInterval(TICK_MS)
    ticker.timeout.connect(tick)

    painted = {}

    class PaintWatch(QObject):
        def eventFilter(self, watched, event) -> bool:
            if event.type() == QEvent.Type.Paint and "t" not in painted and window_holder \
                    and window_holder[0].memo_list.model().rowCount() > 0:
                painted["pending"] = True
                QTimer.singleShot(0, lambda: painted.setdefault("t", time.perf_counter()))
            return False

    window_holder: list = []
    watch = PaintWatch()
    started = time.perf_counter()
    wall_started = time.time()
    window = MainWindow(data_dir, SettingsStore(scratch / "gui.ini"))
    window_holder.append(window)
    window.memo_list.viewport().installEventFilter(watch)
    window.show()
    constructed = time.perf_counter()
    deadline = time.perf_counter() + 60
    while "t" not in painted and time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    report("launch", window_s=round(painted["t"] - started, 3), constructed_s=round(constructed - started, 3),
           process_s=round(painted["t"] - started + wall_started - process_started, 3),
           rows=window.memo_list.model().rowCount())
    last[0] = time.perf_counter()
    ticker.start()

    def pump(seconds: float) -> None:
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            app.processEvents()
            time.sleep(0.002)

    def measure(key: str, action, done=lambda: True, timeout: float = 60) -> None:
        pump(0.3)
        report("begin", action=key)
        begin = time.perf_counter()
        action()
        end = time.perf_counter() + timeout
        while time.perf_counter() < end:
            app.processEvents()
            if not window.runner.busy and done() and time.perf_counter() - begin > 0.05:
                break
            time.sleep(0.002)
        finished = time.perf_counter()
        pump(SETTLE_S)
        during = [gap for at, gap in gaps if at > begin]
        report("stall", action=key, max_gap_ms=round(1000 * max(during, default=0), 1),
               seconds=round(finished - begin, 3))

    # From the first paint until the whole library is in (a big library's rest comes from a job).
    begin = time.perf_counter()
    while window.runner.busy and time.perf_counter() - begin < 60:
        app.processEvents()
        time.sleep(0.002)
    report("loaded", seconds=round(time.perf_counter() - begin + painted["t"] - started, 3),
           rows=window.memo_list.model().rowCount())
    pump(SETTLE_S)
    report("stall", action="loading", max_gap_ms=round(1000 * max(gap for at, gap in gaps if at > begin), 1),
           seconds=round(time.perf_counter() - begin, 3))
    pump(1.0)
    during_idle = [gap for at, gap in gaps[-80:]]
    report("stall", action="idle", max_gap_ms=round(1000 * max(during_idle), 1), seconds=1.0)

    ids = window.memo_list.memo_ids()
    target = ids[len(ids) // 3]
    memo = window.library.memo(target)
    new_title = "Renamed in the benchmark"
    measure("rename", lambda: window.set_title(target, new_title),
            done=lambda: window.library.memo(target).title == new_title)
    themes = sorted(window.library.themes(), key=lambda t: -t.count)
    other = next(t for t in themes if t.id != memo.theme_id)
    measure("move", lambda: window.move_memos([target], other.id),
            done=lambda: window.library.memo(target).theme_id == other.id)
    victim = ids[len(ids) // 2]
    measure("delete", lambda: window.delete_memos([victim]))
    for key, column, order in (("sort_title", TITLE, Qt.SortOrder.AscendingOrder),
                               ("sort_date", DATE, Qt.SortOrder.AscendingOrder),
                               ("sort_duration", DURATION, Qt.SortOrder.AscendingOrder)):
        measure(key, lambda c=column, o=order: window.memo_list.sortByColumn(c, o))
    window.memo_list.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
    pump(0.5)
    measure("date_filter", lambda: window.date_filter.setCurrentIndex(4))
    measure("date_any", lambda: window.date_filter.setCurrentIndex(0))
    # Search: words first, then the merged ranking once the embedding model is loaded (both waited for).
    answered = {"n": 0}
    window.search_done.connect(lambda q: answered.__setitem__("n", answered["n"] + 1))
    measure("search", lambda: window.search.setText("transfer money"), done=lambda: answered["n"] >= 1)
    pump(2.0)  # let a merged answer land outside the next measurement
    before = answered["n"]
    measure("clear_search", window.search.clear, done=lambda: answered["n"] > before)
    biggest = themes[0]
    measure("theme", lambda: window.themes.select_key(biggest.id))
    measure("all", lambda: window.themes.select_key(ALL))
    report("rows", rows=window.memo_list.model().rowCount(), theme_count=biggest.count)
    # Last: before issue 14 this sort crashed the window (QTreeWidgetItem.__lt__ on a column without SORT_ROLE).
    measure("sort_first_line", lambda: window.memo_list.sortByColumn(FIRST_LINE, Qt.SortOrder.AscendingOrder))
    ticker.stop()
    sys.stdout.flush()
    os._exit(0)  # the window's own shutdown is not what is measured


if __name__ == "__main__":
    measure_window(Path(sys.argv[1]))
