"""Review states: a memo is "new" until the user keeps it (starred), marks it done or archives it (m013)."""
from __future__ import annotations

import sqlite_utils

from storage.memos import Memo, _memos
from storage.themes import write_transaction
from storage.timestamps import now_text

STATES = ("new", "kept", "done", "archived")


def set_state(db: sqlite_utils.Database, memo_ids: list[int], state: str) -> None:
    if state not in STATES:
        raise ValueError(f"unknown review state {state!r}")
    with write_transaction(db):
        db.conn.executemany("UPDATE memos SET review_state = ?, review_changed_at = ? WHERE id = ?",
                            [(state, now_text(), memo_id) for memo_id in memo_ids])


def memos_in_state(db: sqlite_utils.Database, state: str) -> list[Memo]:
    """Transcribed memos (not in the trash) in `state`, newest first."""
    return _memos(db.execute("SELECT * FROM memos WHERE review_state = ? AND status = 'done' AND deleted_at IS NULL "
                             "ORDER BY recorded_at DESC, id DESC", [state]))


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    found = dict(db.execute("SELECT review_state, count(*) FROM memos WHERE status = 'done' AND deleted_at IS NULL "
                            "GROUP BY review_state").fetchall())
    return {state: found.get(state, 0) for state in STATES}
