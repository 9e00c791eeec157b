"""The one way to open the Musings database: WAL, foreign keys, a busy timeout, migrations applied."""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from pathlib import Path

import sqlite_utils

from musings_errors import UserError
from privacy import create_private_file
from storage.data_folder import LIBRARY_DIR, prepare_private_data_dir
from storage.migrations import migrations

log = logging.getLogger(__name__)

DATABASE_NAME = "musings.db"
BUSY_TIMEOUT_MS = 10_000
# Up to this size every page is checked at open (~6 ms per MB); a bigger file gets the cheap checks only.
QUICK_CHECK_MAX_BYTES = 32 << 20


class StorageError(UserError):
    """A problem with the data folder the user can fix (read-only, full disk, not a folder)."""


class DamagedDatabase(StorageError):
    """The database file is damaged or lost: `musings repair` rebuilds it from the library."""


def open_database(data_dir: Path, *, read_only: bool = False, rebuilding: bool = False) -> sqlite_utils.Database:
    """Open (creating if needed) the database in `data_dir` and bring its schema up to date.

    `read_only`: the caller only reads. If the folder can't be written (a backup, a mounted snapshot) the
    database is then opened read-only, with no migration applied, instead of failing.
    A damaged database raises `DamagedDatabase` and is never written to; so does a missing or empty one
    while the library holds recordings (that is a lost database, not a new library), unless `rebuilding`.
    """
    data_dir = Path(data_dir)
    path = data_dir / DATABASE_NAME
    try:
        if read_only and not _writable(data_dir):
            return _open_read_only(data_dir)
        prepare_private_data_dir(data_dir)  # owner-only, whatever the umask; an old 0755 folder is tightened
        if not rebuilding:
            _check_not_lost(data_dir)
        create_private_file(path)  # SQLite makes a new database 0644, and its -wal and -shm take its mode
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000)  # one thread only (sqlite3 checks)
        when_unlocked(lambda: check_not_damaged(conn, path))  # before the pragmas below, which write to the file
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        when_unlocked(lambda: conn.execute("PRAGMA journal_mode = WAL"))
        # NORMAL is durable across application crashes in WAL mode; only an OS crash can lose
        # the last commits, never corrupt the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        db = sqlite_utils.Database(conn)
        when_unlocked(lambda: _apply_migrations(db))
    except StorageError:
        raise
    except (OSError, sqlite3.OperationalError) as error:
        raise StorageError(describe_storage_error(error, data_dir)) from error
    except sqlite3.DatabaseError as error:
        raise DamagedDatabase(damaged_message(path, error)) from error
    return db


def when_unlocked(step, conn: sqlite3.Connection | None = None, seconds: float = BUSY_TIMEOUT_MS / 1000):
    """Run `step`, retrying while another process holds the lock. SQLite gives up at once, without waiting
    on the busy timeout, where waiting could deadlock: switching a new file to WAL, or a transaction that
    read and then wants to write after another process wrote (two imports at once saw 'database is locked').
    `conn`'s open transaction is rolled back before each retry; `step` must be safe to run again."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return step()
        except sqlite3.OperationalError as error:
            if "locked" not in str(error).lower() or time.monotonic() > deadline:
                raise
            if conn is not None and conn.in_transaction:
                conn.rollback()
            time.sleep(0.05)


def _apply_migrations(db: sqlite_utils.Database) -> None:
    if not migrations.pending(db):
        return
    # Under the write lock, so two processes opening a new library at once don't both create its tables
    # (the loser re-reads what is applied once it gets the lock: nothing is left to do).
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        migrations.apply(db)
        db.conn.execute("COMMIT")
    except BaseException:
        db.conn.rollback()
        raise


def check_not_damaged(conn: sqlite3.Connection, path: Path) -> None:
    """Raise DamagedDatabase if the file is not an intact SQLite database (garbage, truncated, malformed)."""
    try:
        if path.exists() and path.stat().st_size <= QUICK_CHECK_MAX_BYTES:
            result = conn.execute("PRAGMA quick_check(1)").fetchone()[0]
        else:  # a big library: the page count (truncation) and the schema are read, not every page
            conn.execute("PRAGMA page_count").fetchone()
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            result = "ok"
    except sqlite3.OperationalError:
        raise  # locked, unreadable: not damage
    except sqlite3.DatabaseError as error:
        conn.close()
        raise DamagedDatabase(damaged_message(path, error)) from error
    if result != "ok":
        conn.close()
        raise DamagedDatabase(damaged_message(path, result))


def damaged_message(path: Path, reason: object) -> str:
    return (f"the database {path} is damaged ({reason}); nothing was changed. Run `musings repair` to rebuild "
            f"it from the recordings in {path.parent / LIBRARY_DIR} (the damaged file is kept aside)")


def is_damage(error: BaseException) -> bool:
    """Whether an sqlite3 error means the file is damaged (not merely locked or read-only)."""
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(error, sqlite3.OperationalError) and any(
        words in str(error).lower() for words in ("malformed", "not a database", "corrupt"))


def library_recordings(data_dir: Path) -> list[Path]:
    """The recordings in the library folder (named by content hash), leftovers of interrupted copies excluded."""
    folder = Path(data_dir) / LIBRARY_DIR
    return sorted(p for p in folder.glob("*/*") if p.is_file() and not p.name.endswith(".partial")
                  and not p.name.startswith("."))


def _check_not_lost(data_dir: Path) -> None:
    path = data_dir / DATABASE_NAME
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        size = None
    if size:
        return
    recordings = library_recordings(data_dir)
    if not recordings:
        return  # a new library
    what = f"the database {path} is empty (0 bytes)" if size == 0 else f"there is no database in {data_dir}"
    raise DamagedDatabase(
        f"{what} but its library holds {len(recordings)} recording(s); nothing was changed. Run `musings repair` "
        f"to rebuild the database from them")


def _writable(data_dir: Path) -> bool:
    path = data_dir / DATABASE_NAME
    if _read_only(data_dir):
        return False
    if data_dir.exists() and not os.access(data_dir, os.W_OK):
        return False
    return not path.exists() or os.access(path, os.W_OK)


def _open_read_only(data_dir: Path) -> sqlite_utils.Database:
    """The database of a folder that can't be written, for reading: nothing is created or migrated."""
    path = data_dir / DATABASE_NAME
    if not path.exists() or path.stat().st_size == 0:
        _check_not_lost(data_dir)
        raise StorageError(f"there is no Musings library in {data_dir} (and the folder is read-only)")
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
        check_not_damaged(conn, path)
    except sqlite3.OperationalError:
        # A WAL database needs its -shm file, which can't be created on read-only media: read the file
        # as it is (a snapshot is not written to by anyone, which is what immutable promises SQLite).
        log.info("opening %s as immutable", path)
        conn = sqlite3.connect(f"{uri}&immutable=1", uri=True)
        check_not_damaged(conn, path)
    conn.execute("PRAGMA foreign_keys = ON")
    db = sqlite_utils.Database(conn)
    if migrations.pending(db):
        log.warning("%s is from an older Musings and the folder is read-only: shown as it is", path)
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
