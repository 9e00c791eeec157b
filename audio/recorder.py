"""Record a microphone to an Ogg/Opus file that survives crashes, and feed 16 kHz audio to live consumers.

Threads: PortAudio's callback only copies each block into a queue; one writer thread downmixes,
measures the level, encodes, writes and fsyncs, and passes 16 kHz audio to listeners. Ogg pages are
flushed every quarter second and the file is fsynced about once a second, so a crash, `kill -9` or
power cut loses about the last second; `recover_recording` turns such an unfinished file into a clean one.
"""

from __future__ import annotations

import fcntl
import logging
import math
import os
import queue
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

# PyAV (~0.1 s to import) is imported where it is used: `musings listen --start-recording` opens the
# microphone before it loads, so the device wakes up meanwhile (app/entry.py).
from audio.devices import CaptureError, InputDevice, find_input_device, list_input_devices, load_sounddevice
from privacy import create_private_file, make_private_dir

__all__ = [
    "CaptureError",
    "InputDevice",
    "LISTENER_SAMPLE_RATE",
    "MIN_LEVEL_DBFS",
    "Recorder",
    "RecordingResult",
    "list_input_devices",
    "recover_recording",
]

logger = logging.getLogger(__name__)

LISTENER_SAMPLE_RATE = 16_000
OPUS_SAMPLE_RATE = 48_000
MIN_LEVEL_DBFS = -100.0
LEVEL_WINDOW_SECONDS = 0.05
# Ogg page every 250 ms plus flush_packets: a killed writer leaves all but the last page on disk.
OGG_MUXER_OPTIONS = {"page_duration": "250000", "flush_packets": "1"}
FSYNC_INTERVAL_SECONDS = 1.0

Listener = Callable[[np.ndarray], None]


@dataclass(frozen=True)
class RecordingResult:
    """What `Recorder.stop` hands back.

    `sample_rate` is the rate of the encoded file (Opus: always 48 kHz). `error` is the user-readable
    message of the failure that ended the recording early, or None; the file holds everything
    recorded up to that failure either way.
    """

    path: Path
    duration_seconds: float
    sample_rate: int
    error: str | None = None


class _OggOpusWriter:
    """Mono float32 blocks at any rate in, a crash-tolerant Ogg/Opus file out."""

    def __init__(self, path: Path, input_rate: int, bitrate: int) -> None:
        import av

        self.path = path
        self._input_rate = input_rate
        self._container = av.open(str(path), "w", format="ogg", options=OGG_MUXER_OPTIONS)
        self._stream = self._container.add_stream("libopus", rate=OPUS_SAMPLE_RATE, layout="mono")
        self._stream.bit_rate = bitrate
        self._container.start_encoding()  # creates the file and writes the Opus header pages now
        self._resampler = av.AudioResampler(format="s16", layout="mono", rate=OPUS_SAMPLE_RATE)
        self._sync_fd = os.open(path, os.O_RDONLY)
        # Held until the file is finished (or the process dies, even by kill -9): recovery in another
        # process knows by it that this recording is still going, whatever the file's age.
        fcntl.flock(self._sync_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self._last_sync = 0.0  # the first write syncs the directory entry too

    def write(self, samples: np.ndarray) -> None:
        frame = _frame_from_samples(samples, self._input_rate)
        self._encode(self._resampler.resample(frame))
        if time.monotonic() - self._last_sync >= FSYNC_INTERVAL_SECONDS:
            if self._last_sync == 0.0:
                _fsync_directory(self.path.parent)
            os.fsync(self._sync_fd)
            self._last_sync = time.monotonic()

    def close(self) -> None:
        """Flush the encoder, write the end-of-stream page and fsync. Always releases the file."""
        try:
            self._encode(self._resampler.resample(None))
            self._encode([None])
            self._container.close()
            os.fsync(self._sync_fd)
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Release the file without writing more (after a write error such as a full disk)."""
        try:
            self._container.close()
        except Exception:  # the container may be half-written; what is on disk stays readable
            logger.debug("closing a failed Ogg container raised", exc_info=True)
        if self._sync_fd >= 0:
            os.close(self._sync_fd)
            self._sync_fd = -1

    def _encode(self, frames) -> None:
        for frame in frames:
            for packet in self._stream.encode(frame):
                self._container.mux(packet)


class Recorder:
    """Records one input device to Ogg/Opus files, one `start`/`stop` at a time.

    `device` is an index, a name substring or None for the system default. Failures the user can fix
    raise CaptureError from `start`; failures while recording (device gone, disk full) end the
    recording, keep the file, set `error` and are reported in `stop()`'s result.
    Listeners get mono float32 numpy chunks at 16 kHz on the writer thread, so they must be quick
    (hand the chunk to a queue); one that raises is logged and removed.
    """

    def __init__(
        self,
        device: int | str | None = None,
        *,
        silence_threshold_dbfs: float = -45.0,
        bitrate: int = 32_000,
        blocksize_seconds: float = 0.01,
        stall_timeout_seconds: float = 2.0,
    ) -> None:
        self.device: InputDevice = find_input_device(device)
        self.sample_rate = int(self.device.default_samplerate)
        self.silence_threshold_dbfs = silence_threshold_dbfs
        self._bitrate = bitrate
        self._blocksize = max(16, int(self.sample_rate * blocksize_seconds))
        self._stall_timeout = stall_timeout_seconds
        self._listeners: list[Listener] = []
        self._stream = None
        # PortAudio must never stop and abort one stream at once (it deadlocks): the writer thread
        # aborts on a failure while the caller may be calling stop().
        self._stream_lock = threading.Lock()
        self._prepared_stream = None  # an input kept running between recordings (`prepare`)
        self._capturing = False  # whether the callback queues blocks or discards them
        self._gate = threading.Lock()  # orders the callback's queueing against stop()'s end marker
        self._writer_thread: threading.Thread | None = None
        self._reset()

    # -- public state ---------------------------------------------------------------------------

    @property
    def is_recording(self) -> bool:
        return self._stream is not None

    @property
    def frames_captured(self) -> int:
        """Frames (at the device rate) delivered by the device since `start`."""
        return self._frames_captured

    @property
    def elapsed_seconds(self) -> float:
        """Seconds of audio captured since `start` (audio time, not wall-clock time)."""
        return self._frames_captured / self.sample_rate

    @property
    def level(self) -> float:
        """RMS level of the last ~50 ms in dBFS, from MIN_LEVEL_DBFS (silence) to 0 (full scale)."""
        return self._level_dbfs

    @property
    def silence_seconds(self) -> float:
        """Seconds of audio since a block was last louder than `silence_threshold_dbfs`."""
        return (self._frames_written - self._last_loud_frame) / self.sample_rate

    @property
    def first_sample_latency(self) -> float | None:
        """Seconds from the `start()` call to the first audio callback, None until it has arrived."""
        if self._first_callback_at is None:
            return None
        return self._first_callback_at - self._start_called_at

    @property
    def first_sample_at(self) -> float | None:
        """`time.perf_counter()` when the first audio of this recording arrived, None until then."""
        return self._first_callback_at

    def wait_for_first_sample(self, timeout: float) -> bool:
        """Wait until the first audio of this recording arrived (True) or it failed or `timeout` passed (False)."""
        self._first_sample.wait(timeout)
        return self._first_callback_at is not None

    @property
    def error(self) -> CaptureError | None:
        """The failure that ended the current or last recording early, if any."""
        return self._error

    def add_listener(self, callback: Listener) -> None:
        """Call `callback(chunk)` with each new stretch of 16 kHz mono float32 audio."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    # -- start / stop ---------------------------------------------------------------------------

    @property
    def is_prepared(self) -> bool:
        """True while the input is kept running between recordings (see `prepare`)."""
        return self._prepared_stream is not None

    def prepare(self) -> None:
        """Keep the input running from now on, discarding its audio until `start`, until `close`.

        Starting a recording then takes milliseconds instead of the device's wake-up time (about
        half a second on PulseAudio), at the price of an always-open microphone (the desktop's
        "microphone in use" indicator stays on). Raises CaptureError when the device can't open.
        """
        if self._prepared_stream is not None:
            return
        stream = self._start_stream()
        self._prepared_stream = stream

    def close(self) -> None:
        """Release an input kept open by `prepare` (stops a running recording first)."""
        if self.is_recording:
            self.stop()
        stream, self._prepared_stream = self._prepared_stream, None
        if stream is not None:
            stream.abort(ignore_errors=True)
            stream.close(ignore_errors=True)

    def start(self, path: str | os.PathLike[str]) -> None:
        """Open the device and begin writing `path` (Ogg/Opus). Raises CaptureError on failure."""
        if self.is_recording:
            raise RuntimeError("Recorder.start called while already recording")
        import av

        self._reset()
        self._start_called_at = time.perf_counter()
        self._path = Path(path)
        self._listener_resampler = av.AudioResampler(format="flt", layout="mono", rate=LISTENER_SAMPLE_RATE)
        if self._prepared_stream is not None and not self._prepared_stream.active:
            logger.info("the prepared input stopped (device gone?); opening it again")
            self.close()
            self.prepare()
        stream = self._prepared_stream
        if stream is None:
            # Start the device first: creating the file overlaps its warm-up, blocks wait in the queue.
            stream = self._start_stream()
        with self._gate:
            self._capturing = True
        try:
            self._writer = _open_writer(self._path, self.sample_rate, self._bitrate)
        except CaptureError:
            with self._gate:
                self._capturing = False
            if stream is not self._prepared_stream:
                stream.abort(ignore_errors=True)
                stream.close(ignore_errors=True)
            raise
        self._stream = stream
        self._writer_thread = threading.Thread(target=self._write_loop, name="recorder-writer", daemon=True)
        self._writer_thread.start()
        logger.info("recording %s from %s at %d Hz", self._path, self.device.name, self.sample_rate)

    def stop(self) -> RecordingResult:
        """Stop capturing, finish the file and return what was recorded."""
        if self._path is None:
            raise RuntimeError("Recorder.stop called before start")
        with self._stream_lock:
            stream, self._stream = self._stream, None
            if stream is not None:
                self._stopping = True
                if stream is self._prepared_stream:
                    pass  # keeps running; the gate below ends the recording between two blocks
                else:
                    try:
                        stream.stop()  # waits for the last callback, so the queue then holds every block
                    except load_sounddevice().PortAudioError:
                        logger.warning("stopping the input stream failed", exc_info=True)
                    stream.close(ignore_errors=True)
        with self._gate:
            self._capturing = False
        if self._writer_thread is not None:
            self._blocks.put(None)
            self._writer_thread.join()
            self._writer_thread = None
        duration = self._frames_written / self.sample_rate
        if self._write_failed:
            duration = _decoded_duration(self._path)  # the last page or two may not have reached the disk
        result = RecordingResult(
            path=self._path,
            duration_seconds=duration,
            sample_rate=OPUS_SAMPLE_RATE,
            error=str(self._error) if self._error else None,
        )
        logger.info("recorded %.2f s to %s%s", result.duration_seconds, result.path,
                    f" (ended early: {result.error})" if result.error else "")
        return result

    # -- internals ------------------------------------------------------------------------------

    def _reset(self) -> None:
        self._blocks: queue.Queue[np.ndarray | None] = queue.Queue()
        self._path: Path | None = None
        self._writer: _OggOpusWriter | None = None
        self._frames_captured = 0
        self._frames_written = 0
        self._last_loud_frame = 0
        self._level_dbfs = MIN_LEVEL_DBFS
        self._level_window: deque[tuple[float, int]] = deque()
        self._start_called_at = 0.0
        self._first_callback_at: float | None = None
        self._first_sample = threading.Event()  # set by the first block, or by a failure
        self._stream_status: str | None = None
        self._stream_finished = False
        self._stopping = False
        self._error: CaptureError | None = None
        self._write_failed = False
        self._listener_resampler = None  # made by start()

    def _start_stream(self):
        stream = self._open_stream()
        try:
            stream.start()
        except load_sounddevice().PortAudioError as exc:
            stream.close(ignore_errors=True)
            raise CaptureError(f"Could not start recording from '{self.device.name}': {exc}") from exc
        return stream

    def _open_stream(self):
        sd = load_sounddevice()
        last_error: Exception | None = None
        # Mono if the device offers it, otherwise stereo downmixed on the writer thread.
        for channels in dict.fromkeys((1, min(2, self.device.channels))):
            try:
                return sd.InputStream(
                    device=self.device.index,
                    channels=channels,
                    samplerate=self.sample_rate,
                    dtype="float32",
                    blocksize=self._blocksize,
                    # A small fixed buffer makes the first block arrive in ~10-20 ms; PortAudio's
                    # "low" preset on PulseAudio sometimes stalls the first callback for 2 s.
                    latency=2 * self._blocksize / self.sample_rate,
                    callback=self._on_audio,
                    finished_callback=self._on_stream_finished,
                )
            except sd.PortAudioError as exc:
                last_error = exc
                logger.debug("opening %s with %d channel(s) failed: %s", self.device.name, channels, exc)
        message = str(last_error)
        if "denied" in message.lower() or "busy" in message.lower():
            raise CaptureError(f"Access to the microphone '{self.device.name}' was refused ({message}). "
                               "Check that Musings may use the microphone and that no other program holds it.")
        raise CaptureError(f"Could not open the microphone '{self.device.name}': {message}")

    def _on_audio(self, indata: np.ndarray, frames: int, time_info, status) -> None:
        # PortAudio's thread: copy and queue, nothing else.
        with self._gate:
            if not self._capturing:
                return  # a prepared input between recordings
            if self._first_callback_at is None:
                self._first_callback_at = time.perf_counter()
                self._first_sample.set()
            if status:
                self._stream_status = str(status)
            self._frames_captured += frames
            self._blocks.put_nowait(indata.copy())

    def _on_stream_finished(self) -> None:
        if not self._capturing:
            return  # a prepared input that died between recordings is reopened by the next start()
        self._stream_finished = True
        self._blocks.put_nowait(np.empty((0, 1), dtype=np.float32))  # wake the writer to notice

    def _write_loop(self) -> None:
        last_block_at = time.monotonic()
        while True:
            try:
                block = self._blocks.get(timeout=0.1)
            except queue.Empty:
                block = np.empty((0, 1), dtype=np.float32)
            if block is None:
                break
            if self._error is not None:
                continue  # the file is already closed; drain until stop()
            if len(block):
                last_block_at = time.monotonic()
                self._write_block(block)
            self._check_stream_health(last_block_at)
        self._finish_file()

    def _write_block(self, block: np.ndarray) -> None:
        samples = block[:, 0] if block.shape[1] == 1 else block.mean(axis=1, dtype=np.float32)
        samples = np.ascontiguousarray(samples, dtype=np.float32)
        try:
            self._writer.write(samples)
        except OSError as exc:  # PyAV's errors for ENOSPC, EIO, EACCES subclass OSError
            self._fail(CaptureError(_describe_write_error(self._path, exc)), file_writable=False)
            return
        self._frames_written += len(samples)
        self._update_level(samples)
        self._feed_listeners(self._listener_resampler.resample(_frame_from_samples(samples, self.sample_rate)))

    def _check_stream_health(self, last_block_at: float) -> None:
        if self._stopping:
            return
        gone = self._stream_finished
        stalled = time.monotonic() - last_block_at > self._stall_timeout and self._first_callback_at is not None
        never_started = self._first_callback_at is None and time.perf_counter() - self._start_called_at > 2 * self._stall_timeout
        if never_started and not gone:
            self._fail(CaptureError(f"The microphone '{self.device.name}' sent no audio - is it connected, "
                                    "switched on and not used by another program? Nothing was recorded."))
        elif gone or stalled:
            detail = f" (PortAudio status: {self._stream_status})" if self._stream_status else ""
            self._fail(CaptureError(f"The microphone '{self.device.name}' stopped sending audio - "
                                    f"was it unplugged?{detail} Everything recorded until then was kept."))

    def _fail(self, error: CaptureError, *, file_writable: bool = True) -> None:
        """End the recording early: keep the file, stop the device, remember the error for stop()."""
        if self._error is not None:
            return
        logger.warning("recording ended early: %s", error)
        self._finish_file(file_writable=file_writable)
        with self._stream_lock:
            stream = self._stream
            if stream is not None and threading.current_thread() is self._writer_thread:
                try:
                    stream.abort(ignore_errors=True)
                except Exception:
                    logger.debug("aborting the failed stream raised", exc_info=True)
        self._error = error  # only now: a caller seeing it may call stop() at once
        self._first_sample.set()  # wake anyone still waiting for audio that will not come

    def _finish_file(self, *, file_writable: bool = True) -> None:
        writer, self._writer = self._writer, None
        if writer is None:
            return
        self._feed_listeners(self._listener_resampler.resample(None))
        if not file_writable:
            self._write_failed = True
            writer.abandon()
            return
        try:
            writer.close()
        except OSError as exc:
            self._error = self._error or CaptureError(_describe_write_error(self._path, exc))
            logger.warning("finishing %s failed: %s", self._path, exc)

    def _update_level(self, samples: np.ndarray) -> None:
        power = float(np.dot(samples, samples))
        self._level_window.append((power, len(samples)))
        window_frames = sum(n for _, n in self._level_window)
        while len(self._level_window) > 1 and window_frames - self._level_window[0][1] >= LEVEL_WINDOW_SECONDS * self.sample_rate:
            window_frames -= self._level_window.popleft()[1]
        self._level_dbfs = _to_dbfs(sum(p for p, _ in self._level_window) / max(1, window_frames))
        if _to_dbfs(power / max(1, len(samples))) > self.silence_threshold_dbfs:
            self._last_loud_frame = self._frames_written

    def _feed_listeners(self, frames) -> None:
        if not self._listeners:
            return
        for frame in frames:
            chunk = frame.to_ndarray().reshape(-1)
            for listener in list(self._listeners):
                try:
                    listener(chunk)
                except Exception:
                    logger.exception("audio listener %r failed and was removed", listener)
                    self.remove_listener(listener)


def recover_recording(path: str | os.PathLike[str]) -> Path | None:
    """Make an unfinished recording (writer crashed or was killed) a clean Ogg file, in place.

    Returns the path when it holds decodable audio (untouched if it was already finished), or None
    when nothing in it can be read. The Opus packets are copied, not re-encoded, so nothing is lost.
    Raises CaptureError, leaving the file untouched, when the repair can't be written (a full disk).
    """
    import av

    path = Path(path)
    if not path.exists() or path.stat().st_size == 0:
        return None
    if _ogg_is_finished(path):
        return path
    repaired = path.with_name(path.name + ".recovering")
    packets = 0
    try:
        repaired.unlink(missing_ok=True)  # a leftover of an earlier attempt, maybe with a looser mode
        create_private_file(repaired)
        with av.open(str(path)) as source, av.open(str(repaired), "w", format="ogg") as target:
            source_stream = source.streams.audio[0]
            target_stream = target.add_stream_from_template(source_stream)
            try:
                for packet in source.demux(source_stream):
                    if packet.dts is None:
                        continue  # the demuxer's end-of-stream marker
                    packet.stream = target_stream
                    target.mux(packet)
                    packets += 1
            except av.error.FFmpegError as exc:  # the torn last page
                if isinstance(exc, OSError) and exc.errno:
                    raise  # not the file's fault (a full disk): a half copy must not replace it
                logger.info("stopped reading %s at a damaged page: %s", path, exc)
    except (av.error.FFmpegError, IndexError, OSError) as exc:
        repaired.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno:  # full disk, no permission: keep the file as it is
            raise CaptureError(f"{path} could not be repaired now ({exc.strerror or exc}); it was kept "
                               "as it is.") from exc
        logger.warning("%s holds no readable audio: %s", path, exc)
        return None
    if packets == 0:
        repaired.unlink(missing_ok=True)
        return None
    os.replace(repaired, path)
    logger.info("recovered %d audio packets in %s", packets, path)
    return path


def _decoded_duration(path: str | os.PathLike[str]) -> float:
    """Seconds of audio that decode from `path`, reading up to the first damaged spot; 0.0 if none."""
    import av

    samples, rate = 0, 1
    try:
        with av.open(str(path)) as container:
            stream = container.streams.audio[0]
            rate = stream.rate or 1
            for frame in container.decode(stream):
                samples += frame.samples
    except (av.error.FFmpegError, IndexError) as exc:
        logger.info("decoding %s stopped early: %s", path, exc)
    return samples / rate


def _ogg_is_finished(path: Path) -> bool:
    """True when the last complete Ogg page carries the end-of-stream flag."""
    with path.open("rb") as file:
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - 65_536))
        tail = file.read()
    start = tail.rfind(b"OggS")
    if start < 0 or start + 27 > len(tail):
        return False
    page_segments = tail[start + 26]
    header_end = start + 27 + page_segments
    if header_end > len(tail):
        return False
    body_length = sum(tail[start + 27:header_end])
    is_complete = header_end + body_length == len(tail)
    return is_complete and bool(tail[start + 5] & 0x04)


def _open_writer(path: Path, input_rate: int, bitrate: int) -> _OggOpusWriter:
    try:
        make_private_dir(path.parent)
        create_private_file(path)  # FFmpeg would make it 0644 minus the umask; it keeps an existing file's mode
        return _OggOpusWriter(path, input_rate, bitrate)
    except OSError as exc:
        raise CaptureError(_describe_write_error(path, exc)) from exc


def _describe_write_error(path: Path | None, exc: OSError) -> str:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk is full, so recording stopped. Everything until then was saved to {path}."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return f"Musings may not write the recording to {path}. Choose another folder or check its permissions."
    return f"Writing the recording to {path} failed: {exc.strerror or exc}."


def _frame_from_samples(samples: np.ndarray, rate: int) -> av.AudioFrame:
    import av

    frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
    frame.sample_rate = rate
    return frame


def _fsync_directory(directory: Path) -> None:
    # So the new file's directory entry survives a power cut, not only its data.
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _to_dbfs(mean_square: float) -> float:
    if mean_square <= 0.0:
        return MIN_LEVEL_DBFS
    return max(MIN_LEVEL_DBFS, 10.0 * math.log10(mean_square))
