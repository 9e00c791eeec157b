"""Who is working on what: a live worker holds a lock on its own file, so its claims can be told from a dead one's.

A memo left `transcribing` by a killed import must be resumed, but one being transcribed right now by
another import (or by a recording that just finished) must be left alone. The worker's token names a
file in `<data>/locks/`; while the worker lives it holds an exclusive `flock` on it, and the kernel
drops that lock when the process dies, however it dies (kill -9, power loss: the file is then simply stale).
"""
from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no flock; claims are then treated as dead (the behaviour before owners existed)
    fcntl = None

log = logging.getLogger(__name__)

LOCKS_DIR = "locks"


class OwnerLock:
    """A token that stays 'alive' (see `owner_alive`) until `release` or the end of the process."""

    def __init__(self, data_dir: Path):
        self.token = f"{os.getpid()}-{secrets.token_hex(6)}"
        self._path = Path(data_dir) / LOCKS_DIR / f"{self.token}.lock"
        self._file = None
        if fcntl is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(self._path, "w")
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def release(self) -> None:
        if self._file is not None:
            self._path.unlink(missing_ok=True)
            self._file.close()
            self._file = None

    def __enter__(self) -> "OwnerLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def owner_alive(data_dir: Path, token: str | None) -> bool:
    """Whether the worker that made `token` still runs (holds its lock)."""
    if not token or fcntl is None or "/" in token:
        return False
    path = Path(data_dir) / LOCKS_DIR / f"{token}.lock"
    try:
        handle = open(path, "r")
    except FileNotFoundError:
        return False
    except OSError:  # cannot tell (permissions): do not take its work away
        log.debug("cannot check owner %s", token, exc_info=True)
        return True
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        # Nobody holds it: the worker died without releasing. Its file is no use to anyone now.
        path.unlink(missing_ok=True)
        return False
