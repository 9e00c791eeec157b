"""The audio library: a copy of every imported recording inside the data folder, named by content hash.

Originals are never touched; the data folder alone (database + library) is a complete backup.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import platformdirs

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
    """Copy `source` to `relative_path` atomically: a killed copy never leaves a half file in place."""
    target = data_dir / relative_path
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        with open(source, "rb") as reader, open(partial, "wb") as writer:
            shutil.copyfileobj(reader, writer, _CHUNK)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return target


def remove_partial_copies(data_dir: Path) -> int:
    """Delete leftovers of copies interrupted by a crash; returns how many were removed."""
    removed = 0
    for leftover in (data_dir / LIBRARY_DIR).glob("*/*.partial"):
        leftover.unlink(missing_ok=True)
        removed += 1
    return removed
