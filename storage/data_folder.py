"""The data folder: where it is (`resolve_data_dir`), made private, and its audio library — a copy of every
imported recording, named by content hash.

Originals are never touched; the data folder alone (database + library) is a complete backup.
"""
from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import stat
import time
from pathlib import Path
from typing import Iterator

import platformdirs

from atomic_files import TEMP_SUFFIX, copy_atomic
from privacy import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, make_private_dir, open_private

log = logging.getLogger(__name__)

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

LIBRARY_DIR = "library"
_CHUNK = 1 << 20


def resolve_data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data folder: `explicit` (--data-dir), else $MUSINGS_HOME, else the platform's user data folder."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    if os.environ.get("MUSINGS_HOME"):
        return Path(os.environ["MUSINGS_HOME"]).expanduser().resolve()
    return Path(platformdirs.user_data_dir("musings", appauthor=False))


def hash_file(path: Path) -> str:
    """sha256 of the file's bytes, read in chunks (memory stays flat for huge files)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def library_path_for(content_hash: str, suffix: str) -> str:
    """Where a recording with this hash lives, relative to the data folder."""
    return f"{LIBRARY_DIR}/{content_hash[:2]}/{content_hash}{suffix.lower()}"


def copy_into_library(data_dir: Path, source: Path, relative_path: str) -> Path:
    """Copy `source` to `relative_path` atomically: a killed copy never leaves a half file in place.

    The partial file's name (atomic_files: `*.partial`, mode 0600) is unique to this copy, and the copy holds
    the library's copy lock (shared), so another import or a recording finishing at the same time can neither
    clash with it nor clean it up.
    """
    target = data_dir / relative_path
    if target.exists():
        return target
    make_private_dir(data_dir / LIBRARY_DIR)
    make_private_dir(target.parent)
    with _copy_lock(data_dir, exclusive=False):
        # two copies of the same recording: same bytes, either one wins
        copy_atomic(source, target, PRIVATE_FILE_MODE, chunk=_CHUNK)
    return target


def remove_partial_copies(data_dir: Path) -> int:
    """Delete leftovers of copies interrupted by a crash; returns how many were removed.

    Only when no copy is running in any process (the copy lock is free): a partial file then has no writer.
    """
    removed = 0
    with _copy_lock(data_dir, exclusive=True) as free:
        if not free:
            return 0
        for leftover in (data_dir / LIBRARY_DIR).glob(f"*/*{TEMP_SUFFIX}"):
            leftover.unlink(missing_ok=True)
            removed += 1
    return removed


@contextlib.contextmanager
def _copy_lock(data_dir: Path, exclusive: bool) -> Iterator[bool]:
    """flock on library/.copy-lock: copies share it; the cleanup takes it alone, without waiting.

    Yields whether the lock was taken. The kernel drops it when a process dies, so a crash never leaves it held.
    Without fcntl (Windows) there is no lock: the cleanup then only removes partial files a day old.
    """
    if fcntl is None:
        yield not exclusive or _no_recent_partials(data_dir)
        return
    folder = data_dir / LIBRARY_DIR
    if exclusive and not folder.is_dir():
        yield True
        return
    make_private_dir(folder)
    try:
        handle = open_private(folder / ".copy-lock", "a")
    except OSError:
        if not exclusive:
            raise
        yield False  # a read-only library: nothing to clean up there anyway
        return
    with handle:
        try:
            fcntl.flock(handle, (fcntl.LOCK_EX | fcntl.LOCK_NB) if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        yield True


def _no_recent_partials(data_dir: Path) -> bool:
    day_ago = time.time() - 86_400
    return all(p.stat().st_mtime < day_ago for p in (data_dir / LIBRARY_DIR).glob(f"*/*{TEMP_SUFFIX}"))


# What Musings keeps in a data folder besides musings.db*: the library, the recordings inbox (app/capture.py),
# the owner locks (storage/owners.py), the log of a background `listen` (app/cli.py). Only these are
# tightened: a user's own files in a folder they chose are theirs to share.
_KEPT_BY_MUSINGS = {LIBRARY_DIR, "recordings", "locks", "listen.log"}


def prepare_private_data_dir(data_dir: Path) -> None:
    """Create the data folder readable by its owner only; make an existing one so, telling the user once.

    A folder made by an older Musings (or under a lax umask) is 0755 with 0644 files: the folder and what
    Musings keeps in it lose their group and other bits, and a warning says so. Once the folder is 0700
    nothing is walked again, which is also how the user is told only once; what Musings adds later is
    created owner-only (`privacy`). A folder that can't be changed (read-only, another owner) is left as is.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        make_private_dir(data_dir)
        return
    try:
        if stat.S_IMODE(data_dir.stat().st_mode) & 0o077 == 0:
            return
        os.chmod(data_dir, PRIVATE_DIR_MODE)
    except OSError as error:
        log.info("could not make the data folder %s private: %s", data_dir, error)
        return
    tightened = sum(_remove_group_and_other_access(entry) for entry in data_dir.iterdir()
                    if entry.name in _KEPT_BY_MUSINGS or entry.name.startswith("musings.db"))
    log.warning("the data folder %s was readable by other users; it and %d items in it are now private "
                "to you", data_dir, tightened)


def _remove_group_and_other_access(top: Path) -> int:
    """Clear the group/other bits of `top` and everything under it (symlinks are not followed); returns a count."""
    changed = 0
    paths = [top] + [Path(parent) / name for parent, folders, files in os.walk(top) for name in folders + files]
    for path in paths:
        try:
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode) or stat.S_IMODE(mode) & 0o077 == 0:
                continue
            os.chmod(path, stat.S_IMODE(mode) & 0o700)
            changed += 1
        except OSError as error:  # gone meanwhile, or not the user's
            log.info("could not make %s private: %s", path, error)
    return changed
