"""How durations and positions are shown to the user: 0:42, 12:05, 1:02:05."""
from __future__ import annotations


def clock(seconds: float | None, unknown: str = "?") -> str:
    if seconds is None:
        return unknown
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"
