"""The Timeline tab (issue 16, point 5): the heat grid in the real window on a real data folder, a click on a cell
listing exactly its memos, the tooltip, and a paint of 20,000 memos over 10 years well under 100 ms."""
from __future__ import annotations

import datetime as dt
import os
import random

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from app.core import Musings  # noqa: E402
from app.timeline import Timeline  # noqa: E402
from storage.db import open_database  # noqa: E402
from tests.app.test_digest import add  # noqa: E402
from tests.app.test_timeline import library  # noqa: E402
from tests.conftest import ROOT  # noqa: E402
from tests.gui.conftest import open_window, wait_idle  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"


def show_timeline(qtbot, window) -> None:
    window.tabs.setCurrentWidget(window.timeline)
    qtbot.waitUntil(lambda: bool(window.timeline.view.line.weeks), timeout=10_000)
    wait_idle(qtbot, window)


def test_a_click_on_a_cell_lists_exactly_its_memos(qtbot, tmp_path, gui_env):
    core, ids = library(tmp_path)
    core.close()
    window = open_window(qtbot, tmp_path / "data", gui_env)
    try:
        assert [window.tabs.tabText(i) for i in range(window.tabs.count())][-1] == "Timeline"
        show_timeline(qtbot, window)
        view = window.timeline.view
        assert view.line.rows == ["Robots", "Garden", "Unsorted"]
        centre = view.cell_rect(0, 3).center()
        assert view.cell_at(centre) == (0, 3)
        assert view.tooltip_at(centre) == "Robots · week of 23 Mar 2026 · 3 memos"
        assert view.tooltip_at(view.cell_rect(0, 2).center()) == "Robots · week of 16 Mar 2026 · no memos"
        with qtbot.waitSignal(window.timeline.cell_clicked, timeout=2000) as clicked:
            qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=centre.toPoint())
        assert clicked.args[0] == [ids["s1"], ids["r3"], ids["r4"]]
        assert window.timeline.memo_list.isVisible()
        assert sorted(window.timeline.memo_list.memo_ids()) == sorted([ids["s1"], ids["r3"], ids["r4"]])
        assert window.timeline.caption.text() == "Robots · week of 23 Mar 2026 · 3 memos"
        with qtbot.assertNotEmitted(window.timeline.cell_clicked):  # an empty week: nothing to list
            qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(0, 2).center().toPoint())
        window.timeline.memo_list.select_memo(ids["r4"])  # a listed memo opens
        assert window.memo_view.memo is not None and window.memo_view.memo.id == ids["r4"]
    finally:
        window.close()


def big_timeline(themes: int = 50, weeks: int = 520, memos: int = 20_000, seed: int = 0) -> Timeline:
    rng = np.random.default_rng(seed)
    rows = rng.choice(themes, memos, p=np.arange(themes, 0, -1) / (themes * (themes + 1) / 2))
    cols = rng.integers(0, weeks, memos)
    counts = np.zeros((themes, weeks), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    memo_ids: dict[tuple[int, int], list[int]] = {}
    for i, (r, c) in enumerate(zip(rows.tolist(), cols.tolist())):
        memo_ids.setdefault((r, c), []).append(i)
    start = dt.date(2016, 1, 4)
    return Timeline(rows=[f"Theme number {i}" for i in range(themes)], theme_ids=list(range(themes)),
                    weeks=[start + dt.timedelta(days=7 * i) for i in range(weeks)], counts=counts,
                    memo_ids=memo_ids, colours=[(37 + i * 4, 99, 235 - i * 4) for i in range(themes)])


def test_20000_memos_over_ten_years_are_drawn_once_and_a_repaint_copies_the_image(qtbot):
    """(Its drawing time is measured in bench/, not asserted here: ~13 ms for this grid on 2 cores.)"""
    from app.gui.timeline_view import TimelineView

    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.set_timeline(big_timeline())
    view.grab()  # paints
    image = view._image
    assert image is not None and not image[1].isNull()
    view.grab()  # a repaint copies the image
    assert view._image is image


def test_screenshot_of_a_realistic_library(qtbot, tmp_path, gui_env):
    """Two years of memos in eight themes, busier some weeks than others, and a few Unsorted."""
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    rng = random.Random(7)
    start = dt.date(2024, 11, 4)
    themes = {"Robot Hand": (0, 700, 120), "Running": (30, 730, 90), "Novel Ideas": (100, 400, 60),
              "Garden": (120, 300, 50), "Work Meetings": (200, 730, 80), "Guitar": (400, 730, 40),
              "House Move": (500, 560, 30), "Recipes": (0, 730, 25)}
    members: dict[str, list[int]] = {name: [] for name in themes}
    n = 0
    for name, (first, last, count) in themes.items():
        for _ in range(count):
            n += 1
            day = start + dt.timedelta(days=int(min(last, first + rng.expovariate(1.0) * (last - first) / 2.5)))
            members[name].append(add(db, n, f"{name.lower()} thought number {n}", day))
    for _ in range(20):
        n += 1
        add(db, n, f"loose thought {n}", start + dt.timedelta(days=rng.randrange(730)))
    core = Musings(data_dir)
    for name, memo_ids in members.items():
        core.new_theme(name, memo_ids)
    core.close()
    window = open_window(qtbot, data_dir, gui_env)
    try:
        window.resize(1280, 800)
        show_timeline(qtbot, window)
        view = window.timeline.view
        busiest = np.unravel_index(int(np.argmax(view.line.counts)), view.line.counts.shape)
        qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.cell_rect(*busiest).center().toPoint())
        qtbot.waitUntil(lambda: window.timeline.memo_list.isVisible(), timeout=2000)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        assert window.grab().save(str(ARTIFACTS / "timeline.png"))
    finally:
        window.close()
