"""The one kind of error a user can cause or fix, and `Cancelled`.

Every package raises a subclass of `UserError` for what the user can fix or must be told (a read-only data
folder, a corrupt recording, no microphone, a theme that does not exist): its message is one sentence for
them, shown by the CLI as one line (exit 1) and by the window as a banner, never with a traceback. Anything
else is a bug: logged with its traceback to the log file in the data folder (`app.logs`).

A top-level module, like privacy.py, because audio/, storage/ and organize/ may not import each other or app/.
"""
from __future__ import annotations


class UserError(Exception):
    """A failure the user caused or can fix; `str(error)` is what they are told."""


class NotFound(UserError):
    """A memo or theme asked for by id does not exist (any more)."""


class Refused(UserError):
    """A request the library will not carry out as asked (an empty name, a theme merged into itself)."""


class Cancelled(Exception):
    """The user stopped the work (an import's Cancel, Ctrl+C): not an error and not a bug."""
