"""The window shows a memo's time in local time, and "Today" / "Past N days" count local days."""
from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from app.gui.memo_list import DATE, MemoList, passes_date_filter
from app.gui.memo_view import MemoView
from storage import memos as store

UTC_TIME = "2026-12-02T03:21:00+00:00"  # 22:21 on 1 December in New York


def a_memo(recorded_at: str, memo_id: int = 1) -> store.Memo:
    return store.Memo(id=memo_id, content_hash="h", original_name="walk.ogg", original_path="/in/walk.ogg",
                      library_path="library/h.ogg", recorded_at=recorded_at, imported_at=recorded_at, duration=4.0,
                      status="done", error=None, language="en", model="t", transcript="walking", title="Walk")


def test_the_list_and_the_memo_view_show_local_time(qtbot, tmp_path, new_york):
    memo_list = MemoList()
    qtbot.addWidget(memo_list)
    memo_list.show_memos([a_memo(UTC_TIME)])
    memo_list.model().check_day(dt.date(2026, 12, 20))  # weeks later: the date in full, not a weekday
    assert memo_list.model().index(0, DATE).data() == "1 Dec 2026 22:21"
    assert memo_list.model().index(0, DATE).data(Qt.ItemDataRole.ToolTipRole) == "Tuesday 1 December 2026, 22:21"
    view = MemoView(tmp_path)
    qtbot.addWidget(view)
    view.show_memo(a_memo(UTC_TIME), [], [])
    assert view.date.text().startswith("2026-12-01 22:21 · ")


def test_date_filters_count_local_days(new_york):
    today = dt.date(2026, 12, 1)  # New York's day when it is 03:21 on 2 December in UTC
    assert passes_date_filter(UTC_TIME, 0, today)  # "Today"
    assert not passes_date_filter("2026-12-01T04:59:00+00:00", 0, today)  # 23:59 on 30 November there
    assert passes_date_filter("2026-12-01T05:00:00+00:00", 0, today)
    assert passes_date_filter("2026-11-24T05:00:00+00:00", 7, today)
    assert not passes_date_filter("2026-11-24T04:59:00+00:00", 7, today)
    assert passes_date_filter("not a time", 0, today)  # never hidden for a value nobody can read
