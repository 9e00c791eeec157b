"""A window a newcomer understands without reading (issue 15): empty states, every keyboard shortcut of the
Help sheet doing what it says, and the Help menu. The real window, offscreen; the screenshots under Xvfb."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from importlib.metadata import version

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QTableWidget

from app.gui import help
from app.gui.sidebar import ALL, REVIEW, UNSORTED
from organize.embeddings import MODEL_NAME
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import ROOT, require
from tests.gui.conftest import open_window, wait_idle

ARTIFACTS = ROOT / "tests" / "artifacts"
NO_MATCH = "qqxzv"  # matches no memo by words (and the search then shows none)


@pytest.fixture
def empty_window(qtbot, tmp_path, gui_env):
    main = open_window(qtbot, tmp_path / "fresh", gui_env)
    yield main
    main.close()


def test_an_empty_library_invites_to_record_or_import(empty_window, qtbot):
    window = empty_window
    state = window.empty_state
    assert window.list_stack.currentWidget() is state
    assert state.message.text() == ("No memos yet. Record (Ctrl+R), import recordings (Ctrl+O), or drop audio "
                                    "files here")
    assert state.record_button.isVisibleTo(window) and state.import_button.isVisibleTo(window)
    asked = []
    window.recording.toggle = lambda: asked.append("record")  # never the microphone in a test
    window.ask_import_files = lambda: asked.append("import")
    state.record_button.click()
    state.import_button.click()
    assert asked == ["record", "import"]

    add_transcribed(open_database(window.library.data_dir), ["A first idea about gardens."])
    window.refresh()
    assert window.list_stack.currentWidget() is window.memo_list
    assert len(window.memo_list.memo_ids()) == 1


def test_a_search_without_results_says_so_and_clears_the_memo(window, qtbot):
    first = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(first)
    assert window.memo_view.memo is not None
    with qtbot.waitSignal(window.search_done, timeout=60_000, check_params_cb=lambda query: query == NO_MATCH):
        qtbot.keyClicks(window.search, NO_MATCH)
    assert window.list_stack.currentWidget() is window.empty_state
    assert window.empty_state.message.text() == f"No memos match “{NO_MATCH}”."
    assert not window.empty_state.record_button.isVisibleTo(window)
    assert window.memo_view.memo is None and window.memo_view.title.text() == ""
    with qtbot.waitSignal(window.search_done, timeout=60_000, check_params_cb=lambda query: query == ""):
        window.search.clear()
    assert window.list_stack.currentWidget() is window.memo_list
    wait_idle(qtbot, window)


def test_an_empty_view_says_why_in_words(window, qtbot):
    window.themes.select_key(UNSORTED)  # both memos are in themes
    assert window.list_stack.currentWidget() is window.empty_state
    assert window.empty_state.message.text() == "No unsorted memos: every memo has a theme."
    # the Review queue, once every memo has been looked at
    everything = [memo.id for memo in window.memos]
    window.library.set_review(everything, "kept")
    window.refresh()
    window.themes.select_key(REVIEW)
    assert window.list_stack.currentWidget() is window.empty_state
    assert window.empty_state.message.text() == "Nothing to review: every memo has been looked at."
    window.library.set_review(everything, "new")
    window.refresh()
    window.themes.select_key(ALL)
    assert window.list_stack.currentWidget() is window.memo_list


# -- every shortcut of the sheet does what the sheet says ----------------------------------------------------

def press(qtbot, widget, key: str) -> None:
    """Type `key` with the focus on `widget` (shortcuts follow the focus, as they do for the user)."""
    widget.window().activateWindow()  # back from a dialog
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window(), timeout=5000)
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=5000)
    combination = QKeySequence(key)[0]
    qtbot.keyClick(widget, combination.key(), combination.keyboardModifiers())


def dialog_from(qtbot, act) -> str:
    """The title of the modal dialog `act` opens (closed again); static dialogs block, so it is looked for
    from a timer."""
    seen, tries = [], [0]

    def look() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None and tries[0] < 400:
            tries[0] += 1
            QTimer.singleShot(25, look)
            return
        seen.append(dialog.windowTitle() if dialog is not None else None)
        if dialog is not None:
            dialog.reject()

    QTimer.singleShot(0, look)
    act()
    qtbot.waitUntil(lambda: bool(seen), timeout=15_000)
    qtbot.waitUntil(lambda: QApplication.activeModalWidget() is None, timeout=5000)
    return seen[0]


def test_every_shortcut_in_the_sheet_does_what_it_says(window, qtbot):
    table = window.shortcuts()
    keys = {s.command: s.keys for s in table}
    listing = window.memo_list
    first, second = listing.memo_ids()
    toggled = []
    window.recording.toggle = lambda: toggled.append(True)  # never the microphone in a test

    def record(key):
        press(qtbot, listing, key)
        assert toggled

    def import_(key):
        assert dialog_from(qtbot, lambda: press(qtbot, listing, key)) == "Import recordings"

    def export(key):
        assert dialog_from(qtbot, lambda: press(qtbot, listing, key)) == "Export to a Markdown folder"

    def find(key):
        press(qtbot, listing, key)
        assert window.search.hasFocus()

    def clear_search(key):
        window.search.setText("printing")
        press(qtbot, window.search, key)
        assert window.search.text() == ""

    def open_(key):
        listing.select_memo(second, emit=False)
        window.memo_view.clear()
        press(qtbot, listing, key)
        assert window.memo_view.memo is not None and window.memo_view.memo.id == second

    def rename(key):
        window.reveal_memo(first)
        press(qtbot, listing, key)  # the open memo's title, ready to be typed over
        title = window.memo_view.title
        assert title.hasFocus() and title.selectedText() == title.text() != ""
        theme = window.memo_view.memo.theme_id
        window.themes.select_key(theme)
        assert dialog_from(qtbot, lambda: press(qtbot, window.themes, key)) == "Rename theme"
        window.themes.select_key(ALL)

    def delete(key):
        listing.select_memo(first)
        assert listing.selected_memo_ids() == [first]
        press(qtbot, listing, key)
        qtbot.waitUntil(lambda: [m.id for m in window.memos] == [second], timeout=10_000)
        assert [m.id for m in window.trashed] == [first]

    def settings(key):
        assert dialog_from(qtbot, lambda: press(qtbot, listing, key)) == "Musings settings"

    def shortcuts(key):
        press(qtbot, listing, key)  # the sheet opens without blocking
        qtbot.waitUntil(lambda: QApplication.activeModalWidget() is not None, timeout=5000)
        sheet = QApplication.activeModalWidget()
        assert sheet.windowTitle() == "Keyboard shortcuts"
        grid = sheet.findChild(QTableWidget, "shortcuts")
        shown = [(grid.item(row, 0).text(), grid.item(row, 1).text()) for row in range(grid.rowCount())]
        assert shown == [(help.key_text(s), s.what) for s in table]
        sheet.reject()

    def quit_(key):
        press(qtbot, listing, key)
        qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)

    drivers = {"record": record, "import": import_, "export": export, "find": find, "clear_search": clear_search,
               "open": open_, "rename": rename, "delete": delete, "settings": settings, "shortcuts": shortcuts,
               "quit": quit_}
    def undo(key):  # after delete: the deleted memo comes back where it was
        press(qtbot, listing, key)
        qtbot.waitUntil(lambda: {m.id for m in window.memos} == {first, second}, timeout=10_000)
        assert window.trashed == [] and "Undone" in window.statusBar().currentMessage()

    def reviewer(state):
        def review(key):  # the selected memo takes the state (in the list, where the key works)
            window.themes.select_key(ALL)
            listing.select_memo(second)
            press(qtbot, listing, key)
            qtbot.waitUntil(lambda: window.library.memo(second).review_state == state, timeout=10_000)
            wait_idle(qtbot, window)  # and the window's answer to it (the next memo selected)
            window.library.set_review([second], "new")  # back in every list, for the keys checked after
            window.refresh()
        return review

    drivers = {**{k: v for k, v in drivers.items() if k != "quit"}, "undo": undo,
               "review_keep": reviewer("kept"), "review_done": reviewer("done"),
               "review_archive": reviewer("archived"), "quit": quit_}
    view = window.memo_view

    def play_pause(key):  # Space, with the focus in the memo list
        window.reveal_memo(second)
        press(qtbot, listing, key)
        qtbot.waitUntil(view.player.is_playing, timeout=30_000)
        press(qtbot, listing, key)
        qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)
        view.player.stop()

    def skip_forward(key):
        window.reveal_memo(second)
        view.seek(0.0)
        press(qtbot, listing, key)
        assert view.at == pytest.approx(min(10.0, view.duration())) and view.at > 0

    def skip_back(key):
        window.reveal_memo(second)
        view.seek(view.duration())
        press(qtbot, listing, key)
        assert view.at == pytest.approx(max(0.0, view.duration() - 10.0)) and view.at < view.duration()

    def edit_passage(key):  # a passage being edited is saved by the key, and undone for the next check
        window.reveal_memo(second)
        editor = view.ask_edit(0)
        editor.field.setPlainText("words typed over the passage")
        press(qtbot, editor.field, key)
        wait_idle(qtbot, window)
        assert window.library.segments(second)[0].edited_text == "words typed over the passage"
        window.library.edit_segment(second, 0, None)
        window.refresh()

    drivers["edit_passage"] = edit_passage
    drivers = {**{k: v for k, v in drivers.items() if k != "quit"}, "play_pause": play_pause,
               "skip_back": skip_back, "skip_forward": skip_forward, "quit": quit_}
    assert set(drivers) == set(keys), "a shortcut of the sheet has no check here"
    for command, drive in drivers.items():
        for key in keys[command]:
            if command == "delete" and window.trashed:
                continue  # one memo to the trash is proof enough
            if command == "quit":
                wait_idle(qtbot, window)  # quit last, once the deletion is written
            drive(key)


def test_the_record_key_in_the_sheet_is_the_users(window):
    window.preferences.hotkey = "Ctrl+Shift+M"
    window.apply_preferences(window.preferences)
    assert window.hotkey.key() == QKeySequence("Ctrl+Shift+M")
    assert help.key_of(window.shortcuts(), "record") == QKeySequence("Ctrl+Shift+M").toString(
        QKeySequence.SequenceFormat.NativeText)


# -- the Help menu -------------------------------------------------------------------------------------------

def help_menu(window):
    return next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")


def test_the_help_menu_has_getting_started_shortcuts_log_and_about(empty_window):
    titles = [a.text() for a in help_menu(empty_window).actions() if not a.isSeparator()]
    assert titles == ["Getting started", "Keyboard shortcuts", "Open log file", "About Musings"]
    assert empty_window.shortcuts_action.shortcut() == QKeySequence("Ctrl+/")
    dialog = empty_window.show_getting_started()
    text = dialog.findChild(QLabel, "getting-started").text()
    assert 6 <= text.count("<p>") <= 8
    for word in ("Record", "Import", "Themes", "Search", "Export", "Ctrl+R", "Ctrl+O"):
        assert word in text
    dialog.reject()


def test_open_log_file_is_offered_once_there_is_a_log(empty_window, monkeypatch):
    from app.logs import log_path

    opened = []
    monkeypatch.setattr(help, "open_path", opened.append)
    path = log_path(empty_window.library.data_dir)
    assert not path.exists()
    help_menu(empty_window).aboutToShow.emit()
    assert not empty_window.open_log_action.isEnabled()
    path.write_text("2026-01-01 a warning\n")
    help_menu(empty_window).aboutToShow.emit()
    assert empty_window.open_log_action.isEnabled()
    empty_window.open_log_action.trigger()
    assert opened == [path]


def test_about_names_the_version_the_models_and_the_data_folder(empty_window, monkeypatch):
    opened = []
    monkeypatch.setattr(help, "open_path", opened.append)
    dialog = empty_window.show_about()
    text = dialog.findChild(QLabel, "about").text()
    data_dir = empty_window.library.data_dir
    for part in (f"Musings {version('musings')}", empty_window.preferences.model, MODEL_NAME, str(data_dir)):
        assert part in text
    folder = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Open data folder")
    folder.click()
    assert opened == [data_dir]
    dialog.reject()


# -- screenshots, in a real X window -------------------------------------------------------------------------

SCREENSHOT = """
import sys
from pathlib import Path
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication
from app.gui.main_window import MainWindow
from app.gui.settings import SettingsStore

data_dir, query, out, settings = sys.argv[1:]
app = QApplication([])
window = MainWindow(Path(data_dir), SettingsStore(Path(settings)))
window.show()

def settle(ms):
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()

settle(800)
if query:
    loop = QEventLoop()
    window.search_done.connect(lambda q: q == query and loop.quit())
    QTimer.singleShot(60_000, loop.quit)
    window.search.setText(query)
    loop.exec()
    settle(300)
ok = window.grab().save(out)
window.close()
sys.exit(0 if ok else 1)
"""


@pytest.mark.parametrize("name, query", [("empty-library", ""), ("no-results", NO_MATCH)])
def test_screenshots_of_the_empty_states(name, query, library_copy, tmp_path):
    display = os.environ.get("DISPLAY")
    require(bool(display) and shutil.which("Xvfb") is not None,
            "no X display (scripts/test-services.sh starts Xvfb :99)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / f"{name}.png"
    out.unlink(missing_ok=True)
    data_dir = library_copy if query else tmp_path / "fresh"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display,
           "MUSINGS_RUNTIME_DIR": str(tmp_path / "run")}
    result = subprocess.run([sys.executable, "-c", SCREENSHOT, str(data_dir), query, str(out),
                             str(tmp_path / "gui.ini")], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.stat().st_size > 5_000
