"""The main window on a real data folder: the lists, search, themes, export, settings, import problems."""
from __future__ import annotations

import configparser

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent

from app.gui.memo_list import FIRST_LINE, HTML_ROLE, MATCHED, TITLE
from app.gui.sidebar import UNSORTED
from storage import memos as store
from storage import themes as org
from tests.gui.conftest import wait_idle


def sidebar_texts(window) -> list[str]:
    """Every row of the sidebar as "name  ·  count", broad themes and sub-themes alike."""
    return [f"{name}  ·  {count}" for _, name, count, _ in window.themes.entries()]


def test_window_shows_the_library(window, qtbot):
    assert window.isVisible()
    assert len(window.memo_list.memo_ids()) == 2
    texts = sidebar_texts(window)
    assert texts[0].startswith("All memos") and texts[0].endswith("2")
    assert any(t.startswith("History") for t in texts) and any(t.startswith("Printing") for t in texts)
    # opening a memo shows its transcript with timestamps, words mapped to audio time
    window.memo_list.select_memo(window.memo_list.memo_ids()[0])
    view = window.memo_view
    assert view.memo is not None and view.title.text()
    assert view.transcript.toPlainText().startswith("[0:0")
    assert view.transcript.words and all(span.end >= span.start for span in view.transcript.words)
    wait_idle(qtbot, window)
    # two embedded memos: the other one is related, not the "Nothing related yet." placeholder
    other = window.memo_list.memo_ids()[1]
    assert view.related.count() == 1 and view.related.item(0).data(Qt.ItemDataRole.UserRole) == other
    said = view.related.item(0).text()  # in words, as the export and `musings related` say it; no raw score
    assert said.rsplit("· ", 1)[1] in ("very close", "close", "related") and not any(c.isdigit() for c in said)


def test_clicking_a_word_seeks_and_the_spoken_word_is_highlighted(window, qtbot):
    memo_id = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(memo_id)
    transcript = window.memo_view.transcript
    word = transcript.words[3]
    assert transcript.time_at((word.first + word.last) // 2) == word.start
    with qtbot.waitSignal(transcript.seek_requested, timeout=2000) as sought:
        cursor = transcript.textCursor()
        cursor.setPosition(word.first + 1)
        rect = transcript.cursorRect(cursor)
        qtbot.mouseClick(transcript.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert abs(sought.args[0] - word.start) < 1e-6
    transcript.highlight_at(word.start + 0.01)
    assert transcript.current_word == 3
    window.memo_view.player.stop()


def test_search_answers_as_you_type_with_hits_highlighted(window, qtbot):
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        qtbot.keyClicks(window.search, "communication")
    ids = window.memo_list.memo_ids()
    assert len(ids) >= 1
    first = window.memo_list.model().index(0, FIRST_LINE)
    assert "communication" in first.data(HTML_ROLE).lower()
    assert "background:#fde047" in first.data(HTML_ROLE)
    # each result says how it was found: by its words, its meaning, or both (a row per result, in rank order)
    for row, result in enumerate(window.search_results):
        cell = window.memo_list.model().index(row, FIRST_LINE)
        assert cell.data(HTML_ROLE).startswith(f'<span style="color:#6b7280">{MATCHED[result.matched_by][0]} · ')
        assert cell.data(Qt.ItemDataRole.ToolTipRole) == MATCHED[result.matched_by][1]
    assert window.search_results[0].matched_by in ("keyword", "both")
    assert "result" in window.list_caption.text()
    window.memo_list.select_memo(ids[0])
    assert window.memo_view.transcript.term_highlight_count() >= 1
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        window.search.clear()
    assert len(window.memo_list.memo_ids()) == 2


def test_rename_merge_and_move_update_the_lists(window, qtbot):
    db = window.library.db()
    history = next(t for t in org.list_themes(db) if t.name == "History")
    printing = next(t for t in org.list_themes(db) if t.name == "Printing")

    window.rename_theme(history.id, "Old letters")
    wait_idle(qtbot, window)
    assert any(t.startswith("Old letters") for t in sidebar_texts(window))
    assert org.get_theme(db, history.id).name == "Old letters"

    # move: drag the Printing memo from the list onto Unsorted
    printing_memo = org.memos_of_theme(db, printing.id)[0]
    window.memo_list.select_memo(printing_memo)
    mime = window.memo_list.model().mimeData([window.memo_list.currentIndex()])
    target = window.themes.visualItemRect(window.themes.item_for(UNSORTED)).center()
    drop = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    window.themes.dropEvent(drop)
    wait_idle(qtbot, window)
    assert store.get_memo(db, printing_memo).theme_id is None
    assert next(t for t in sidebar_texts(window) if t.startswith("Unsorted")).endswith("1")
    assert not any(t.startswith("Printing") for t in sidebar_texts(window))  # emptied: gone

    # and back into a theme through the memo's theme box, then merge
    window.memo_list.select_memo(printing_memo)
    window.memo_view.theme.setCurrentIndex(window.memo_view.theme.findData(history.id))
    window.memo_view.theme.activated.emit(window.memo_view.theme.currentIndex())
    wait_idle(qtbot, window)
    assert store.get_memo(db, printing_memo).theme_id == history.id
    assert next(t for t in sidebar_texts(window) if t.startswith("Old letters")).endswith("2")

    other = org.create_theme(db, "Scratch")
    org.place_memo(db, printing_memo, other, by_user=True)
    window.refresh()
    window.merge_themes(other, history.id)
    wait_idle(qtbot, window)
    assert not any(t.startswith("Scratch") for t in sidebar_texts(window))
    assert next(t for t in sidebar_texts(window) if t.startswith("Old letters")).endswith("2")


def test_title_edit_is_kept_as_the_users(window, qtbot):
    memo_id = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(memo_id)
    window.memo_view.title.setText("My own title")
    window.memo_view.title.editingFinished.emit()
    wait_idle(qtbot, window)
    memo = store.get_memo(window.library.db(), memo_id)
    assert memo.title == "My own title" and memo.title_edited == 1
    row = window.memo_list.memo_ids().index(memo_id)  # the list may have re-sorted
    assert window.memo_list.model().index(row, TITLE).data() == "My own title"


def test_theme_map_shows_a_dot_per_memo_and_click_opens_it(window, qtbot):
    window.tabs.setCurrentWidget(window.theme_map)
    qtbot.waitUntil(lambda: len(window.theme_map.points.memo_ids) == 2, timeout=10_000)
    dot = window.theme_map.dot_position(1).toPoint()
    qtbot.mouseClick(window.theme_map, Qt.MouseButton.LeftButton, pos=dot)
    assert window.memo_view.memo.id == window.theme_map.points.memo_ids[1]


def test_export_writes_a_vault_and_remembers_the_folder(window, qtbot, tmp_path, gui_env):
    vault = tmp_path / "vault"
    window.export_to(vault)
    wait_idle(qtbot, window)
    notes = list(vault.rglob("*.md"))
    assert len(notes) >= 2
    assert "Exported" in window.message_bar.text()
    saved = configparser.ConfigParser()
    saved.read(gui_env)
    assert saved["General"]["last_export_dir"] == str(vault)


def test_settings_persist_in_their_own_file(window, qtbot, gui_env):
    from app.gui.settings import SettingsStore

    dialog = window.open_settings()
    dialog.model.setCurrentIndex(dialog.model.findData("base"))
    dialog.language.setCurrentText("de")
    dialog.vocabulary.setText("Kubernetes, Anki")
    dialog.device.setEditText("USB mic")
    dialog.night_mode.setChecked(True)
    dialog.accept()
    assert gui_env.exists()
    loaded = SettingsStore(gui_env).load()
    assert (loaded.model, loaded.language, loaded.vocabulary, loaded.input_device, loaded.night_mode) == (
        "base", "de", ["Kubernetes", "Anki"], "USB mic", True)
    assert window.recording.preferences.model == "base"


def test_a_corrupt_dropped_file_gets_a_clear_message_and_the_app_keeps_running(window, qtbot, tmp_path):
    broken = tmp_path / "broken memo.mp3"
    broken.write_bytes(b"ID3" + bytes(range(256)) * 40)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(broken))])
    event = QDropEvent(QPointF(400, 300), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    assert window.imports.running and window.import_panel.isVisible()  # the drop started an import
    wait_idle(qtbot, window)
    failures = [window.import_panel.failures.item(i).text() for i in range(window.import_panel.failures.count())]
    assert len(failures) == 1 and failures[0].startswith("broken memo.mp3 — ")
    assert "broken memo.mp3" in window.message_bar.text()
    assert "went wrong" not in failures[0]
    assert "1 failed" in window.import_panel.label.text()
    # still running and usable
    assert window.isVisible() and len(window.memo_list.memo_ids()) == 2
    window.memo_list.select_memo(window.memo_list.memo_ids()[1])
    assert window.memo_view.transcript.toPlainText()


def test_import_is_cancelled_between_files(window, qtbot, tmp_path):
    import shutil

    from tests.conftest import DATA

    folder = tmp_path / "many"
    folder.mkdir()
    for clip in sorted((DATA / "speech/fleurs_en_opus").glob("*.ogg"))[1:5]:
        shutil.copy(clip, folder / clip.name)
    window.import_paths([folder])
    qtbot.waitUntil(lambda: "Transcribing" in window.import_panel.label.text(), timeout=60_000)
    window.import_panel.cancel_button.click()
    wait_idle(qtbot, window, timeout=60_000)  # how fast: bench/bench_cancel.py
    assert "cancelled" in window.import_panel.label.text()
    memos = store.list_memos(window.library.db())
    assert len(memos) == 6 and any(m.status in ("pending", "transcribing") for m in memos)


def test_editing_a_passage_keeps_the_original_and_marks_the_line(window, qtbot):
    memo_id = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(memo_id)
    view = window.memo_view
    db = window.library.db()
    original = store.get_segments(db, memo_id)[0].text

    editor = view.ask_edit(0)  # what double-click and "Edit this passage" do: the passage becomes a text box
    assert editor.field.toPlainText() == " ".join(original.split()) and not view.transcript.is_edited(0)
    editor.field.setPlainText("A passage about zeppelins, in my own words.")
    qtbot.keyClick(editor.field, Qt.Key.Key_Return)  # more of it in tests/gui/test_inline_edit.py
    wait_idle(qtbot, window)

    segment = store.get_segments(db, memo_id)[0]
    assert segment.text == original and segment.edited_text == "A passage about zeppelins, in my own words."
    first_line = view.transcript.document().firstBlock().text()
    assert "A passage about zeppelins, in my own words." in first_line and first_line.endswith("(edited)")
    assert [hit.memo.id for hit in store.search(db, "zeppelins")] == [memo_id]
    # the edited line plays from the segment's start, as one span (its words have no timings of their own)
    spans = [s for s in view.transcript.words if view.transcript.segment_at(s.first) == 0]
    assert len(spans) == 1 and spans[0].start == segment.start
    assert view.transcript.time_at(spans[0].first + 3) == segment.start

    view.transcript.restore_requested.emit(0)  # the context menu's "Restore original"
    wait_idle(qtbot, window)
    assert store.get_segments(db, memo_id)[0].edited_text is None
    assert "(edited)" not in view.transcript.toPlainText()
    assert original.split()[0] in view.transcript.document().firstBlock().text()
    # restored, word-click playback is back: one span per spoken word again
    assert len([s for s in view.transcript.words if view.transcript.segment_at(s.first) == 0]) > 1


def test_the_embedding_model_loads_when_the_search_box_gets_focus(window, qtbot):
    assert window.library.started_embedder is None
    window.activateWindow()
    window.search.setFocus()
    qtbot.waitUntil(lambda: window.library.started_embedder is not None, timeout=10_000)
    assert window.library.embedder_ready()


def test_words_answer_at_once_while_the_embedding_model_loads_then_meaning_joins(window, qtbot):
    assert not window.library.embedder_ready()
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        qtbot.keyClicks(window.search, "communication")
    if {r.matched_by for r in window.search_results} == {"keyword"}:  # words first: the model was loading
        with qtbot.waitSignal(window.search_done, timeout=60_000):
            pass  # then the merged ranking
    assert window.library.embedder_ready()
    assert "both" in {r.matched_by for r in window.search_results}


def test_a_closed_window_starts_no_more_background_work(window, qtbot):
    ran = []
    wait_idle(qtbot, window)  # what the launch started (the library read, the to-dos counted) has finished
    window.close()
    # Timers and late signals may still fire while the app quits: nothing starts, nothing raises.
    assert not window._refresh_soon.isActive() and not window._search_timer.isActive()
    assert window.runner.run(lambda: ran.append(1), name="late job") == -1
    window._refresh_soon.timeout.emit()  # a late "memos changed" refresh
    window._search_timer.timeout.emit()
    qtbot.wait(100)
    assert ran == [] and not window.runner.busy


def test_a_search_can_be_limited_to_the_selected_theme(window, qtbot):
    db = window.library.db()
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        qtbot.keyClicks(window.search, "communication")
    wait_idle(qtbot, window)  # the merged answer too
    found = window.search_results[0].memo
    other = next(t for t in org.list_themes(db) if t.id != found.theme_id)
    assert not window.search_in_theme.isVisibleTo(window)  # no theme selected: nothing to limit to
    window.themes.select_key(other.id)
    assert window.search_in_theme.isVisibleTo(window) and other.name in window.search_in_theme.text()
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        window.search_in_theme.setChecked(True)
    wait_idle(qtbot, window)
    assert found.id not in window.memo_list.memo_ids()
    assert all(r.memo.theme_id == other.id for r in window.search_results)
    window.themes.select_key(found.theme_id)  # the limit follows the theme chosen
    qtbot.waitUntil(lambda: any(r.memo.id == found.id for r in window.search_results or []), timeout=30_000)
    window.search_in_theme.setChecked(False)


def test_a_move_is_offered_for_undoing_and_a_merge_is_asked_first_then_undone(window, qtbot):
    from PySide6.QtWidgets import QApplication

    db = window.library.db()
    history = next(t for t in org.list_themes(db) if t.name == "History")
    printing = next(t for t in org.list_themes(db) if t.name == "Printing")
    moved = org.memos_of_theme(db, printing.id)[0]
    window.move_memos([moved], history.id)
    wait_idle(qtbot, window)
    assert store.get_memo(db, moved).theme_id == history.id
    assert window.undo_toast.text() == "Moved to “History”"
    qtbot.mouseClick(window.undo_toast.button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    memo = store.get_memo(db, moved)
    assert (memo.theme_id, memo.theme_pinned) == (printing.id, 1) and not window.undo_toast.isVisible()
    assert any(t.startswith("Printing") for t in sidebar_texts(window))  # the theme the move emptied is back

    box = window.ask_merge_themes(printing.id, history.id)  # the sidebar's "Merge into…" asks first
    assert "Merge “Printing” into “History”?" in box.text()
    box.reject()
    wait_idle(qtbot, window)
    assert org.get_theme(db, printing.id) is not None  # cancelled: nothing merged
    box = window.ask_merge_themes(printing.id, history.id)
    next(b for b in box.buttons() if b.text() == "Merge").click()
    wait_idle(qtbot, window)
    assert org.get_theme(db, printing.id) is None
    assert window.undo_toast.text() == "Merged “Printing” into “History”"
    from tests.gui.test_newcomer import press

    press(qtbot, window.memo_list, "Ctrl+Z")
    wait_idle(qtbot, window)
    assert org.get_theme(db, printing.id).name == "Printing"
    assert store.get_memo(db, moved).theme_id == printing.id
    assert QApplication.activeModalWidget() is None
