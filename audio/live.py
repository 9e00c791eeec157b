"""Transcribe while recording, so the transcript is ready almost as soon as the user stops.

`LiveTranscriber` is a Recorder listener: the writer thread only drops each 16 kHz chunk into a
queue. A worker thread transcribes the open (not yet kept) audio whenever it is >= 10 s long, >= 4 s
of it is new and the speaker pauses (the last 0.5 s quiet), or at 25 s regardless. It keeps the
segments that end more than 2 s before the end of that audio and carries the rest, cut between two
words, into the next piece: the words Whisper gets wrong at a piece's edge are transcribed again
with what follows, so the result matches transcribing the whole file. When the recording stops only
the open audio (~10 s) is left, so `finish()` returns quickly.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import queue
import threading
from collections import deque
from concurrent.futures import Future

import numpy as np

from audio.transcribe import Segment, Transcriber

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
_FINISH = None  # the queue's end-of-recording marker


class LiveTranscriber:
    """Feed it chunks (`live(chunk)` or `live.feed(chunk)`), then call `finish()` for every segment.

    `failed` holds the error message when a piece could not be transcribed; from then on audio is
    dropped, and callers should transcribe the recording file instead. `transcriber` may still be loading
    (a Future of one): the recording starts at once and the first piece waits for the model.
    """

    def __init__(
        self,
        transcriber: Transcriber | Future,
        *,
        min_piece_seconds: float = 10.0,
        max_piece_seconds: float = 25.0,
        min_new_seconds: float = 4.0,
        hold_seconds: float = 2.0,
        pause_seconds: float = 0.5,
        quiet_dbfs: float = -40.0,
    ) -> None:
        self.transcriber = transcriber
        self.failed: str | None = None
        self.pieces = 0  # pieces transcribed so far (for tests and benchmarks)
        self._min_samples = int(min_piece_seconds * SAMPLE_RATE)
        self._max_samples = int(max_piece_seconds * SAMPLE_RATE)
        self._min_new_samples = int(min_new_seconds * SAMPLE_RATE)
        self._hold_seconds = hold_seconds
        self._pause_samples = int(pause_seconds * SAMPLE_RATE)
        self._quiet_mean_square = 10.0 ** (quiet_dbfs / 10.0)
        self._chunks: queue.Queue[np.ndarray | None] = queue.Queue()
        self._open: list[np.ndarray] = []  # audio not yet covered by kept segments
        self._open_samples = 0
        self._new_samples = 0  # of it, arrived since the last transcription
        self._tail: deque[tuple[float, int]] = deque()  # (sum of squares, samples) of the newest chunks
        self._tail_power = 0.0
        self._tail_samples = 0
        self._consumed_samples = 0  # audio before the open audio, for segment offsets
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
                    self._transcribe_open_audio(final=True)
                    return
                self._add(np.asarray(chunk, dtype=np.float32).reshape(-1))
            finally:
                self._chunks.task_done()

    def _add(self, chunk: np.ndarray) -> None:
        if self.failed is not None or not len(chunk):
            return
        self._open.append(chunk)
        self._open_samples += len(chunk)
        self._new_samples += len(chunk)
        power = float(np.dot(chunk, chunk))
        self._tail.append((power, len(chunk)))
        self._tail_power += power
        self._tail_samples += len(chunk)
        while len(self._tail) > 1 and self._tail_samples - self._tail[0][1] >= self._pause_samples:
            old_power, old_samples = self._tail.popleft()
            self._tail_power -= old_power
            self._tail_samples -= old_samples
        if self._open_samples >= self._max_samples:
            self._transcribe_open_audio(final=False)
        elif (self._open_samples >= self._min_samples and self._new_samples >= self._min_new_samples
              and self._tail_is_quiet()):
            self._transcribe_open_audio(final=False)

    def _tail_is_quiet(self) -> bool:
        if self._tail_samples < self._pause_samples:
            return False
        return self._tail_power / self._tail_samples < self._quiet_mean_square

    def _transcribe_open_audio(self, *, final: bool) -> None:
        """Transcribe all uncommitted audio; keep what is safely inside it, carry the rest forward.

        Whisper is least sure about the last words of a piece (it cannot hear how the sentence goes on),
        so unless the recording has stopped, words ending in the last `hold_seconds` are not kept: their
        audio starts the next piece, cut between two words, preferably at a segment (sentence) end.
        """
        self._new_samples = 0
        if not self._open_samples or self.failed is not None:
            return
        audio = np.concatenate(self._open)
        offset = self._consumed_samples / SAMPLE_RATE
        if _is_silent(audio):
            segments: list[Segment] = []  # saves a Whisper call; its VAD would find nothing anyway
        else:
            try:
                model = self.transcriber.result() if isinstance(self.transcriber, Future) else self.transcriber
                segments = model.transcribe_samples(audio, offset)
                self.pieces += 1
            except Exception as error:  # a bug or an out-of-memory: the file can still be transcribed whole
                log.exception("live transcription of %.1f s at %.1f s failed", len(audio) / SAMPLE_RATE, offset)
                self.failed = f"live transcription failed: {error!r}"
                return
        if final:
            keep, cut = segments, len(audio)
        else:
            keep, cut = _split_before(segments, offset + len(audio) / SAMPLE_RATE - self._hold_seconds, offset)
            if cut is None and not segments:
                cut = max(0, len(audio) - int(self._hold_seconds * SAMPLE_RATE))  # no speech: drop the old audio
            elif cut is None and self._open_samples >= self._max_samples:
                keep, cut = segments, len(audio)  # Whisper's window is 30 s: no room to wait any longer
            elif cut is None:
                return  # one unfinished stretch of speech: wait for more audio
        self._segments.extend(keep)
        rest = audio[cut:]
        self._consumed_samples += cut
        self._open = [rest] if len(rest) else []
        self._open_samples = len(rest)


def _is_silent(samples: np.ndarray) -> bool:
    if not len(samples):
        return True
    peak = float(np.max(np.abs(samples)))
    return peak == 0.0 or 20 * math.log10(peak) < -60.0


def _split_before(segments: list[Segment], limit: float, offset: float) -> tuple[list[Segment], int | None]:
    """The segments (or their words) that end by `limit`, and the sample where the audio after them starts.

    Splits at the last segment end before `limit`; inside a single long segment, at the widest gap
    between its words before `limit`. (None for the sample when there is nowhere to split.)
    """
    if segments and segments[-1].end <= limit:
        # Any later sound (speech Whisper missed at the edge) is carried forward and heard again.
        return segments, max(0, int((segments[-1].end + 0.05 - offset) * SAMPLE_RATE))
    ends = [i for i, segment in enumerate(segments[:-1]) if segment.end <= limit]
    if ends:
        last = ends[-1]
        split = (segments[last].end + segments[last + 1].start) / 2
        return segments[: last + 1], max(0, int((split - offset) * SAMPLE_RATE))
    words = [w for segment in segments[:1] for w in segment.words]
    gaps = [(words[i + 1].start - words[i].end, i) for i in range(len(words) - 1) if words[i].end <= limit]
    if not gaps:
        return [], None
    _, i = max(gaps)
    kept = words[: i + 1]
    split = (words[i].end + words[i + 1].start) / 2
    first = dataclasses.replace(segments[0], words=kept, text="".join(w.word for w in kept).strip(), end=kept[-1].end)
    return [first], max(0, int((split - offset) * SAMPLE_RATE))
