"""The recorded time: metadata, else a known file-name pattern, else the modification time (issue 13, item 4).

Times in names are this machine's local time: the tests run in New York (`new_york`), where 2024-09-15
23:12 is 2024-09-16 03:12 UTC (EDT, UTC-4).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from zoneinfo import ZoneInfo

import av
import pytest

from audio.recorded_time import (FILENAME, METADATA, MTIME, describe_source, parse_file_name, recorded_time,
                                 time_from_file_name)
from tests.conftest import DATA, run_musings

NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.timezone.utc
NOW = dt.datetime(2026, 1, 1, tzinfo=UTC)


def local(*fields) -> dt.datetime:
    return dt.datetime(*fields, tzinfo=NEW_YORK)


DATED_NAMES = {  # name -> the local time it gives
    # Android sound recorders
    "Recording_20240915_231200.m4a": local(2024, 9, 15, 23, 12, 0),
    "20240915_231200.m4a": local(2024, 9, 15, 23, 12, 0),
    "Recording_20240915_231200 (1).m4a": local(2024, 9, 15, 23, 12, 0),  # a second download of it
    # Samsung Voice Recorder (yyMMdd_HHmmss)
    "Voice 240915_231200.m4a": local(2024, 9, 15, 23, 12, 0),
    # Zoom F-series / newer recorders
    "240915_231200.WAV": local(2024, 9, 15, 23, 12, 0),
    # Telegram Desktop (dd-MM-yyyy) and older Telegram names
    "audio_1@15-09-2024_23-12-00.ogg": local(2024, 9, 15, 23, 12, 0),
    "voice_12@15-09-2024_23-12-00.ogg": local(2024, 9, 15, 23, 12, 0),
    "audio_2024-09-15_23-12-00.ogg": local(2024, 9, 15, 23, 12, 0),
    "voice_2024-09-15_23-12-00.ogg": local(2024, 9, 15, 23, 12, 0),
    # iPhone Voice Memos
    "20240915 231200.m4a": local(2024, 9, 15, 23, 12, 0),
    "20240915 231200-8F3A1B2C.m4a": local(2024, 9, 15, 23, 12, 0),
    # ISO 8601-like, alone or inside a title
    "2024-09-15T23-12-00.ogg": local(2024, 9, 15, 23, 12, 0),
    "2024-09-15 23.12.00.m4a": local(2024, 9, 15, 23, 12, 0),
    "2024-09-15 23.12.00": local(2024, 9, 15, 23, 12, 0),  # no extension: ".00" is not one
    "2024-09-15_23-12-00.wav": local(2024, 9, 15, 23, 12, 0),
    "Team call 2024-09-15 23.12.00.m4a": local(2024, 9, 15, 23, 12, 0),
    "20240915T231200.flac": local(2024, 9, 15, 23, 12, 0),
    "20240915T231200Z.flac": dt.datetime(2024, 9, 15, 23, 12, 0, tzinfo=UTC),  # Z: UTC, 19:12 in New York
    "2024-09-15T23:12:00Z.ogg": dt.datetime(2024, 9, 15, 23, 12, 0, tzinfo=UTC),
    "/home/me/Downloads/Recording_20240915_231200.m4a": local(2024, 9, 15, 23, 12, 0),  # a path is fine
}

DATE_ONLY_NAMES = {  # name -> the day it gives (at 12:00 local)
    "240915_0012.MP3": dt.date(2024, 9, 15),  # Sony ICD: yyMMdd, then the file's number
    "PTT-20240915-WA0001.opus": dt.date(2024, 9, 15),  # WhatsApp voice note
    "AUD-20240915-WA0003.m4a": dt.date(2024, 9, 15),  # WhatsApp audio file
}

UNDATED_NAMES = [
    "Voice 001.m4a",  # Samsung without a date
    "ZOOM0001.WAV",  # Zoom H1n / H4n / H5
    "New Recording 3.m4a",  # iPhone Voice Memos, renamed by the app
    "idea 12345678.m4a",  # digits in a title are not a date
    "idea 20240915.m4a",  # not even digits that read as one
    "meeting 20240915_231200 notes.m4a",  # the Android pattern must be the whole name
    "x20240915_231200.m4a",
    "Recording_20240915_2312.m4a",  # too few digits for a time
    "walk.ogg",
    "",
]

IMPOSSIBLE_NAMES = [
    "Recording_20241315_231200.m4a",  # month 13
    "Recording_20240230_231200.m4a",  # 30 February
    "Recording_20240915_241200.m4a",  # hour 24
    "Voice 240915_236100.m4a",  # minute 61
    "PTT-20240932-WA0001.opus",  # day 32
    "audio_1@31-04-2024_23-12-00.ogg",  # 31 April
    "2024-09-15 23.12.60.m4a",  # second 60
    "Recording_19990915_231200.m4a",  # before 2000
    "2026-01-02T12-00-01.ogg",  # more than a day after NOW
    "Recording_20300915_231200.m4a",
]


@pytest.mark.parametrize("name", DATED_NAMES)
def test_names_of_recorders_and_apps_give_their_local_time(name, new_york):
    when = time_from_file_name(name, now=NOW)
    assert when == DATED_NAMES[name] and when.tzinfo is not None
    assert not parse_file_name(name, now=NOW).date_only


def test_a_name_time_is_stored_as_this_machines_local_time_in_utc(new_york):
    when = time_from_file_name("Recording_20240915_231200.m4a", now=NOW)
    assert when.astimezone(UTC).isoformat() == "2024-09-16T03:12:00+00:00"
    assert time_from_file_name("20240915T231200Z.m4a", now=NOW).astimezone(NEW_YORK).hour == 19


@pytest.mark.parametrize("name", DATE_ONLY_NAMES)
def test_date_only_names_give_noon_of_that_day(name, new_york):
    found = parse_file_name(name, now=NOW)
    assert found.date_only
    assert found.when == local(*DATE_ONLY_NAMES[name].timetuple()[:3], 12, 0)


@pytest.mark.parametrize("name", UNDATED_NAMES)
def test_names_without_a_known_pattern_give_nothing(name, new_york):
    assert time_from_file_name(name, now=NOW) is None


@pytest.mark.parametrize("name", IMPOSSIBLE_NAMES)
def test_impossible_dates_give_nothing(name, new_york):
    assert time_from_file_name(name, now=NOW) is None


def test_tomorrow_is_still_accepted_a_clock_a_little_ahead(new_york):
    now = dt.datetime(2024, 9, 15, 12, 0, tzinfo=UTC)
    assert time_from_file_name("Recording_20240916_070000.m4a", now=now) == local(2024, 9, 16, 7, 0)
    assert time_from_file_name("Recording_20240916_090000.m4a", now=now) is None  # 13:00 UTC: over a day


def test_metadata_then_file_name_then_mtime(new_york):
    mtime = dt.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    metadata = dt.datetime(2011, 7, 13, 18, 37, 14, tzinfo=UTC)
    assert recorded_time(metadata, "Recording_20240915_231200.m4a", mtime, now=NOW) == (metadata, METADATA)
    naive = dt.datetime(2011, 7, 13, 18, 37, 14)  # metadata with no zone: local
    assert recorded_time(naive, "x.m4a", mtime, now=NOW) == (local(2011, 7, 13, 18, 37, 14), METADATA)
    assert recorded_time(None, "Recording_20240915_231200.m4a", mtime, now=NOW) == (
        local(2024, 9, 15, 23, 12), FILENAME)
    assert recorded_time(None, "New Recording 3.m4a", mtime, now=NOW) == (mtime, MTIME)
    assert recorded_time(None, "Recording_20241315_231200.m4a", mtime, now=NOW) == (mtime, MTIME)


def test_a_date_only_name_takes_the_time_of_day_from_an_mtime_on_that_day(new_york):
    same_day = local(2024, 9, 15, 23, 50).astimezone(UTC)  # 03:50 UTC on the 16th: the 15th in New York
    assert recorded_time(None, "PTT-20240915-WA0001.opus", same_day, now=NOW) == (same_day, MTIME)
    copied_later = dt.datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
    assert recorded_time(None, "PTT-20240915-WA0001.opus", copied_later, now=NOW) == (
        local(2024, 9, 15, 12, 0), FILENAME)


def test_each_source_has_its_hover_text():
    assert describe_source(METADATA) == "Recorded time from the file's metadata"
    assert describe_source(FILENAME) == "Recorded time from the file name"
    assert describe_source(MTIME) == "Recorded time from the file's modification time"
    assert describe_source(None) == ""


# -- the import, end to end: the real Importer, real clips, the real CLI -----------------------------------

def creation_time(path) -> str | None:
    with av.open(str(path)) as container:
        return {**container.metadata, **container.streams.audio[0].metadata}.get("creation_time")


def test_import_takes_the_time_from_metadata_else_the_name_else_the_mtime(tmp_path, data_dir, transcriber,
                                                                         new_york):
    from app.importer import Importer

    folder = tmp_path / "phone"
    folder.mkdir()
    named = folder / "Recording_20240915_231200.wav"
    shutil.copy(DATA / "speech/ljspeech/LJ001-0002.wav", named)
    undated = folder / "idea 12345678.wav"
    shutil.copy(DATA / "speech/ljspeech/LJ001-0008.wav", undated)
    os.utime(undated, (1_735_000_000, 1_735_000_000))  # 2024-12-24T00:26:40Z
    tagged = folder / "Voice 240915_231200.m4a"  # metadata beats the name
    shutil.copy(DATA / "formats/format_test.m4a", tagged)
    assert creation_time(named) is None and creation_time(undated) is None
    assert creation_time(tagged) == "2011-07-13T18:37:14.000000Z"

    report = Importer(data_dir, transcriber=transcriber).run([folder])
    assert len(report.of_kind("done")) == 3, report.events
    ids = {e.path.rsplit("/", 1)[-1]: e.memo_id for e in report.of_kind("done")}
    shown = {name: json.loads(run_musings("show", str(memo_id), "--json", data_dir=data_dir, check=True).stdout)
             for name, memo_id in ids.items()}
    assert [(shown[n.name]["recorded_at"], shown[n.name]["recorded_at_source"]) for n in (named, undated, tagged)] == [
        ("2024-09-16T03:12:00+00:00", "filename"),  # 23:12 on 15 September in New York
        ("2024-12-24T00:26:40+00:00", "mtime"),
        ("2011-07-13T18:37:14+00:00", "metadata"),
    ]
