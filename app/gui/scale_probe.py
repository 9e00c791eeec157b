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
import resource
import sys
import tempfile
import time
from pathlib import Path

TICK_MS = 10
SETTLE_S = 0.3


def measure_window(data_dir: Path) -> None:
    process_started = float(os.environ["BENCH_STARTED"])
    from PySide6.QtCore import QEvent, QObject, Qt, QTimer
    from PySide6.QtGui import QFocusEvent
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.memo_list import DATE, DURATION, FIRST_LINE, TITLE
    from app.gui.settings import SettingsStore
    from app.gui.sidebar import ALL

    def report(event: str, **extra) -> None:
        print(json.dumps({"event": event, **extra}), flush=True)

    from app.memory import give_freed_memory_back

    give_freed_memory_back()  # as run_gui does
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
               seconds=round(finished - begin, 3), rss_mb=round(current_rss_mb()),
               peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))

    # From the first paint until the whole library is in (a big library's rest comes from a job).
    begin = time.perf_counter()
    while window.runner.busy and time.perf_counter() - begin < 60:
        app.processEvents()
        time.sleep(0.002)
    report("loaded", seconds=round(time.perf_counter() - begin + painted["t"] - started, 3),
           rows=window.memo_list.model().rowCount(), rss_mb=round(current_rss_mb()))
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
    answers: list[tuple[str, float]] = []  # (query, when its answer was shown): words first, then the merged one

    def answer(query: str) -> None:
        answered["n"] += 1
        answers.append((query, time.perf_counter()))

    window.search_done.connect(answer)

    def last_answer(query: str, since: float) -> float | None:
        return max((at for q, at in answers if q == query), default=since) - since
    # The first search of the session, as a person makes it: into the box (which starts loading the
    # embedding model), a moment to type, the query; timed from the query to the answer by words and meaning.
    QApplication.sendEvent(window.search, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.MouseFocusReason))
    pump(0.5)
    search_started = time.perf_counter()
    measure("search", lambda: window.search.setText("transfer money"),
            done=lambda: answered["n"] >= 1 and window.library.embedder_ready() and not window.runner.busy)
    pump(2.0)  # let a merged answer land outside the next measurement
    again_started = time.perf_counter()
    measure("search_again", lambda: window.search.setText("robot hand"),
            done=lambda: window.search_query == "robot hand" and not window.runner.busy)
    report("search_answer", first_s=round(last_answer("transfer money", search_started), 3),
           again_s=round(last_answer("robot hand", again_started), 3))
    before = answered["n"]
    measure("clear_search", window.search.clear, done=lambda: answered["n"] > before)
    biggest = themes[0]
    measure("theme", lambda: window.themes.select_key(biggest.id))
    measure("all", lambda: window.themes.select_key(ALL))
    report("rows", rows=window.memo_list.model().rowCount(), theme_count=biggest.count)
    measure_map(window, app, measure, pump, report)
    # Last: before issue 14 this sort crashed the window (QTreeWidgetItem.__lt__ on a column without SORT_ROLE).
    measure("sort_first_line", lambda: window.memo_list.sortByColumn(FIRST_LINE, Qt.SortOrder.AscendingOrder))
    ticker.stop()
    report("memory", peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
           now_mb=round(current_rss_mb()))
    sys.stdout.flush()
    os._exit(0)  # the window's own shutdown is not what is measured


def current_rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def measure_map(window, app, measure, pump, report) -> None:
    """The theme map: open it (the stored layout read in a job, then the first paint), hover across it, zoom
    in six notches about the middle, drag it, repaint; each view's drawing timed on its own."""
    from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
    from PySide6.QtGui import QMouseEvent, QWheelEvent

    theme_map = window.theme_map
    draws: list[float] = []
    draw_view = theme_map._draw_view

    def timed_draw():
        begin = time.perf_counter()
        image = draw_view()
        draws.append(time.perf_counter() - begin)
        return image

    theme_map._draw_view = timed_draw
    measure("map_open", lambda: window.tabs.setCurrentWidget(theme_map),
            done=lambda: bool(theme_map.points.memo_ids) and bool(draws), timeout=300)
    middle = QPointF(theme_map.width() / 2, theme_map.height() / 2)

    def mouse(kind, at: QPointF, buttons=Qt.MouseButton.NoButton, button=Qt.MouseButton.NoButton) -> None:
        app.sendEvent(theme_map, QMouseEvent(kind, at, theme_map.mapToGlobal(at), button, buttons,
                                             Qt.KeyboardModifier.NoModifier))

    def hover() -> None:
        for step in range(40):
            mouse(QEvent.Type.MouseMove, QPointF(40 + step * (theme_map.width() - 80) / 40, middle.y()))
            app.processEvents()

    def zoom() -> None:
        for _ in range(6):
            app.sendEvent(theme_map, QWheelEvent(middle, theme_map.mapToGlobal(middle), QPoint(0, 0), QPoint(0, 120),
                                                 Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                                                 Qt.ScrollPhase.NoScrollPhase, False))
            app.processEvents()

    def drag() -> None:
        mouse(QEvent.Type.MouseButtonPress, middle, Qt.MouseButton.LeftButton, Qt.MouseButton.LeftButton)
        for step in range(1, 21):
            mouse(QEvent.Type.MouseMove, middle + QPointF(step * 8, step * 4), Qt.MouseButton.LeftButton)
            app.processEvents()
        mouse(QEvent.Type.MouseButtonRelease, middle + QPointF(160, 80), Qt.MouseButton.NoButton,
              Qt.MouseButton.LeftButton)

    def repaint() -> None:
        for _ in range(10):
            theme_map.repaint()

    for key, action in (("map_hover", hover), ("map_zoom", zoom), ("map_drag", drag), ("map_repaint", repaint)):
        measure(key, action)
    theme_map.reset_view()
    pump(0.3)
    # Opened again, as on any later day: the layout is stored now (the first opening computed it).
    window.tabs.setCurrentIndex(0)
    pump(0.3)
    window._map_dirty = True
    drawn = len(draws)
    measure("map_reopen", lambda: window.tabs.setCurrentWidget(theme_map),
            done=lambda: len(draws) > drawn and not window._map_loading, timeout=120)
    report("map_draw", first_ms=round(1000 * draws[0], 1), max_ms=round(1000 * max(draws), 1),
           median_ms=round(1000 * sorted(draws)[len(draws) // 2], 1), views=len(draws))


if __name__ == "__main__":
    measure_window(Path(sys.argv[1]))
