"""The theme tables and what feeds them: themes (the two-level tree), where each memo is filed (and whether
the user put it there), titles and embeddings — stored here, computed by organize/ (organize/themes.py
is the clustering; this is its storage)."""
from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
import sqlite_utils

from storage.db import StorageError
from storage.timestamps import now_text


@dataclass
class ThemeRecord:
    id: int
    name: str
    name_edited: bool
    centroid: np.ndarray | None
    memo_count: int  # memos directly in this theme
    parent_id: int | None = None  # None: a broad (top-level) theme
    parent_edited: bool = False  # the user nested or un-nested it
    total_count: int | None = None  # memos in it and its sub-themes

    @property
    def count(self) -> int:
        return self.memo_count if self.total_count is None else self.total_count


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
    parents: dict[int, int | None] = field(default_factory=dict)  # theme id -> parent id


def _vector(blob: bytes | None) -> np.ndarray | None:
    return None if blob is None else np.frombuffer(blob, dtype=np.float32)


def memos_needing_embedding(db: sqlite_utils.Database, model: str) -> list[tuple[int, str]]:
    """(id, transcript) of transcribed memos with no vector from `model` (a new model re-embeds)."""
    return [
        (row["id"], row["transcript"])
        for row in db.query(
            """SELECT memos.id, memos.transcript FROM memos
               LEFT JOIN embeddings ON embeddings.memo_id = memos.id
               WHERE memos.status = 'done' AND memos.deleted_at IS NULL
                     AND (embeddings.model IS NULL OR embeddings.model != ?)
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


# The last read of each library's vectors, shared by every connection of this process (the window has one per
# job thread) and read again only when the library's embeddings counter (migration m012) moved: reading 20,000
# costs ~0.1 s, more than a whole search may take. A database without the counter (opened read-only before
# the migration) keeps its own read per connection, checked by `PRAGMA data_version`.
_SHARED: dict[tuple[str, str], tuple[int, list[int], np.ndarray]] = {}  # {(file, model): (counter, ids, vectors)}
_SHARED_LIBRARIES = 4  # libraries whose vectors are kept at once (the oldest read is dropped)
_SHARED_LOCK = threading.Lock()
_LOADED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # {db: {model: (version, ids, vectors)}}


def _embeddings_counter(db: sqlite_utils.Database) -> tuple[str, int] | None:
    """(database file, counter) when both exist; None for a database in memory or without the counter."""
    path = db.conn.execute("PRAGMA database_list").fetchone()[2]
    try:
        row = db.conn.execute("SELECT n FROM counters WHERE name = 'embeddings'").fetchone()
    except sqlite3.OperationalError:
        return None
    return (path, row[0]) if path and row is not None else None


def load_embeddings(db: sqlite_utils.Database, model: str) -> tuple[list[int], np.ndarray]:
    """Ids and stacked vectors of every transcribed memo embedded with `model`, by id (read-only array)."""
    counter = _embeddings_counter(db)
    if counter is not None:
        key = (counter[0], model)
        with _SHARED_LOCK:
            cached = _SHARED.get(key)
        if cached is not None and cached[0] == counter[1]:
            return list(cached[1]), cached[2]
        ids, matrix = _read_embeddings(db, model)  # read after the counter: a change meanwhile reads again
        with _SHARED_LOCK:
            _SHARED.pop(key, None)
            _SHARED[key] = (counter[1], ids, matrix)
            while len(_SHARED) > _SHARED_LIBRARIES:
                del _SHARED[next(iter(_SHARED))]
        return list(ids), matrix
    version = (db.conn.execute("PRAGMA data_version").fetchone()[0], db.conn.total_changes)
    cached = _LOADED.get(db, {}).get(model)
    if cached is not None and cached[0] == version:
        return list(cached[1]), cached[2]
    ids, matrix = _read_embeddings(db, model)
    _LOADED.setdefault(db, {})[model] = (version, ids, matrix)
    return list(ids), matrix


def _read_embeddings(db: sqlite_utils.Database, model: str) -> tuple[list[int], np.ndarray]:
    """One read, straight into one array: the blobs were first gathered and joined (two copies of 30 MB at
    20,000 memos held at once, the peak of a window's first search), and before that 20,000 small arrays
    stacked."""
    query = """FROM embeddings JOIN memos ON memos.id = embeddings.memo_id
               WHERE embeddings.model = ? AND memos.status = 'done'"""
    ids: list[int] = []
    matrix = None
    count = db.conn.execute(f"SELECT count(*) {query}", [model]).fetchone()[0]
    for row, (memo_id, blob) in enumerate(db.conn.execute(
            f"SELECT embeddings.memo_id, embeddings.vector {query} ORDER BY embeddings.memo_id", [model])):
        if matrix is None:
            matrix = np.empty((count + 16, len(blob) // 4), dtype=np.float32)
        elif row == len(matrix):  # memos embedded between the count and the read
            matrix = np.concatenate([matrix, np.empty_like(matrix[: max(16, len(matrix) // 8)])])
        matrix[row] = np.frombuffer(blob, dtype=np.float32)
        ids.append(memo_id)
    if matrix is None:
        return [], np.zeros((0, 0), np.float32)
    matrix = matrix[:len(ids)]
    matrix.setflags(write=False)
    return ids, matrix


def count_embeddings(db: sqlite_utils.Database, model: str) -> int:
    """How many transcribed memos have a vector from `model` (without loading the vectors)."""
    return next(db.query(
        """SELECT count(*) AS n FROM embeddings JOIN memos ON memos.id = embeddings.memo_id
           WHERE embeddings.model = ? AND memos.status = 'done'""", [model]))["n"]


def unsorted_transcripts(db: sqlite_utils.Database) -> list[str]:
    """The transcripts of the transcribed memos in no theme (Unsorted)."""
    return [row["transcript"] or "" for row in
            db.query("SELECT transcript FROM memos WHERE theme_id IS NULL AND status = 'done' AND deleted_at IS NULL "
                     "ORDER BY id")]


def unsorted_memos(db: sqlite_utils.Database) -> dict[int, str]:
    """Transcript by id of the transcribed memos in Unsorted that the user did not put there."""
    return {row["id"]: row["transcript"] or "" for row in
            db.query("SELECT id, transcript FROM memos WHERE theme_id IS NULL AND NOT theme_pinned "
                     "AND status = 'done' AND deleted_at IS NULL ORDER BY id")}


def new_theme_from_memos(db: sqlite_utils.Database, name: str, centroid: np.ndarray, memo_ids: list[int]) -> int:
    """A theme found by the app (not pinned, its name the app's) holding these memos, in one transaction."""
    with write_transaction(db):
        theme_id = create_theme(db, name, centroid, named_by_user=False)
        for memo_id in memo_ids:
            db["memos"].update(memo_id, {"theme_id": theme_id, "theme_pinned": 0})
    return theme_id


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
    """Every theme, broad and sub-themes alike, largest first (by memos in it and its sub-themes; a memo of
    several ideas counts in each theme one of its ideas is in)."""
    rows = list(db.query(
        """SELECT themes.*, (SELECT count(*) FROM memos WHERE memos.theme_id = themes.id) AS n,
                  (SELECT count(*) FROM memos JOIN themes AS child ON memos.theme_id = child.id
                   WHERE child.parent_id = themes.id) AS in_children
           FROM themes"""))
    by_ideas = _listed_by_ideas(db)
    children: dict[int, list[int]] = {}
    for row in rows:
        if row["parent_id"] is not None:
            children.setdefault(row["parent_id"], []).append(row["id"])
    records = []
    for row in rows:
        extra = len(by_ideas.get(row["id"], ()))
        below = len(set().union(*(by_ideas.get(child, set()) for child in children.get(row["id"], ()))))
        records.append(ThemeRecord(row["id"], row["name"], bool(row["name_edited"]), _vector(row["centroid"]),
                                   row["n"] + extra, row["parent_id"], bool(row["parent_edited"]),
                                   row["n"] + extra + row["in_children"] + below))
    return sorted(records, key=lambda t: (-t.count, t.name))


# The ideas of memos holding several, not in the trash (a memo of one idea is its memo: the theme its stored idea
# was placed in is not read)
SPLIT_IDEAS = ("memo_id IN (SELECT split.memo_id FROM ideas AS split JOIN memos AS m ON m.id = split.memo_id "
               "WHERE split.position = 1 AND m.deleted_at IS NULL)")


def _listed_by_ideas(db: sqlite_utils.Database) -> dict[int, set[int]]:
    """Theme id -> the memos listed in it by one of their ideas only (their own theme is another)."""
    if "ideas" not in db.table_names():
        return {}
    out: dict[int, set[int]] = {}
    for theme_id, memo_id in db.execute(
            f"""SELECT ideas.theme_id, ideas.memo_id FROM ideas JOIN memos ON memos.id = ideas.memo_id
                WHERE ideas.{SPLIT_IDEAS} AND ideas.theme_id IS NOT NULL AND ideas.theme_id IS NOT memos.theme_id"""):
        out.setdefault(theme_id, set()).add(memo_id)
    return out


def theme_tree(db: sqlite_utils.Database) -> list[tuple[ThemeRecord, list[ThemeRecord]]]:
    """The broad themes, largest first, each with its sub-themes, largest first."""
    themes = list_themes(db)
    return [(top, [t for t in themes if t.parent_id == top.id]) for top in themes if top.parent_id is None]


def broad_of(themes: list) -> dict[int, int]:
    """Each theme's broad theme (itself for a broad theme), by id; a parent that is not among `themes` counts as
    none. `themes`: anything with id and parent_id."""
    ids = {t.id for t in themes}
    return {t.id: t.parent_id if t.parent_id in ids else t.id for t in themes}


def theme_path(themes: list[ThemeRecord], theme_id: int | None) -> list[str]:
    """The names from the broad theme down to `theme_id` ([] for Unsorted)."""
    by_id = {t.id: t for t in themes}
    path = []
    while theme_id is not None and theme_id in by_id and len(path) < 3:
        path.insert(0, by_id[theme_id].name)
        theme_id = by_id[theme_id].parent_id
    return path


def subtree_ids(db: sqlite_utils.Database, theme_id: int) -> list[int]:
    """The theme and its sub-themes: what "this theme's memos" means for a broad theme."""
    return [theme_id] + [r["id"] for r in db.query("SELECT id FROM themes WHERE parent_id = ? ORDER BY id",
                                                   [theme_id])]


def get_theme(db: sqlite_utils.Database, theme_id: int) -> ThemeRecord | None:
    return next((t for t in list_themes(db) if t.id == theme_id), None)


def placements(db: sqlite_utils.Database, memo_ids: list[int] | None = None) -> dict[int, Placement]:
    """Where every memo is (or only `memo_ids`)."""
    where, params = ("", []) if memo_ids is None else (
        f" WHERE id IN ({','.join('?' * len(memo_ids))})", list(memo_ids))
    return {
        row["id"]: Placement(row["id"], row["theme_id"], bool(row["theme_pinned"]))
        for row in db.query("SELECT id, theme_id, theme_pinned FROM memos" + where, params)
    }


def leaf_centroids(db: sqlite_utils.Database) -> tuple[list[int], np.ndarray]:
    """Ids and centroids of the themes a new memo can be placed into: sub-themes, and broad themes without
    sub-themes (one query, no counts: placing a memo must stay fast in a big library)."""
    rows = list(db.query("""SELECT id, centroid FROM themes WHERE centroid IS NOT NULL AND id NOT IN
                            (SELECT parent_id FROM themes WHERE parent_id IS NOT NULL) ORDER BY id"""))
    if not rows:
        return [], np.zeros((0, 0), np.float32)
    return [r["id"] for r in rows], np.stack([_vector(r["centroid"]) for r in rows])


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
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
        parents = {row["id"]: row["parent_id"] for row in db.query("SELECT id, parent_id FROM themes")}
        return ThemesSnapshot(placements(db), set(parents), parents)


def _theme_exists(db: sqlite_utils.Database, theme_id: int) -> bool:
    return bool(db.execute("SELECT 1 FROM themes WHERE id = ?", [theme_id]).fetchone())


def save_themes(
    db: sqlite_utils.Database,
    themes: dict[int, tuple],
    assignments: dict[int, int | None],
    based_on: ThemesSnapshot | None = None,
    idea_assignments: dict[int, int | None] | None = None,
) -> None:
    """Write a full clustering in one transaction: themes (id -> (name, centroid[, parent id])) and memo ->
    theme (its most specific one), and the theme of each idea clustered on its own (idea id -> theme). A
    theme given without a parent is a broad theme.

    Names the user edited are kept, and so is a parent the user chose (`set_parent`) while both themes
    exist; themes left without memos and sub-themes are removed. `based_on`: the library as the clustering
    read it. Whatever changed since (a memo moved, a theme merged away or created, perhaps by another
    process while the clustering computed) is the newer word and wins: a memo placed since keeps its place,
    a theme removed since is not brought back (its memos go to Unsorted), and a new theme id the user took
    meanwhile is given to the clustering's theme under a fresh id.
    """
    now = now_text()
    themes = {k: (v[0], v[1], v[2] if len(v) > 2 else None) for k, v in themes.items()}
    with write_transaction(db):
        ideas = dict(idea_assignments or {})
        if based_on is not None:
            themes, assignments, ideas = _rebase(db, themes, assignments, based_on, ideas)
        edited = {row["id"] for row in db.query("SELECT id FROM themes WHERE name_edited = 1")}
        chosen = {row["id"]: row["parent_id"] for row in
                  db.query("SELECT id, parent_id FROM themes WHERE parent_edited = 1")}
        db.execute("UPDATE themes SET parent_id = NULL")  # set again below, once every theme exists
        for theme_id, (name, centroid, _) in themes.items():
            record = {"id": theme_id, "centroid": np.asarray(centroid, np.float32).tobytes()}
            if theme_id not in edited:
                record["name"] = name
            if db["themes"].count_where("id = ?", [theme_id]):
                db["themes"].update(theme_id, record)
            else:
                db["themes"].insert({**record, "name": name, "created_at": now})
        existing = {row["id"] for row in db.query("SELECT id FROM themes")}
        parents = {k: p for k, (_, _, p) in themes.items() if p in existing and p != k}
        for theme_id, parent in chosen.items():  # the user's nesting wins over the clustering's
            if parent is None or parent in existing:
                parents[theme_id] = parent
                if parent is not None:
                    parents.pop(parent, None)  # two levels: a theme the user nested into is a broad one
        parents = {k: p for k, p in parents.items() if p is None or parents.get(p) is None}
        for theme_id, parent in parents.items():
            db.execute("UPDATE themes SET parent_id = ? WHERE id = ?", [parent, theme_id])
        for memo_id, theme_id in assignments.items():
            db.execute("UPDATE memos SET theme_id = ? WHERE id = ?", [theme_id, memo_id])
        for idea_id, theme_id in ideas.items():
            db.execute("UPDATE ideas SET theme_id = ? WHERE id = ?", [theme_id, idea_id])
        delete_empty_themes(db)


def _rebase(db, themes: dict, assignments: dict, based_on: ThemesSnapshot,
            ideas: dict) -> tuple[dict, dict, dict]:
    """The clustering's themes and assignments (of memos, and of ideas), minus what the library changed since
    `based_on`."""
    now_placed = placements(db)
    now_ids = {row["id"] for row in db.query("SELECT id FROM themes")}
    removed = based_on.theme_ids - now_ids
    taken = now_ids - based_on.theme_ids  # created since: the clustering never saw them
    next_id = max(now_ids | based_on.theme_ids | set(themes), default=-1) + 1
    renumbered = {}
    for theme_id in sorted(set(themes) & taken):
        renumbered[theme_id], next_id = next_id, next_id + 1
    themes = {renumbered.get(k, k): (name, centroid, None if parent in removed else renumbered.get(parent, parent))
              for k, (name, centroid, parent) in themes.items() if k not in removed}
    assignments = {
        memo_id: None if theme_id in removed else renumbered.get(theme_id, theme_id)
        for memo_id, theme_id in assignments.items()
        if memo_id in now_placed and now_placed[memo_id] == based_on.placements.get(memo_id)
    }
    ideas = {idea_id: None if theme_id in removed else renumbered.get(theme_id, theme_id)
             for idea_id, theme_id in ideas.items()}
    return themes, assignments, ideas


def delete_empty_themes(db: sqlite_utils.Database) -> None:
    """Remove themes holding no memos, no idea of a memo of several and no sub-themes (sub-themes first: a
    broad theme may empty with them)."""
    ideas = (f" AND id NOT IN (SELECT theme_id FROM ideas WHERE theme_id IS NOT NULL AND {SPLIT_IDEAS})"
             if "ideas" in db.table_names() else "")
    for _ in range(2):
        db.execute("DELETE FROM themes WHERE id NOT IN (SELECT theme_id FROM memos WHERE theme_id IS NOT NULL) "
                   "AND id NOT IN (SELECT parent_id FROM themes WHERE parent_id IS NOT NULL)" + ideas)


def place_memo(db: sqlite_utils.Database, memo_id: int, theme_id: int | None, *, by_user: bool = False) -> None:
    """Put a memo into a theme (None = Unsorted); raises StorageError if the theme does not exist (any more)."""
    with write_transaction(db):
        if theme_id is not None and not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id} (it may have just been merged or rebuilt)")
        db["memos"].update(memo_id, {"theme_id": theme_id, "theme_pinned": 1 if by_user else 0})
        if by_user:
            delete_empty_themes(db)


def place_memo_in_new_theme(db: sqlite_utils.Database, memo_id: int, name: str) -> int:
    """Make a theme of the user's named `name` holding this memo (one transaction: a re-clustering committing
    in between would remove the still-empty theme). Returns its id."""
    with write_transaction(db):
        theme_id = create_theme(db, name)
        place_memo(db, memo_id, theme_id, by_user=True)
    return theme_id


def rename_theme(db: sqlite_utils.Database, theme_id: int, name: str) -> None:
    with write_transaction(db):
        if not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id}")
        db["themes"].update(theme_id, {"name": name, "name_edited": 1})


def create_theme(db: sqlite_utils.Database, name: str, centroid: np.ndarray | None = None, *,
                 named_by_user: bool = True) -> int:
    """A new top-level theme. `named_by_user`: the name is the user's (a re-clustering keeps it as given)."""
    now = now_text()
    with db.atomic():
        return db["themes"].insert({
            "name": name, "name_edited": 1 if named_by_user else 0, "created_at": now,
            "centroid": None if centroid is None else np.asarray(centroid, np.float32).tobytes(),
        }).last_pk


def merge_themes(db: sqlite_utils.Database, source_id: int, target_id: int) -> None:
    """Move every memo of `source` into `target` and pin them there, so the merge survives re-clustering.

    Raises StorageError when the two are the same theme or either does not exist: the check lives here,
    where themes are written, for the CLI and the window alike."""
    if source_id == target_id:
        raise StorageError(f"theme {source_id} cannot be merged into itself")
    with write_transaction(db):
        for theme_id in (source_id, target_id):
            if not _theme_exists(db, theme_id):
                raise StorageError(f"there is no theme {theme_id}")
        db.execute("UPDATE memos SET theme_id = ?, theme_pinned = 1 WHERE theme_id IN (?, ?)",
                   [target_id, source_id, target_id])
        if "ideas" in db.table_names():  # the ideas in it too (of memos whose own theme is elsewhere)
            db.execute("UPDATE ideas SET theme_id = ? WHERE theme_id = ?", [target_id, source_id])
        # The source's sub-themes go with it, their memos (and the target's sub-themes' memos) pinned there so a
        # re-clustering keeps the merge: under the target if that is a broad theme, else beside it.
        db.execute("UPDATE memos SET theme_pinned = 1 WHERE theme_id IN (SELECT id FROM themes WHERE parent_id IN (?, ?))",
                   [source_id, target_id])
        target_parent = db.execute("SELECT parent_id FROM themes WHERE id = ?", [target_id]).fetchone()[0]
        if target_parent == source_id:
            target_parent = None
            db.execute("UPDATE themes SET parent_id = NULL, parent_edited = 1 WHERE id = ?", [target_id])
        db.execute("UPDATE themes SET parent_id = ?, parent_edited = 1 WHERE parent_id = ?",
                   [target_id if target_parent is None else target_parent, source_id])
        db["themes"].delete(source_id)
        delete_empty_themes(db)


def memos_of_theme(db: sqlite_utils.Database, theme_id: int | None) -> list[int]:
    """The memos in a theme and its sub-themes (None: Unsorted)."""
    if theme_id is None:
        return [r["id"] for r in db.query(
            "SELECT id FROM memos WHERE theme_id IS NULL AND status = 'done' AND deleted_at IS NULL ORDER BY id")]
    return [r["id"] for r in db.query(
        "SELECT id FROM memos WHERE theme_id = ? OR theme_id IN (SELECT id FROM themes WHERE parent_id = ?) ORDER BY id",
        [theme_id, theme_id])]


def set_parent(db: sqlite_utils.Database, theme_id: int, parent_id: int | None) -> None:
    """Nest a theme under a broad theme (`parent_id`), or make it a broad theme again (None); the user's
    choice, kept through re-clustering. Two levels only: the parent must be a broad theme, and a theme
    with sub-themes of its own cannot be nested. Raises StorageError, for the CLI and the window alike."""
    with write_transaction(db):
        if not _theme_exists(db, theme_id):
            raise StorageError(f"there is no theme {theme_id}")
        if parent_id is not None:
            if parent_id == theme_id:
                raise StorageError(f"theme {theme_id} cannot be nested in itself")
            row = db.execute("SELECT parent_id FROM themes WHERE id = ?", [parent_id]).fetchone()
            if row is None:
                raise StorageError(f"there is no theme {parent_id}")
            if row[0] is not None:
                raise StorageError(f"theme {parent_id} is itself a sub-theme: themes nest two levels deep")
            if db.execute("SELECT 1 FROM themes WHERE parent_id = ?", [theme_id]).fetchone():
                raise StorageError(f"theme {theme_id} has sub-themes of its own: un-nest them first")
        db.execute("UPDATE themes SET parent_id = ?, parent_edited = 1 WHERE id = ?", [parent_id, theme_id])
        delete_empty_themes(db)
