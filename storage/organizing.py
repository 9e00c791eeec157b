"""Queries for what organize/ computes: embeddings, titles, themes and the user's corrections."""
from __future__ import annotations

import contextlib
import datetime as dt
import weakref
from dataclasses import dataclass

import numpy as np
import sqlite_utils

from storage.db import StorageError


@dataclass
class ThemeRecord:
    id: int
    name: str
    name_edited: bool
    centroid: np.ndarray | None
    memo_count: int


@dataclass
class Placement:
    """Where the clustering (or the user) put one memo."""

    memo_id: int
    theme_id: int | None
    pinned: bool


@dataclass
class ThemesSnapshot:
    """Where every memo was and which themes existed when a re-clustering read the library."""

    placements: dict[int, Placement]
    theme_ids: set[int]


def _vector(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


def memos_needing_embedding(db: sqlite_utils.Database, model: str) -> list[tuple[int, str]]:
    """(id, transcript) of transcribed memos with no vector from `model` (a new model re-embeds)."""
    return [
        (row["id"], row["transcript"])
        for row in db.query(
            """SELECT memos.id, memos.transcript FROM memos
               LEFT JOIN embeddings ON embeddings.memo_id = memos.id
               WHERE memos.status = 'done' AND (embeddings.model IS NULL OR embeddings.model != ?)
               ORDER BY memos.id""",
            [model],
        )
    ]


def save_embeddings(db: sqlite_utils.Database, model: str, vectors: dict[int, np.ndarray]) -> None:
    with db.atomic():
        db["embeddings"].upsert_all(
            ({"memo_id": memo_id, "model": model, "vector": np.asarray(v, np.float32).tobytes()}
             for memo_id, v in vectors.items()),
            pk="memo_id",
        )


# Each database connection's last read of the vectors, kept until the database changes (reading 10,000
# of them costs ~60 ms, more than a whole search may take) and dropped with the connection's Database.
_LOADED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # {db: {model: (version, ids, vectors)}}


def load_embeddings(db: sqlite_utils.Database, model: str) -> tuple[list[int], np.ndarray]:
    """Ids and stacked vectors of every transcribed memo embedded with `model`, by id (read-only array).

    Read again only when the database changed since this connection last read them: `PRAGMA data_version`
    moves with other connections' commits, `total_changes` with this connection's own writes."""
    version = (db.conn.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes)
    cached = _LOADED.get(db, {}).get(model)
    if cached is not None and cached[0] == version:
        return list(cached[1]), cached[2]
    ids, vectors = [], []
    for row in db.query(
        """SELECT embeddings.memo_id, embeddings.vector FROM embeddings
           JOIN memos ON memos.id = embeddings.memo_id
           WHERE embeddings.model = ? AND memos.status = 'done' ORDER BY embeddings.memo_id""",
        [model],
    ):
        ids.append(row["memo_id"])
        vectors.append(_vector(row["vector"]))
    matrix = np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)
    matrix.setflags(write=False)
    _LOADED.setdefault(db, {})[model] = (version, ids, matrix)
    return list(ids), matrix


def count_embeddings(db: sqlite_utils.Database, model: str) -> int:
    """How many transcribed memos have a vector from `model` (without loading the vectors)."""
    return next(db.query(
        """SELECT count(*) AS n FROM embeddings JOIN memos ON memos.id = embeddings.memo_id
           WHERE embeddings.model = ? AND memos.status = 'done'""", [model]))["n"]


def unsorted_transcripts(db: sqlite_utils.Database) -> list[str]:
    """The transcripts of the transcribed memos in no theme (Unsorted)."""
    return [row["transcript"] or "" for row in
            db.query("SELECT transcript FROM memos WHERE theme_id IS NULL AND status = 'done' ORDER BY id")]


def transcripts(db: sqlite_utils.Database) -> dict[int, str]:
    """Every memo's transcript by id, in one query."""
    return {row["id"]: row["transcript"] or "" for row in db.query("SELECT id, transcript FROM memos")}


def set_title(db: sqlite_utils.Database, memo_id: int, title: str, *, by_user: bool) -> None:
    """An automatic title never replaces one the user wrote."""
    with db.atomic():
        if by_user:
            db["memos"].update(memo_id, {"title": title, "title_edited": 1})
        else:
            db.execute("UPDATE memos SET title = ? WHERE id = ? AND title_edited = 0", [title, memo_id])


def list_themes(db: sqlite_utils.Database) -> list[ThemeRecord]:
    return [
        ThemeRecord(row["id"], row["name"], bool(row["name_edited"]), _vector(row["centroid"]), row["n"])
        for row in db.query(
            """SELECT themes.*, (SELECT count(*) FROM memos WHERE memos.theme_id = themes.id) AS n
               FROM themes ORDER BY n DESC, themes.name"""
        )
    ]


def get_theme(db: sqlite_utils.Database, theme_id: int) -> ThemeRecord | None:
    return next((t for t in list_themes(db) if t.id == theme_id), None)


def placements(db: sqlite_utils.Database) -> dict[int, Placement]:
    return {
        row["id"]: Placement(row["id"], row["theme_id"], bool(row["theme_pinned"]))
        for row in db.query("SELECT id, theme_id, theme_pinned FROM memos")
    }


@contextlib.contextmanager
def _write_transaction(db: sqlite_utils.Database):
    """A transaction that takes the write lock before its first read (BEGIN IMMEDIATE), so nothing it
    reads can change before it writes; nested in an open transaction it is a savepoint of it."""
    if db.conn.in_transaction:
        with db.atomic():
            yield
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.rollback()
        raise


def themes_snapshot(db: sqlite_utils.Database) -> ThemesSnapshot:
    """What a re-clustering starts from, read in one transaction; `save_themes` compares it with the
    library at commit time to keep the user's corrections made in between."""
    with db.atomic():
        return ThemesSnapshot(placements(db), {row["id"] for row in db.query("SELECT id FROM themes")})


def _theme_exists(db: sqlite_utils.Database, theme_id: int) -> bool:
    return bool(db.execute("SELECT 1 FROM themes WHERE id = ?", [theme_id]).fetchone())


def save_themes(
    db: sqlite_utils.Database,
    themes: dict[int, tuple[str, np.ndarray]],
    assignments: dict[int, int | None],
    based_on: ThemesSnapshot | None = None,
) -> None:
    """Write a full clustering in one transaction: themes (id -> (name, centroid)) and memo -> theme.

    Names the user edited are kept; themes left without memos are removed. `based_on`: the library as the
    clustering read it. Whatever changed since (a memo moved, a theme merged away or created, perhaps by
    another process while the clustering computed) is the newer word and wins: a memo placed since keeps
    its place, a theme removed since is not brought back (its memos go to Unsorted), and a new theme id
    the user took meanwhile is given to the clustering's theme under a fresh id.
    """
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with _write_transaction(db):
        if based_on is not None:
            themes, assignments = _rebase(db, themes, assignments, based_on)
        edited = {row["id"] for row in db.query("SELECT id FROM themes WHERE name_edited = 1")}
        for theme_id, (name, centroid) in themes.items():
            record = {"id": theme_id, "centroid": np.asarray(centroid, np.float32).tobytes()}
            if theme_id not in edited:
                record["name"] = name
            if db["themes"].count_where("id = ?", [theme_id]):
                db["themes"].update(theme_id, record)
            else:
                db["themes"].insert({**record, "name": name, "created_at": now})
        for memo_id, theme_id in assignments.items():
            db.execute("UPDATE memos SET theme_id = ? WHERE id = ?", [theme_id, memo_id])
        _delete_empty_themes(db)


def _rebase(db, themes: dict, assignments: dict, based_on: ThemesSnapshot) -> tuple[dict, dict]:
    """The clustering's themes and assignments, minus what the library changed since `based_on`."""
    now_placed = placements(db)
    now_ids = {row["id"] for row in db.query("SELECT id FROM themes")}
    removed = based_on.theme_ids - now_ids
    taken = now_ids - based_on.theme_ids  # created since: the clustering never saw them
    next_id = max(now_ids | based_on.theme_ids | set(themes), default=-1) + 1
    renumbered = {}
    for theme_id in sorted(set(themes) & taken):
        renumbered[theme_id], next_id = next_id, next_id + 1
    themes = {renumbered.get(k, k): v for k, v in themes.items() if k not in removed}
    assignments = {
        memo_id: None if theme_id in removed else renumbered.get(theme_id, theme_id)
        for memo_id, theme_id in assignments.items()
        if memo_id in now_placed and now_placed[memo_id] == based_on.placements.get(memo_id)
    }
    return themes, assignments


def _delete_empty_themes(db: sqlite_utils.Database) -> None:
    db.execute("DELETE FROM themes WHERE id NOT IN (SELECT theme_id FROM memos WHERE theme_id IS NOT NULL)")


def place_memo(db: sqlite_utils.Database, memo_id: int, theme_id: int | None, *, by_user: bool = False) -> None:
    """Put a memo into a theme (None = Unsorted); raises StorageError if the theme does not exist (any more)."""
    with _write_transaction(db):
        if theme_id is not None and not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id} (it may have just been merged or rebuilt)")
        db["memos"].update(memo_id, {"theme_id": theme_id, "theme_pinned": 1 if by_user else 0})
        if by_user:
            _delete_empty_themes(db)


def place_memo_in_new_theme(db: sqlite_utils.Database, memo_id: int, name: str) -> int:
    """Make a theme of the user's named `name` holding this memo (one transaction: a re-clustering committing
    in between would remove the still-empty theme). Returns its id."""
    with _write_transaction(db):
        theme_id = create_theme(db, name)
        place_memo(db, memo_id, theme_id, by_user=True)
    return theme_id


def rename_theme(db: sqlite_utils.Database, theme_id: int, name: str) -> None:
    with _write_transaction(db):
        if not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id}")
        db["themes"].update(theme_id, {"name": name, "name_edited": 1})


def create_theme(db: sqlite_utils.Database, name: str, centroid: np.ndarray | None = None) -> int:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with db.atomic():
        return db["themes"].insert({
            "name": name, "name_edited": 1, "created_at": now,
            "centroid": None if centroid is None else np.asarray(centroid, np.float32).tobytes(),
        }).last_pk


def merge_themes(db: sqlite_utils.Database, source_id: int, target_id: int) -> None:
    """Move every memo of `source` into `target` and pin them there, so the merge survives re-clustering.

    Raises StorageError when the two are the same theme or either does not exist: the check lives here,
    where themes are written, for the CLI and the window alike."""
    if source_id == target_id:
        raise StorageError(f"theme {source_id} cannot be merged into itself")
    with _write_transaction(db):
        for theme_id in (source_id, target_id):
            if not _theme_exists(db, theme_id):
                raise StorageError(f"there is no theme {theme_id}")
        db.execute("UPDATE memos SET theme_id = ?, theme_pinned = 1 WHERE theme_id IN (?, ?)",
                   [target_id, source_id, target_id])
        db["themes"].delete(source_id)


def memos_of_theme(db: sqlite_utils.Database, theme_id: int | None) -> list[int]:
    if theme_id is None:
        return [r["id"] for r in db.query("SELECT id FROM memos WHERE theme_id IS NULL AND status = 'done' ORDER BY id")]
    return [r["id"] for r in db.query("SELECT id FROM memos WHERE theme_id = ? ORDER BY id", [theme_id])]
