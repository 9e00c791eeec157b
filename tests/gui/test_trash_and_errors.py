"""The window's trash (Delete key, the memo menu, "Recently deleted", Restore) and its bug reporting: a bug in a
slot is logged with its traceback to the data folder's log and shown as one line, and the window goes on."""
from __future__ import annotations

import sys
import threading

from PySide6.QtCore import Qt, QTimer

from app.gui.sidebar import ALL, TRASH
from tests.gui.conftest import wait_idle


def _select_first(window) -> int:
    window.memo_list.setFocus()
    window.memo_list.setCurrentIndex(window.memo_list.model().index(0, 0))
    return window.memo_list.current_memo_id()


def test_delete_key_moves_a_memo_to_recently_deleted_and_restore_brings_it_back(qtbot, window):
    before = set(window.memo_list.memo_ids())
    memo_id = _select_first(window)
    qtbot.keyClick(window.memo_list, Qt.Key.Key_Delete)
    wait_idle(qtbot, window)
    assert set(window.memo_list.memo_ids()) == before - {memo_id}
    assert memo_id not in {m.id for m in window.library.memos()}
    trash_item = window.themes.item_for(TRASH)
    assert trash_item is not None and trash_item.text(0) == "Recently deleted" and trash_item.text(1) == "1"
    assert window.undo_toast.text() == "1 memo moved to Recently deleted"

    window.themes.select_key(TRASH)
    assert window.memo_list.memo_ids() == [memo_id] and window.memo_list.showing_trash
    window.memo_list.setCurrentIndex(window.memo_list.model().index(0, 0))
    menu = window.memo_list.memo_menu()
    assert [a.text() for a in menu.actions()] == ["Restore memo"]
    qtbot.keyClick(window.memo_list, Qt.Key.Key_Delete)  # in the trash, Delete does nothing
    wait_idle(qtbot, window)
    assert window.library.trash()[0].id == memo_id
    menu.actions()[0].trigger()
    wait_idle(qtbot, window)
    assert window.library.trash() == [] and window.themes.item_for(TRASH) is None
    window.themes.select_key(ALL)
    assert set(window.memo_list.memo_ids()) == before


def test_the_memo_menu_deletes_the_selected_memos(qtbot, window):
    window.memo_list.selectAll()
    ids = window.memo_list.selected_memo_ids()
    menu = window.memo_list.memo_menu()
    assert [a.text() for a in menu.actions()] == [f"Delete {len(ids)} memos"]
    menu.actions()[0].trigger()
    wait_idle(qtbot, window)
    assert window.memo_list.memo_ids() == [] and {m.id for m in window.library.trash()} == set(ids)


def test_a_bug_in_a_slot_is_logged_shown_in_one_line_and_the_window_goes_on(qtbot, window, monkeypatch):
    from app.gui import install_error_reporting

    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # both put back after the test
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    install_error_reporting(window, window.library.data_dir)

    def broken_slot():
        raise ZeroDivisionError("a bug in a slot")

    QTimer.singleShot(0, broken_slot)
    qtbot.waitUntil(lambda: "Something went wrong" in window.statusBar().currentMessage(), timeout=10_000)
    message = window.statusBar().currentMessage()
    log_file = window.library.data_dir / "musings.log"
    assert "ZeroDivisionError" in message and str(log_file) in message and "\n" not in message
    logged = log_file.read_text()
    assert "Traceback" in logged and "in broken_slot" in logged
    assert window.isVisible()
    window.refresh()  # still works
    assert len(window.memo_list.memo_ids()) == 2
