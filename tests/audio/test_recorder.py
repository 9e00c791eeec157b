"""The recorder against the real virtual microphone (PulseAudio null sink), real files and real processes."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pytest

from audio.recorder import (
    LISTENER_SAMPLE_RATE,
    MIN_LEVEL_DBFS,
    CaptureError,
    Recorder,
    RecordingResult,
    list_input_devices,
    recover_recording,
)
from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def decoded_seconds(path: Path) -> float:
    """Seconds of audio PyAV decodes from `path`, up to the first damaged spot."""
    samples = 0
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(audio=0):
                samples += frame.samples
    except av.error.FFmpegError:
        pass
    return samples / 48_000


def wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


@dataclass
class SpeechRecording:
    result: RecordingResult
    elapsed_at_stop: float
    level_before_speech: float
    silence_before_speech: float
    loudest_level: float
    longest_silence_during_speech: float
    chunks: list[np.ndarray] = field(default_factory=list)


@pytest.fixture(scope="module")
def speech_recording(virtual_microphone, tmp_path_factory) -> SpeechRecording:
    """One second of silence, then ~3 s of a real speech clip played into the microphone."""
    chunks: list[np.ndarray] = []
    recorder = Recorder()
    recorder.add_listener(chunks.append)
    recorder.start(tmp_path_factory.mktemp("rec") / "memo.ogg")
    wait_until(lambda: recorder.elapsed_seconds >= 1.0, 10, "1 s of audio")
    level_before, silence_before = recorder.level, recorder.silence_seconds
    player = virtual_microphone.play()
    try:
        loudest, longest_silence = MIN_LEVEL_DBFS, 0.0
        wait_until(lambda: recorder.level > recorder.silence_threshold_dbfs, 5, "the speech to reach the microphone")
        speech_from = recorder.elapsed_seconds
        while recorder.elapsed_seconds < speech_from + 3.0:
            loudest = max(loudest, recorder.level)
            longest_silence = max(longest_silence, recorder.silence_seconds)
            time.sleep(0.01)
        elapsed = recorder.elapsed_seconds
        result = recorder.stop()
    finally:
        player.kill()
        player.wait()
    return SpeechRecording(result, elapsed, level_before, silence_before, loudest, longest_silence, chunks)


def test_recording_decodes_to_the_recorded_length(speech_recording):
    result = speech_recording.result
    assert result.error is None
    assert result.path.suffix == ".ogg" and result.sample_rate == 48_000
    assert result.duration_seconds == pytest.approx(speech_recording.elapsed_at_stop, abs=0.1)
    assert decoded_seconds(result.path) == pytest.approx(result.duration_seconds, abs=0.05)
    # Opus at 32 kbps: a minute of speech is a few hundred KB, not the 5 MB of a WAV.
    assert result.path.stat().st_size < 6_000 * result.duration_seconds


def test_level_meter_follows_speech(speech_recording):
    assert speech_recording.level_before_speech == MIN_LEVEL_DBFS
    assert speech_recording.loudest_level > -30.0


def test_silence_counter_grows_in_quiet_and_resets_on_speech(speech_recording):
    assert speech_recording.silence_before_speech == pytest.approx(1.0, abs=0.15)
    # The clip has short pauses between phrases but none near a second.
    assert speech_recording.longest_silence_during_speech < 0.8


def test_listener_receives_16k_float32_audio_of_the_full_length(speech_recording):
    chunks = speech_recording.chunks
    assert chunks and all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    listened = sum(len(c) for c in chunks) / LISTENER_SAMPLE_RATE
    assert listened == pytest.approx(speech_recording.result.duration_seconds, abs=0.02)
    audio = np.concatenate(chunks)
    assert np.abs(audio).max() > 0.05  # the speech itself, not only silence


def test_finished_recording_is_left_alone_by_recovery(speech_recording):
    path = speech_recording.result.path
    before = (path.stat().st_mtime_ns, path.stat().st_size)
    assert recover_recording(path) == path
    assert (path.stat().st_mtime_ns, path.stat().st_size) == before


def test_input_devices_include_the_default(virtual_microphone):
    devices = list_input_devices()
    assert sum(d.is_default for d in devices) == 1
    assert all(d.channels > 0 and d.default_samplerate > 0 for d in devices)


def test_unknown_device_name_is_a_clear_capture_error(virtual_microphone):
    with pytest.raises(CaptureError, match="No microphone called 'USB Yeti 9000' was found. Available: .*default"):
        Recorder("USB Yeti 9000")


def test_unwritable_destination_is_a_capture_error_and_releases_the_device(virtual_microphone, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    recorder = Recorder()
    with pytest.raises(CaptureError, match="not-a-folder"):
        recorder.start(blocker / "memo.ogg")
    assert not recorder.is_recording
    recorder.start(tmp_path / "memo.ogg")  # the device was not left open
    wait_until(lambda: recorder.elapsed_seconds > 0.2, 10, "audio")
    assert recorder.stop().error is None


def test_unplugged_microphone_keeps_what_was_recorded(virtual_microphone, tmp_path):
    recorder = Recorder()
    recorder.start(tmp_path / "memo.ogg")
    player = virtual_microphone.play()
    try:
        wait_until(lambda: recorder.elapsed_seconds >= 1.5, 10, "1.5 s of audio")
        assert virtual_microphone.disconnect_recorders_of(os.getpid()) == 1
        wait_until(lambda: recorder.error is not None, 5, "the recorder to notice")
        cut_at = recorder.elapsed_seconds
        time.sleep(0.3)
        assert recorder.elapsed_seconds == cut_at  # capture really ended
        result = recorder.stop()
    finally:
        player.kill()
        player.wait()
    assert result.error and "stopped sending audio" in result.error
    assert decoded_seconds(result.path) == pytest.approx(cut_at, abs=0.1)
    assert result.duration_seconds == pytest.approx(cut_at, abs=0.1)


CHILD_RECORDER = textwrap.dedent(
    """
    import sys, time
    from audio.recorder import Recorder
    recorder = Recorder()
    recorder.start(sys.argv[1])
    while True:
        print(f"{recorder.elapsed_seconds:.3f}", flush=True)
        time.sleep(0.02)
    """
)


@pytest.mark.slow
def test_recording_killed_with_sigkill_is_recoverable_to_within_a_second(virtual_microphone, tmp_path):
    path = tmp_path / "killed.ogg"
    child = subprocess.Popen([sys.executable, "-c", CHILD_RECORDER, str(path)], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    player = virtual_microphone.play()
    try:
        captured_at_kill = 0.0
        for line in child.stdout:
            captured_at_kill = float(line)
            if captured_at_kill >= 3.0:
                break
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        child.kill()
        player.kill()
        player.wait()
    assert captured_at_kill >= 3.0, "the child never recorded 3 s"
    readable_before_recovery = decoded_seconds(path)
    assert recover_recording(path) == path
    recovered = decoded_seconds(path)
    assert recovered == pytest.approx(readable_before_recovery, abs=0.05)
    assert captured_at_kill - 1.0 <= recovered <= captured_at_kill + 0.1
    with av.open(str(path)) as container:  # a clean file now: its length is known without decoding
        assert container.duration / 1e6 == pytest.approx(recovered, abs=0.05)


def test_recovery_of_an_empty_or_garbage_file_gives_none(tmp_path):
    empty = tmp_path / "empty.ogg"
    empty.write_bytes(b"")
    garbage = tmp_path / "garbage.ogg"
    garbage.write_bytes(os.urandom(4096))
    assert recover_recording(empty) is None
    assert recover_recording(garbage) is None
    assert recover_recording(tmp_path / "missing.ogg") is None


@pytest.fixture
def nearly_full_disk(tmp_path) -> Path:
    """A 64 KB filesystem with only 8 KB free (about two seconds of Opus speech)."""
    mount_point = tmp_path / "tiny-disk"
    mount_point.mkdir()
    require(os.geteuid() == 0, "mounting a tiny tmpfs to fill up needs root")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
                             capture_output=True, text=True)
    require(mounted.returncode == 0, f"cannot mount a tiny tmpfs here: {mounted.stderr.strip()}")
    try:
        (mount_point / "filler").write_bytes(b"\0" * 56 * 1024)
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_full_disk_stops_recording_and_keeps_what_was_saved(virtual_microphone, nearly_full_disk):
    recorder = Recorder()
    player = virtual_microphone.play()
    try:
        recorder.start(nearly_full_disk / "memo.ogg")
        wait_until(lambda: recorder.error is not None, 15, "the disk to fill up")
        result = recorder.stop()
    finally:
        player.kill()
        player.wait()
    assert "disk is full" in result.error
    saved = decoded_seconds(result.path)
    assert saved > 0.5
    assert result.duration_seconds == pytest.approx(saved, abs=0.01)
