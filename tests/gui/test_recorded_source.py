"""Hovering a memo's date says where its recorded time came from: metadata, the file name, or the mtime."""
from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from app.display import full_datetime
from app.gui.memo_list import DATE, MemoList
from app.gui.memo_view import MemoView
from storage import memos as store

HOVER = {"metadata": "Recorded time from the file's metadata",
         "filename": "Recorded time from the file name",
         "mtime": "Recorded time from the file's modification time"}


def a_memo(source: str | None) -> store.Memo:
    return store.Memo(id=1, content_hash="h", original_name="Recording_20240915_231200.m4a",
                      original_path="/in/Recording_20240915_231200.m4a", library_path="library/h.m4a",
                      recorded_at="2024-09-16T03:12:00+00:00", imported_at="2024-09-16T03:12:00+00:00",
                      duration=4.0, status="done", error=None, language="en", model="t", transcript="walking",
                      title="Walk", recorded_at_source=source)


@pytest.mark.parametrize("source", [*HOVER, None])
def test_the_date_cell_and_the_memo_views_date_show_the_source_on_hover(qtbot, tmp_path, source):
    memo_list = MemoList()
    qtbot.addWidget(memo_list)
    memo_list.show_memos([a_memo(source)])
    index = memo_list.model().index(0, DATE)
    lines = index.data(Qt.ItemDataRole.ToolTipRole).split("\n")  # the full date, then where it came from
    assert lines == [full_datetime(a_memo(source).recorded_at)] + ([HOVER[source]] if source else [])
    view = MemoView(tmp_path)
    qtbot.addWidget(view)
    view.show_memo(a_memo(source), [], [])
    assert view.date.toolTip() == HOVER.get(source, "")
    view.show_memo(None, [], [])
    assert view.date.toolTip() == ""


def test_the_window_shows_the_source_of_imported_memos(window, qtbot):
    memos = window.library.memos()
    assert {m.recorded_at_source for m in memos} == {"mtime"}  # the fixture's clips: no metadata, no dated name
    assert window.memo_list.model().index(0, DATE).data(Qt.ItemDataRole.ToolTipRole).split("\n")[1:] == [HOVER["mtime"]]
    memo_id = window.memo_list.memo_ids()[0]
    window.memo_list.select_memo(memo_id)
    qtbot.waitUntil(lambda: window.memo_view.memo is not None and window.memo_view.memo.id == memo_id)
    assert window.memo_view.date.toolTip() == HOVER["mtime"]
    assert dataclasses.asdict(window.memo_view.memo)["recorded_at_source"] == "mtime"
