"""recorded_at is stored in UTC: m007 converts a library whose rows kept each file's own offset (or none)."""
from __future__ import annotations

import datetime as dt
import sqlite3

import sqlite_utils

from storage import memos as store
from storage.db import DATABASE_NAME, open_database
from storage.migrations import migrations
from storage.timestamps import to_utc_text, utc_text


BEFORE_AND_AFTER = {
    "2026-12-02T05:21:00+02:00": "2026-12-02T03:21:00+00:00",
    "2026-12-01T21:00:00-05:00": "2026-12-02T02:00:00+00:00",
    "2026-12-02T04:00:00Z": "2026-12-02T04:00:00+00:00",
    "2026-12-01T22:30:00": "2026-12-02T03:30:00+00:00",  # no zone: New York's local time
    "2026-12-02T03:00:00.654321+00:00": "2026-12-02T03:00:00+00:00",  # seconds, like every stored time
    "2026-12-02T01:00:00+00:00": "2026-12-02T01:00:00+00:00",  # already stored right
    "sometime in december": "sometime in december",  # not a time: left as it is
    "": "",
}


def library_before_m007(tmp_path) -> None:
    """A database as the version before m007 left it, its memos' recorded_at as each file gave it."""
    conn = sqlite3.connect(tmp_path / DATABASE_NAME)
    db = sqlite_utils.Database(conn)
    migrations.apply(db, stop_before="m007_recorded_at_utc")
    assert "m007_recorded_at_utc" in [m.name for m in migrations.pending(db)]
    for n, recorded_at in enumerate(BEFORE_AND_AFTER):
        db["memos"].insert({"content_hash": f"h{n}", "original_name": f"m{n}.ogg", "original_path": f"/in/m{n}.ogg",
                            "library_path": f"library/h{n}.ogg", "recorded_at": recorded_at,
                            "recorded_at_source": "metadata", "imported_at": "2026-12-03T00:00:00+00:00",
                            "duration": 3.0, "status": "done", "transcript": f"memo {n}"})
    conn.commit()
    conn.close()


def test_m007_converts_every_time_to_utc_and_text_order_becomes_time_order(tmp_path, new_york):
    library_before_m007(tmp_path)
    with sqlite3.connect(tmp_path / DATABASE_NAME) as conn:
        before = [r[0] for r in conn.execute("SELECT recorded_at FROM memos WHERE recorded_at LIKE '2026%' "
                                             "ORDER BY recorded_at")]
    assert [to_utc_text(v) for v in before] != sorted(to_utc_text(v) for v in before)  # offsets mixed the order

    db = open_database(tmp_path)
    assert migrations.pending(db) == []
    stored = dict(db.execute("SELECT content_hash, recorded_at FROM memos"))
    assert [stored[f"h{n}"] for n in range(len(BEFORE_AND_AFTER))] == list(BEFORE_AND_AFTER.values())

    ordered = [r[0] for r in db.execute("SELECT recorded_at FROM memos WHERE recorded_at LIKE '2026%' "
                                        "ORDER BY recorded_at")]
    assert ordered == sorted(ordered, key=dt.datetime.fromisoformat)
    assert ordered == ["2026-12-02T01:00:00+00:00", "2026-12-02T02:00:00+00:00", "2026-12-02T03:00:00+00:00",
                       "2026-12-02T03:21:00+00:00", "2026-12-02T03:30:00+00:00", "2026-12-02T04:00:00+00:00"]
    newest_first = [m.recorded_at for m in store.list_memos(db) if m.recorded_at.startswith("2026")]
    assert newest_first == ordered[::-1]
    assert len(store.search(db, "memo", limit=50)) == len(BEFORE_AND_AFTER)  # the full-text index kept up
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_new_memo_is_stored_in_utc_whatever_it_is_given(tmp_path, new_york):
    db = open_database(tmp_path)
    for n, given in enumerate(["2026-12-02T05:21:00+02:00", "2026-12-01T22:21:00", "2026-12-02T03:21:00Z"]):
        memo_id = store.add_memo(db, store.NewMemo(f"h{n}", "m.ogg", "/in/m.ogg", f"library/h{n}.ogg", given,
                                                   "metadata", 1.0))
        assert store.get_memo(db, memo_id).recorded_at == "2026-12-02T03:21:00+00:00"


def test_the_stored_form():
    plus_two = dt.timezone(dt.timedelta(hours=2))
    assert utc_text(dt.datetime(2026, 12, 2, 5, 21, 0, 999, tzinfo=plus_two)) == "2026-12-02T03:21:00+00:00"
    assert to_utc_text("not a time") is None and to_utc_text(None) is None
