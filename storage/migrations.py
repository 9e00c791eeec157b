"""The schema, only ever changed by adding a named migration at the end of this file."""
from __future__ import annotations

import sqlite_utils

from storage.timestamps import to_utc_text

migrations = sqlite_utils.Migrations("musings")


def _require_existing_theme(db: sqlite_utils.Database, table: str, column: str, name: str, message: str) -> None:
    """Triggers (on insert and on update of `column`) refusing a `table.column` that names no theme: what a
    foreign key would do, which SQLite cannot add to an existing table."""
    missing = f"NEW.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM themes WHERE id = NEW.{column})"
    for event in ("INSERT", f"UPDATE OF {column}"):
        db.execute(f"CREATE TRIGGER {name}_{event.split()[0].lower()} BEFORE {event} ON {table} WHEN {missing} "
                   f"BEGIN SELECT RAISE(ABORT, '{message}'); END")


@migrations()
def m001_memos_segments_words(db: sqlite_utils.Database) -> None:
    db["memos"].create(
        {
            "id": int,
            "content_hash": str,  # sha256 of the audio file: the memo's identity
            "original_name": str,
            "original_path": str,
            "library_path": str,  # relative to the data folder
            "recorded_at": str,  # ISO 8601, UTC
            "recorded_at_source": str,  # "metadata", "filename" (audio.recorded_time) or "mtime"
            "imported_at": str,
            "duration": float,
            "status": str,  # pending / transcribing / done / empty / failed
            "error": str,
            "language": str,
            "model": str,
            "transcript": str,  # the segments joined: what the full-text index covers
        },
        pk="id",
        not_null={"content_hash", "original_name", "status"},
        defaults={"status": "pending"},
    )
    db["memos"].create_index(["content_hash"], unique=True)
    db["memos"].create_index(["status"])
    db["memos"].create_index(["recorded_at"])
    db["segments"].create(
        {
            "id": int,
            "memo_id": int,
            "position": int,
            "start": float,
            "end": float,
            "text": str,
            "avg_logprob": float,
            "no_speech_prob": float,
        },
        pk="id",
        foreign_keys=[("memo_id", "memos", "id")],
    )
    db["segments"].create_index(["memo_id", "position"], unique=True)
    db["words"].create(
        {
            "id": int,
            "segment_id": int,
            "position": int,
            "start": float,
            "end": float,
            "word": str,
            "probability": float,
        },
        pk="id",
        foreign_keys=[("segment_id", "segments", "id")],
    )
    db["words"].create_index(["segment_id", "position"], unique=True)
    # Files seen by an import that did not become a memo (not audio, unreadable, vanished):
    # kept so `musings status` can say why, and so they are not re-probed on every run.
    db["import_problems"].create(
        {"path": str, "reason": str, "seen_at": str},
        pk="path",
    )
    db["memos"].enable_fts(["transcript"], tokenize="porter unicode61", create_triggers=True)


@migrations()
def m002_themes_titles_embeddings(db: sqlite_utils.Database) -> None:
    db["themes"].create(
        {"id": int, "name": str, "name_edited": int, "centroid": bytes, "created_at": str},
        pk="id",
        not_null={"name"},
        defaults={"name_edited": 0},
    )
    memos = db["memos"]
    memos.add_column("title", str)
    memos.add_column("title_edited", int, not_null_default=0)
    memos.add_column("theme_id", int)  # NULL = Unsorted
    memos.add_column("theme_pinned", int, not_null_default=0)  # 1 = the user put it there
    memos.create_index(["theme_id"])
    db["embeddings"].create(
        {"memo_id": int, "model": str, "vector": bytes},
        pk="memo_id",
        foreign_keys=[("memo_id", "memos", "id")],
    )


@migrations()
def m003_segment_edits(db: sqlite_utils.Database) -> None:
    # The user's wording of a segment; NULL = not edited. `text` stays what Whisper heard.
    db["segments"].add_column("edited_text", str)


@migrations()
def m004_exact_original_paths_and_claims(db: sqlite_utils.Database) -> None:
    # The original path's exact bytes when it is not valid UTF-8 (original_path then holds a readable
    # form with \xNN escapes); NULL = original_path is exact.
    db["memos"].add_column("original_path_bytes", bytes)
    # The importer transcribing a memo (a storage.owners token): a live one's memo is left alone.
    db["memos"].add_column("claimed_by", str)


@migrations()
def m005_memos_point_at_existing_themes(db: sqlite_utils.Database) -> None:
    # Memos left pointing at a theme that no longer exists (`theme merge 3 3` deleted it) were shown
    # nowhere but "All": they go back to Unsorted, for the next re-clustering to place.
    db.execute("UPDATE memos SET theme_id = NULL, theme_pinned = 0 "
               "WHERE theme_id IS NOT NULL AND theme_id NOT IN (SELECT id FROM themes)")
    # A foreign key would need the memos table rebuilt (SQLite can't add one to a table), FTS triggers and
    # all; these triggers give the same guarantee: no write leaves a memo in a theme that does not exist.
    _require_existing_theme(db, "memos", "theme_id", "memos_theme_exists", "no such theme")
    db.execute("CREATE TRIGGER themes_in_use_kept BEFORE DELETE ON themes "
               "WHEN EXISTS (SELECT 1 FROM memos WHERE theme_id = OLD.id) "
               "BEGIN SELECT RAISE(ABORT, 'the theme still holds memos'); END")
    db.execute("CREATE TRIGGER themes_in_use_keep_id BEFORE UPDATE OF id ON themes "
               "WHEN OLD.id != NEW.id AND EXISTS (SELECT 1 FROM memos WHERE theme_id = OLD.id) "
               "BEGIN SELECT RAISE(ABORT, 'the theme still holds memos'); END")


@migrations()
def m006_theme_parents(db: sqlite_utils.Database) -> None:
    # Themes form a two-level tree: a broad theme (parent_id NULL) and its sub-themes. A memo's theme_id is
    # its most specific theme. parent_edited = 1: the user nested or un-nested it, and re-clustering keeps it.
    db["themes"].add_column("parent_id", int)
    db["themes"].add_column("parent_edited", int, not_null_default=0)
    db["themes"].create_index(["parent_id"])
    _require_existing_theme(db, "themes", "parent_id", "themes_parent_exists", "no such parent theme")
    db.execute("CREATE TRIGGER themes_with_children_kept BEFORE DELETE ON themes "
               "WHEN EXISTS (SELECT 1 FROM themes AS child WHERE child.parent_id = OLD.id) "
               "BEGIN SELECT RAISE(ABORT, 'the theme still has sub-themes'); END")


@migrations()
def m007_recorded_at_utc(db: sqlite_utils.Database) -> None:
    # recorded_at kept the file's own offset ("+02:00"), or none at all, so ordering the text mixed zones.
    # Every value becomes the instant in UTC ("2026-12-02T03:21:00+00:00"); a naive one is taken as this
    # machine's local time; one that is not a time is left as it is.
    changed = []
    for memo_id, recorded_at in db.execute("SELECT id, recorded_at FROM memos WHERE recorded_at IS NOT NULL"):
        utc = to_utc_text(recorded_at)
        if utc is not None and utc != recorded_at:
            changed.append((utc, memo_id))
    db.conn.executemany("UPDATE memos SET recorded_at = ? WHERE id = ?", changed)


@migrations()
def m008_trash(db: sqlite_utils.Database) -> None:
    # A deleted memo stays in the table, with its transcript and audio, until the trash is emptied (or 30 days
    # pass): deleted_at (UTC) set = in the trash, left out of every list, search, theme and export. It leaves its
    # theme; trashed_theme_id / trashed_theme_pinned remember where it was, for a restore to put it back.
    db["memos"].add_column("deleted_at", str)
    db["memos"].add_column("trashed_theme_id", int)
    db["memos"].add_column("trashed_theme_pinned", int)
    db["memos"].create_index(["deleted_at"])


@migrations()
def m009_watched_folders(db: sqlite_utils.Database) -> None:
    # Folders whose new recordings are imported by themselves (app/intake.py): `path` resolved; last_activity
    # (UTC) the last file imported or refused there; last_error why the folder can't be watched now (missing).
    db["watched_folders"].create(
        {"path": str, "recursive": int, "added_at": str, "last_activity": str, "last_error": str},
        pk="path", not_null={"recursive"}, defaults={"recursive": 1},
    )
    # Files in watched folders the watcher has dealt with, by (size, mtime_ns): one seen again unchanged is not
    # looked at again (a refused file is never retried until it changes; a catch-up scan stats, never hashes).
    # outcome: imported / skipped / refused / waiting (noticed, not settled yet).
    db["intake_files"].create(
        {"path": str, "folder": str, "size": int, "mtime_ns": int, "outcome": str, "reason": str, "seen_at": str},
        pk="path",
    )
    db["intake_files"].create_index(["folder"])


@migrations()
def m010_volumes(db: sqlite_utils.Database) -> None:
    # Removable volumes seen as voice recorders (app/volumes.py), by `key`: "uuid:<filesystem UUID>", else
    # "label:<label>", else "path:<mount point>". marked = 1: the user said it is a recorder (any layout).
    db["volumes"].create(
        {"key": str, "uuid": str, "label": str, "name": str, "marked": int, "first_seen": str, "last_seen": str},
        pk="key", not_null={"marked"}, defaults={"marked": 0},
    )
    # What each volume's files became, by (size, mtime_ns): one seen again unchanged is not hashed again.
    # outcome: imported (memo_id: its memo, new or already in the library) / refused (not a usable recording).
    db["volume_files"].create(
        {"volume": str, "path": str, "size": int, "mtime_ns": int, "outcome": str, "memo_id": int,
         "reason": str, "seen_at": str},
        pk=("volume", "path"),
    )


@migrations()
def m011_related(db: sqlite_utils.Database) -> None:
    # Each memo's most similar memos (app/organizer.py `refresh_related`), kept so that an export of 20,000
    # memos needs no all-pairs product: a memo with fewer rows than asked for is computed again. The triggers
    # keep it true whatever changes a vector: a memo embedded anew, trashed or deleted leaves every list
    # (its own and those it was in), and those lists are filled again at the next refresh.
    db["related"].create({"memo_id": int, "other_id": int, "score": float}, pk=("memo_id", "other_id"))
    db["related"].create_index(["other_id"])
    for event in ("DELETE", "UPDATE OF vector, model"):
        db.execute(f"CREATE TRIGGER related_after_embedding_{event.split()[0].lower()} AFTER {event} ON embeddings "
                   "BEGIN DELETE FROM related WHERE memo_id = OLD.memo_id OR other_id = OLD.memo_id; END")


@migrations()
def m012_embeddings_version(db: sqlite_utils.Database) -> None:
    # A number that moves whenever the vectors a search reads may have changed (a memo embedded or embedded
    # anew, its status changed, a row deleted): every connection of a process (the window has one per job
    # thread) shares one copy of the library's vectors and reads them again only when it moved
    # (storage.themes.load_embeddings); before, each connection kept its own 30 MB at 20,000 memos.
    db["counters"].create({"name": str, "n": int}, pk="name")
    db["counters"].insert({"name": "embeddings", "n": 0})
    bump = "BEGIN UPDATE counters SET n = n + 1 WHERE name = 'embeddings'; END"
    for event in ("INSERT", "DELETE", "UPDATE"):
        db.execute(f"CREATE TRIGGER embeddings_version_{event.lower()} AFTER {event} ON embeddings {bump}")
    db.execute("CREATE TRIGGER embeddings_version_status AFTER UPDATE OF status ON memos "
               f"WHEN OLD.status IS NOT NEW.status {bump}")
    db.execute(f"CREATE TRIGGER embeddings_version_memo_delete AFTER DELETE ON memos {bump}")


@migrations()
def m013_review_state(db: sqlite_utils.Database) -> None:
    # Coming back to ideas (app/review.py): every memo is "new" until the user reviews it, then "kept" (starred),
    # "done" or "archived" (out of the default lists, still found by search); review_changed_at (UTC) is when.
    db["memos"].add_column("review_state", str, not_null_default="new")
    db["memos"].add_column("review_changed_at", str)
    db["memos"].create_index(["review_state"])


@migrations()
def m014_todos(db: sqlite_utils.Database) -> None:
    # Spoken to-dos (organize/todos.py, app/todos.py): what each transcript says to do, found again when the
    # transcript changes (`source`: a digest of the transcript they were found in, per memo in todo_sources);
    # `due` an ISO date or NULL, `start` the second of the audio where it is said, `done_at` (UTC) set = ticked.
    db["todos"].create({"id": int, "memo_id": int, "position": int, "text": str, "due": str, "start": float,
                        "done_at": str}, pk="id")
    db["todos"].create_index(["memo_id"])
    db["todo_sources"].create({"memo_id": int, "source": str}, pk="memo_id")


@migrations()
def m015_ideas(db: sqlite_utils.Database) -> None:
    # The ideas a recording holds (organize/ideas.py splits the transcript, app/ideas.py keeps them): each a
    # span of the recording (`start`, `end` seconds), its place, a title (`title_by_user` 1 = the user's), the
    # leaf theme its words are nearest to, and (for a memo of several ideas) the idea's own vector, which search
    # uses to play a hit from the idea it is about. `idea_sources`: a digest of the transcript (and of the user's edits)
    # they were made from, per memo. `idea_edits`: the user's splits and joins by second, applied in order
    # on every re-split, so a changed transcript keeps them.
    db["ideas"].create({"id": int, "memo_id": int, "position": int, "start": float, "end": float, "title": str,
                        "title_by_user": int, "theme_id": int, "vector": bytes}, pk="id")
    db["ideas"].create_index(["memo_id"])
    db["idea_sources"].create({"memo_id": int, "source": str}, pk="memo_id")
    db["idea_edits"].create({"id": int, "memo_id": int, "kind": str, "at": float}, pk="id")
    db["idea_edits"].create_index(["memo_id"])


@migrations()
def m016_idea_moves(db: sqlite_utils.Database) -> None:
    # An idea the user moved to a theme (`musings idea move`): a re-split gives that theme to the idea starting at
    # the same passage, and a re-clustering keeps it there, as a memo's theme_pinned does.
    db["ideas"].add_column("theme_by_user", int, not_null_default=0)
    # which memos hold several ideas (those with a second one), found without reading every memo's ideas
    db["ideas"].create_index(["position", "memo_id"])
