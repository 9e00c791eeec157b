"""Spoken to-dos as found in each transcript (m014): one row per to-do, ticked off by `done_at`."""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.themes import write_transaction
from storage.timestamps import now_text


@dataclass
class StoredTodo:
    id: int
    memo_id: int
    position: int  # its place among its memo's to-dos
    text: str
    due: str | None  # ISO date
    start: float | None  # seconds into the recording
    done_at: str | None  # UTC; None = open


def sources(db: sqlite_utils.Database) -> dict[int, str]:
    return dict(db.execute("SELECT memo_id, source FROM todo_sources").fetchall())


def replace_for_memo(db: sqlite_utils.Database, memo_id: int, source: str,
                     found: list[tuple[str, str | None, float | None]]) -> None:
    """This memo's to-dos are now `found` (text, due, start): a to-do said again in the same words keeps its id
    and whether it was ticked."""
    with write_transaction(db):
        before = {row[0]: row for row in db.execute("SELECT text, id, done_at FROM todos WHERE memo_id = ?", [memo_id])}
        kept = set()
        for position, (text, due, start) in enumerate(found):
            if text in before and text not in kept:
                kept.add(text)
                db.execute("UPDATE todos SET position = ?, due = ?, start = ? WHERE id = ?",
                           [position, due, start, before[text][1]])
            else:
                db["todos"].insert({"memo_id": memo_id, "position": position, "text": text, "due": due,
                                    "start": start, "done_at": None})
        gone = [row[1] for text, row in before.items() if text not in kept]
        db.conn.executemany("DELETE FROM todos WHERE id = ?", [(todo_id,) for todo_id in gone])
        db["todo_sources"].upsert({"memo_id": memo_id, "source": source}, pk="memo_id")


def todos(db: sqlite_utils.Database, *, include_done: bool = False) -> list[StoredTodo]:
    """The to-dos of memos not in the trash: open first by due day (none last), then by when they were said."""
    done = "" if include_done else " AND todos.done_at IS NULL"
    return [StoredTodo(*row) for row in db.execute(
        "SELECT todos.id, todos.memo_id, todos.position, todos.text, todos.due, todos.start, todos.done_at "
        "FROM todos JOIN memos ON memos.id = todos.memo_id WHERE memos.deleted_at IS NULL" + done +
        " ORDER BY todos.done_at IS NOT NULL, todos.due IS NULL, todos.due, memos.recorded_at, todos.position")]


def get(db: sqlite_utils.Database, todo_id: int) -> StoredTodo | None:
    row = db.execute("SELECT id, memo_id, position, text, due, start, done_at FROM todos WHERE id = ?",
                     [todo_id]).fetchone()
    return StoredTodo(*row) if row else None


def set_done(db: sqlite_utils.Database, todo_id: int, done: bool) -> None:
    with write_transaction(db):
        db.execute("UPDATE todos SET done_at = ? WHERE id = ?", [now_text() if done else None, todo_id])
