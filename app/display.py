"""How memo text is shown to the user: a title for every memo, and text that is safe to print to a terminal."""
from __future__ import annotations

import datetime as dt
import re

# C0 controls but tab and newline, DEL, C1 controls (0x9b is a one-byte CSI on some terminals) and the
# bidirectional overrides (they make printed text read differently from what it is).
_WHITESPACE = re.compile(r"\s+")
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def terminal_safe(text: str | None) -> str:
    """`text` with every control character shown as an escape (ESC as \\x1b): a title, transcript or theme
    name holding a terminal escape sequence is printed as what it is, never obeyed by the terminal."""
    return _UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                       else f"\\u{ord(m.group()):04x}", text or "")


def one_line(text: str | None) -> str:
    """`text` on one line (each run of whitespace, newlines included, becomes one space), terminal-safe."""
    return terminal_safe(_WHITESPACE.sub(" ", text or ""))


def local_time(recorded_at: str | None) -> dt.datetime | None:
    """A stored time (UTC, "2026-12-02T03:21:00+00:00") as this machine's local time, which is what the user
    is shown everywhere; a value with no zone is taken as local already; None if it is not a time."""
    try:
        when = dt.datetime.fromisoformat((recorded_at or "").strip())
        return when.astimezone() if when.tzinfo is not None else when
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def local_day(recorded_at: str | None) -> dt.date | None:
    """The local calendar day of a stored time (for "today", date filters, daily lists); None if not a time."""
    when = local_time(recorded_at)
    return when.date() if when is not None else None


def shown_datetime(recorded_at: str | None) -> str:
    """'2026-12-01 22:21': a stored time as shown in lists, in local time (a value that is not a time: as it is)."""
    when = local_time(recorded_at)
    return f"{when:%Y-%m-%d %H:%M}" if when is not None else (recorded_at or "")[:16].replace("T", " ")


def shown_day(recorded_at: str | None) -> str:
    """'2026-12-01': the local day of a stored time (a value that is not a time: its first ten characters)."""
    day = local_day(recorded_at)
    return day.isoformat() if day is not None else (recorded_at or "")[:10]


def short_date(recorded_at: str | None) -> str:
    """'2 Dec 03:21' in local time, from an ISO 8601 timestamp ('' if there is none)."""
    when = local_time(recorded_at)
    if when is None:
        return ""
    return f"{when.day} {when:%b %H:%M}"


def memo_title(memo) -> str:
    """What a memo is called on screen: its title; a memo without speech 'No speech · 2 Dec 03:21' (a
    recording's file name is a timestamp nobody wants to read); otherwise the name of the imported file."""
    if memo.title:
        return memo.title
    if memo.status == "empty" or (memo.status == "done" and not (memo.transcript or "").strip()):
        return " · ".join(part for part in ("No speech", short_date(memo.recorded_at)) if part)
    return memo.original_name


WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")


def relative_datetime(recorded_at: str | None, today: dt.date | None = None) -> str:
    """A stored time as the window's memo list shows it, in local time: 'Today 07:12', 'Yesterday 22:40', the
    weekday for the five days before that ('Tuesday 09:03': never a weekday a week ago, which reads as this
    week's), else '3 Dec 2026 07:12' (a time in the future, too). English names whatever the locale, as the
    rest of the window; a value that is not a time: as shown_datetime shows it."""
    when = local_time(recorded_at)
    if when is None:
        return shown_datetime(recorded_at)
    days = ((today or dt.date.today()) - when.date()).days
    clock_text = f"{when:%H:%M}"
    if days == 0:
        return f"Today {clock_text}"
    if days == 1:
        return f"Yesterday {clock_text}"
    if 1 < days < 7:
        return f"{WEEKDAY_NAMES[when.weekday()]} {clock_text}"
    return f"{when.day} {MONTH_NAMES[when.month - 1][:3]} {when.year} {clock_text}"


def full_datetime(recorded_at: str | None) -> str:
    """'Thursday 3 December 2026, 07:12': a stored time in full, in local time (the memo list's tooltip);
    a value that is not a time: as shown_datetime shows it."""
    when = local_time(recorded_at)
    if when is None:
        return shown_datetime(recorded_at)
    return f"{WEEKDAY_NAMES[when.weekday()]} {when.day} {MONTH_NAMES[when.month - 1]} {when.year}, {when:%H:%M}"


def said_times(memos) -> str:
    """'Said 4 times: 3 Mar, 9 Apr, 2 Jun, 1 Dec' for one idea's chain, oldest first (the year shown when the
    chain spans more than one)."""
    days = [local_day(memo.recorded_at) for memo in memos]
    years = {day.year for day in days if day is not None}
    shown = [("?" if day is None else f"{day.day} {day:%b}" + (f" {day.year}" if len(years) > 1 else ""))
             for day in days]
    return f"Said {len(memos)} times: {', '.join(shown)}"


def ordinal(number: int) -> str:
    """1st, 2nd, 3rd, 4th … 11th, 12th, 13th … 21st."""
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def idea_listing_title(number: int, idea, memo) -> str:
    """A memo listed under a theme by one of its ideas: "Pizza dough · 2nd idea of Walk on the 3rd"."""
    return f"{idea.title} · {ordinal(number)} idea of {memo_title(memo)}"
