"""Review (issue 16, point 1): every memo starts "new"; the queue groups the new ones by theme, newest first;
`musings review` goes through it a line at a time (keep, done, archive, move, play, skip, quit), `--json` prints
it, `musings mark` sets states; archived memos leave `musings list` but stay searchable."""
from __future__ import annotations

import json
import shutil

import pytest

from app.core import Musings
from storage import memos as store
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import DATA, run_musings

TEXTS = [  # oldest first: add_transcribed dates them 1, 2, 3 … January
    "the robot hand needs softer fingertips to hold an egg without cracking it",
    "plant tomatoes and basil along the south fence this spring",
    "the robot hand could learn to turn the cube in a simulator first",
    "the garden needs mulch before the first frost comes",
    "a counterweight would spare the robot arm's elbow servo",
]


@pytest.fixture
def library(tmp_path):
    data_dir = tmp_path / "data"
    ids = add_transcribed(open_database(data_dir), TEXTS)
    core = Musings(data_dir)
    core.new_theme("Robots", [ids[0], ids[2], ids[4]])
    core.new_theme("Garden", [ids[1], ids[3]])
    audio = data_dir / store.get_memo(core.db(), ids[4]).library_path  # a real clip to play
    audio.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-000.ogg", audio)
    yield core, ids
    core.shutdown()


def test_the_queue_is_grouped_by_theme_newest_first(library):
    core, ids = library
    assert all(m.review_state == "new" for m in core.memos())
    queue = [item.memo.id for item in core.review_queue()]
    # Robots holds the newest memo (5 Jan): its memos first, newest first; then Garden's
    assert queue == [ids[4], ids[2], ids[0], ids[3], ids[1]]
    assert core.review_queue()[0].theme_path == ["Robots"]
    core.set_review([ids[4]], "kept")  # now Garden has the newest new memo (4 Jan)
    assert [item.memo.id for item in core.review_queue()] == [ids[3], ids[1], ids[2], ids[0]]
    assert core.review_counts() == {"new": 4, "kept": 1, "done": 0, "archived": 0}


def test_review_on_the_command_line_keeps_marks_archives_moves_plays_and_skips(library):
    core, ids = library
    queue = json.loads(run_musings("review", "--json", data_dir=core.data_dir, check=True).stdout)
    assert [item["memo_id"] for item in queue] == [ids[4], ids[2], ids[0], ids[3], ids[1]]
    assert queue[0]["theme_path"] == ["Robots"] and queue[0]["transcript"] == TEXTS[4]
    # play the first (a real clip, to the virtual output), keep it; done; move the third to Garden and archive
    # it; skip the fourth; quit
    session = run_musings("review", data_dir=core.data_dir, input="p\nk\nd\nm\nGarden\na\ns\nq\n", check=True)
    assert "can't play" not in session.stdout, session.stdout
    assert "Reviewed 3 of 5." in session.stdout
    states = {m.id: m.review_state for m in core.memos()}
    assert (states[ids[4]], states[ids[2]], states[ids[0]], states[ids[3]]) == ("kept", "done", "archived", "new")
    assert core.memo(ids[0]).theme_id == next(t.id for t in core.themes() if t.name == "Garden")
    assert core.memo(ids[4]).review_changed_at is not None
    # archived: not in the default list, still in `list --all` and in search
    listed = json.loads(run_musings("list", "--json", data_dir=core.data_dir, check=True).stdout)
    assert ids[0] not in {m["id"] for m in listed} and len(listed) == 4
    everything = json.loads(run_musings("list", "--all", "--json", data_dir=core.data_dir, check=True).stdout)
    assert ids[0] in {m["id"] for m in everything}
    found = json.loads(run_musings("search", "egg fingertips", "--keyword", "--json", data_dir=core.data_dir,
                                   check=True).stdout)
    assert [hit["memo_id"] for hit in found] == [ids[0]]


def test_mark_sets_states_and_refuses_what_is_not_there(library):
    core, ids = library
    out = run_musings("mark", "done", str(ids[1]), str(ids[3]), data_dir=core.data_dir, check=True)
    assert out.stdout.strip() == "2 memos marked done"
    assert [item.memo.id for item in core.review_queue()] == [ids[4], ids[2], ids[0]]
    refused = run_musings("mark", "kept", "999", data_dir=core.data_dir)
    assert refused.returncode == 1 and refused.stderr.strip() == "musings: no memo 999"
    assert run_musings("review", data_dir=core.data_dir, input="").returncode == 0  # end of input: quits cleanly
