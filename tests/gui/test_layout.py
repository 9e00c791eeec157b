"""Issue 15, point 10: the window at 1000×700 cuts nothing (no horizontal scrollbar in the list, the sidebar's
counts whole, long theme names elided), remembers its size, place, splitter and list columns across launches
(an off-screen place is not restored), says dates the way people do ("Today 07:12") with the full date on hover,
and its sort arrow points the way the list runs. The real window, offscreen, on a library of 40 memos."""
from __future__ import annotations

import configparser
import datetime as dt
from pathlib import Path

import pytest
from PySide6.QtCore import QByteArray, QPoint, QRect, Qt
from PySide6.QtGui import QFontMetrics

from app.display import full_datetime
from app.gui.memo_list import DATE, DURATION, FIRST_LINE, TITLE, MemoList
from app.gui.settings import SettingsStore, WindowState, on_screen
from app.gui.sidebar import COUNT, NAME
from storage import memos as store
from storage import themes as org
from storage.db import open_database
from tests.conftest import ROOT
from tests.gui.conftest import open_window, wait_idle

ARTIFACTS = ROOT / "tests" / "artifacts"
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]

THEMES = {  # theme (a sub-theme as "broad › sub") -> the titles of its memos
    "Kitchen Renovation Budget And Contractor Quotes": ["Quote from the tiler", "Cabinet colours", "Worktop prices",
                                                        "Plumber visit", "Extractor fan noise", "Tile grout",
                                                        "Sink choice", "Lighting plan"],
    "Running": ["Tempo run notes", "Knee feels better", "Half marathon plan", "New shoes", "Hill repeats",
                "Rest day"],
    "Book Ideas": ["Opening chapter", "The lighthouse keeper", "Villain motive", "Ending twist", "Chapter order",
                   "Dialogue rhythm", "Names for the town"],
    "Work": ["Budget review"],
    "Work › Quarterly Planning Meeting With The Whole Department": ["Hiring plan", "Roadmap risks",
                                                                    "Team offsite"],
    "Garden": ["Tomatoes", "Compost", "Pruning the apple tree", "Bulbs for spring", "Shed roof"],
    "Music Practice And Songwriting Sketches": ["Chord idea in D", "Bridge melody", "Lyrics about rain"],
    None: ["Call the dentist", "Parking ticket", "Gift for Sam", "Passport renewal", "Weekend plans", "Wifi router",
           "Idea for a podcast"],
}
SAID = ("so the main thing I wanted to remember about {} is that we should look at it again next week and write "
        "down what it actually costs before deciding anything")


def build_library(data_dir: Path, now: dt.datetime) -> None:
    """40 transcribed memos (no audio: enough for the layout) in themes the user made, with long names, one
    sub-theme, and unsorted ones; recorded today, yesterday, this week and over the months before."""
    db = open_database(data_dir)
    memos = [(title, theme) for theme, titles in THEMES.items() for title in titles]
    ago = ([dt.timedelta(minutes=5), dt.timedelta(hours=2), dt.timedelta(days=1, hours=1),
            dt.timedelta(days=1, hours=5)] + [dt.timedelta(days=2 + d, hours=d * 3 % 11) for d in range(5)]
           + [dt.timedelta(days=9 + 5 * d, hours=d % 13) for d in range(len(memos) - 9)])
    theme_ids: dict[str, int] = {}
    for n, ((title, theme), before) in enumerate(zip(memos, ago)):
        when = (now - before).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
        memo_id = store.add_memo(db, store.NewMemo(f"h{n}", f"m{n}.ogg", f"/in/m{n}.ogg", f"library/h{n}.ogg", when,
                                                   ("metadata", "filename", "mtime")[n % 3], float(7 + n * 53 % 400)))
        store.save_transcript(db, memo_id, [store.StoredSegment(0, 4, SAID.format(title.lower()), -0.2, 0.01)],
                              language="en", model="t")
        org.set_title(db, memo_id, title, by_user=True)
        if theme is None:
            continue
        if theme in theme_ids:
            org.place_memo(db, memo_id, theme_ids[theme], by_user=True)
            continue
        *broad, name = theme.split(" › ")
        theme_ids[theme] = org.place_memo_in_new_theme(db, memo_id, name)
        if broad:
            org.set_parent(db, theme_ids[theme], theme_ids[broad[0]])
    db.close()


@pytest.fixture
def forty_memos(tmp_path) -> Path:
    data_dir = tmp_path / "forty"
    build_library(data_dir, dt.datetime.now().astimezone())
    return data_dir


def at_1000_by_700(qtbot, window) -> None:
    window.resize(1000, 700)
    qtbot.waitUntil(lambda: window.width() == 1000 and window.height() == 700, timeout=5000)
    qtbot.wait(100)


def cell_fits(view, index, text: str, font=None) -> bool:
    """`text` drawn whole in the cell at `index`: its width plus the style's text margins, and the cell inside the
    view's viewport."""
    rect = view.visualRect(index)
    margin = 2 * (view.style().pixelMetric(view.style().PixelMetric.PM_FocusFrameHMargin, None, view) + 1)
    width = QFontMetrics(font or view.font()).horizontalAdvance(text)
    return width + margin <= rect.width() and 0 <= rect.left() and rect.right() < view.viewport().width()


def test_nothing_is_cut_at_1000_by_700(qtbot, forty_memos, gui_env):
    window = open_window(qtbot, forty_memos, gui_env)
    wait_idle(qtbot, window)
    at_1000_by_700(qtbot, window)
    memo_list, themes = window.memo_list, window.themes
    assert memo_list.row_count() == 40

    # the list: no horizontal scrollbar; Date and Duration whole, Title and First line share the rest
    assert memo_list.horizontalScrollBar().maximum() == 0
    assert not memo_list.horizontalScrollBar().isVisible()
    header = memo_list.horizontalHeader()
    widths = [header.sectionSize(column) for column in range(4)]
    assert sum(widths) == memo_list.viewport().width(), widths
    assert abs(widths[TITLE] - widths[FIRST_LINE]) <= 1, widths
    assert widths[TITLE] >= 90, widths  # room for a title, not a sliver
    model = memo_list.model()
    for row in range(model.rowCount()):
        for column in (DATE, DURATION):
            index = model.index(row, column)
            assert cell_fits(memo_list, index, index.data()), (row, column, index.data(), widths)
    for column in range(4):  # the header labels, with room for the sort arrow
        assert header.sectionSize(column) >= header.sectionSizeFromContents(column).width() or column in (TITLE,
                                                                                                       FIRST_LINE)
    long_title = next(row for row in range(model.rowCount()) if model.index(row, TITLE).data() == "Pruning the apple tree")
    assert not cell_fits(memo_list, model.index(long_title, TITLE), "Pruning the apple tree")  # elided, not widened

    # the sidebar: every count whole, the long theme names elided instead, no horizontal scrollbar
    assert themes.horizontalScrollBar().maximum() == 0
    rows = []
    for top in range(themes.topLevelItemCount()):
        item = themes.topLevelItem(top)
        rows += [item] + [item.child(i) for i in range(item.childCount())]
    assert len(rows) >= 10
    for item in rows:
        count = themes.indexFromItem(item, COUNT)
        assert cell_fits(themes, count, item.text(COUNT), item.font(COUNT)), (item.text(NAME), item.text(COUNT))
    kitchen = next(item for item in rows if item.text(NAME).startswith("Kitchen Renovation"))
    assert not cell_fits(themes, themes.indexFromItem(kitchen, NAME), kitchen.text(NAME), kitchen.font(NAME))

    # the panes: the list gets the room, the memo view no less than it needs (its player bar whole)
    sidebar, middle, memo_view = (window.splitter.widget(i) for i in range(3))
    assert middle.width() > memo_view.width()
    assert memo_view.width() >= memo_view.minimumSizeHint().width()
    assert sidebar.width() >= sidebar.minimumWidth()
    bar = memo_view.controls
    for widget in (bar.back_button, bar.play_button, bar.forward_button, bar.speed_button, bar.time):
        assert widget.width() >= widget.minimumSizeHint().width()
        assert window.rect().contains(widget.mapTo(window, QPoint(widget.width() - 1, widget.height() - 1)))

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert window.grab().save(str(ARTIFACTS / "window-1000x700.png"))
    memo_list.select_memo(memo_list.memo_ids()[0])
    qtbot.waitUntil(lambda: window.memo_view.memo is not None)
    wait_idle(qtbot, window)
    assert memo_list.horizontalScrollBar().maximum() == 0
    assert window.grab().save(str(ARTIFACTS / "window-1000x700-memo-open.png"))
    window.close()


def test_size_place_splitter_and_columns_survive_a_restart(qtbot, library_copy, gui_env):
    window = open_window(qtbot, library_copy, gui_env)
    window.setGeometry(QRect(60, 40, 1000, 700))
    qtbot.waitUntil(lambda: window.geometry() == QRect(60, 40, 1000, 700), timeout=5000)
    window.splitter.setSizes([190, 480, 320])
    header = window.memo_list.horizontalHeader()
    header.resizeSection(TITLE, 150)  # as the user drags Title's edge
    qtbot.wait(50)
    left = (window.geometry(), window.splitter.sizes(), [header.sectionSize(c) for c in range(4)])
    assert left[1] != [200, 620, 380] and left[2][TITLE] == 150
    assert window.memo_list.horizontalScrollBar().maximum() == 0
    window.close()
    kept = configparser.ConfigParser(interpolation=None)
    kept.read(gui_env)
    assert {"geometry", "splitter", "list_title_share", "maximized"} <= set(kept["window"])

    again = open_window(qtbot, library_copy, gui_env)
    header = again.memo_list.horizontalHeader()
    qtbot.waitUntil(lambda: again.geometry() == left[0], timeout=5000)
    qtbot.wait(50)
    assert (again.geometry(), again.splitter.sizes()) == left[:2]
    assert [header.sectionSize(c) for c in range(4)] == left[2]
    again.close()


def test_a_place_off_every_screen_is_not_restored(qtbot, library_copy, gui_env):
    screens = [QRect(0, 0, 1920, 1080)]
    assert on_screen(QRect(100, 100, 800, 600), screens)
    assert on_screen(QRect(-700, 50, 800, 600), screens)  # 100 px of its title bar still on the screen
    assert not on_screen(QRect(-750, 50, 800, 600), screens)
    assert not on_screen(QRect(3000, 200, 800, 600), screens)  # a second monitor that is gone
    assert not on_screen(QRect(100, -600, 800, 600), screens)  # above the top: its title bar unreachable

    SettingsStore(gui_env).save_window_state(geometry=QRect(5000, 4000, 900, 650), title_share=0.3)
    window = open_window(qtbot, library_copy, gui_env)
    assert window.size().width() == 1200 and window.size().height() == 760  # the default, not 900 × 650
    assert window.geometry().x() < 5000 and window.geometry().y() < 4000
    assert window.memo_list.title_share == 0.3  # the rest of what was kept still applies
    window.close()


def test_the_window_state_is_kept_in_the_settings_file_and_bad_values_are_ignored(qtbot, library_copy, gui_env):
    store = SettingsStore(gui_env)
    assert store.load_window_state() == WindowState()  # nothing kept yet: every default
    store.save_window_state(geometry=QRect(10, 20, 900, 650), maximized=True, splitter=QByteArray(b"\x00\x01"),
                            title_share=0.35)
    assert SettingsStore(gui_env).load_window_state() == WindowState(QRect(10, 20, 900, 650), True,
                                                                     QByteArray(b"\x00\x01"), 0.35)
    store.save(store.load())  # the preferences beside it are untouched, and do not touch it
    assert SettingsStore(gui_env).load_window_state().title_share == 0.35
    for key, bad in [("window/geometry", "somewhere"), ("window/list_title_share", "wide"),
                     ("window/splitter", ""), ("window/maximized", "maybe")]:
        store.set_value(key, bad)
    assert SettingsStore(gui_env).load_window_state() == WindowState()

    store.save_window_state(geometry=QRect(30, 30, 1000, 700), maximized=True)
    window = open_window(qtbot, library_copy, gui_env)
    assert window.windowState() & Qt.WindowState.WindowMaximized
    window.close()
    assert SettingsStore(gui_env).load_window_state().maximized


def local(day: dt.date, hour: int, minute: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute)).astimezone()


def a_memo(memo_id: int, when: dt.datetime, source: str | None = "metadata") -> store.Memo:
    stored = when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    return store.Memo(id=memo_id, content_hash=f"h{memo_id}", original_name=f"m{memo_id}.ogg",
                      original_path=f"/in/m{memo_id}.ogg", library_path=f"library/h{memo_id}.ogg",
                      recorded_at=stored, imported_at=stored, duration=4.0, status="done", error=None, language="en",
                      model="t", transcript="walking", title=f"Memo {memo_id}", recorded_at_source=source)


def test_dates_say_today_yesterday_and_the_weekday_with_the_full_date_on_hover(qtbot, new_york):
    today = dt.date.today()  # New York's
    when = {1: local(today, 7, 12), 2: local(today - dt.timedelta(days=1), 22, 40),
            3: local(today - dt.timedelta(days=3), 9, 3), 4: local(today - dt.timedelta(days=30), 7, 12),
            5: local(today - dt.timedelta(days=7), 6, 0)}
    memo_list = MemoList()
    qtbot.addWidget(memo_list)
    memo_list.show_memos([a_memo(n, time) for n, time in when.items()])
    memo_list.model().check_day(today)
    model = memo_list.model()
    shown = {model.index(row, TITLE).data(Qt.ItemDataRole.UserRole): model.index(row, DATE).data()
             for row in range(model.rowCount())}
    month_ago, week_ago = when[4], when[5]
    assert shown == {1: "Today 07:12", 2: "Yesterday 22:40", 3: f"{WEEKDAYS[when[3].weekday()]} 09:03",
                     4: f"{month_ago.day} {MONTHS[month_ago.month - 1][:3]} {month_ago.year} 07:12",
                     5: f"{week_ago.day} {MONTHS[week_ago.month - 1][:3]} {week_ago.year} 06:00"}  # not "Friday"
    # stored in UTC: 22:40 in New York is 03:40 the next day there, which is not what the list says
    assert a_memo(2, when[2]).recorded_at.endswith("T03:40:00+00:00")

    # hovering: the full date, then where it came from (the tooltip recorded_at_source gave before)
    for n, source, said in [(1, "metadata", "Recorded time from the file's metadata"),
                            (2, None, None)]:
        memo_list.show_memos([a_memo(n, when[n], source)])
        full = (f"{WEEKDAYS[when[n].weekday()]} {when[n].day} {MONTHS[when[n].month - 1]} {when[n].year}, "
                f"{when[n]:%H:%M}")
        assert full_datetime(a_memo(n, when[n]).recorded_at) == full
        tooltip = model.index(0, DATE).data(Qt.ItemDataRole.ToolTipRole)
        assert tooltip.split("\n") == [full] + ([said] if said else [])

    # sorting by date sorts by the time, not by the words ("Today" < "Yesterday" < weekdays as text)
    memo_list.show_memos([a_memo(n, time) for n, time in when.items()])
    newest_first = [n for n, _ in sorted(when.items(), key=lambda item: item[1], reverse=True)]
    assert memo_list.memo_ids() == newest_first
    memo_list.sortByColumn(DATE, Qt.SortOrder.AscendingOrder)
    assert memo_list.memo_ids() == newest_first[::-1]

    # at midnight "Today" becomes "Yesterday", and the views are told
    changed = []
    model.dataChanged.connect(lambda top, bottom, *_: changed.append((top.column(), bottom.column())))
    assert model.check_day(today + dt.timedelta(days=1)) and changed == [(DATE, DATE)]
    row = memo_list.memo_ids().index(1)
    assert model.index(row, DATE).data() == "Yesterday 07:12"
    assert not model.check_day(today + dt.timedelta(days=1))


def arrow(header, column: int) -> str | None:
    """Which way the arrow drawn in `column`'s header section points: "down", "up", or None (none drawn)."""
    image = header.grab().toImage()
    left, width = header.sectionViewportPosition(column), header.sectionSize(column)
    background = image.pixelColor(left + width - 3, 2).lightness()
    rows = []
    for y in range(image.height()):
        dark = sum(abs(image.pixelColor(x, y).lightness() - background) > 60
                   for x in range(left + width // 2, left + width - 2))
        if 0 < dark < width // 4:  # not the section's border line
            rows.append(dark)
    if len(rows) < 3 or rows[0] == rows[-1]:
        return None
    return "down" if rows[0] > rows[-1] else "up"  # wide at the top: ▼


def test_the_sort_arrow_points_the_way_the_list_is_sorted(qtbot, forty_memos, gui_env):
    window = open_window(qtbot, forty_memos, gui_env)
    memo_list = window.memo_list
    header, model = memo_list.horizontalHeader(), memo_list.model()
    times = {m.id: m.recorded_at for m in window.memos}
    newest_first = sorted(times, key=lambda i: (times[i], i), reverse=True)

    assert memo_list.memo_ids() == newest_first  # at start: newest first, and the header says so
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (DATE, Qt.SortOrder.DescendingOrder)
    assert (model.sort_column, model.sort_order) == (DATE, Qt.SortOrder.DescendingOrder)
    assert header.isSortIndicatorShown() and arrow(header, DATE) == "down"
    assert arrow(header, TITLE) is None

    section = QPoint(header.sectionViewportPosition(DATE) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=section)  # the user sorts by date
    assert header.sortIndicatorOrder() == model.sort_order == Qt.SortOrder.AscendingOrder
    assert memo_list.memo_ids() == newest_first[::-1] and arrow(header, DATE) == "up"
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=section)
    assert header.sortIndicatorOrder() == model.sort_order == Qt.SortOrder.DescendingOrder
    assert memo_list.memo_ids() == newest_first and arrow(header, DATE) == "down"

    title = QPoint(header.sectionViewportPosition(TITLE) + 10, header.height() // 2)
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=title)
    assert (header.sortIndicatorSection(), header.sortIndicatorOrder()) == (model.sort_column, model.sort_order)
    titles = [model.index(row, TITLE).data().lower() for row in range(model.rowCount())]
    ascending = model.sort_order == Qt.SortOrder.AscendingOrder
    assert titles == sorted(titles, reverse=not ascending)
    assert arrow(header, TITLE) == ("up" if ascending else "down") and arrow(header, DATE) is None
    window.close()


def test_the_part_with_the_keyboard_has_a_visible_focus_ring(qtbot, library_copy, gui_env):
    from PySide6.QtGui import QColor

    from tests.gui.conftest import open_window
    from tests.gui.test_newcomer import press

    window = open_window(qtbot, library_copy, gui_env)

    def ring(widget) -> QColor:  # a pixel of the widget's own edge, where the ring is drawn
        image = widget.grab().toImage()
        return QColor(image.pixel(image.width() // 2, 0))

    press(qtbot, window.search, "Ctrl+F")
    assert window.search.hasFocus() and ring(window.search) == QColor("#2563eb")
    window.memo_list.setFocus()
    qtbot.waitUntil(window.memo_list.hasFocus)
    assert ring(window.memo_list) == QColor("#2563eb") and ring(window.search) != QColor("#2563eb")
    window.close()
