"""When a recording was made: from its metadata, else its file name, else its modification time.

Pure functions (no storage, no app). A time read from a file name has no zone unless it says "Z": it is this
machine's local time, made aware like a naive `creation_time` (audio/decode.py).

File names recognised (the name without its extension, optionally followed by a copy mark " (2)"):

| who | example | gives |
|---|---|---|
| Android sound recorders | `Recording_20240915_231200.m4a`, `20240915_231200.m4a` | 2024-09-15 23:12:00 |
| Samsung Voice Recorder | `Voice 240915_231200.m4a` (`Voice 001.m4a`: no date) | 2024-09-15 23:12:00 |
| Zoom F-series / newer | `240915_231200.WAV` (`ZOOM0001.WAV` of the H1n/H4n/H5: no date) | 2024-09-15 23:12:00 |
| Sony ICD recorders | `240915_0012.MP3` (yyMMdd, then the file's number) | 2024-09-15, date only |
| WhatsApp | `PTT-20240915-WA0001.opus`, `AUD-20240915-WA0003.m4a` | 2024-09-15, date only |
| Telegram Desktop | `audio_1@15-09-2024_23-12-00.ogg` (dd-MM-yyyy) | 2024-09-15 23:12:00 |
| Telegram, older | `audio_2024-09-15_23-12-00.ogg`, `voice_2024-09-15_23-12-00.ogg` | 2024-09-15 23:12:00 |
| iPhone Voice Memos | `20240915 231200.m4a`, `20240915 231200-8F3A1B2C.m4a` (`New Recording 3.m4a`: none) | 2024-09-15 23:12:00 |
| ISO 8601-like, anywhere in the name | `2024-09-15T23-12-00`, `2024-09-15 23.12.00`, `2024-09-15_23-12-00`, `20240915T231200Z` | local; "Z" = UTC |

Every other pattern must be the whole name: a run of digits in a title ("idea 12345678.m4a") is never a date.
Impossible dates (month 13, 30 February, hour 24), years before 2000 and times more than a day ahead give None.

A date-only name (Sony, WhatsApp) gives that day at 12:00 local — noon, so a later change of time zone does
not move it to another day — unless the file's modification time falls on that local day: then the
modification time is the better guess, and is what `recorded_time` keeps (source "mtime").
"""
from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

METADATA, FILENAME, MTIME = "metadata", "filename", "mtime"

SOURCE_DESCRIPTIONS = {
    METADATA: "Recorded time from the file's metadata",
    FILENAME: "Recorded time from the file name",
    MTIME: "Recorded time from the file's modification time",
}

DATE_ONLY_HOUR = 12

_COPY_MARK = r"(?: \(\d{1,3}\))?"  # "Recording_20240915_231200 (1).m4a": a second copy in a download folder
_YMD = r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"
_YYMD = r"(?P<yy>\d{2})(?P<month>\d{2})(?P<day>\d{2})"
_HMS = r"(?P<hour>\d{2})(?P<minute>\d{2})(?P<second>\d{2})"

# (what, pattern matched against the whole stem); the named groups give the fields.
_WHOLE_NAME_PATTERNS: list[tuple[str, re.Pattern]] = [(what, re.compile(pattern + _COPY_MARK, re.IGNORECASE)) for what, pattern in [
    # Android sound recorders: Recording_20240915_231200, Voice_20240915_231200, REC_…, or bare 20240915_231200
    ("android", rf"(?:(?:recording|voice|rec|audio)[ _-])?{_YMD}_{_HMS}"),
    # iPhone Voice Memos: 20240915 231200, in the app's folder with a hex id: 20240915 231200-8F3A1B2C
    ("iphone", rf"{_YMD} {_HMS}(?:-[0-9a-f]{{8}})?"),
    # Samsung Voice Recorder: Voice 240915_231200
    ("samsung", rf"voice[ _]{_YYMD}_{_HMS}"),
    # Zoom F-series and newer recorders: 240915_231200
    ("zoom", rf"{_YYMD}_{_HMS}"),
    # Sony ICD recorders: 240915_0012 — the date, then the file's number
    ("sony", rf"{_YYMD}_\d{{4}}"),
    # WhatsApp: PTT-20240915-WA0001 (voice notes), AUD-20240915-WA0003 (audio files)
    ("whatsapp", rf"(?:ptt|aud)-{_YMD}-wa\d{{1,6}}"),
    # Telegram Desktop: audio_1@15-09-2024_23-12-00
    ("telegram", r"(?:audio|voice)_\d+@(?P<day>\d{2})-(?P<month>\d{2})-(?P<year>\d{4})"
                 r"_(?P<hour>\d{2})-(?P<minute>\d{2})-(?P<second>\d{2})"),
]]

# ISO 8601-like stamps may sit inside a longer name ("Team call 2024-09-15 23.12.00"), never inside digits.
_ISO_PATTERNS: list[tuple[str, re.Pattern]] = [
    # 2024-09-15T23-12-00, 2024-09-15 23.12.00, 2024-09-15_23-12-00, 2024-09-15T23:12:00Z; Telegram's
    # audio_2024-09-15_23-12-00 and voice_2024-09-15_23-12-00 are this form too
    ("iso", re.compile(r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})[T _]"
                       r"(?P<hour>\d{2})(?P<sep>[-.:])(?P<minute>\d{2})(?P=sep)(?P<second>\d{2})(?P<z>Z)?(?![\d])",
                       re.IGNORECASE)),
    # 20240915T231200, 20240915T231200Z
    ("iso-basic", re.compile(rf"(?<![\dA-Za-z]){_YMD}T{_HMS}(?P<z>Z)?(?![\dA-Za-z])")),
]

_EXTENSION = re.compile(r"\.[0-9A-Za-z]*[A-Za-z][0-9A-Za-z]*$")  # ".m4a", ".3gp"; not the ".00" of "23.12.00"


@dataclass(frozen=True)
class NameTime:
    when: dt.datetime  # aware
    date_only: bool  # the name gives the day only (`when` is then 12:00 local)
    pattern: str  # which row of the table matched


def parse_file_name(name: str, now: dt.datetime | None = None) -> NameTime | None:
    """The time a recorder or app wrote into the file name `name` (a path is fine), or None."""
    stem = _EXTENSION.sub("", os.path.basename(name)).strip()
    for what, pattern in _WHOLE_NAME_PATTERNS:
        match = pattern.fullmatch(stem)
        if match:
            return _checked(what, match, now)
    for what, pattern in _ISO_PATTERNS:
        match = pattern.search(stem)
        if match:
            return _checked(what, match, now)
    return None


def time_from_file_name(name: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The aware time in the file name, or None; a date-only name gives that day at 12:00 local."""
    found = parse_file_name(name, now)
    return found.when if found else None


def recorded_time(metadata_time: dt.datetime | None, name: str, mtime: dt.datetime,
                  now: dt.datetime | None = None) -> tuple[dt.datetime, str]:
    """(when, source): the metadata's time, else the file name's, else the modification time `mtime`.

    A date-only file name yields to `mtime` when `mtime` is on that local day (see the module's docstring).
    """
    if metadata_time is not None:
        return _aware(metadata_time), METADATA
    found = parse_file_name(name, now)
    if found is None:
        return _aware(mtime), MTIME
    if found.date_only and _aware(mtime).astimezone().date() == found.when.date():
        return _aware(mtime), MTIME
    return found.when, FILENAME


def describe_source(source: str | None) -> str:
    """The hover text for a memo's date: where its recorded time came from ("" if not known)."""
    return SOURCE_DESCRIPTIONS.get(source or "", "")


def _checked(what: str, match: re.Match, now: dt.datetime | None) -> NameTime | None:
    fields = match.groupdict()
    year = int(fields["year"]) if fields.get("year") else 2000 + int(fields["yy"])
    date_only = fields.get("hour") is None
    try:
        when = dt.datetime(year, int(fields["month"]), int(fields["day"]),
                           DATE_ONLY_HOUR if date_only else int(fields["hour"]),
                           0 if date_only else int(fields["minute"]),
                           0 if date_only else int(fields["second"]))
    except ValueError:  # month 13, 30 February, hour 24, second 60
        return None
    when = when.replace(tzinfo=dt.timezone.utc) if fields.get("z") else when.astimezone()  # naive = local
    now = _aware(now) if now is not None else dt.datetime.now(dt.timezone.utc)
    if year < 2000 or when > now + dt.timedelta(days=1):
        return None
    return NameTime(when, date_only, what)


def _aware(when: dt.datetime) -> dt.datetime:
    return when if when.tzinfo else when.astimezone()
