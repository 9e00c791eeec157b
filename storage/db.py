"""The one way to open the Musings database: WAL, foreign keys, a busy timeout, migrations applied."""
from __future__ import annotations

import logging
import os
import sqlite3
from pathlib import Path

import sqlite_utils

from storage.migrations import migrations

log = logging.getLogger(__name__)

DATABASE_NAME = "musings.db"
BUSY_TIMEOUT_MS = 10_000


class StorageError(Exception):
    """A problem with the data folder the user can fix (read-only, full disk, not a folder)."""


def open_database(data_dir: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database in `data_dir` and bring its schema up to date."""
    data_dir = Path(data_dir)
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(data_dir / DATABASE_NAME, timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
        # the last commits, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        migrations.apply(db)
    except (OSError, sqlite3.OperationalError) as error:
        raise StorageError(describe_storage_error(error, data_dir)) from error
    return db


def describe_storage_error(error: BaseException, data_dir: Path) -> str:
    """A one-line, user-readable reason for a failure to write to the data folder."""
    text = str(error).lower()
    if "readonly" in text or "read-only" in text or getattr(error, "errno", None) == 30 or _read_only(data_dir):
        return f"the data folder {data_dir} is read-only"
    if "disk is full" in text or "no space" in text or getattr(error, "errno", None) == 28:
        return f"the disk holding {data_dir} is full"
    if "unable to open" in text or getattr(error, "errno", None) == 13:
        return f"cannot open the data folder {data_dir} (permission denied or not a folder)"
    return f"cannot use the data folder {data_dir}: {error}"


def _read_only(folder: Path) -> bool:
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
