"""The window's To-dos (issue 16, point 3): the sidebar counts the open ones, the list shows each with its due
day and memo, ticking one off marks it done (struck through, the count goes down), opening one opens its memo."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from app.gui.sidebar import TODOS
from app.gui.todo_list import due_words
from tests.gui.conftest import wait_idle


def todo_count(window) -> int:
    return next(count for key, _, count, _ in window.themes.entries() if key == TODOS)


def test_to_dos_are_listed_ticked_off_and_open_their_memo(qtbot, tmp_path, gui_env):
    from app.core import Musings
    from storage.db import open_database
    from tests.app.test_todos_cli import add
    from tests.gui.conftest import open_window

    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    landlord = add(db, "remind me to call the landlord about the heating tomorrow", "2026-12-01T12:10:00+00:00", 1)
    coffee = add(db, "and I need to buy more coffee beans by friday", "2026-12-01T12:20:00+00:00", 2)
    Musings(data_dir).shutdown()
    window = open_window(qtbot, data_dir, gui_env)
    wait_idle(qtbot, window)
    assert todo_count(window) == 2
    window.themes.select_key(TODOS)
    wait_idle(qtbot, window)
    listing = window.todo_list
    assert window.list_stack.currentWidget() is listing and listing.count() == 2
    first = listing.item(0)
    assert first.text().lower().startswith("call the landlord about the heating")
    assert "from “" in first.text() and first.checkState() == Qt.CheckState.Unchecked
    assert window.list_caption.text() == "2 open to-dos"

    first.setCheckState(Qt.CheckState.Checked)  # ticked off
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: listing.count() == 2 and listing.item(1).checkState() == Qt.CheckState.Checked)
    assert listing.item(1).font().strikeOut() and todo_count(window) == 1
    assert [t.memo_id for t in window.library.todos()] == [coffee]  # the landlord's is done now

    listing.itemActivated.emit(listing.item(1))  # opening it opens its memo
    assert window.memo_view.memo.id == landlord
    window.close()


def test_due_days_in_words():
    today = dt.date(2026, 12, 1)
    assert due_words("2026-12-01", today) == "due today" and due_words("2026-12-02", today) == "due tomorrow"
    assert due_words("2026-12-04", today) == "due Friday 4 Dec" and due_words("2026-11-30", today) == "overdue since 30 Nov"
    assert due_words("2027-01-05", today) == "due Tuesday 5 Jan 2027" and due_words(None, today) == ""
