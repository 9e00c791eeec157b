"""Times are stored in UTC and shown in local time: the CLI, the display helpers, the export, an import."""
from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import yaml

from app.display import local_day, memo_title, short_date, shown_datetime, shown_day
from app.export import ExportMemo, ExportSegment, ExportTheme, export_vault
from app.importer import Importer
from storage import memos as store
from storage.db import open_database
from tests.conftest import DATA, run_musings

UTC_TIME = "2026-12-02T03:21:00+00:00"  # 22:21 the evening before in New York


def test_display_helpers_show_local_time(new_york):
    assert shown_datetime(UTC_TIME) == "2026-12-01 22:21"
    assert shown_day(UTC_TIME) == "2026-12-01" and str(local_day(UTC_TIME)) == "2026-12-01"
    assert short_date(UTC_TIME) == "1 Dec 22:21"
    assert shown_datetime("2026-12-01T22:21:00") == "2026-12-01 22:21"  # no zone: already local
    assert shown_datetime("garbage value here") == "garbage value he" and local_day("garbage") is None
    assert short_date(None) == "" and shown_day(None) == ""


def test_the_cli_shows_local_time_and_its_json_the_stored_utc(tmp_path, new_york):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    memo_id = store.add_memo(db, store.NewMemo("h", "20261202T032100.123456Z.ogg", "/inbox/x.ogg",
                                               "library/h.ogg", UTC_TIME, "metadata", 3.0))
    store.set_status(db, memo_id, store.EMPTY)
    assert memo_title(store.get_memo(db, memo_id)) == "No speech · 1 Dec 22:21"
    other = store.add_memo(db, store.NewMemo("h2", "walk.ogg", "/in/walk.ogg", "library/h2.ogg", UTC_TIME,
                                             "metadata", 4.0))
    store.save_transcript(db, other, [store.StoredSegment(0, 4, "walking to the garden", -0.2, 0.01)],
                          language="en", model="t")
    db.conn.close()

    listed = run_musings("list", data_dir=data_dir, check=True).stdout
    assert listed.count("2026-12-01 22:21") == 2 and "03:21" not in listed, listed
    assert "No speech · 1 Dec 22:21" in listed
    shown = run_musings("show", str(memo_id), data_dir=data_dir, check=True).stdout
    assert "Recorded 2026-12-01 22:21," in shown, shown
    found = run_musings("search", "garden", "--keyword", data_dir=data_dir, check=True).stdout
    assert f"{other:>5}  2026-12-01  " in found, found
    as_json = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert {m["recorded_at"] for m in as_json} == {UTC_TIME}
    found_json = json.loads(run_musings("search", "garden", "--keyword", "--json", data_dir=data_dir,
                                        check=True).stdout)
    assert [m["recorded_at"] for m in found_json] == [UTC_TIME]


def wav_with_date(path: Path, date: str) -> Path:
    """One second of tone whose metadata says it was recorded at `date`."""
    with av.open(str(path), "w", format="wav") as out:
        out.metadata["date"] = date
        stream = out.add_stream("pcm_s16le", rate=16000)
        stream.layout = "mono"
        tone = (np.sin(2 * np.pi * 440 * np.arange(16000) / 16000) * 8000).astype(np.int16).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(tone, format="s16", layout="mono")
        frame.sample_rate = 16000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path


def test_an_import_stores_the_files_time_in_utc(tmp_path, data_dir, new_york):
    offset = wav_with_date(tmp_path / "offset.wav", "2026-12-02T05:21:00+02:00")
    naive = wav_with_date(tmp_path / "naive.wav", "2026-12-01T22:30:00")  # no zone: this machine's local time
    with Importer(data_dir) as importer:
        first, second = importer.register(offset), importer.register(naive)
        memos = {m.id: m for m in store.list_memos(importer.db)}
    assert memos[first].recorded_at == UTC_TIME
    assert memos[second].recorded_at == "2026-12-02T03:30:00+00:00"
    # Without metadata the file's mtime is used, in UTC too.
    with Importer(data_dir) as importer:
        jfk = tmp_path / "jfk.mp3"
        jfk.write_bytes((DATA / "formats/jfk.mp3").read_bytes())
        memo = store.get_memo(importer.db, importer.register(jfk))
    assert memo.recorded_at.endswith("+00:00") and len(memo.recorded_at) == len(UTC_TIME)


def test_the_export_shows_the_local_day_and_keeps_utc_in_the_front_matter(tmp_path, new_york):
    audio = tmp_path / "jfk.mp3"
    audio.write_bytes((DATA / "formats/jfk.mp3").read_bytes())
    memos = [ExportMemo(id=1, title="Evening walk", recorded_at=UTC_TIME, duration=4.0, theme="Walks",
                        tags=["walks"], segments=[ExportSegment(0.0, 4.0, "walking")], audio_path=audio),
             ExportMemo(id=2, title="Morning", recorded_at="2026-12-01T15:00:00+00:00", duration=4.0,
                        theme="Walks", tags=["walks"], segments=[ExportSegment(0.0, 4.0, "coffee")],
                        audio_path=audio)]
    vault = tmp_path / "vault"
    export_vault(vault, memos, [ExportTheme(1, "Walks", [1, 2])], copy_audio=False)
    note = next(p for p in vault.glob("*.md") if p.read_text(encoding="utf-8").count("musings_id: 1\n"))
    text = note.read_text(encoding="utf-8")
    meta = yaml.safe_load(text[4:text.index("\n---\n", 4)])
    assert meta["recorded_at"] == UTC_TIME and str(meta["date"]) == "2026-12-01"
    assert "Recorded 2026-12-01 · " in text
    everything = "".join(p.read_text(encoding="utf-8") for p in vault.glob("*.md"))
    assert "2026-12-02" not in everything.replace(UTC_TIME, "")  # every day shown is New York's
