"""Each memo's most similar memos, as last computed (the `related` table, m011)."""
from __future__ import annotations

import sqlite_utils

from storage.themes import write_transaction


def related_lists(db: sqlite_utils.Database) -> dict[int, list[tuple[int, float]]]:
    """memo id -> [(other memo id, cosine)], best first: every stored list, in one query."""
    lists: dict[int, list[tuple[int, float]]] = {}
    for memo_id, other_id, score in db.execute(
            "SELECT memo_id, other_id, score FROM related ORDER BY memo_id, score DESC, other_id"):
        lists.setdefault(memo_id, []).append((other_id, score))
    return lists


def save_related(db: sqlite_utils.Database, lists: dict[int, list[tuple[int, float]]]) -> None:
    """Replace the lists of the memos in `lists` (one transaction)."""
    if not lists:
        return
    with write_transaction(db):
        db.conn.executemany("DELETE FROM related WHERE memo_id = ?", [(memo_id,) for memo_id in lists])
        db.conn.executemany("INSERT INTO related (memo_id, other_id, score) VALUES (?, ?, ?)",
                       [(memo_id, other, float(score)) for memo_id, found in lists.items() for other, score in found])
