"""The real database file: schema through migrations, pragmas, transcripts, full-text search."""
from __future__ import annotations

import pytest

from storage import memos as store
from storage.db import open_database
from storage.fts import to_fts_query
from storage.migrations import migrations


@pytest.fixture
def db(tmp_path):
    return open_database(tmp_path)


def add(db, n: int, text: str) -> int:
    memo_id = store.add_memo(db, store.NewMemo(f"hash{n}", f"memo{n}.ogg", f"/x/memo{n}.ogg",
                                               f"library/ha/hash{n}.ogg", "2026-01-01T00:00:00+00:00", "mtime", 3.0))
    segment = store.StoredSegment(0.0, 3.0, text, -0.2, 0.01,
                                  [store.StoredWord(0.0, 1.0, w, 0.9) for w in text.split()])
    store.save_transcript(db, memo_id, [segment], language="en", model="tiny.en")
    return memo_id


def test_pragmas_and_migrations(db, tmp_path):
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    assert migrations.pending(db) == []
    again = open_database(tmp_path)  # re-opening applies nothing twice
    assert [m.name for m in migrations.applied(again)] == [m.name for m in migrations.applied(db)]


def test_transcript_round_trip_and_empty(db):
    memo_id = add(db, 1, "buy a robot vacuum")
    (segment,) = store.get_segments(db, memo_id)
    assert [w.word for w in segment.words] == ["buy", "a", "robot", "vacuum"]
    assert store.get_memo(db, memo_id).status == store.DONE
    # Re-transcribing replaces, never duplicates.
    store.save_transcript(db, memo_id, [], language="en", model="tiny.en")
    assert store.get_segments(db, memo_id) == []
    assert store.get_memo(db, memo_id).status == store.EMPTY


def test_search_highlights_and_ranks(db):
    add(db, 1, "the robot arm needs a stronger gripper")
    add(db, 2, "sleep earlier and skip coffee after noon")
    add(db, 3, "robot robot robot: a robot that makes coffee")
    hits = store.search(db, "robot")
    assert [h.memo.original_name for h in hits] == ["memo3.ogg", "memo1.ogg"]
    assert f"{store.HIGHLIGHT_START}robot{store.HIGHLIGHT_END}" in hits[1].snippet
    assert [h.memo.original_name for h in store.search(db, "robot AND coffee")] == ["memo3.ogg"]
    assert {h.memo.original_name for h in store.search(db, "gripper OR sleep")} == {"memo1.ogg", "memo2.ogg"}
    assert [h.memo.original_name for h in store.search(db, "grip*")] == ["memo1.ogg"]
    assert [h.memo.original_name for h in store.search(db, '"skip coffee"')] == ["memo2.ogg"]


@pytest.mark.parametrize("query", ['"unbalanced', "(robot", "robot)", "robot AND", "OR", "NOT robot", "a - b",
                                   "state-of-the-art", "don't", "col:umn", "^start", "*", "robot**", "' OR 1=1 --",
                                   "NEAR(robot coffee)", "", "   ", "日本語", "émigré"])
def test_any_typed_text_is_safe(db, query):
    add(db, 1, "the robot makes coffee")
    store.search(db, query)  # never raises


def test_fts_query_translation():
    assert to_fts_query("robot arm") == '"robot" AND "arm"'
    assert to_fts_query("state-of-the-art") == '"state of the art"'
    assert to_fts_query('robot OR "coffee maker" grip*') == '"robot" OR "coffee maker" AND "grip"*'
    assert to_fts_query("AND OR (") == ""
