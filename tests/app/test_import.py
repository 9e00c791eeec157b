"""The import use case end to end: real recordings, a real data folder, the real model and CLI."""
from __future__ import annotations

import json
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.importer import Importer
from storage import memos as store
from storage.db import StorageError, open_database
from tests.conftest import DATA, ROOT, require, run_musings

CLIPS = sorted(p for p in (DATA / "speech").rglob("*") if p.suffix in {".ogg", ".wav", ".mp3"})


@pytest.fixture
def inbox(tmp_path) -> Path:
    """A folder of real recordings as a user would have it, with a few non-audio files mixed in."""
    folder = tmp_path / "inbox"
    (folder / "phone").mkdir(parents=True)
    for clip in CLIPS[:4]:
        shutil.copy(clip, folder / clip.name)
    shutil.copy(DATA / "formats/format_test.m4a", folder / "phone" / "voice note.m4a")
    (folder / "phone" / "readme.txt").write_text("not audio")
    return folder


def memo_rows(data_dir: Path) -> list[dict]:
    with sqlite3.connect(data_dir / "musings.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM memos ORDER BY id")]


def integrity(data_dir: Path) -> str:
    with sqlite3.connect(data_dir / "musings.db") as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def test_import_a_folder_twice_gives_no_duplicates(inbox, data_dir, transcriber):
    report = Importer(data_dir, transcriber=transcriber).run([inbox])
    assert len(report.of_kind("done")) == 5
    assert [e.reason for e in report.of_kind("skipped")] == ["not an audio file (.txt)"]
    # Same content under another name and place is the same memo.
    shutil.copy(inbox / CLIPS[0].name, inbox / "phone" / "copy of first.ogg")
    again = Importer(data_dir, transcriber=transcriber).run([inbox, inbox / CLIPS[1].name])
    assert again.of_kind("done") == []
    assert len(again.of_kind("skipped")) == 8
    rows = memo_rows(data_dir)
    assert len(rows) == 5 and {r["status"] for r in rows} == {"done"}
    # Originals untouched, copies in the library, recorded_at from metadata where the file has it.
    for row in rows:
        assert (data_dir / row["library_path"]).read_bytes() == Path(row["original_path"]).read_bytes()
    m4a = next(r for r in rows if r["original_name"] == "voice note.m4a")
    assert (m4a["recorded_at"], m4a["recorded_at_source"]) == ("2011-07-13T18:37:14+00:00", "metadata")


def test_bad_inputs_get_reasons_and_the_batch_goes_on(tmp_path, data_dir, transcriber):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "zero.wav").write_bytes(b"")
    (folder / "shopping.mp3").write_text("milk, eggs, bread\n" * 40)
    jfk = (DATA / "formats/jfk.mp3").read_bytes()
    (folder / "truncated.mp3").write_bytes(jfk[: len(jfk) // 3])
    silence = folder / "silence.wav"
    subprocess.run(["python3", "-c", f"""
import wave
w = wave.open({str(silence)!r}, 'wb'); w.setnchannels(1); w.setsampwidth(2); w.setframerate(16000)
w.writeframes(bytes(16000 * 2 * 15)); w.close()"""], check=True)
    shutil.copy(DATA / "formats/apollo11.mp3", folder / "radio-8k.mp3")
    shutil.copy(DATA / "formats/test5.webm", folder / "stereo-48k.webm")
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg", folder / "good.ogg")
    report = Importer(data_dir, transcriber=transcriber).run([folder])
    failed = {Path(e.path).name: e.reason for e in report.of_kind("failed")}
    assert failed == {"zero.wav": "empty file (0 bytes)",
                      "shopping.mp3": "not a readable audio file (Invalid data found when processing input)"}
    by_name = {r["original_name"]: r for r in memo_rows(data_dir)}
    assert by_name["silence.wav"]["status"] == "empty"
    assert by_name["good.ogg"]["status"] == "done" and "capital letter" in by_name["good.ogg"]["transcript"]
    assert by_name["truncated.mp3"]["status"] == "done" and "fellow americans" in by_name["truncated.mp3"]["transcript"].lower()
    assert by_name["radio-8k.mp3"]["status"] == "done" and by_name["radio-8k.mp3"]["transcript"]
    assert by_name["stereo-48k.webm"]["status"] in ("done", "empty")
    # tiny.en loops on this noisy radio clip ("okay okay okay ..."): within a segment a word or phrase is
    # kept at most 3 times running (audio.cleanup), so no stored segment holds a word 4 times in a row.
    db = open_database(data_dir)
    for segment in store.get_segments(db, by_name["radio-8k.mp3"]["id"]):
        words = re.findall(r"[a-z0-9']+", segment.text.lower())
        assert not any(len(set(words[i : i + 4])) == 1 for i in range(len(words) - 3)), segment.text
    db.conn.close()
    status = json.loads(run_musings("status", "--json", data_dir=data_dir, check=True).stdout)
    assert {p["reason"] for p in status["problems"]} == set(failed.values())


def test_a_file_that_vanishes_mid_import_is_reported(tmp_path, data_dir, transcriber):
    folder = tmp_path / "vanishing"
    folder.mkdir()
    first, second = folder / "a.ogg", folder / "b.ogg"
    shutil.copy(CLIPS[0], first)
    shutil.copy(CLIPS[1], second)

    def delete_b_after_a(event, progress):
        if event.kind == "queued" and event.path.endswith("a.ogg"):
            second.unlink()

    report = Importer(data_dir, transcriber=transcriber, on_event=delete_b_after_a).run([folder])
    assert [(Path(e.path).name, e.reason) for e in report.of_kind("failed")] == [
        ("b.ogg", "the file vanished before it could be read")]
    assert [r["original_name"] for r in memo_rows(data_dir)] == ["a.ogg"]


def test_kill_9_mid_import_then_resume_imports_every_file_once(tmp_path, data_dir):
    folder = tmp_path / "many"
    folder.mkdir()
    for clip in CLIPS:
        shutil.copy(clip, folder / clip.name)
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "import", str(folder)],
                             cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:  # kill while it is half-way through transcribing
        time.sleep(0.2)
        try:
            done = sum(r["status"] == "done" for r in memo_rows(data_dir))
        except sqlite3.Error:
            continue
        if done >= 3:
            break
    child.send_signal(signal.SIGKILL)
    child.wait()
    killed_at = memo_rows(data_dir)
    assert 3 <= sum(r["status"] == "done" for r in killed_at) < len(CLIPS), "the kill came too late to test resuming"
    assert integrity(data_dir) == "ok"

    result = run_musings("import", str(folder), "--json", data_dir=data_dir, check=True)
    rows = memo_rows(data_dir)
    assert sorted(r["original_name"] for r in rows) == sorted(c.name for c in CLIPS)
    assert {r["status"] for r in rows} == {"done"}
    assert integrity(data_dir) == "ok"
    assert not list((data_dir / "library").rglob("*.partial"))
    counts = json.loads(result.stdout)["counts"]
    assert counts["done"] == len(CLIPS) - sum(r["status"] == "done" for r in killed_at)


def test_import_runs_with_network_access_blocked(data_dir, inbox, offline):
    """In a network namespace with no interfaces, with every socket call refused and logged."""
    result = run_musings("import", str(inbox), "--json", data_dir=data_dir, **offline.run_options)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["done"] == 5
    offline.assert_no_attempts()


@pytest.fixture
def small_disk(tmp_path):
    """A real, tiny filesystem (tmpfs) for the data folder: as root only."""
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    require(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(mount_point)],
                           capture_output=True).returncode == 0, "mounting a tmpfs needs root")
    yield mount_point
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_stops_cleanly_and_resumes_after_space_is_freed(tmp_path, small_disk, transcriber):
    folder = tmp_path / "big-batch"
    folder.mkdir()
    for clip in CLIPS:  # about 1.7 MB: does not fit in 1.2 MB
        shutil.copy(clip, folder / clip.name)
    data_dir = small_disk / "data"
    with pytest.raises(StorageError, match="is full"):
        Importer(data_dir, transcriber=transcriber).run([folder])
    assert integrity(data_dir) == "ok"
    stored = memo_rows(data_dir)
    assert 0 < len(stored) < len(CLIPS)
    assert not list((data_dir / "library").rglob("*.partial"))
    subprocess.run(["mount", "-o", "remount,size=50m", str(small_disk)], check=True)
    Importer(data_dir, transcriber=transcriber).run([folder])
    rows = memo_rows(data_dir)
    assert sorted(r["original_name"] for r in rows) == sorted(c.name for c in CLIPS)
    assert {r["status"] for r in rows} == {"done"}
    assert integrity(data_dir) == "ok"


def test_read_only_data_folder_gives_a_clear_error(inbox, small_disk, transcriber):
    subprocess.run(["mount", "-o", "remount,size=50m", str(small_disk)], check=True)
    data_dir = small_disk / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        importer.run([inbox / CLIPS[0].name])
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    result = run_musings("import", str(inbox), data_dir=data_dir)
    assert result.returncode == 1
    assert result.stderr.strip().startswith("musings: ") and "read-only" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert [r["status"] for r in memo_rows(data_dir)] == ["done"]
    assert integrity(data_dir) == "ok"
