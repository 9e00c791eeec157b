"""Replacing a file in one step: a reader, a crash or a `kill -9` sees the old file or the new one, never half.

The one way Musings writes a whole file (the export, the library copy of a recording, the desktop entries,
the reassembled base model, the theme map's layout): `atomic_file` writes a temporary file in the target's
folder, flushes and fsyncs it, renames it over the target (`os.replace`, atomic on one file system) and
fsyncs the folder so the rename survives a power cut. On any error the temporary file is removed and the
old target is left as it was. A process killed mid-write can only leave its temporary file behind:
`.musings-tmp-<name>.<random>.partial` (TEMP_PREFIX ... TEMP_SUFFIX), unique per write, so the next write
never reuses it and the owners of each folder can clean such leftovers up (app/export_files.py,
storage/data_folder.py). Streaming files (audio/recorder.py's recording) do not go through here.

Modes: `mode=None` gives what a plain `open(path, "w")` would, 0666 minus the umask (an exported vault is
meant to be shared); the data folder's files pass privacy.PRIVATE_FILE_MODE. The temporary file has its
final mode before the first byte is written (mkstemp creates it 0600), so private bytes are never readable
by others, not even for a moment.

A top-level module beside privacy.py, standard library only: app, audio and storage all use it and must not
import each other.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO, Iterator

TEMP_PREFIX = ".musings-tmp-"
TEMP_SUFFIX = ".partial"
_CHUNK = 1 << 20
_NAME_IN_TEMP = 32  # characters of the target's name kept in the temporary name (NAME_MAX is 255 bytes)


def file_mode() -> int:
    """The mode a new file gets from the user's umask (a copy must not inherit the private library's 0600)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)  # no /proc (macOS, Windows): the only portable way to read it is to set it
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike, mode: int | None = None) -> Iterator[BinaryIO]:
    """A binary file to write `path`'s new content into; it becomes `path` when the block ends normally.

    An exception in the block (or while flushing, e.g. a full disk) removes the temporary file and is
    re-raised; `path` keeps its old content. The folder must exist: creating it, and with which mode, is the
    caller's business."""
    path = Path(path)
    folder = path.parent
    handle, temp = tempfile.mkstemp(dir=folder, prefix=f"{TEMP_PREFIX}{path.name[:_NAME_IN_TEMP]}.",
                                    suffix=TEMP_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as out:
            _set_mode(out.fileno(), temp, file_mode() if mode is None else mode)
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    fsync_folder(folder)


def write_atomic(path: str | os.PathLike, data: bytes | str, mode: int | None = None) -> None:
    """Give `path` the content `data` (a str is written as UTF-8) in one step, durably."""
    with atomic_file(path, mode) as out:
        out.write(data.encode("utf-8") if isinstance(data, str) else data)


def copy_atomic(source: str | os.PathLike, target: str | os.PathLike, mode: int | None = None, *,
                chunk: int = _CHUNK) -> None:
    """Copy `source`'s bytes (not its mode or times) to `target` in one step, reading `chunk` bytes at a time."""
    with open(source, "rb") as reader, atomic_file(target, mode) as out:
        shutil.copyfileobj(reader, out, chunk)


def fsync_folder(folder: str | os.PathLike) -> None:
    """Make a rename or an unlink in `folder` durable (no-op where folders cannot be opened, e.g. Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _set_mode(descriptor: int, temp: str, mode: int) -> None:
    if hasattr(os, "fchmod"):
        os.fchmod(descriptor, mode)
    else:  # Windows: only the read-only flag, and only by name
        os.chmod(temp, mode)
