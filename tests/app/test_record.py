"""`musings record` / `musings devices` against the real virtual microphone, and live transcription's accuracy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

from audio.decode import iter_chunks
from audio.live import SAMPLE_RATE, LiveTranscriber
from tests.audio.conftest import virtual_microphone  # noqa: F401  (the fixture)
from tests.conftest import DATA, ROOT, references, require, run_musings
from tests.wer import normalise, wer

SPEECH = DATA / "speech" / "ljspeech" / "LJ001-0016.wav"


def load_clip(path) -> np.ndarray:
    return np.concatenate([samples for _, samples in iter_chunks(path)])


def test_record_transcribes_what_the_microphone_hears(virtual_microphone, data_dir):  # noqa: F811
    finished = {}
    recording = threading.Thread(
        target=lambda: finished.setdefault("result", run_musings("record", "--seconds", "9", data_dir=data_dir)))
    recording.start()
    deadline = time.monotonic() + 120
    while not list((data_dir / "recordings").glob("*.ogg")) and recording.is_alive():
        assert time.monotonic() < deadline, "recording never started"
        time.sleep(0.02)
    player = virtual_microphone.play(SPEECH)
    recording.join(300)
    player.wait(10)
    result = finished["result"]

    assert result.returncode == 0, result.stderr
    reference_words = normalise(references()[SPEECH]).split()
    heard = set(normalise(result.stdout).split())
    assert sum(word in heard for word in reference_words) >= 0.8 * len(reference_words), result.stdout
    memos = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert [memo["status"] for memo in memos] == ["done"]
    assert 8.5 <= memos[0]["duration"] <= 10
    assert not list((data_dir / "recordings").glob("*.ogg")), "the recording should have left the inbox"


def test_record_with_an_unknown_device_fails_with_one_clear_line(virtual_microphone, data_dir):  # noqa: F811
    result = run_musings("record", "--device", "no-such-microphone", "--seconds", "1", data_dir=data_dir)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no-such-microphone" in lines[0] and "Traceback" not in result.stderr


def test_devices_lists_the_microphone(virtual_microphone, data_dir):  # noqa: F811
    devices = json.loads(run_musings("devices", "--json", data_dir=data_dir, check=True).stdout)
    assert devices and any(device["is_default"] for device in devices)


def test_live_transcript_is_as_accurate_as_transcribing_the_whole_clip(transcriber):
    # ~40 s of sentences with pauses between them: the live transcriber cuts it into several pieces,
    # and words at the pieces' edges are carried into the next piece, not lost or doubled.
    clips = sorted((DATA / "speech" / "fleurs_en_opus").glob("*.ogg"))[:4]
    pause = np.zeros(int(0.8 * SAMPLE_RATE), dtype=np.float32)
    audio = np.concatenate([part for clip in clips for part in (load_clip(clip), pause)])
    reference = " ".join(references()[clip] for clip in clips)

    live = LiveTranscriber(transcriber)
    for start in range(0, len(audio), SAMPLE_RATE // 10):
        live(audio[start:start + SAMPLE_RATE // 10])
    segments = live.finish()
    whole = transcriber.transcribe_samples(audio)

    assert live.pieces >= 2 and live.failed is None
    assert [s.start for s in segments] == sorted(s.start for s in segments)
    live_wer = wer([reference], [" ".join(s.text for s in segments)])
    whole_wer = wer([reference], [" ".join(s.text for s in whole)])
    assert live_wer <= whole_wer + 0.02, (live_wer, whole_wer)


# -- recordings a crash left behind (issue 10, item 5) ---------------------------------------------

def unfinished_in_status(data_dir) -> list[dict]:
    return json.loads(run_musings("status", "--json", data_dir=data_dir, check=True).stdout)["unfinished_recordings"]


def test_a_recording_killed_mid_way_is_shown_by_status_and_recovered_by_import(virtual_microphone, data_dir):  # noqa: F811
    recording = subprocess.Popen([sys.executable, "-m", "app.cli", "record"], cwd=ROOT, stdin=subprocess.PIPE,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 env={**os.environ, "MUSINGS_HOME": str(data_dir)})
    try:
        while b"Recording" not in recording.stderr.readline():  # said once the microphone is live
            assert recording.poll() is None, "musings record ended before it recorded"
        player = virtual_microphone.play(SPEECH)
        deadline = time.monotonic() + 60
        # ~3 s of Opus at 32 kbps on disk (it is fsynced every second): count bytes, don't sleep.
        while sum(path.stat().st_size for path in (data_dir / "recordings").glob("*.ogg")) < 12_000:
            assert time.monotonic() < deadline and recording.poll() is None, "the recording never got going"
            time.sleep(0.1)
        recording.kill()
        recording.wait(10)
        player.wait(15)
    finally:
        recording.kill()

    deadline = time.monotonic() + 30  # a file written to seconds ago may still be recording elsewhere
    while (unfinished := unfinished_in_status(data_dir)) and unfinished[0]["in_use"]:
        assert time.monotonic() < deadline, unfinished
        time.sleep(0.5)
    assert len(unfinished) == 1, unfinished
    status = run_musings("status", data_dir=data_dir, check=True).stdout
    assert "1 unfinished recording(s) waiting in" in status and unfinished[0]["path"] in status, status

    imported = run_musings("import", data_dir=data_dir)
    assert imported.returncode == 0 and imported.stdout.startswith("1 transcribed"), imported.stderr
    memos = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert [memo["status"] for memo in memos] == ["done"]
    assert {"middle", "ages"} <= set(normalise(memos[0]["transcript"]).split()), memos[0]["transcript"]
    assert unfinished_in_status(data_dir) == []


def test_import_of_other_files_also_recovers_the_inbox(data_dir):
    # What a crash leaves: the first pages of an Ogg/Opus recording, no end-of-stream page.
    clip = DATA / "speech" / "fleurs_en_opus" / "fleurs-en-001.ogg"
    inbox = data_dir / "recordings"
    inbox.mkdir(parents=True)
    torn = inbox / "20260101T080000.000000Z.ogg"
    torn.write_bytes(clip.read_bytes()[: clip.stat().st_size * 2 // 3])
    os.utime(torn, (time.time() - 60, time.time() - 60))  # the crash was a minute ago

    other = DATA / "speech" / "ljspeech" / "LJ001-0002.wav"
    imported = run_musings("import", str(other), data_dir=data_dir)
    assert imported.returncode == 0 and imported.stdout.startswith("2 transcribed"), (imported.stdout, imported.stderr)
    memos = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert sorted(memo["original_name"] for memo in memos) == sorted([torn.name, other.name])
    assert not list(inbox.glob("*.ogg")), "the recovered recording should have left the inbox"


@pytest.fixture
def nearly_full_data_dir(tmp_path):
    """A data folder on a 4 MB filesystem with 8 KB free (about two seconds of Opus speech) until the filler goes."""
    require(os.geteuid() == 0, "mounting a tiny tmpfs to fill up needs root")
    mount_point = tmp_path / "tiny-disk"
    mount_point.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    require(mounted.returncode == 0, f"cannot mount a tiny tmpfs here: {mounted.stderr.strip()}")
    try:
        (mount_point / "filler").write_bytes(b"\0" * (4096 - 8) * 1024)
        yield mount_point / "data"
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_recording_cut_by_a_full_disk_is_kept_and_the_message_says_where(virtual_microphone,  # noqa: F811
                                                                           nearly_full_data_dir):
    data_dir = nearly_full_data_dir
    recording = subprocess.Popen([sys.executable, "-m", "app.cli", "record", "--seconds", "20"], cwd=ROOT,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, "MUSINGS_HOME": str(data_dir)})
    assert "Recording" in recording.stderr.readline()
    player = virtual_microphone.play(SPEECH)
    try:
        stderr = recording.stderr.read()
        recording.wait(120)
    finally:
        recording.kill()
        player.kill()
        player.wait()
    kept = list((data_dir / "recordings").glob("*.ogg"))
    assert recording.returncode != 0 and len(kept) == 1, stderr
    message = stderr.strip().splitlines()[-1]
    assert "disk is full" in message and str(kept[0]) in message and "Traceback" not in stderr, stderr

    (data_dir.parent / "filler").unlink()  # room again: the kept recording becomes a memo
    imported = run_musings("import", data_dir=data_dir)
    assert imported.returncode == 0 and imported.stdout.startswith("1 transcribed"), imported.stderr
    assert not list((data_dir / "recordings").glob("*.ogg"))
