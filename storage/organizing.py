"""Queries for what organize/ computes: embeddings, titles, themes and the user's corrections."""
from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass

import numpy as np
import sqlite_utils


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


def save_themes(
    db: sqlite_utils.Database,
    themes: dict[int, tuple[str, np.ndarray]],
    assignments: dict[int, int | None],
) -> None:
    """Write a full clustering in one transaction: themes (id -> (name, centroid)) and memo -> theme.

    Names the user edited are kept; themes left without memos are removed.
    """
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with db.atomic():
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
        db.execute("DELETE FROM themes WHERE id NOT IN (SELECT DISTINCT theme_id FROM memos WHERE theme_id IS NOT NULL)")


def place_memo(db: sqlite_utils.Database, memo_id: int, theme_id: int | None, *, by_user: bool = False) -> None:
    with db.atomic():
        db["memos"].update(memo_id, {"theme_id": theme_id, "theme_pinned": 1 if by_user else 0})
        if by_user:
            db.execute("DELETE FROM themes WHERE id NOT IN (SELECT DISTINCT theme_id FROM memos WHERE theme_id IS NOT NULL)")


def rename_theme(db: sqlite_utils.Database, theme_id: int, name: str) -> None:
    with db.atomic():
        db["themes"].update(theme_id, {"name": name, "name_edited": 1})


def create_theme(db: sqlite_utils.Database, name: str, centroid: np.ndarray | None = None) -> int:
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    with db.atomic():
        return db["themes"].insert({
            "name": name, "name_edited": 1, "created_at": now,
            "centroid": None if centroid is None else np.asarray(centroid, np.float32).tobytes(),
        }).last_pk


def merge_themes(db: sqlite_utils.Database, source_id: int, target_id: int) -> None:
    """Move every memo of `source` into `target` and pin them there, so the merge survives re-clustering."""
    with db.atomic():
        db.execute("UPDATE memos SET theme_id = ?, theme_pinned = 1 WHERE theme_id IN (?, ?)",
                   [target_id, source_id, target_id])
        db["themes"].delete(source_id)


def memos_of_theme(db: sqlite_utils.Database, theme_id: int | None) -> list[int]:
    if theme_id is None:
        return [r["id"] for r in db.query("SELECT id FROM memos WHERE theme_id IS NULL AND status = 'done' ORDER BY id")]
    return [r["id"] for r in db.query("SELECT id FROM memos WHERE theme_id = ? ORDER BY id", [theme_id])]
