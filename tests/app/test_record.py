"""`musings record` / `musings devices` against the real virtual microphone, and live transcription's accuracy."""
from __future__ import annotations

import json
import threading
import time

import numpy as np
import pytest

from audio.decode import iter_chunks
from audio.live import SAMPLE_RATE, LiveTranscriber
from tests.audio.conftest import virtual_microphone  # noqa: F401  (the fixture)
from tests.conftest import DATA, references, run_musings
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
    assert result.returncode == 2
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
