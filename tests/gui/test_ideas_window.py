"""A long recording's ideas in the window (issue 17, point 3): marked in the transcript, split at a passage and
joined again from its context menu, and a search hit in the second idea opening at that idea's start. On the
real window over a library made by the real `musings import` of a spoken three-topic ramble."""
from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from app.display import ordinal
from app.gui.memo_list import FIRST_LINE
from app.gui.sidebar import REVIEW, TODOS
from tests.app.test_ideas import make_ramble_library
from tests.conftest import ROOT
from tests.gui.conftest import open_window, wait_idle
from tests.gui.test_inline_edit import context_menu

ARTIFACTS = ROOT / "tests" / "artifacts"


@pytest.fixture(scope="module")
def prepared_ramble(tmp_path_factory):
    return make_ramble_library(tmp_path_factory.mktemp("ramble-window"))


@pytest.fixture
def ramble_window(qtbot, prepared_ramble, tmp_path, gui_env):
    data_dir, memo, truth = prepared_ramble
    copy = tmp_path / "data"
    shutil.copytree(data_dir, copy)
    main = open_window(qtbot, copy, gui_env)
    wait_idle(qtbot, main)
    yield main, memo
    main.close()


def marks(transcript) -> list[str]:
    return [line for line in transcript.toPlainText().replace("\u2028", "\n").splitlines() if line.startswith("Idea ")]


def open_memo(qtbot, window, memo_id: int) -> None:
    assert window.memo_list.select_memo(memo_id)
    wait_idle(qtbot, window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5000)


def test_the_ideas_are_marked_and_the_user_splits_and_joins_them(qtbot, ramble_window):
    window, memo = ramble_window
    open_memo(qtbot, window, memo["id"])
    transcript = window.memo_view.transcript
    qtbot.waitUntil(lambda: len(marks(transcript)) == 3, timeout=30_000)
    ideas = window.library.ideas(memo["id"])
    assert marks(transcript) == [f"Idea {n} · {idea.title}" for n, idea in enumerate(ideas, start=1)]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    window.grab().save(str(ARTIFACTS / "ideas-marked.png"))
    # each passage still is one block, so the passage menu, double-click editing and seeking are unchanged
    assert transcript.document().blockCount() == len(transcript.segments)
    # split in the middle of the first idea
    first_rows = [i for i in range(len(transcript.segments)) if transcript.idea_of(i) == 0]
    middle = first_rows[len(first_rows) // 2]
    seen = context_menu(qtbot, transcript, middle, "Start a new idea here")
    assert seen.get("Start a new idea here") is True, seen
    qtbot.waitUntil(lambda: len(marks(transcript)) == 4, timeout=30_000)
    assert [i.start for i in window.library.ideas(memo["id"])][1] == transcript.segments[middle].start
    # the passage that starts the new idea offers the join instead, and joining gives three again
    seen = context_menu(qtbot, transcript, middle, "Join with the idea before")
    assert "Start a new idea here" not in seen, seen
    qtbot.waitUntil(lambda: len(marks(transcript)) == 3, timeout=30_000)
    assert [i.start for i in window.library.ideas(memo["id"])] == [i.start for i in ideas]
    window.grab().save(str(ARTIFACTS / "ideas-joined.png"))
    # each is offered for undoing: the join undone gives the four ideas back, the split undone three again
    assert window.undo_toast.isVisible() and "Ideas joined" in window.undo_toast.label.text()
    window.undo_last()
    qtbot.waitUntil(lambda: len(marks(transcript)) == 4, timeout=30_000)
    assert [i.start for i in window.library.ideas(memo["id"])][1] == transcript.segments[middle].start
    context_menu(qtbot, transcript, middle, "Join with the idea before")
    qtbot.waitUntil(lambda: len(marks(transcript)) == 3, timeout=30_000)
    context_menu(qtbot, transcript, first_rows[-1], "Start a new idea here")
    qtbot.waitUntil(lambda: len(marks(transcript)) == 4, timeout=30_000)
    assert "New idea started" in window.undo_toast.label.text()
    window.undo_last()
    qtbot.waitUntil(lambda: len(marks(transcript)) == 3, timeout=30_000)
    assert [i.start for i in window.library.ideas(memo["id"])] == [i.start for i in ideas]


def test_a_search_hit_in_the_second_idea_opens_at_its_start(qtbot, ramble_window):
    window, memo = ramble_window
    window.search.setText("book a flight to boston")
    qtbot.waitUntil(lambda: window.search_results is not None and window.library.embedder_ready()
                    and any(r.memo.id == memo["id"] and r.start > 0 for r in window.search_results), timeout=60_000)
    wait_idle(qtbot, window)
    hit = next(r for r in window.search_results if r.memo.id == memo["id"])
    open_memo(qtbot, window, memo["id"])
    second = window.library.ideas(memo["id"])[1]
    assert hit.start == second.start and window.memo_view.at == pytest.approx(second.start, abs=0.01)


def test_a_memo_of_several_ideas_is_listed_under_each_of_their_themes(qtbot, ramble_window):
    window, memo = ramble_window
    ideas = window.library.ideas(memo["id"])
    own = window.library.memo(memo["id"]).theme_id
    others = {idea.theme_id for idea in ideas} - {own, None}
    assert others, ideas
    for theme_id in others:
        window.themes.select_key(theme_id)
        wait_idle(qtbot, window)
        assert memo["id"] in window.memo_list.memo_ids(), theme_id
        # titled by its idea listed there ("… · 2nd idea of walk on the 3rd"), and opened at that idea's start
        number, idea = next((n, i) for n, i in enumerate(ideas, start=1) if i.theme_id == theme_id)
        title = window.memo_list.index_of(memo["id"]).data()
        assert title.startswith(idea.title) and f"{ordinal(number)} idea of" in title, title
        window.open_memo(memo["id"])  # as selecting its row does
        assert window.memo_view.at == pytest.approx(idea.start, abs=0.01)
    # a theme none of its ideas is in does not list it
    unrelated = [t.id for t in window.theme_records if t.id not in {own, *others} and t.parent_id is None
                 and not ({c.id for c in window.theme_records if c.parent_id == t.id} & {own, *others})]
    for theme_id in unrelated:
        window.themes.select_key(theme_id)
        wait_idle(qtbot, window)
        assert memo["id"] not in window.memo_list.memo_ids()


def test_a_related_idea_opens_at_its_start(qtbot, ramble_window):
    """A short memo about recipes lists the ramble by its recipe idea; clicking it opens the ramble there."""
    window, memo = ramble_window
    last = window.library.ideas(memo["id"])[-1]  # the recipe part
    recipes = [m for m in window.library.memos() if m.original_name.startswith("recipe-")]
    recipe = next((m for m in recipes if any(r.memo.id == memo["id"] for r in window.library.related(m.id))), None)
    assert recipe is not None, "no short recipe memo lists the ramble (by its recipe idea) among its related"
    open_memo(qtbot, window, recipe.id)
    related = window.memo_view.related
    row = lambda: next((i for i in range(related.count())  # noqa: E731
                        if related.item(i).data(Qt.ItemDataRole.UserRole) == memo["id"]), None)
    qtbot.waitUntil(lambda: row() is not None, timeout=30_000)
    item = related.item(row())
    assert last.title in item.text() and item.data(Qt.ItemDataRole.UserRole + 1) == last.start, item.text()
    related.itemClicked.emit(item)
    wait_idle(qtbot, window)
    assert window.memo_view.memo.id == memo["id"]
    assert window.memo_view.at == pytest.approx(last.start, abs=0.01)


def test_the_todo_and_review_lists_name_a_long_recordings_ideas(qtbot, ramble_window):
    window, memo = ramble_window
    ideas = window.library.ideas(memo["id"])
    todos = [t for t in window.library.todos() if t.memo_id == memo["id"]]
    assert todos, "the ramble says 'I need to book a flight…': a to-do"
    window.themes.select_key(TODOS)
    qtbot.waitUntil(lambda: window.todo_list.count() > 0, timeout=30_000)
    rows = [window.todo_list.item(i).text() for i in range(window.todo_list.count())]
    for todo in todos:
        holding = next(i for i in ideas if i.start <= todo.start < i.end)
        assert any(todo.text in row and f"in its idea “{holding.title}”" in row for row in rows), (rows, todo)
    window.themes.select_key(REVIEW)
    wait_idle(qtbot, window)
    line = window.memo_list.index_of(memo["id"], FIRST_LINE).data()
    assert "3 ideas · " in line, line
