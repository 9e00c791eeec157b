"""What a new user trips over in the window: theme 0, '&' in names, glyphs, Ctrl+,, rebuild, silent memos."""
from __future__ import annotations

import unicodedata
import wave

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

from app.gui.memo_list import TITLE
from app.gui.settings_dialog import SettingsDialog
from organize.embeddings import MODEL_NAME
from storage import memos as store
from storage import themes as org
from tests.gui.conftest import open_window, wait_idle


def test_the_first_theme_of_a_library_can_be_selected(qtbot, library_copy, gui_env):
    from storage.db import open_database

    db = open_database(library_copy)
    ids, vectors = org.load_embeddings(db, MODEL_NAME)
    # The way a re-clustering writes a new library's themes: ids from 0.
    org.save_themes(db, {0: ("First theme", vectors[0])}, {ids[0]: 0})
    db.conn.close()
    window = open_window(qtbot, library_copy, gui_env)
    window.themes.select_key(0)
    assert window.memo_list.memo_ids() == [ids[0]]
    assert window.list_caption.text() == "1 memo"
    window.close()


def test_an_ampersand_in_a_theme_name_shows_in_its_menu(window):
    db = window.library.db()
    history = next(t.id for t in org.list_themes(db) if t.name == "History")
    printing = next(t.id for t in org.list_themes(db) if t.name == "Printing")
    org.rename_theme(db, history, "Rock & roll")
    window.refresh()
    merge_into = next(a.menu() for a in window.themes.theme_menu(printing).actions() if a.menu())
    assert [a.iconText() for a in merge_into.actions()] == ["Rock & roll"]  # what the menu shows
    assert QKeySequence.mnemonic(merge_into.actions()[0].text()).isEmpty()


def symbols(text: str) -> list[str]:
    return [c for c in text if unicodedata.category(c) == "So"]


def test_buttons_and_menus_use_icons_not_glyphs(window):
    texts = [b.text() for b in window.findChildren(QAbstractButton)]
    texts += [a.text() for a in window.findChildren(QAction)]
    assert not [t for t in texts if symbols(t)], texts
    view = window.memo_view
    assert view.play_button.text() == "Play" and not view.play_button.icon().isNull()
    view.player.playing_changed.emit(True)
    assert view.play_button.text() == "Pause" and not view.play_button.icon().isNull()
    view.player.playing_changed.emit(False)
    assert not window.record_panel.button.icon().isNull()
    window.record_panel.set_state("recording")
    assert window.record_panel.button.text() == "Stop" and not window.record_panel.button.icon().isNull()
    window.record_panel.set_state("idle")


def test_ctrl_comma_opens_the_settings(window, qtbot):
    assert QKeySequence("Ctrl+,") in window.settings_action.shortcuts()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    qtbot.keyClick(window, Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: any(d.isVisible() for d in window.findChildren(SettingsDialog)), timeout=5000)
    for dialog in window.findChildren(SettingsDialog):
        dialog.reject()


def rebuild_action(window) -> QAction:
    themes_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Themes")
    return next(a for a in themes_menu.actions() if a.text().startswith("Rebuild"))


def question_box(window, qtbot) -> QMessageBox:
    qtbot.waitUntil(lambda: any(b.isVisible() for b in window.findChildren(QMessageBox)), timeout=5000)
    return next(b for b in window.findChildren(QMessageBox) if b.isVisible())


def test_rebuild_asks_first(window, qtbot):
    before = [(t.id, t.name) for t in org.list_themes(window.library.db())]
    rebuild_action(window).trigger()
    box = question_box(window, qtbot)
    box.button(QMessageBox.StandardButton.Cancel).click()
    wait_idle(qtbot, window)
    assert "Rebuilding" not in window.statusBar().currentMessage()
    assert [(t.id, t.name) for t in org.list_themes(window.library.db())] == before
    rebuild_action(window).trigger()
    box = question_box(window, qtbot)
    with qtbot.waitSignal(window.refreshed, timeout=60_000):
        next(b for b in box.buttons() if b.text() == "Rebuild").click()
    wait_idle(qtbot, window)
    assert window.statusBar().currentMessage().endswith("themes")


def test_a_silent_recording_is_named_by_its_date_and_announced_sensibly(window, qtbot, tmp_path):
    silent = tmp_path / "20261202T032100.123456Z.wav"  # named as a recording is
    with wave.open(str(silent), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(2 * 16000 * 3))
    window.import_paths([silent])
    wait_idle(qtbot, window, timeout=120_000)
    memo = next(m for m in store.list_memos(window.library.db()) if m.original_name == silent.name)
    assert memo.status == store.EMPTY
    window.reveal_memo(memo.id)
    title = window.memo_list.currentIndex().siblingAtColumn(TITLE).data()
    assert title.startswith("No speech · ") and "Z.wav" not in title, title
    assert window.memo_view.title.text().startswith("No speech · ")

    from app.capture import CaptureOutcome

    window._memo_recorded(CaptureOutcome(memo.id, "", 3.0))
    message = window.statusBar().currentMessage()
    assert message.startswith("New memo") and not message.rstrip().endswith(":"), message
    assert "no speech" in message
