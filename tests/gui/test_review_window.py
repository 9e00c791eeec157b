"""The window's Review (issue 16, point 1): "Review" in the sidebar counts the memos not yet looked at and lists
them grouped by theme, newest first (as `musings review`); K / D / A keep, mark done or archive the selected memo
and open the next; Ctrl+Z undoes; an archived memo leaves All memos and its theme, and search still finds it."""
from __future__ import annotations

from PySide6.QtCore import Qt

from app.gui.sidebar import ALL, REVIEW
from tests.gui.conftest import wait_idle
from tests.gui.test_newcomer import press


def review_count(window) -> int:
    return next(count for key, _, count, _ in window.themes.entries() if key == REVIEW)


def test_review_lists_the_new_memos_and_the_keys_work_through_them(tree_window, qtbot):
    window = tree_window
    wait_idle(qtbot, window)
    queue = [item.memo.id for item in window.library.review_queue()]
    assert review_count(window) == len(queue) == len(window.memos)
    window.themes.select_key(REVIEW)
    assert window.memo_list.memo_ids() == queue  # the queue's order, not the list's sort
    first_cell = window.memo_list.model().index(0, 3).data()
    assert first_cell.startswith(" › ".join(window.library.review_queue()[0].theme_path))

    window.memo_list.select_memo(queue[0])
    press(qtbot, window.memo_list, "K")
    wait_idle(qtbot, window)
    assert window.library.memo(queue[0]).review_state == "kept"
    assert window.memo_list.memo_ids() == queue[1:] and window.memo_list.current_memo_id() == queue[1]
    assert review_count(window) == len(queue) - 1
    assert window.undo_toast.text() == "Kept"

    press(qtbot, window.memo_list, "A")  # the next one, opened for it
    wait_idle(qtbot, window)
    archived = queue[1]
    assert window.library.memo(archived).review_state == "archived"
    window.themes.select_key(ALL)
    assert archived not in window.memo_list.memo_ids() and queue[0] in window.memo_list.memo_ids()
    words = window.library.memo(archived).transcript.split()[:3]
    with qtbot.waitSignal(window.search_done, timeout=30_000):
        window.search.setText(" ".join(words))
    wait_idle(qtbot, window)
    assert archived in window.memo_list.memo_ids()  # still searchable
    window.search.clear()
    wait_idle(qtbot, window)

    window.themes.select_key(REVIEW)
    press(qtbot, window.memo_list, "Ctrl+Z")  # the archiving undone: back in the queue
    wait_idle(qtbot, window)
    assert window.library.memo(archived).review_state == "new" and archived in window.memo_list.memo_ids()
    press(qtbot, window.memo_list, "D")
    wait_idle(qtbot, window)
    done = [m for m in window.memos if m.review_state == "done"]
    assert len(done) == 1 and review_count(window) == len(queue) - 2


def test_the_memo_view_says_when_an_idea_was_said_before(qtbot, tmp_path, gui_env):
    from app.core import Musings
    from storage.db import open_database
    from tests.app.test_organizer import add_transcribed
    from tests.app.test_recurrence import TEXTS
    from tests.gui.conftest import open_window

    data_dir = tmp_path / "data"
    ids = add_transcribed(open_database(data_dir), TEXTS)  # 1 … 5 January; the first three: one idea
    core = Musings(data_dir)
    core.organizer().organize_new()
    core.shutdown()
    window = open_window(qtbot, data_dir, gui_env)
    wait_idle(qtbot, window)
    window.reveal_memo(ids[1])
    wait_idle(qtbot, window)
    view = window.memo_view
    assert view.recurrence.isVisibleTo(window) and view.recurrence.text() == "Said 3 times: 1 Jan, 2 Jan, 3 Jan"
    window.reveal_memo(ids[4])  # said once
    wait_idle(qtbot, window)
    assert not view.recurrence.isVisibleTo(window)
    window.close()


def test_the_first_start_of_a_week_shows_last_weeks_digest_once(qtbot, tmp_path, gui_env):
    import datetime as dt

    from app.core import Musings
    from storage.db import open_database
    from tests.app.test_digest import add
    from tests.gui.conftest import open_window

    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    last_week = dt.date.today() - dt.timedelta(days=7)
    add(db, 1, "remind me to order new running shoes before the marathon", last_week)
    add(db, 2, "long run on sunday felt easy, keep the pace at five thirty", last_week)
    Musings(data_dir).shutdown()
    window = open_window(qtbot, data_dir, gui_env)
    window._offer_digest()  # what start_background_work does after the window shows
    wait_idle(qtbot, window)
    label = "{}-W{:02d}".format(*last_week.isocalendar()[:2])
    said = window.message_bar.text()
    assert said.startswith(f"Last week ({label}): 2 new memos") and "1 open to-do" in said, said
    window.message_bar.hide()
    window._offer_digest()  # the next start that week: not again
    wait_idle(qtbot, window)
    assert window.message_bar.text() == ""
    window.close()
