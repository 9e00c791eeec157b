"""The theme map at scale: density when many memos are in view, dots when zoomed in, labels that never cover
each other, and a view drawn once (hover and the open memo's ring only copy it). The library-backed map (its
layout, colours, click to open) is tested in test_theme_tree.py and test_window.py; here the widget gets
points laid out like a big library's, so that 6,000 memos need no import."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor

from app.gui.theme_map import CELL, DOT_LIMIT, ThemeMap
from app.map_layout import MapPoints

BROAD = 8
SUBS = 4


def big_points(n: int = 6000, seed: int = 0) -> MapPoints:
    """n memos in BROAD clumps of SUBS sub-themes each, like a layout of a ten-year library."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.15, 0.85, size=(BROAD * SUBS, 2))
    leaf = rng.integers(0, BROAD * SUBS, n)
    xy = np.clip(centres[leaf] + rng.normal(0, 0.03, size=(n, 2)), 0, 1)
    names, parents = {}, {}
    for b in range(BROAD):
        names[1000 + b], parents[1000 + b] = f"Broad theme {b}", None
        for s in range(SUBS):
            names[b * SUBS + s + 1], parents[b * SUBS + s + 1] = f"Sub {b}.{s} words", 1000 + b
    theme_ids = [int(t) + 1 for t in leaf]
    return MapPoints(list(range(1, n + 1)), xy, theme_ids, [f"Memo {i}" for i in range(n)], names, parents)


@pytest.fixture
def big_map(qtbot):
    theme_map = ThemeMap()
    qtbot.addWidget(theme_map)
    theme_map.resize(900, 640)
    theme_map.show()
    qtbot.waitExposed(theme_map)
    theme_map.set_points(big_points())
    return theme_map


def counting_draws(theme_map) -> list[int]:
    draws = []
    draw = theme_map._draw_view
    theme_map._draw_view = lambda: draws.append(1) or draw()
    return draws


def map_point_under(theme_map, at: QPointF) -> tuple[float, float]:
    width, height = theme_map._plot_size()
    return (theme_map.centre[0] + ((at.x() - 28) / width - 0.5) / theme_map.zoom,
            theme_map.centre[1] - ((at.y() - 28) / height - 0.5) / theme_map.zoom)


def test_many_memos_show_as_density_and_zooming_in_brings_the_dots(big_map, qtbot):
    assert len(big_map.points.memo_ids) > DOT_LIMIT and not big_map.shows_dots()
    image = big_map.grab().toImage()
    busiest = big_map._positions()[0]  # a memo's cell is coloured, not white
    cell_colour = QColor(image.pixel(int(busiest[0] // CELL * CELL + CELL / 2), int(busiest[1] // CELL * CELL + CELL / 2)))
    assert cell_colour != QColor("#ffffff")
    anchor = QPointF(*big_map._positions()[0])
    before = map_point_under(big_map, anchor)
    for _ in range(12):
        big_map.zoom_by(1.25, anchor)
    assert big_map.zoom > 10
    assert map_point_under(big_map, anchor) == pytest.approx(before, abs=2e-3)  # the spot stays under the pointer
    assert big_map.shows_dots()
    row = 0  # the memo under the pointer is a dot there now, and a click opens it
    with qtbot.waitSignal(big_map.memo_clicked) as clicked:
        qtbot.mouseClick(big_map, Qt.MouseButton.LeftButton, pos=big_map.dot_position(row).toPoint())
    assert clicked.args == [big_map.points.memo_ids[row]]


def test_a_click_on_a_dense_spot_zooms_in_and_keys_zoom_out_and_reset(big_map, qtbot):
    spot = big_map.dot_position(5).toPoint()
    qtbot.mouseClick(big_map, Qt.MouseButton.LeftButton, pos=spot)
    assert big_map.zoom == pytest.approx(2.0)
    qtbot.keyClick(big_map, Qt.Key.Key_Minus)
    assert big_map.zoom == pytest.approx(1.6)
    qtbot.keyClick(big_map, Qt.Key.Key_Plus)
    assert big_map.zoom == pytest.approx(2.0)
    qtbot.keyClick(big_map, Qt.Key.Key_0)
    assert (big_map.zoom, big_map.centre) == (1.0, (0.5, 0.5))


def test_dragging_moves_the_map_without_opening_a_memo(big_map, qtbot):
    big_map.zoom_by(4.0)
    start = big_map.centre
    middle = QPointF(450, 320)
    opened = []
    big_map.memo_clicked.connect(opened.append)
    qtbot.mousePress(big_map, Qt.MouseButton.LeftButton, pos=middle.toPoint())
    for step in range(1, 11):
        qtbot.mouseMove(big_map, pos=(middle + QPointF(step * 10, step * 5)).toPoint())
    qtbot.mouseRelease(big_map, Qt.MouseButton.LeftButton, pos=(middle + QPointF(100, 50)).toPoint())
    width, height = big_map._plot_size()
    assert big_map.centre[0] == pytest.approx(start[0] - 100 / (width * 4), abs=1e-3)
    assert big_map.centre[1] == pytest.approx(start[1] + 50 / (height * 4), abs=1e-3)
    assert opened == [] and big_map.zoom == 4.0


def test_labels_never_cover_each_other_and_zooming_in_names_more_sub_themes(big_map):
    def check(placed):
        rects = [rect for _, rect in placed]
        assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
        assert all(big_map.rect().contains(rect.toRect()) for rect in rects)

    overview = big_map.label_rects()
    check(overview)
    assert sum(label.broad for label, _ in overview) >= BROAD // 2  # broad themes are placed first
    target = next(label for label in big_map.labels() if not label.broad
                  and label.theme_id not in {shown.theme_id for shown, _ in overview})
    big_map.zoom_by(8.0, target.centre)
    close = big_map.label_rects()
    check(close)
    assert target.theme_id in {label.theme_id for label, _ in close}


def test_a_view_is_drawn_once_hover_and_the_open_memo_only_copy_it(big_map, qtbot):
    draws = counting_draws(big_map)
    big_map.repaint()
    big_map.zoom_by(1.1)  # a new view
    big_map.repaint()
    assert len(draws) == 1
    for step in range(10):
        qtbot.mouseMove(big_map, pos=QPointF(100 + 30 * step, 300).toPoint())
    big_map.set_selected(big_map.points.memo_ids[7])
    big_map.repaint()
    assert len(draws) == 1
    image = big_map.grab().toImage()  # the open memo is ringed above the density
    centre = big_map.dot_position(7)
    assert QColor(image.pixel(int(centre.x() + 11), int(centre.y()))).lightnessF() < 0.35
    big_map.zoom_by(1.25)
    big_map.repaint()
    assert len(draws) == 2
