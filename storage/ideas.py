"""The ideas each recording holds (m015): spans of the recording with a title and a theme, and the user's
splits and joins that every re-split applies again."""
from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from storage.themes import write_transaction

SPLIT, JOIN = "split", "join"


@dataclass
class StoredIdea:
    id: int
    memo_id: int
    position: int  # 0 = the first idea of the recording
    start: float  # seconds
    end: float
    title: str
    title_by_user: bool
    theme_id: int | None
    theme_by_user: bool = False  # the user moved it there


@dataclass
class NewIdea:
    start: float
    end: float
    title: str
    title_by_user: bool = False
    theme_id: int | None = None
    vector: bytes | None = None  # float32, the model's; only when the memo holds several ideas
    theme_by_user: bool = False


_COLUMNS = "ideas.id, ideas.memo_id, ideas.position, ideas.start, ideas.end, ideas.title, ideas.title_by_user, " \
           "ideas.theme_id, ideas.theme_by_user"


def _idea(row) -> StoredIdea:
    return StoredIdea(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]), row[7], bool(row[8]))


def _kept(db: sqlite_utils.Database) -> bool:
    """Whether this library keeps ideas (an older one on a read-only disk is shown as it is: none)."""
    return db["ideas"].exists()


def sources(db: sqlite_utils.Database) -> dict[int, str]:
    if not _kept(db):
        return {}
    return dict(db.execute("SELECT memo_id, source FROM idea_sources").fetchall())


def source_of(db: sqlite_utils.Database, memo_id: int) -> str | None:
    if not _kept(db):
        return None
    row = db.execute("SELECT source FROM idea_sources WHERE memo_id = ?", [memo_id]).fetchone()
    return row[0] if row else None


def replace_for_memo(db: sqlite_utils.Database, memo_id: int, source: str, ideas: list[NewIdea]) -> None:
    """This memo's ideas are now `ideas`, in order (their ids are new)."""
    with write_transaction(db):
        db.execute("DELETE FROM ideas WHERE memo_id = ?", [memo_id])
        db["ideas"].insert_all([{"memo_id": memo_id, "position": position, "start": idea.start, "end": idea.end,
                                 "title": idea.title, "title_by_user": int(idea.title_by_user),
                                 "theme_id": idea.theme_id, "vector": idea.vector,
                                 "theme_by_user": int(idea.theme_by_user)}
                                for position, idea in enumerate(ideas)])
        db["idea_sources"].upsert({"memo_id": memo_id, "source": source}, pk="memo_id")


def ideas_of(db: sqlite_utils.Database, memo_id: int) -> list[StoredIdea]:
    if not _kept(db):
        return []
    return [_idea(row) for row in db.execute(
        f"SELECT {_COLUMNS} FROM ideas WHERE memo_id = ? ORDER BY position", [memo_id])]


def get(db: sqlite_utils.Database, idea_id: int) -> StoredIdea | None:
    row = db.execute(f"SELECT {_COLUMNS} FROM ideas WHERE id = ?", [idea_id]).fetchone()
    return _idea(row) if row else None


def all_ideas(db: sqlite_utils.Database) -> dict[int, list[StoredIdea]]:
    """Every memo's ideas (memos not in the trash), by memo id, in order."""
    out: dict[int, list[StoredIdea]] = {}
    if not _kept(db):
        return out
    for row in db.execute(f"SELECT {_COLUMNS} FROM ideas JOIN memos ON memos.id = ideas.memo_id "
                          "WHERE memos.deleted_at IS NULL ORDER BY ideas.memo_id, ideas.position"):
        out.setdefault(row[1], []).append(_idea(row))
    return out


def spans_with_vectors(db: sqlite_utils.Database, memo_ids: list[int] | None) -> dict[int, list[tuple[StoredIdea, bytes | None]]]:
    """The ideas of these memos (None: of every memo) holding several, each with its vector, by memo id, in order."""
    out: dict[int, list[tuple[StoredIdea, bytes | None]]] = {}
    if not _kept(db) or memo_ids is not None and not memo_ids:
        return out
    if memo_ids is None:  # the memos of several ideas: those with a second one
        where, params = f"ideas.memo_id IN (SELECT memo_id FROM ideas WHERE position = 1)", []
    else:
        where, params = f"ideas.memo_id IN ({','.join('?' * len(memo_ids))})", list(memo_ids)
    for row in db.execute(f"SELECT {_COLUMNS}, ideas.vector FROM ideas WHERE {where} "
                          "ORDER BY ideas.memo_id, ideas.position", params):
        out.setdefault(row[1], []).append((_idea(row), row[9]))
    return {memo_id: ideas for memo_id, ideas in out.items() if len(ideas) > 1}


def counts(db: sqlite_utils.Database) -> dict[int, int]:
    """How many ideas each memo holds (a memo not split yet: absent)."""
    if not _kept(db):
        return {}
    return dict(db.execute("SELECT memo_id, count(*) FROM ideas GROUP BY memo_id").fetchall())


def edits(db: sqlite_utils.Database, memo_id: int) -> list[tuple[str, float]]:
    """The user's splits and joins of this memo, (kind, second), oldest first."""
    if not _kept(db):
        return []
    return [(kind, at) for kind, at in db.execute(
        "SELECT kind, at FROM idea_edits WHERE memo_id = ? ORDER BY id", [memo_id])]


def add_edit(db: sqlite_utils.Database, memo_id: int, kind: str, at: float) -> None:
    with write_transaction(db):
        db["idea_edits"].insert({"memo_id": memo_id, "kind": kind, "at": float(at)})


def set_title(db: sqlite_utils.Database, idea_id: int, title: str) -> None:
    with write_transaction(db):
        db.execute("UPDATE ideas SET title = ?, title_by_user = 1 WHERE id = ?", [title, idea_id])


def set_theme(db: sqlite_utils.Database, idea_id: int, theme_id: int | None) -> None:
    """The user put this idea in `theme_id` (None: Unsorted): kept through re-splits and re-clusterings."""
    from storage.db import StorageError
    from storage.themes import _theme_exists

    with write_transaction(db):
        if theme_id is not None and not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id} (it may have just been merged or rebuilt)")
        db.execute("UPDATE ideas SET theme_id = ?, theme_by_user = 1 WHERE id = ?", [theme_id, idea_id])
