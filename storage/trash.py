"""The trash: deleted memos, kept (transcript, audio and all) until it is emptied.

A memo in the trash has `deleted_at` set. It leaves every view at once: lists, search (the FTS query), themes
(it leaves its theme, remembered in `trashed_theme_id` for a restore), related memos and clustering (its vector
is dropped; restoring embeds it again) and the export. Its row stays so that `restore` gives back the same memo, with its id, title and edits, and so that
importing the same recording again is recognised (it is skipped, not duplicated).
"""
from __future__ import annotations

import datetime as dt

import sqlite_utils

from storage.memos import Memo, _memo
from storage.themes import delete_empty_themes, write_transaction
from storage.timestamps import now_text



def move_to_trash(db: sqlite_utils.Database, memo_ids: list[int]) -> None:
    if not memo_ids:
        return
    marks = ",".join("?" * len(memo_ids))
    with write_transaction(db):
        db.execute(f"UPDATE memos SET deleted_at = ?, trashed_theme_id = theme_id, trashed_theme_pinned = theme_pinned, "
                   f"theme_id = NULL, theme_pinned = 0 WHERE id IN ({marks}) AND deleted_at IS NULL", [now_text(), *memo_ids])
        db.execute(f"DELETE FROM embeddings WHERE memo_id IN ({marks})", memo_ids)
        delete_empty_themes(db)


def restore(db: sqlite_utils.Database, memo_id: int) -> None:
    """Out of the trash, back into the theme it was in if that still exists (else it is placed afresh)."""
    with write_transaction(db):
        db.execute("UPDATE memos SET deleted_at = NULL, "
                   "theme_id = (SELECT id FROM themes WHERE id = memos.trashed_theme_id), "
                   "theme_pinned = CASE WHEN trashed_theme_id IN (SELECT id FROM themes) "
                   "THEN coalesce(trashed_theme_pinned, 0) ELSE 0 END, "
                   "trashed_theme_id = NULL, trashed_theme_pinned = NULL WHERE id = ?", [memo_id])


def trashed(db: sqlite_utils.Database) -> list[Memo]:
    """The memos in the trash, most recently deleted first."""
    return [_memo(row) for row in db.query(
        "SELECT * FROM memos WHERE deleted_at IS NOT NULL ORDER BY deleted_at DESC, id DESC")]


def empty(db: sqlite_utils.Database, *, before: dt.datetime | None = None) -> list[str]:
    """Delete for good the memos in the trash (those deleted before `before`, if given); returns their audio
    files' paths inside the data folder, for the caller to remove once the rows are gone."""
    where, params = "deleted_at IS NOT NULL", []
    if before is not None:
        where += " AND deleted_at < ?"
        params.append(before.astimezone(dt.timezone.utc).isoformat(timespec="seconds"))
    with write_transaction(db):
        rows = db.execute(f"SELECT id, library_path FROM memos WHERE {where}", params).fetchall()
        ids = [memo_id for memo_id, _ in rows]
        if ids:
            marks = ",".join("?" * len(ids))
            db.execute(f"DELETE FROM words WHERE segment_id IN (SELECT id FROM segments WHERE memo_id IN ({marks}))",
                       ids)
            for table in ("segments", "embeddings"):
                db.execute(f"DELETE FROM {table} WHERE memo_id IN ({marks})", ids)
            db.execute(f"DELETE FROM memos WHERE id IN ({marks})", ids)
    return [path for _, path in rows]
