"""The memo list as a model (issue 14): sorting is one sort of the rows, a change to one memo touches its row,
the date filter agrees with passes_date_filter, and an edit in the window re-reads one memo, not the library."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app.gui import main_window
from app.gui.memo_list import DATE, DURATION, FIRST_LINE, HTML_ROLE, ID_ROLE, SORT_ROLE, TITLE, MemoList, \
    filter_by_date, memo_ids_from_mime, passes_date_filter
from app.gui.sidebar import ALL, TRASH
from storage import memos as store
from storage import themes as org
from tests.gui.conftest import open_window, wait_idle

WORDS = ["apple", "Banana", "cherry", "date", "elder", "fig", "grape"]


def a_memo(n: int, **changes) -> store.Memo:
    when = (dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=7 * n)).isoformat()
    memo = store.Memo(id=n, content_hash=f"h{n}", original_name=f"m{n}.ogg", original_path=f"/in/m{n}.ogg",
                      library_path=f"library/h{n}.ogg", recorded_at=when, imported_at=when,
                      duration=float((n * 37) % 11 + 1), status="done", error=None, language="en", model="t",
                      transcript=f"{WORDS[(n * 3) % 7]} said on day {n}", title=f"{WORDS[(n * 5) % 7]} {n}")
    return dataclasses.replace(memo, **changes)


class Signals:
    """What a model told its views."""

    def __init__(self, model):
        self.events: list[tuple] = []
        model.modelReset.connect(lambda: self.events.append(("reset",)))
        model.layoutChanged.connect(lambda *_: self.events.append(("layout",)))
        model.dataChanged.connect(lambda top, bottom, *_: self.events.append(("data", top.row(), bottom.row())))
        model.rowsRemoved.connect(lambda _, first, last: self.events.append(("removed", first, last)))
        model.rowsInserted.connect(lambda _, first, last: self.events.append(("inserted", first, last)))


@pytest.fixture
def listing(qtbot):
    memo_list = MemoList()
    qtbot.addWidget(memo_list)
    memo_list.show_memos([a_memo(n) for n in range(30, 0, -1)])
    return memo_list


def expected(memos, key, descending=False) -> list[int]:
    return [m.id for m in sorted(memos, key=lambda m: (key(m), m.id), reverse=descending)]


def test_every_column_sorts_both_ways_and_the_selection_follows(listing):
    memos = [a_memo(n) for n in range(1, 31)]
    assert listing.memo_ids() == expected(memos, lambda m: m.recorded_at, descending=True)  # newest first
    listing.select_memo(12)
    keys = {TITLE: lambda m: m.title.lower(), DATE: lambda m: m.recorded_at, DURATION: lambda m: m.duration,
            FIRST_LINE: lambda m: m.transcript.lower()}
    signals = Signals(listing.model())
    for column, key in keys.items():
        for order in (Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder):
            listing.sortByColumn(column, order)
            assert listing.memo_ids() == expected(memos, key, order == Qt.SortOrder.DescendingOrder), column
            assert listing.current_memo_id() == 12 and listing.selected_memo_ids() == [12]
    assert ("reset",) not in signals.events  # a sort moves rows, it does not rebuild them
    model = listing.model()
    row = listing.memo_ids().index(12)
    assert model.index(row, TITLE).data(ID_ROLE) == 12
    assert model.index(row, DURATION).data(SORT_ROLE) == a_memo(12).duration


def test_search_results_keep_their_rank_and_the_sort_comes_back_after(listing):
    listing.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
    ranked = [a_memo(n) for n in (7, 3, 21)]
    listing.show_memos(ranked, {7: "the \x02hit\x03 here", 3: "x", 21: "y"})
    assert listing.memo_ids() == [7, 3, 21]
    listing.sortByColumn(DATE, Qt.SortOrder.AscendingOrder)  # not offered in results (the header is not clickable)
    assert listing.memo_ids() == [7, 3, 21]
    first = listing.model().index(0, FIRST_LINE)
    assert first.data() == "the hit here" and "background:#fde047" in first.data(HTML_ROLE)
    listing.show_memos([a_memo(n) for n in range(1, 31)])
    assert listing.memo_ids() == expected([a_memo(n) for n in range(1, 31)], lambda m: m.recorded_at)
    assert listing.model().index(0, FIRST_LINE).data(HTML_ROLE) is None


def test_a_changed_memo_touches_its_own_row_only(listing):
    model, signals = listing.model(), Signals(listing.model())
    listing.select_memo(20)
    row = listing.memo_ids().index(20)
    assert listing.update_memo(a_memo(20, title="Renamed", duration=99.0))  # sorted by date: it stays put
    assert signals.events == [("data", row, row)]
    assert model.index(row, TITLE).data() == "Renamed" and model.index(row, DURATION).data() == "1:39"

    listing.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
    signals.events.clear()
    opened = []
    listing.memo_selected.connect(opened.append)
    assert listing.update_memo(a_memo(20, title="aaa first"))  # its title moves it: one row out, one in
    assert [kind for kind, *_ in signals.events] == ["removed", "inserted"]
    assert listing.memo_ids()[0] == 20 and listing.current_memo_id() == 20 and opened == []  # still the open one

    signals.events.clear()
    listing.select_memo(5)
    opened.clear()
    assert listing.remove_memo(5) and 5 not in listing.memo_ids()
    assert opened == [] and listing.current_memo_id() is None  # no other memo opened in its place
    assert [kind for kind, *_ in signals.events] == ["removed"] and listing.row_count() == 29
    listing.insert_memo(a_memo(5, title="Middle"))
    assert listing.memo_ids() == expected([a_memo(n) for n in range(1, 31) if n not in (5, 20)]
                                          + [a_memo(5, title="Middle"), a_memo(20, title="aaa first")],
                                          lambda m: m.title.lower())
    assert ("reset",) not in signals.events and not listing.update_memo(a_memo(99))


def test_dragged_rows_carry_their_memo_ids(listing):
    listing.select_memo(4)
    mime = listing.model().mimeData(listing.selectionModel().selectedIndexes())
    assert memo_ids_from_mime(mime) == [4] and mime.text() == a_memo(4).title


def test_the_date_filter_agrees_with_local_days(new_york):
    today = dt.date(2026, 12, 1)
    times = ["2026-12-02T03:21:00+00:00", "2026-12-01T04:59:00+00:00", "2026-12-01T05:00:00+00:00",
             "2026-11-24T05:00:00+00:00", "2026-11-24T04:59:59+00:00", "2025-12-01T05:00:00+00:00",
             "2025-12-01T04:00:00+00:00", "2027-03-01T00:00:00+00:00", "not a time", "2026-11-30T23:30:00",
             "2026-11-30T23:30:00-08:00"]
    memos = [a_memo(n, recorded_at=when) for n, when in enumerate(times)]
    for days in (None, 0, 7, 30, 365):
        assert [m.recorded_at for m in filter_by_date(memos, days, today)] == \
               [m.recorded_at for m in memos if passes_date_filter(m.recorded_at, days, today)], days


def test_an_edit_updates_its_row_without_reading_the_library_again(window, qtbot, monkeypatch):
    db = window.library.db()
    history = next(t for t in org.list_themes(db) if t.name == "History")
    printing = next(t for t in org.list_themes(db) if t.name == "Printing")
    reads = []
    real_memos = window.library.memos
    monkeypatch.setattr(window.library, "memos", lambda *a, **k: reads.append(1) or real_memos(*a, **k))
    signals = Signals(window.memo_list.model())
    memo_id = org.memos_of_theme(db, history.id)[0]
    window.memo_list.select_memo(memo_id)
    window.set_title(memo_id, "A title of my own")
    wait_idle(qtbot, window)
    row = window.memo_list.memo_ids().index(memo_id)
    assert window.memo_list.model().index(row, TITLE).data() == "A title of my own"
    assert window.memo_view.title.text() == "A title of my own"
    assert next(m for m in window.memos if m.id == memo_id).title == "A title of my own"

    other = org.memos_of_theme(db, printing.id)[0]
    window.themes.select_key(printing.id)
    assert window.memo_list.memo_ids() == [other]
    signals.events.clear()
    window.move_memos([memo_id], printing.id)  # into the theme shown: one row comes in
    wait_idle(qtbot, window)
    assert sorted(window.memo_list.memo_ids()) == sorted([memo_id, other])
    assert [kind for kind, *_ in signals.events] == ["inserted"] and store.get_memo(db, memo_id).theme_id == printing.id
    counts = {key: count for key, _, count, _ in window.themes.entries()}
    assert counts[printing.id] == 2 and history.id not in counts  # emptied: gone from the sidebar
    assert window.list_caption.text() == "2 memos"
    signals.events.clear()
    window.move_memos([memo_id], None)  # out of it, to Unsorted: its row goes
    wait_idle(qtbot, window)
    assert window.memo_list.memo_ids() == [other] and [kind for kind, *_ in signals.events] == ["removed"]
    assert window.themes.current_key() == printing.id and window.memo_view.memo.theme_id is None
    window.themes.select_key(ALL)

    signals.events.clear()
    window.delete_memos([memo_id])
    wait_idle(qtbot, window)
    assert memo_id not in window.memo_list.memo_ids() and [e[0] for e in signals.events] == ["removed"]
    assert [m.id for m in window.trashed] == [memo_id] and memo_id not in {m.id for m in window.memos}
    assert {key: count for key, _, count, _ in window.themes.entries()}[TRASH] == 1
    assert window.list_caption.text() == "1 memo"
    window.restore_memos([memo_id])
    wait_idle(qtbot, window)
    assert set(window.memo_list.memo_ids()) == {m.id for m in real_memos()} and window.trashed == []
    assert reads == []  # every edit above read its memo, not the 20,000 others


def test_a_big_library_paints_its_newest_memos_first_then_the_rest(qtbot, library_copy, gui_env, monkeypatch):
    monkeypatch.setattr(main_window, "FIRST_SCREENFUL", 1)
    at_first = []
    read_later = main_window.MainWindow._read_in_background

    def noted(window):
        at_first.append((window.memo_list.memo_ids(), window.list_caption.text()))
        read_later(window)

    monkeypatch.setattr(main_window.MainWindow, "_read_in_background", noted)
    window = open_window(qtbot, library_copy, gui_env)
    try:
        every = [m.id for m in window.library.memos()]
        assert at_first == [([every[0]], "Reading the library…")]  # the newest memo, before the rest is read
        qtbot.waitUntil(lambda: window.memo_list.memo_ids() == every, timeout=30_000)
        wait_idle(qtbot, window)
        assert window.list_caption.text() == "2 memos"
        assert {key: count for key, _, count, _ in window.themes.entries()}[ALL] == 2
    finally:
        window.close()
