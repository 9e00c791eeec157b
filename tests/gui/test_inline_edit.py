"""Rewording a passage in place (issue 15, point 5): double-click a passage (or "Edit this passage" in its
context menu) and it becomes a text box where it stands; Enter or Ctrl+Enter saves through the window (the
transcription kept, the line marked, Ctrl+Z undoes), Esc cancels, clicking elsewhere saves a change, Space
types a space. On the real window with two real imported memos (tests/gui/conftest.py)."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu

from app.gui.memo_view import EDITED_MARK
from storage import memos as store
from tests.conftest import ROOT, require
from tests.gui.conftest import wait_idle
from tests.gui.test_newcomer import press

ARTIFACTS = ROOT / "tests" / "artifacts"
NEW_WORDS = "A passage about zeppelins, in my own words."


def open_first_memo(qtbot, window) -> int:
    memo_id = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(memo_id)
    assert window.memo_view.memo.id == memo_id
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    wait_idle(qtbot, window)
    return memo_id


def word_point(transcript, index: int, nth: int = 1) -> QPoint:
    """The middle of a word of passage `index`, in the transcript's viewport."""
    spans = [s for s in transcript.words if transcript.segment_at(s.first) == index]
    span = spans[min(nth, len(spans) - 1)]
    cursor = transcript.textCursor()
    cursor.setPosition((span.first + span.last) // 2)
    return transcript.cursorRect(cursor).center()


def double_click_passage(qtbot, window, index: int = 0):
    transcript = window.memo_view.transcript
    qtbot.mouseDClick(transcript.viewport(), Qt.MouseButton.LeftButton, pos=word_point(transcript, index))
    qtbot.waitUntil(lambda: transcript.editor is not None and transcript.editor.field.hasFocus(), timeout=5000)
    return transcript.editor


def shown(text: str) -> str:
    return " ".join(text.split())


def retype(qtbot, field, words: str) -> None:
    field.selectAll()
    qtbot.keyClicks(field, words)


def context_menu(qtbot, transcript, index: int, choose: str) -> dict[str, bool]:
    """Open the passage's context menu, trigger `choose` (if it is enabled); returns its entries' states."""
    seen: dict[str, bool] = {}

    def pick() -> None:
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(20, pick)
            return
        actions = {a.text(): a for a in menu.actions() if a.text()}
        seen.update({text: action.isEnabled() for text, action in actions.items()})
        menu.close()
        if choose in actions and actions[choose].isEnabled():
            actions[choose].trigger()

    point = word_point(transcript, index)
    QTimer.singleShot(0, pick)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, transcript.viewport().mapToGlobal(point))
    QApplication.sendEvent(transcript.viewport(), event)  # the menu runs its own loop until `pick` closes it
    window = transcript.window()
    window.activateWindow()  # offscreen, the window is not made active again when a popup closes
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)
    return seen


def test_double_click_turns_the_passage_into_a_text_box_in_place(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    original = store.get_segments(window.library.db(), memo_id)[0].text

    editor = double_click_passage(qtbot, window, 0)
    assert editor.index == 0 and editor.isVisible() and editor.field.isVisible()
    assert shown(editor.field.toPlainText()) == shown(original)
    assert QApplication.focusWidget() is editor.field and not editor.field.isReadOnly()
    # where the passage stands: over its block, the timestamp kept beside the box, the box where the words begin
    block = transcript.document().firstBlock()
    area = transcript.document().documentLayout().blockBoundingRect(block).toAlignedRect()
    assert editor.geometry().contains(area.topLeft() + QPoint(2, 2))
    assert editor.stamp.text() == transcript.toPlainText().split(" ", 1)[0]
    words = transcript.textCursor()
    words.setPosition(transcript.stamps[0].last + 1)
    assert abs(editor.field.geometry().left() + 4 - transcript.cursorRect(words).left()) <= 2
    assert editor.field.geometry().right() <= transcript.viewport().width()
    assert editor.field.height() >= editor.field.fontMetrics().height()

    # a longer passage: the box grows to hold it, and follows its passage when the view scrolls
    field = editor.field
    field.moveCursor(field.textCursor().MoveOperation.End)
    qtbot.keyClicks(field, " and then it went on about the weather for a good while longer")
    one_line = field.fontMetrics().height()
    assert field.height() >= field.document().size().height() >= one_line
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    out = ARTIFACTS / "inline-edit.png"
    assert window.grab().save(str(out)) and out.stat().st_size > 5_000
    top = editor.y()
    scroll = transcript.verticalScrollBar()
    if scroll.maximum() > 0:
        scroll.setValue(scroll.maximum())
        assert editor.y() == top - scroll.value()
        scroll.setValue(0)
    assert editor.y() == top

    qtbot.keyClick(field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: transcript.editor is None, timeout=5000)
    assert not editor.isVisible() or editor.finished
    view.player.stop()


@pytest.mark.parametrize("key, modifiers", [(Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
                                            (Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier),
                                            (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)],
                         ids=["Enter", "Ctrl+Enter", "keypad Enter"])
def test_enter_saves_keeps_the_original_marks_the_line_and_ctrl_z_undoes(window, qtbot, key, modifiers):
    memo_id = open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    db = window.library.db()
    original = store.get_segments(db, memo_id)[0].text

    editor = double_click_passage(qtbot, window, 0)
    view.player.stop()  # the double-click's first click played from the word, as a click does
    retype(qtbot, editor.field, NEW_WORDS)
    qtbot.keyClick(editor.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)  # one line: nothing
    assert editor.field.toPlainText() == NEW_WORDS and transcript.editor is editor
    qtbot.keyClick(editor.field, key, modifiers)
    assert transcript.editor is None and not editor.isVisible()
    assert transcript.hasFocus()  # back where it was: Space plays again
    wait_idle(qtbot, window)

    segment = store.get_segments(db, memo_id)[0]
    assert segment.text == original and segment.edited_text == NEW_WORDS  # the transcription kept
    assert window.library.segments(memo_id)[0].edited_text == NEW_WORDS
    first_line = transcript.document().firstBlock().text()
    assert NEW_WORDS in first_line and first_line.endswith(EDITED_MARK)
    assert transcript.is_edited(0)
    words = transcript.textCursor()
    words.setPosition(transcript.stamps[0].last + 2)
    assert words.charFormat().fontItalic()  # marked as edited
    assert [hit.memo.id for hit in store.search(db, "zeppelins")] == [memo_id]
    assert window.undo_toast.isVisible() and "Passage edited" in window.undo_toast.label.text()

    press(qtbot, window.memo_list, "Ctrl+Z")  # the window's undo
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text is None
    assert EDITED_MARK not in transcript.toPlainText()
    assert shown(original).split()[0] in transcript.document().firstBlock().text()
    view.player.stop()


def test_esc_cancels_and_nothing_is_saved(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    db = window.library.db()
    before = transcript.toPlainText()

    editor = double_click_passage(qtbot, window, 0)
    retype(qtbot, editor.field, "words nobody will keep")
    qtbot.keyClick(editor.field, Qt.Key.Key_Escape)
    assert transcript.editor is None and not editor.isVisible()
    assert not window.runner.busy and window._undo_point is None  # nothing was written, nothing to undo
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text is None
    assert transcript.toPlainText() == before
    view.player.stop()


def _pulse_running() -> bool:
    return bool(shutil.which("pactl")) and subprocess.run(["pactl", "info"], capture_output=True).returncode == 0


def test_space_types_a_space_while_editing_and_does_not_play(window, qtbot):
    require(_pulse_running(), "no PulseAudio (scripts/test-services.sh starts one with a null sink)")
    open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    # outside a text box, Space is the player's (so the check below means something)
    press(qtbot, transcript, "Space")
    qtbot.waitUntil(view.player.is_playing, timeout=30_000)
    view.player.stop()
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)

    editor = double_click_passage(qtbot, window, 0)
    view.player.stop()
    qtbot.waitUntil(lambda: not view.player.is_playing(), timeout=5000)
    retype(qtbot, editor.field, "two")
    press(qtbot, editor.field, "Space")
    qtbot.keyClicks(editor.field, "words")
    assert editor.field.toPlainText() == "two words"
    qtbot.wait(500)
    assert not view.player.is_playing() and transcript.editor is editor
    qtbot.keyClick(editor.field, Qt.Key.Key_Escape)


def test_clicking_elsewhere_saves_a_change_and_drops_an_unchanged_one(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    db = window.library.db()

    editor = double_click_passage(qtbot, window, 0)
    view.player.stop()
    qtbot.mouseClick(view.title, Qt.MouseButton.LeftButton)  # unchanged: just closed
    qtbot.waitUntil(lambda: transcript.editor is None, timeout=5000)
    assert not window.runner.busy and window._undo_point is None

    editor = double_click_passage(qtbot, window, 0)
    view.player.stop()
    retype(qtbot, editor.field, NEW_WORDS)
    qtbot.mouseClick(view.title, Qt.MouseButton.LeftButton)  # changed: saved, as a notes app does
    qtbot.waitUntil(lambda: transcript.editor is None, timeout=5000)
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text == NEW_WORDS
    assert NEW_WORDS in transcript.document().firstBlock().text()
    view.player.stop()


def test_the_edit_survives_the_memo_shown_again_and_goes_to_its_memo_when_another_opens(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    other = window.memo_list.memo_ids()[1]
    view = window.memo_view
    transcript = view.transcript
    db = window.library.db()

    editor = view.ask_edit(0)  # what the context menu's "Edit this passage" does
    qtbot.waitUntil(editor.field.hasFocus, timeout=5000)
    retype(qtbot, editor.field, "half typed")
    window.open_memo(memo_id, keep_player=True)  # the window reads the open memo again (a background change)
    assert transcript.editor is editor and editor.isVisible() and editor.field.toPlainText() == "half typed"
    qtbot.keyClicks(editor.field, " and finished")

    window.memo_list.select_memo(other)  # another memo shown (not by a click that moved the focus)
    assert view.memo.id == other and transcript.editor is None
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text == "half typed and finished"
    assert store.get_segments(db, other)[0].edited_text is None
    assert EDITED_MARK not in transcript.toPlainText()


def test_edit_from_the_context_menu_and_restore_the_original(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    view = window.memo_view
    transcript = view.transcript
    db = window.library.db()
    original = store.get_segments(db, memo_id)[0].text

    entries = context_menu(qtbot, transcript, 0, "Edit this passage")
    assert entries["Edit this passage"] and not entries["Restore original"]  # nothing to restore yet
    qtbot.waitUntil(lambda: transcript.editor is not None and transcript.editor.field.hasFocus(), timeout=5000)
    editor = transcript.editor
    assert shown(editor.field.toPlainText()) == shown(original)
    retype(qtbot, editor.field, NEW_WORDS)
    qtbot.keyClick(editor.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text == NEW_WORDS

    # editing again starts from the user's words
    editor = double_click_passage(qtbot, window, 0)
    view.player.stop()
    assert editor.field.toPlainText() == NEW_WORDS
    qtbot.keyClick(editor.field, Qt.Key.Key_Escape)

    entries = context_menu(qtbot, transcript, 0, "Restore original")
    assert entries["Restore original"]
    wait_idle(qtbot, window)
    segment = store.get_segments(db, memo_id)[0]
    assert segment.edited_text is None and segment.text == original
    assert EDITED_MARK not in transcript.toPlainText()
    assert shown(original).split()[0] in transcript.document().firstBlock().text()
    # restored, word-click playback is back: one span per spoken word again
    assert len([s for s in transcript.words if transcript.segment_at(s.first) == 0]) > 1
    view.player.stop()


def test_the_text_box_follows_its_passage_when_the_view_scrolls_or_narrows(window, qtbot):
    memo_id = open_first_memo(qtbot, window)
    transcript = window.memo_view.transcript
    # a long transcript: the real passages of both memos, many times over (the view only)
    segments = [s for other in window.memo_list.memo_ids() for s in window.library.segments(other)] * 15
    transcript.set_segments(segments)
    scroll = transcript.verticalScrollBar()
    assert scroll.maximum() > 0
    index = len(segments) // 2
    editor = transcript.edit_passage(index)
    qtbot.waitUntil(editor.field.hasFocus, timeout=5000)

    def over_its_passage() -> bool:
        block = transcript.document().findBlockByNumber(index)
        area = transcript.document().documentLayout().blockBoundingRect(block).translated(0, -scroll.value())
        return editor.y() <= area.top() + 1 and editor.geometry().bottom() >= area.bottom() - 2

    assert over_its_passage() and 0 <= editor.y() < transcript.viewport().height()  # scrolled into view
    for value in (0, scroll.maximum(), scroll.maximum() // 3):
        scroll.setValue(value)
        assert over_its_passage(), value
    width = window.width()
    window.resize(width - 250, window.height())
    qtbot.waitUntil(lambda: window.width() == width - 250, timeout=5000)
    qtbot.wait(50)
    assert over_its_passage() and editor.field.geometry().right() <= transcript.viewport().width()
    assert transcript.editor is editor and editor.field.hasFocus()  # still editing
    qtbot.keyClick(editor.field, Qt.Key.Key_Escape)
    assert transcript.editor is None
    assert window.memo_view.memo.id == memo_id
