"""Decoding every format phones and recorders produce, and clear reasons for what can't be decoded."""
from __future__ import annotations

import shutil
import wave

import numpy as np
import pytest

from audio.decode import SAMPLE_RATE, AudioError, iter_chunks, probe
from tests.conftest import DATA

FORMATS = {
    "speech/fleurs_en_opus/fleurs-en-000.ogg": (10.56, 48_000, 1),
    "speech/ljspeech/LJ001-0002.wav": (1.9, 22_050, 1),
    "formats/jfk.mp3": (11.0, 16_000, 1),
    "formats/apollo11.mp3": (89.2, 8_000, 1),
    "formats/format_test.m4a": (9.66, 44_100, 1),
    "formats/test5.webm": (1.5, 48_000, 2),
    "speech/faster_whisper/hotwords.mp3": (4.0, 44_100, 2),
}


@pytest.mark.parametrize("name", FORMATS)
def test_formats_probe_and_decode_to_16k_mono(name):
    duration, rate, channels = FORMATS[name]
    info = probe(DATA / name)
    assert (info.sample_rate, info.channels) == (rate, channels)
    assert info.duration == pytest.approx(duration, abs=0.05)
    samples = np.concatenate([chunk for _, chunk in iter_chunks(DATA / name)])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert len(samples) / SAMPLE_RATE == pytest.approx(duration, abs=0.05)
    assert 0.01 < np.abs(samples).max() <= 1.0


def test_recorded_at_comes_from_metadata():
    assert probe(DATA / "formats/format_test.m4a").recorded_at.isoformat() == "2011-07-13T18:37:14+00:00"
    assert probe(DATA / "formats/jfk.mp3").recorded_at is None


def test_bad_files_get_one_line_reasons(tmp_path):
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "notes.mp3").write_text("shopping list: milk, eggs\n" * 50)
    truncated_header = tmp_path / "cut.flac"
    truncated_header.write_bytes((DATA / "formats/jfk.mp3").read_bytes()[:0] + b"fLaC\x00\x00")
    cases = {"empty.wav": "empty file", "notes.mp3": "not a readable audio file", "cut.flac": "not a readable audio file",
             "missing.ogg": "vanished"}
    for name, reason in cases.items():
        with pytest.raises(AudioError, match=reason) as caught:
            probe(tmp_path / name)
        assert "\n" not in str(caught.value)


def test_truncated_file_keeps_what_decodes(tmp_path):
    whole = (DATA / "formats/jfk.mp3").read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(whole[: len(whole) // 2])
    samples = np.concatenate([chunk for _, chunk in iter_chunks(cut)])
    assert 4.0 < len(samples) / SAMPLE_RATE < 7.0


def write_long_wav(path, seconds: int, speech: np.ndarray, rate: int = 8_000) -> None:
    """Quiet noise with the speech at the start and at the end, written block by block."""
    rng = np.random.default_rng(1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        pcm = (speech * 32767).astype(np.int16)
        out.writeframes(pcm.tobytes())
        remaining = seconds * rate - 2 * len(pcm)
        while remaining > 0:
            n = min(remaining, rate * 60)
            out.writeframes((rng.standard_normal(n) * 30).astype(np.int16).tobytes())
            remaining -= n
        out.writeframes(pcm.tobytes())


def test_long_files_stream_in_bounded_chunks(tmp_path):
    speech = np.concatenate([c for _, c in iter_chunks(DATA / "formats/jfk.mp3")])[::2]  # 8 kHz
    path = tmp_path / "long.wav"
    write_long_wav(path, 1500, speech)
    chunks = [(offset, len(chunk)) for offset, chunk in iter_chunks(path, chunk_seconds=300)]
    assert max(n for _, n in chunks) <= (300 + 10) * SAMPLE_RATE
    assert sum(n for _, n in chunks) / SAMPLE_RATE == pytest.approx(1500, abs=0.1)
    for (offset, n), (next_offset, _) in zip(chunks, chunks[1:]):
        assert offset + n / SAMPLE_RATE == pytest.approx(next_offset)
