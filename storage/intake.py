"""Watched folders and the files the watcher has dealt with (migration m009_watched_folders).

`watched_folders`: one row per folder (its resolved path). `intake_files`: one row per file of a watched
folder that was imported, skipped (already in the library), refused (not audio, unreadable) or is waiting to
settle, with the size and mtime it had then: a file seen again with the same size and mtime is left alone.
"""
from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

import sqlite_utils

from storage.timestamps import now_text

IMPORTED, SKIPPED, REFUSED, WAITING = "imported", "skipped", "refused", "waiting"


@dataclass
class WatchedFolder:
    path: str
    recursive: bool
    added_at: str
    last_activity: str | None = None
    last_error: str | None = None


@dataclass
class SeenFile:
    path: str
    folder: str
    size: int
    mtime_ns: int
    outcome: str
    reason: str | None = None
    seen_at: str | None = None



def _has_tables(db: sqlite_utils.Database) -> bool:
    # A library on read-only media from before m009 has none (shown as it is, with no watched folders).
    return "watched_folders" in db.table_names()


def list_folders(db: sqlite_utils.Database) -> list[WatchedFolder]:
    if not _has_tables(db):
        return []
    return [WatchedFolder(row["path"], bool(row["recursive"]), row["added_at"], row["last_activity"],
                          row["last_error"]) for row in db["watched_folders"].rows_where(order_by="path")]


def get_folder(db: sqlite_utils.Database, path: str) -> WatchedFolder | None:
    return next((folder for folder in list_folders(db) if folder.path == path), None)


def add_folder(db: sqlite_utils.Database, path: str, recursive: bool) -> WatchedFolder:
    """Watch `path` (already resolved); adding it again only changes `recursive`."""
    with db.atomic():
        db.execute("INSERT INTO watched_folders (path, recursive, added_at) VALUES (?, ?, ?) "
                   "ON CONFLICT (path) DO UPDATE SET recursive = excluded.recursive",
                   [path, int(recursive), now_text()])
    return get_folder(db, path)


def remove_folder(db: sqlite_utils.Database, path: str) -> bool:
    """Stop watching `path`; its files' records go too (its memos stay). False if it was not watched."""
    with db.atomic():
        removed = db.execute("DELETE FROM watched_folders WHERE path = ?", [path]).rowcount
        db.execute("DELETE FROM intake_files WHERE folder = ?", [path])
    return bool(removed)


_KEEP = object()


def set_folder_state(db: sqlite_utils.Database, path: str, *, activity: bool = False, error=_KEEP) -> None:
    """Note activity in a folder (now), and/or why it can't be watched (`error`; None: it can)."""
    assignments, values = [], []
    if error is not _KEEP:
        assignments.append("last_error = ?")
        values.append(error)
    if activity:
        assignments.append("last_activity = ?")
        values.append(now_text())
    if not assignments:
        return
    with db.atomic():
        db.execute(f"UPDATE watched_folders SET {', '.join(assignments)} WHERE path = ?", [*values, path])


def seen_files(db: sqlite_utils.Database, folder: str | None = None) -> dict[str, SeenFile]:
    """The files dealt with (all, or those of one folder), by path."""
    if not _has_tables(db):
        return {}
    where, args = ("folder = ?", [folder]) if folder is not None else (None, None)
    return {row["path"]: SeenFile(**row) for row in db["intake_files"].rows_where(where, args)}


def mark_files(db: sqlite_utils.Database, files: Iterable[SeenFile]) -> None:
    rows = [{**file.__dict__, "seen_at": file.seen_at or now_text()} for file in files]
    if rows:
        with db.atomic():
            db["intake_files"].upsert_all(rows, pk="path")


def forget_files(db: sqlite_utils.Database, paths: Iterable[str]) -> None:
    paths = list(paths)
    with db.atomic():
        for start in range(0, len(paths), 500):
            chunk = paths[start:start + 500]
            db.execute(f"DELETE FROM intake_files WHERE path IN ({', '.join('?' * len(chunk))})", chunk)


def forget_waiting(db: sqlite_utils.Database) -> None:
    """A new watcher starts: files a previous one left waiting are found again by its catch-up scan."""
    if _has_tables(db):
        with db.atomic():
            db.execute("DELETE FROM intake_files WHERE outcome = ?", [WAITING])


def problems_under(db: sqlite_utils.Database, folder: str) -> list[tuple[str, str]]:
    """The import problems (path, reason) of files inside `folder`."""
    prefix = folder.rstrip("/") + "/"
    try:
        rows = db.execute("SELECT path, reason FROM import_problems WHERE substr(path, 1, ?) = ? "
                          "ORDER BY seen_at DESC", [len(prefix), prefix]).fetchall()
    except sqlite3.OperationalError:
        return []
    return [(path, reason) for path, reason in rows]
