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


def test_edited_segment_keeps_the_original_and_search_follows_the_edit(db):
    memo_id = store.add_memo(db, store.NewMemo("hash9", "memo9.ogg", "/x/memo9.ogg", "library/ha/hash9.ogg",
                                               "2026-01-01T00:00:00+00:00", "mtime", 6.0))
    heard = [store.StoredSegment(0.0, 3.0, " buy a robot vacuum", -0.2, 0.01),
             store.StoredSegment(3.0, 6.0, " and some coffee", -0.2, 0.01)]
    store.save_transcript(db, memo_id, heard, language="en", model="tiny.en")

    store.edit_segment(db, memo_id, 0, "buy a cordless hoover")
    first, second = store.get_segments(db, memo_id)
    assert first.shown_text == "buy a cordless hoover" and first.text == " buy a robot vacuum"
    assert second.edited_text is None and second.shown_text == " and some coffee"
    assert store.get_memo(db, memo_id).transcript == "buy a cordless hoover and some coffee"
    assert [h.memo.id for h in store.search(db, "hoover")] == [memo_id]
    assert store.search(db, "vacuum") == []
    assert db.execute("SELECT text FROM segments WHERE memo_id = ? AND position = 0", [memo_id]).fetchone()[0] \
        == " buy a robot vacuum"

    # Saving the original wording is not an edit; restoring brings search back to what was heard.
    store.edit_segment(db, memo_id, 1, "and some coffee")
    assert store.get_segments(db, memo_id)[1].edited_text is None
    store.edit_segment(db, memo_id, 0, None)
    assert [s.edited_text for s in store.get_segments(db, memo_id)] == [None, None]
    assert [h.memo.id for h in store.search(db, "vacuum")] == [memo_id]
    assert store.search(db, "hoover") == []
    with pytest.raises(KeyError):
        store.edit_segment(db, memo_id, 7, "nowhere")

    # Re-transcribing replaces the segments: the edit goes with them (documented in save_transcript).
    store.edit_segment(db, memo_id, 0, "buy a cordless hoover")
    store.save_transcript(db, memo_id, heard, language="en", model="tiny.en")
    assert [s.edited_text for s in store.get_segments(db, memo_id)] == [None, None]
    assert store.search(db, "hoover") == []


def test_loaded_vectors_follow_writes_from_this_and_other_connections(db, tmp_path):
    import numpy as np

    from storage import themes as org

    first, second = add(db, 1, "a garden idea"), add(db, 2, "a tax idea")
    org.save_embeddings(db, "m", {first: np.ones(4, np.float32)})
    assert org.load_embeddings(db, "m")[0] == [first]
    ids, vectors = org.load_embeddings(db, "m")  # read once, then kept: a read-only array
    with pytest.raises(ValueError):
        vectors[0, 0] = 2.0
    other = open_database(tmp_path)  # another connection (the importer, another window thread)
    org.save_embeddings(other, "m", {second: np.full(4, 2, np.float32)})
    ids, vectors = org.load_embeddings(db, "m")
    assert ids == [first, second] and vectors[1, 0] == 2.0
    org.save_embeddings(db, "m", {first: np.full(4, 3, np.float32)})  # this connection's own write
    assert org.load_embeddings(db, "m")[1][0, 0] == 3.0
    other.conn.close()
