"""Removable volumes seen as voice recorders and what their files became (migration m010_volumes).

`volumes`: one row per volume, by key ("uuid:...", "label:...", "path:..."), with `marked` = the user said it
is a recorder. `volume_files`: one row per recording on a volume that was imported (its memo) or refused, with
the size and mtime it had then: a file seen again with the same size and mtime is not hashed or imported again.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

import sqlite_utils

from storage.timestamps import now_text

IMPORTED, REFUSED = "imported", "refused"


@dataclass
class KnownVolume:
    key: str
    uuid: str | None
    label: str | None
    name: str | None
    marked: bool
    first_seen: str | None
    last_seen: str | None


@dataclass
class VolumeFile:
    volume: str
    path: str  # relative to the volume's mount point, with "/"
    size: int
    mtime_ns: int
    outcome: str
    memo_id: int | None = None
    reason: str | None = None
    seen_at: str | None = None



def _has_tables(db: sqlite_utils.Database) -> bool:
    # A library on read-only media from before m010 has none: no volume is known there.
    return "volumes" in db.table_names()


def get_volume(db: sqlite_utils.Database, key: str) -> KnownVolume | None:
    if not _has_tables(db):
        return None
    row = next(iter(db["volumes"].rows_where("key = ?", [key], limit=1)), None)
    return None if row is None else KnownVolume(**{**row, "marked": bool(row["marked"])})


def list_volumes(db: sqlite_utils.Database) -> list[KnownVolume]:
    if not _has_tables(db):
        return []
    return [KnownVolume(**{**row, "marked": bool(row["marked"])}) for row in db["volumes"].rows_where(order_by="key")]


def note_volume(db: sqlite_utils.Database, key: str, *, uuid: str | None, label: str | None, name: str | None,
                marked: bool | None = None) -> KnownVolume:
    """Record that the volume `key` was seen now (and, if `marked` is given, whether the user marked it)."""
    now = now_text()
    with db.atomic():
        db.execute("INSERT INTO volumes (key, uuid, label, name, marked, first_seen, last_seen) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET uuid = excluded.uuid, "
                   "label = excluded.label, name = excluded.name, last_seen = excluded.last_seen"
                   + (", marked = excluded.marked" if marked is not None else ""),
                   [key, uuid, label, name, int(bool(marked)), now, now])
    return get_volume(db, key)


def is_marked(db: sqlite_utils.Database, key: str) -> bool:
    volume = get_volume(db, key)
    return bool(volume and volume.marked)


def known_files(db: sqlite_utils.Database, key: str) -> dict[str, VolumeFile]:
    """The files of volume `key` already dealt with, by relative path."""
    if not _has_tables(db):
        return {}
    return {row["path"]: VolumeFile(**row) for row in db["volume_files"].rows_where("volume = ?", [key])}


def remember_files(db: sqlite_utils.Database, files: Iterable[VolumeFile]) -> None:
    rows = [{**file.__dict__, "seen_at": file.seen_at or now_text()} for file in files]
    if rows:
        with db.atomic():
            db["volume_files"].upsert_all(rows, pk=("volume", "path"))


def forget_files(db: sqlite_utils.Database, key: str, paths: Iterable[str]) -> None:
    with db.atomic():
        for path in paths:
            db.execute("DELETE FROM volume_files WHERE volume = ? AND path = ?", [key, path])


def volume_activity(db: sqlite_utils.Database, key: str) -> tuple[dict[str, int], str | None, list[tuple[str, str]]]:
    """What came of volume `key`'s files: (count per outcome, when a file was last dealt with, (path, reason)
    of the refused ones)."""
    if not _has_tables(db):
        return {}, None, []
    counts = dict(db.execute("SELECT outcome, count(*) FROM volume_files WHERE volume = ? GROUP BY outcome",
                             [key]).fetchall())
    last = db.execute("SELECT max(seen_at) FROM volume_files WHERE volume = ?", [key]).fetchone()[0]
    refused = db.execute("SELECT path, reason FROM volume_files WHERE volume = ? AND outcome = 'refused' "
                         "ORDER BY path", [key]).fetchall()
    return counts, last, [tuple(row) for row in refused]
