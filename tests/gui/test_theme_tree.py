"""The theme tree in the window, on a real library with broad themes and sub-themes (conftest's tree library):
the sidebar, dragging memos and themes, the context menu, and the theme map's colours, labels and layout."""
from __future__ import annotations

import stat

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QColor, QContextMenuEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import QApplication

from app.map_layout import LAYOUT_NAME, arrange, read_layout
from app.gui.sidebar import ALL, NEST, UNNEST
from app.gui.theme_map import DOT_RADIUS
from organize.embeddings import MODEL_NAME
from storage import memos as store
from storage import themes as org
from tests.conftest import DATA
from tests.gui.conftest import open_window, wait_idle


def theme_ids(window) -> dict[str, int]:
    return {t.name: t.id for t in org.list_themes(window.library.db())}


def tree_rows(window) -> list[tuple[str, int, int]]:
    """(name, count, depth) of the theme rows, in order (All, Recent and Unsorted left out)."""
    return [(name, count, depth) for key, name, count, depth in window.themes.entries() if isinstance(key, int)]


def centre_of(window, key) -> QPoint:
    return window.themes.visualItemRect(window.themes.item_for(key)).center()


def drop_on(window, mime, point: QPoint) -> bool:
    """Drop `mime` at `point` of the sidebar as a mouse drag ending there would; True if it was taken."""
    event = QDropEvent(QPointF(point), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.themes.dropEvent(event)
    return event.isAccepted()


def theme_mime(window, theme_id: int):
    return window.themes.mimeData([window.themes.item_for(theme_id)])


def below_the_tree(window) -> QPoint:
    """A point in the empty space under the last row."""
    tree = window.themes
    last = tree.topLevelItem(tree.topLevelItemCount() - 1)
    if last.childCount() and last.isExpanded():
        last = last.child(last.childCount() - 1)
    point = QPoint(20, tree.visualItemRect(last).bottom() + 15)
    assert point.y() < tree.viewport().height() and tree.itemAt(point) is None
    return point


def test_the_sidebar_shows_broad_themes_with_their_sub_themes_and_counts(tree_window):
    assert tree_rows(tree_window) == [("History", 3, 0), ("Printing", 2, 1), ("Science", 2, 0), ("Biology", 2, 1),
                                      ("Language", 1, 0), ("Travel", 1, 0)]
    fixed = [(key, count) for key, _, count, _ in tree_window.themes.entries() if isinstance(key, str)]
    assert fixed[0] == (ALL, 7) and fixed[2] == ("unsorted", 0)
    history = tree_window.themes.item_for(theme_ids(tree_window)["History"])
    assert history.isExpanded() and history.childCount() == 1
    # folded by the user, it stays folded when the lists are re-read
    history.setExpanded(False)
    tree_window.refresh()
    assert not tree_window.themes.item_for(theme_ids(tree_window)["History"]).isExpanded()


def test_selecting_a_broad_theme_lists_its_sub_themes_memos_too(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    tree_window.themes.select_key(ids["History"])
    assert sorted(tree_window.memo_list.memo_ids()) == sorted(org.memos_of_theme(db, ids["History"]))
    assert len(tree_window.memo_list.memo_ids()) == 3 and tree_window.list_caption.text() == "3 memos"
    tree_window.themes.select_key(ids["Science"])  # no memos of its own: all from Biology
    assert len(tree_window.memo_list.memo_ids()) == 2
    # by keyboard: down from the broad theme to its sub-theme lists just the sub-theme's memos
    tree_window.themes.select_key(ids["History"])
    tree_window.themes.setFocus()
    qtbot.keyClick(tree_window.themes, Qt.Key.Key_Down)
    assert tree_window.themes.current_key() == ids["Printing"]
    printing_memos = sorted(tree_window.memo_list.memo_ids())
    assert printing_memos == sorted(m.id for m in store.list_memos(db) if m.theme_id == ids["Printing"])
    assert len(printing_memos) == 2
    # the open memo's theme box names the sub-theme with its broad theme
    tree_window.memo_list.select_memo(printing_memos[0])
    assert tree_window.memo_view.theme.currentText() == "History › Printing"


def test_dropping_a_memo_on_a_sub_theme_pins_it_there(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    travel_memo = org.memos_of_theme(db, ids["Travel"])[0]
    tree_window.memo_list.select_memo(travel_memo)
    mime = tree_window.memo_list.model().mimeData([tree_window.memo_list.currentIndex()])
    assert drop_on(tree_window, mime, centre_of(tree_window, ids["Biology"]))
    wait_idle(qtbot, tree_window)
    memo = store.get_memo(db, travel_memo)
    assert memo.theme_id == ids["Biology"] and memo.theme_pinned == 1
    rows = tree_rows(tree_window)
    assert ("Biology", 3, 1) in rows and ("Science", 3, 0) in rows
    assert "Travel" not in [name for name, _, _ in rows]  # emptied: gone


def test_dragging_a_theme_onto_a_broad_theme_nests_it_and_back_to_the_top_un_nests_it(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    mime = theme_mime(tree_window, ids["Language"])
    assert tree_window.themes.drop_action(mime, centre_of(tree_window, ids["History"])) == (NEST, ids["History"])
    assert drop_on(tree_window, mime, centre_of(tree_window, ids["History"]))
    wait_idle(qtbot, tree_window)
    assert org.get_theme(db, ids["Language"]).parent_id == ids["History"]
    rows = tree_rows(tree_window)
    assert rows[:3] == [("History", 4, 0), ("Printing", 2, 1), ("Language", 1, 1)]
    assert tree_window.undo_toast.text() == "“Language” is now under “History”"  # offered for undoing

    # onto the empty space under the tree: a broad theme again
    mime = theme_mime(tree_window, ids["Language"])
    assert tree_window.themes.drop_action(mime, below_the_tree(tree_window)) == (UNNEST, None)
    assert drop_on(tree_window, mime, below_the_tree(tree_window))
    wait_idle(qtbot, tree_window)
    assert org.get_theme(db, ids["Language"]).parent_id is None
    assert ("Language", 1, 0) in tree_rows(tree_window) and ("History", 3, 0) in tree_rows(tree_window)

    # a sub-theme dropped onto "All memos" too
    assert drop_on(tree_window, theme_mime(tree_window, ids["Printing"]), centre_of(tree_window, ALL))
    wait_idle(qtbot, tree_window)
    assert org.get_theme(db, ids["Printing"]).parent_id is None
    assert ("Printing", 2, 0) in tree_rows(tree_window) and ("History", 1, 0) in tree_rows(tree_window)
    assert tree_window.undo_toast.text() == "“Printing” is now a broad theme"


def test_an_impossible_nesting_says_why_in_the_status_bar(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    before = tree_rows(tree_window)
    # a broad theme that has sub-themes of its own cannot become a sub-theme
    assert drop_on(tree_window, theme_mime(tree_window, ids["History"]), centre_of(tree_window, ids["Science"]))
    wait_idle(qtbot, tree_window)
    message = tree_window.statusBar().currentMessage()
    assert message.startswith("Could not nest the theme: ") and "sub-themes of its own" in message, message
    assert "went wrong" not in message and "Traceback" not in message
    assert org.get_theme(db, ids["History"]).parent_id is None and tree_rows(tree_window) == before
    # nor can a theme go under a sub-theme (two levels only)
    assert drop_on(tree_window, theme_mime(tree_window, ids["Travel"]), centre_of(tree_window, ids["Printing"]))
    wait_idle(qtbot, tree_window)
    message = tree_window.statusBar().currentMessage()
    assert "itself a sub-theme" in message and "went wrong" not in message, message
    assert org.get_theme(db, ids["Travel"]).parent_id is None and tree_rows(tree_window) == before


def menu_action(menu, text: str):
    return next(a for a in menu.actions() if a.text() == text)


def test_nest_under_and_make_a_broad_theme_from_the_context_menu(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    org.rename_theme(db, ids["Science"], "Rock & roll")
    tree_window.refresh()
    menu = tree_window.themes.theme_menu(ids["Language"])
    nest_under = menu_action(menu, "Nest under").menu()
    assert [a.iconText() for a in nest_under.actions()] == ["History", "Rock & roll", "Travel"]
    assert all(QKeySequence.mnemonic(a.text()).isEmpty() for a in nest_under.actions())  # '&' shown, not eaten
    assert not menu_action(menu, "Make a broad theme").isEnabled()  # it is one
    merge_into = menu_action(menu, "Merge into").menu()
    assert "History › Printing" in [a.iconText() for a in merge_into.actions()]

    next(a for a in nest_under.actions() if a.iconText() == "Rock & roll").trigger()
    wait_idle(qtbot, tree_window)
    assert org.get_theme(db, ids["Language"]).parent_id == ids["Science"]
    assert ("Language", 1, 1) in tree_rows(tree_window)

    menu = tree_window.themes.theme_menu(ids["Language"])
    make_broad = menu_action(menu, "Make a broad theme")
    assert make_broad.isEnabled()
    make_broad.trigger()
    wait_idle(qtbot, tree_window)
    assert org.get_theme(db, ids["Language"]).parent_id is None


def test_the_menu_key_opens_the_selected_themes_menu(tree_window, qtbot):
    ids = theme_ids(tree_window)
    tree = tree_window.themes
    tree.select_key(ids["Printing"])
    seen = []

    def look_and_close() -> None:
        popup = QApplication.activePopupWidget()
        seen.append([a.text() for a in popup.actions()] if popup is not None else None)
        if popup is not None:
            popup.close()

    QTimer.singleShot(300, look_and_close)
    # what the Menu key or Shift+F10 sends (the position is not where the menu goes: the current row is)
    tree.contextMenuEvent(QContextMenuEvent(QContextMenuEvent.Reason.Keyboard, QPoint(0, 0), QPoint(0, 0)))
    qtbot.waitUntil(lambda: bool(seen), timeout=5000)
    assert seen[0] is not None and "Make a broad theme" in seen[0] and "Rename…" in seen[0]


def test_a_new_sub_theme_from_the_selected_memos(tree_window, qtbot):
    ids = theme_ids(tree_window)
    db = tree_window.library.db()
    moved = org.memos_of_theme(db, ids["Travel"]) + org.memos_of_theme(db, ids["Language"])
    assert not menu_action(tree_window.themes.theme_menu(ids["History"]),
                           "New theme from the selected memos…").isEnabled()
    tree_window.themes.select_key(ALL)
    for memo_id in moved:
        tree_window.memo_list.selectionModel().select(tree_window.memo_list.index_of(memo_id),
                                                      QItemSelectionModel.SelectionFlag.Select
                                                      | QItemSelectionModel.SelectionFlag.Rows)
    assert sorted(tree_window.memo_list.selected_memo_ids()) == sorted(moved)
    assert menu_action(tree_window.themes.theme_menu(ids["History"]),
                       "New sub-theme of History from the selected memos…").isEnabled()
    tree_window.themes.new_theme_requested.emit("Places", ids["History"])  # what the dialog's OK sends
    wait_idle(qtbot, tree_window)
    places = theme_ids(tree_window)["Places"]
    assert org.get_theme(db, places).parent_id == ids["History"]
    assert sorted(org.memos_of_theme(db, places)) == sorted(moved)
    assert ("Places", 2, 1) in tree_rows(tree_window) and ("History", 5, 0) in tree_rows(tree_window)


# -- the theme map ---------------------------------------------------------------------------------


def show_map(window, qtbot, count: int):
    window.tabs.setCurrentWidget(window.theme_map)
    qtbot.waitUntil(lambda: len(window.theme_map.points.memo_ids) == count, timeout=60_000)
    wait_idle(qtbot, window)
    return window.theme_map


def hue_apart(a: QColor, b: QColor) -> float:
    difference = abs(a.hslHueF() - b.hslHueF()) * 360 % 360
    return min(difference, 360 - difference)


def test_the_map_colours_by_broad_theme_labels_every_theme_and_rings_the_open_memo(tree_window, qtbot):
    ids = theme_ids(tree_window)
    theme_map = show_map(tree_window, qtbot, 7)
    colour = {name: theme_map.colour_of(theme_id) for name, theme_id in ids.items()}
    # sub-themes: shades of their broad theme's colour; broad themes: hues far apart
    assert hue_apart(colour["Printing"], colour["History"]) <= 20 and colour["Printing"] != colour["History"]
    assert hue_apart(colour["Biology"], colour["Science"]) <= 20 and colour["Biology"] != colour["Science"]
    broad = ["History", "Science", "Travel", "Language"]
    assert min(hue_apart(colour[a], colour[b]) for a in broad for b in broad if a < b) >= 40
    # every theme labelled, broad themes as such (bolder); no label covers another
    labels = theme_map.label_rects()
    assert {label.text: label.broad for label, _ in labels} == {
        "History": True, "Printing": False, "Science": True, "Biology": False, "Travel": True, "Language": True}
    rects = [rect for _, rect in labels]
    assert not any(a.intersects(b) for i, a in enumerate(rects) for b in rects[i + 1:])
    # the open memo's dot is ringed in dark ink
    memo_id = theme_map.points.memo_ids[3]
    tree_window.reveal_memo(memo_id)
    assert theme_map.selected_memo == memo_id
    centre = theme_map.dot_position(3)
    image = theme_map.grab().toImage()
    ring = QColor(image.pixel(int(centre.x() + DOT_RADIUS + 5), int(centre.y())))
    assert ring.lightnessF() < 0.35, ring.name()


def map_by_memo(theme_map) -> dict[int, tuple[float, float]]:
    return {memo_id: tuple(xy) for memo_id, xy in zip(theme_map.points.memo_ids, theme_map.points.xy.tolist())}


def test_the_map_keeps_its_layout_from_one_launch_to_the_next(qtbot, tree_library, gui_env, transcriber):
    from app.importer import Importer

    window = open_window(qtbot, tree_library, gui_env)
    first = map_by_memo(show_map(window, qtbot, 7))
    window.close()
    layout_file = tree_library / LAYOUT_NAME
    assert stat.S_IMODE(layout_file.stat().st_mode) == 0o600
    stored = read_layout(tree_library, MODEL_NAME)
    assert len(stored) == 7

    window = open_window(qtbot, tree_library, gui_env)
    assert map_by_memo(show_map(window, qtbot, 7)) == first  # to the last digit
    window.close()

    # a memo made since: the others keep their places, the new one is placed among them
    with Importer(tree_library, transcriber=transcriber) as importer:
        importer.run([DATA / "speech/fleurs_en_opus/fleurs-en-004.ogg"])
    window = open_window(qtbot, tree_library, gui_env)
    show_map(window, qtbot, 8)
    window.close()
    now = read_layout(tree_library, MODEL_NAME)
    assert len(now) == 8 and {key: now[key] for key in stored} == stored


def test_a_damaged_layout_file_is_laid_out_afresh_and_replaced(qtbot, tree_library, gui_env):
    import json

    (tree_library / LAYOUT_NAME).write_bytes(b'{"version": 1, "model": "all-MiniLM')  # cut short
    window = open_window(qtbot, tree_library, gui_env)
    show_map(window, qtbot, 7)
    window.close()
    content = json.loads((tree_library / LAYOUT_NAME).read_text())
    assert content["model"] == MODEL_NAME and len(content["points"]) == 7


def hwu_sample() -> tuple[np.ndarray, np.ndarray]:
    """150 real hwu64 utterances (seeded pick) embedded by the real model, and their scenarios."""
    import json

    from organize.embeddings import Embedder

    with open(DATA / "topics/hwu64/hwu64_kfold1_test.jsonl", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    pick = np.random.default_rng(0).choice(len(rows), 150, replace=False)
    return Embedder().embed([rows[i]["text"] for i in pick]), np.array([rows[i]["scenario"] for i in pick])


def test_new_memos_land_beside_memos_about_the_same_thing_and_most_new_lays_out_afresh():
    vectors, scenarios = hwu_sample()
    keys = [f"{row:016x}" for row in range(len(vectors))]
    old, new = list(range(140)), list(range(140, 150))
    first = arrange(keys[:140], vectors[:140], {})
    assert first.recomputed and first.changed
    stored = {key: tuple(xy) for key, xy in zip(keys, first.xy)}
    assert not arrange(keys[:140], vectors[:140], stored).changed

    later = arrange(keys, vectors, stored)  # ten memos made since
    assert not later.recomputed and later.changed
    assert np.array_equal(later.xy[old], first.xy)  # nobody else moves

    def agreement(xy, rows) -> float:
        """How often a memo's five nearest dots among the old ones are about the same scenario."""
        shares = []
        for row in rows:
            nearest = np.argsort(np.linalg.norm(xy[old] - xy[row], axis=1))[:5]
            shares.append(np.mean(scenarios[old][nearest] == scenarios[row]))
        return float(np.mean(shares))

    chance = float(np.mean([np.mean(scenarios[old] == scenarios[row]) for row in new]))
    assert agreement(later.xy, new) >= max(0.5, 4 * chance), (agreement(later.xy, new), chance)

    # most memos new (a first big import into a small library): laid out afresh
    assert arrange(keys, vectors, {key: stored[key] for key in keys[:60]}).recomputed
