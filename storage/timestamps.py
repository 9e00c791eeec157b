"""How times are stored: UTC, ISO 8601, seconds, an explicit offset: "2026-12-02T03:21:00+00:00".

Every stored time has this one form, so ordering the text (SQL ORDER BY, sorted()) is ordering the instants.
A naive time (a file's metadata with no zone) is taken as this machine's local time.
"""
from __future__ import annotations

import datetime as dt


def utc_text(when: dt.datetime) -> str:
    """`when` as the stored form; a naive `when` is local time."""
    return when.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def now_text() -> str:
    """This instant in the stored form."""
    return utc_text(dt.datetime.now(dt.timezone.utc))


def to_utc_text(text: str | None) -> str | None:
    """ISO 8601 text (any offset, "Z", or naive = local) as the stored form; None if it is not a time."""
    if not isinstance(text, str):
        return None
    try:
        return utc_text(dt.datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError, OSError):
        return None
