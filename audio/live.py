"""Transcribe while recording, so the transcript is ready almost as soon as the user stops.

`LiveTranscriber` is a Recorder listener: the writer thread only drops each 16 kHz chunk into a
queue. A worker thread gathers the audio into pieces that end in a pause (>= 4 s long and the
last ~0.6 s quiet) or, failing a pause, at 25 s, and transcribes each piece as it closes. When the
recording stops only the last piece is left, so `finish()` returns quickly.
"""
from __future__ import annotations

import logging
import math
import queue
import threading
from collections import deque

import numpy as np

from audio.transcribe import Segment, Transcriber

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
_FINISH = None  # the queue's end-of-recording marker


class LiveTranscriber:
    """Feed it chunks (`live(chunk)` or `live.feed(chunk)`), then call `finish()` for every segment.

    `failed` holds the error message when a piece could not be transcribed; from then on audio is
    dropped, and callers should transcribe the recording file instead.
    """

    def __init__(
        self,
        transcriber: Transcriber,
        *,
        min_piece_seconds: float = 4.0,
        max_piece_seconds: float = 25.0,
        pause_seconds: float = 0.6,
        quiet_dbfs: float = -40.0,
    ) -> None:
        self.transcriber = transcriber
        self.failed: str | None = None
        self.pieces = 0  # pieces transcribed so far (for tests and benchmarks)
        self._min_samples = int(min_piece_seconds * SAMPLE_RATE)
        self._max_samples = int(max_piece_seconds * SAMPLE_RATE)
        self._pause_samples = int(pause_seconds * SAMPLE_RATE)
        self._quiet_mean_square = 10.0 ** (quiet_dbfs / 10.0)
        self._chunks: queue.Queue[np.ndarray | None] = queue.Queue()
        self._piece: list[np.ndarray] = []
        self._piece_samples = 0
        self._tail: deque[tuple[float, int]] = deque()  # (sum of squares, samples) of the newest chunks
        self._tail_power = 0.0
        self._tail_samples = 0
        self._consumed_samples = 0  # audio before the current piece, for segment offsets
        self._segments: list[Segment] = []
        self._finished = False
        self._worker = threading.Thread(target=self._run, name="live-transcriber", daemon=True)
        self._worker.start()

    def feed(self, chunk: np.ndarray) -> None:
        """Queue 16 kHz mono float32 audio; never blocks (safe on the recorder's writer thread)."""
        if not self._finished:
            self._chunks.put_nowait(chunk)

    __call__ = feed

    def settle(self) -> None:
        """Block until every chunk fed so far has been looked at and any piece it closed is transcribed."""
        self._chunks.join()

    def finish(self, timeout: float | None = None) -> list[Segment]:
        """Transcribe what is left and return all segments in order. Call once, after the recording stopped."""
        if not self._finished:
            self._finished = True
            self._chunks.put_nowait(_FINISH)
        self._worker.join(timeout)
        if self._worker.is_alive():
            raise TimeoutError("live transcription did not finish in time")
        return list(self._segments)

    # -- worker ---------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            chunk = self._chunks.get()
            try:
                if chunk is _FINISH:
                    self._close_piece(self._piece_samples)
                    return
                self._add(np.asarray(chunk, dtype=np.float32).reshape(-1))
            finally:
                self._chunks.task_done()

    def _add(self, chunk: np.ndarray) -> None:
        if self.failed is not None or not len(chunk):
            return
        self._piece.append(chunk)
        self._piece_samples += len(chunk)
        power = float(np.dot(chunk, chunk))
        self._tail.append((power, len(chunk)))
        self._tail_power += power
        self._tail_samples += len(chunk)
        while len(self._tail) > 1 and self._tail_samples - self._tail[0][1] >= self._pause_samples:
            old_power, old_samples = self._tail.popleft()
            self._tail_power -= old_power
            self._tail_samples -= old_samples
        if self._piece_samples >= self._min_samples and self._tail_is_quiet():
            self._close_piece(self._piece_samples)
        elif self._piece_samples >= self._max_samples:
            self._close_piece(self._quietest_cut())

    def _tail_is_quiet(self) -> bool:
        if self._tail_samples < self._pause_samples:
            return False
        return self._tail_power / self._tail_samples < self._quiet_mean_square

    def _quietest_cut(self) -> int:
        """Where to split a piece with no pause: the quietest 0.1 s in its last 5 s, so words stay whole."""
        audio = np.concatenate(self._piece)
        window = SAMPLE_RATE // 10
        search_from = max(self._min_samples, len(audio) - 5 * SAMPLE_RATE)
        tail = audio[search_from:]
        usable = len(tail) // window * window
        if usable < window:
            return len(audio)
        energy = (tail[:usable].reshape(-1, window) ** 2).mean(axis=1)
        return search_from + int(np.argmin(energy)) * window + window // 2

    def _close_piece(self, cut: int) -> None:
        """Transcribe the first `cut` samples of the current piece and keep the rest for the next one."""
        if not self._piece_samples or self.failed is not None:
            return
        audio = np.concatenate(self._piece)
        piece, rest = audio[:cut], audio[cut:]
        offset = self._consumed_samples / SAMPLE_RATE
        self._consumed_samples += len(piece)
        self._piece = [rest] if len(rest) else []
        self._piece_samples = len(rest)
        self._tail.clear()
        self._tail_power, self._tail_samples = 0.0, 0
        if len(rest):
            self._tail.append((float(np.dot(rest, rest)), len(rest)))
            self._tail_power, self._tail_samples = self._tail[0]
        if _is_silent(piece):
            return  # saves a Whisper call; its VAD would find nothing anyway
        try:
            self._segments.extend(self.transcriber.transcribe_samples(piece, offset))
            self.pieces += 1
        except Exception as error:  # a bug or an out-of-memory: the file can still be transcribed whole
            log.exception("live transcription of %.1f s at %.1f s failed", len(piece) / SAMPLE_RATE, offset)
            self.failed = f"live transcription failed: {error!r}"


def _is_silent(samples: np.ndarray) -> bool:
    if not len(samples):
        return True
    peak = float(np.max(np.abs(samples)))
    return peak == 0.0 or 20 * math.log10(peak) < -60.0
