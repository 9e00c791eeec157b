"""The repair use case: a database that covers the library again, after damage or loss.

    set aside   a damaged (or empty) musings.db, with its -wal and -shm, becomes musings.db.damaged-<UTC time>
    salvage     what can still be read from the damaged file: original names, recording times, your titles
    rebuild     every recording in library/ (named by its content hash) without a memo becomes a pending memo

Transcripts are not rebuilt here: the memos wait in the queue and the next `musings import` transcribes
them (like any interrupted import). Themes and segment edits of the damaged file are not recovered.
A repair killed part-way is finished by running it again: the set-aside file is kept, and the rebuild
only adds what is missing.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from audio.decode import AudioError, file_mtime, probe
from audio.recorded_time import recorded_time
from storage import memos as store
from storage import themes as org
from storage.db import DATABASE_NAME, DamagedDatabase, library_recordings, open_database
from storage.data_folder import hash_file
from storage.timestamps import to_utc_text, utc_text

log = logging.getLogger(__name__)

SALVAGED_FIELDS = ("original_name", "original_path", "original_path_bytes", "recorded_at", "recorded_at_source",
                   "title", "title_edited")


@dataclass
class RepairReport:
    damaged_kept_as: Path | None = None  # where the damaged database was moved, if it was
    damage: str | None = None  # what was wrong with it (the one-line message opening it gave)
    added: int = 0  # memos made for recordings the database did not know
    salvaged: int = 0  # of those, how many got their names and times back from the damaged file
    unusable: list[tuple[str, str]] = field(default_factory=list)  # library files that are not recordings


def repair_library(data_dir: Path) -> RepairReport:
    """Set a damaged database aside and rebuild one from the library; on a healthy one, add missing memos."""
    data_dir = Path(data_dir)
    report = RepairReport()
    try:
        open_database(data_dir).conn.close()
    except DamagedDatabase as error:
        report.damage = str(error)
        if (data_dir / DATABASE_NAME).exists():
            report.damaged_kept_as = _set_aside(data_dir)
    salvaged = _salvage(report.damaged_kept_as) if report.damaged_kept_as else {}
    db = open_database(data_dir, rebuilding=True)
    try:
        for recording in library_recordings(data_dir):
            _add_if_missing(db, data_dir, recording, salvaged, report)
    finally:
        db.conn.close()
    return report


def _set_aside(data_dir: Path) -> Path:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = data_dir / f"{DATABASE_NAME}.damaged-{stamp}"
    for suffix in ("-wal", "-shm", ""):  # the main file last: until it moves, a rerun sees the damage again
        source = data_dir / (DATABASE_NAME + suffix)
        if source.exists():
            os.replace(source, Path(f"{kept}{suffix}"))
    log.info("moved the damaged database to %s", kept)
    return kept


def _salvage(damaged: Path) -> dict[str, dict]:
    """Rows of the damaged file's memos table that can still be read, by content hash (best effort)."""
    rows: dict[str, dict] = {}
    try:
        conn = sqlite3.connect(f"{damaged.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return rows
    try:
        conn.row_factory = sqlite3.Row
        cursor = conn.execute("SELECT * FROM memos")
        while True:  # row by row: the rows before a damaged page are kept
            row = cursor.fetchone()
            if row is None:
                break
            if row["content_hash"]:
                rows[row["content_hash"]] = {k: row[k] for k in SALVAGED_FIELDS if k in row.keys()}
    except sqlite3.Error as error:
        log.info("salvaged %d memo(s) from %s before: %s", len(rows), damaged, error)
    finally:
        conn.close()
    return rows


def _add_if_missing(db, data_dir: Path, recording: Path, salvaged: dict[str, dict], report: RepairReport) -> None:
    content_hash = recording.stem
    relative = recording.relative_to(data_dir).as_posix()
    if store.find_by_hash(db, content_hash) is not None:
        return
    try:
        if hash_file(recording) != content_hash:
            report.unusable.append((relative, "its content does not match its name (damaged copy)"))
            return
        info = probe(recording)
    except (OSError, AudioError) as error:
        report.unusable.append((relative, str(error)))
        return
    old = salvaged.get(content_hash, {})
    name = old.get("original_name") or recording.name
    recorded_at, source = recorded_time(info.recorded_at, name, file_mtime(recording))
    memo = store.NewMemo(
        content_hash=content_hash,
        original_name=name,
        original_path=old.get("original_path") or "",
        library_path=relative,
        recorded_at=to_utc_text(old.get("recorded_at")) or old.get("recorded_at") or utc_text(recorded_at),
        recorded_at_source=old.get("recorded_at_source") or source,
        duration=round(info.duration, 3),
        original_path_bytes=old.get("original_path_bytes"),
    )
    memo_id = store.add_memo(db, memo)
    if memo_id is None:
        return
    report.added += 1
    if old:
        report.salvaged += 1
        if old.get("title"):
            org.set_title(db, memo_id, old["title"], by_user=bool(old.get("title_edited")))
