"""The log file: `musings.log` in the data folder (rotating, owner-only), where every bug's traceback goes.

A `UserError` is told to the user in one line and is not a bug. Anything else is: `record_bug` writes it
with its traceback here, and the front end says "Something went wrong — details in <log>" and goes on.
"""
from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from privacy import create_private_file, make_private_dir

LOG_NAME = "musings.log"
LOG_BYTES = 1 << 20  # then musings.log.1 .. .3
LOG_BACKUPS = 3
_FORMAT = "%(asctime)s %(process)d %(threadName)s %(levelname)s %(name)s: %(message)s"

log = logging.getLogger("musings")


class _PrivateRotatingFile(logging.handlers.RotatingFileHandler):
    """A rotating log whose every file (the first, and each made by a rotation) is 0600."""

    def _open(self):
        create_private_file(Path(self.baseFilename))
        return super()._open()


def log_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOG_NAME


def install_log_file(data_dir: Path) -> Path | None:
    """Send warnings and errors of every logger to the data folder's log file (once per process and folder).
    Returns its path, or None when the folder can't hold it (read-only, missing disk): stderr still has them."""
    path = log_path(data_dir)
    root = logging.getLogger()
    for handler in root.handlers:
        if isinstance(handler, _PrivateRotatingFile) and Path(handler.baseFilename) == path.absolute():
            return path
    try:
        make_private_dir(path.parent)
        handler = _PrivateRotatingFile(path, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8",
                                       delay=True)
        create_private_file(path)
    except OSError:
        return None
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    if root.level > logging.WARNING or root.level == logging.NOTSET:
        root.setLevel(logging.WARNING)
    return path


def record_bug(data_dir: Path, error: BaseException, context: str = "unexpected error") -> Path | None:
    """Write `error` with its traceback to the log file only (the terminal gets one line from the caller);
    returns the file's path, or None when it can't be written (the traceback then goes to stderr)."""
    path = install_log_file(data_dir)
    record = log.makeRecord(log.name, logging.ERROR, __file__, 0, "%s", (context,),
                            (type(error), error, error.__traceback__))
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, _PrivateRotatingFile)
                and Path(h.baseFilename) == log_path(data_dir).absolute()]
    if path is None or not handlers:
        logging.lastResort.handle(record)
        return None
    handlers[0].handle(record)
    handlers[0].flush()
    return path


def bug_message(error: BaseException, path: Path | None) -> str:
    """What the user is told of a bug: one line, the log file to look in."""
    where = f"details in {path}" if path else "details in the log above"
    return f"Something went wrong ({type(error).__name__}: {' '.join(str(error).split())[:200]}) — {where}"
