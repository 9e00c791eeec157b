"""The inbox: where a recording is written while it is made (<data_dir>/recordings), until it is a memo.

A recording leaves the inbox once it is a memo, so whatever is still there was interrupted (a crash,
`kill -9`, a full disk) and waits to be recovered - unless a recorder is still writing it: the
recorder holds a lock on the file while it does (audio.recorder), and a file written to in the
last second (perhaps before its recorder took the lock) is left alone too. Listing is cheap: `musings status` imports no more than this.
"""
from __future__ import annotations

import fcntl
import os
import time
from dataclasses import dataclass
from pathlib import Path

INBOX_DIR = "recordings"
# An inbox file written to this recently may belong to a recording running in another process.
IN_USE_SECONDS = 5.0
# A file this young may be a recording whose recorder has not taken the file's lock yet.
JUST_CREATED_SECONDS = 1.0


@dataclass(frozen=True)
class UnfinishedRecording:
    path: Path
    size: int
    in_use: bool  # written to in the last IN_USE_SECONDS: perhaps still being recorded


def inbox_dir(data_dir: Path) -> Path:
    return Path(data_dir) / INBOX_DIR


def unfinished_recordings(data_dir: Path) -> list[UnfinishedRecording]:
    """The recordings waiting in the inbox, oldest first."""
    inbox = inbox_dir(data_dir)
    if not inbox.is_dir():
        return []
    found = []
    for path in sorted(inbox.glob("*.ogg")):
        try:
            info = path.stat()
        except FileNotFoundError:  # finished and imported meanwhile
            continue
        in_use = _locked(path) or time.time() - info.st_mtime < JUST_CREATED_SECONDS
        found.append(UnfinishedRecording(path, info.st_size, in_use))
    return found


def _locked(path: Path) -> bool:
    """True while a recorder (in any process) holds the file's lock, i.e. is still recording it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops our shared lock
    return False
