"""Transcription with faster-whisper, streamed chunk by chunk, with hallucinations and loops removed."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from audio.cleanup import clean_segments
from audio.decode import SAMPLE_RATE, iter_chunks
from audio.models import ModelChoice, load_whisper_model, pick_device, resolve_model

log = logging.getLogger(__name__)


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    compression_ratio: float = 1.0
    words: list[Word] = field(default_factory=list)


@dataclass
class TranscriptionSettings:
    model: str = "tiny.en"
    language: str = "auto"  # "auto" or a code such as "en"
    device: str = "auto"
    vocabulary: Sequence[str] = ()  # names and jargon, passed to Whisper as hotwords
    allow_download: bool = False
    beam_size: int = 5
    # Decoded audio held at once (plus 10 s): faster-whisper's VAD and features cost ~1 MB per second of it.
    chunk_seconds: float = 120.0

    def whisper_options(self) -> dict:
        """The faster-whisper `transcribe()` keyword arguments these settings imply."""
        return dict(
            language=None if self.language in ("", "auto", None) else self.language,
            beam_size=self.beam_size,
            vad_filter=True,
            condition_on_previous_text=False,
            word_timestamps=True,
            hotwords=" ".join(self.vocabulary) or None,
        )


class Transcriber:
    """A loaded Whisper model plus the settings to run it with."""

    def __init__(self, settings: TranscriptionSettings | None = None):
        self.settings = settings or TranscriptionSettings()
        self.choice: ModelChoice = resolve_model(self.settings.model, allow_download=self.settings.allow_download)
        device, compute_type = pick_device(self.settings.device)
        self.model = load_whisper_model(self.choice.location, device, compute_type)
        self.language: str | None = None  # the language of the last transcription

    @property
    def model_name(self) -> str:
        return self.choice.name

    def transcribe_file(self, path: Path) -> Iterator[Segment]:
        """Yield the cleaned segments of `path` as they are decoded; streamed, bounded memory.

        Raises audio.decode.AudioError for files that can't be decoded at all.
        """
        options = self.settings.whisper_options()
        self.language = options["language"]
        for offset, samples in iter_chunks(Path(path), self.settings.chunk_seconds):
            yield from clean_segments(self._transcribe_samples(samples, offset, options))
            # Detect the language once per file, not per chunk (detection costs ~0.7 s).
            options["language"] = self.language

    def transcribe_samples(self, samples: np.ndarray, offset: float = 0.0) -> list[Segment]:
        """Transcribe 16 kHz mono float32 samples already in memory (live capture, tests)."""
        return list(clean_segments(self._transcribe_samples(samples, offset, self.settings.whisper_options())))

    def _transcribe_samples(self, samples: np.ndarray, offset: float, options: dict) -> Iterator[Segment]:
        # Imported here: `import app.cli` (and so the window's launch) must not pay for faster-whisper.
        from privacy import keep_libraries_quiet

        keep_libraries_quiet()  # the VAD runs on onnxruntime: telemetry off before it loads
        from faster_whisper.vad import VadOptions, collect_chunks, get_speech_timestamps

        # The VAD runs once, here, exactly as faster-whisper's vad_filter would run it; its speech regions
        # serve both the transcription and the second chance below.
        speech = get_speech_timestamps(samples, VadOptions())
        if not speech:
            return
        options = {**options, "vad_filter": False}
        chunks, _ = collect_chunks(samples, speech)
        segments = self._whisper(np.concatenate(chunks), offset, options, speech)
        # Whisper sometimes ends a 30 s window early and skips the rest of it ("seek to window end"),
        # silently dropping whole sentences of a long memo. Speech the VAD heard but no segment covers
        # is transcribed again on its own, without temperature fallback: a region Whisper can't read
        # (a language the model doesn't know) then costs one decode, not six. A gap next to a segment
        # Whisper itself failed on (log-probability below its own threshold) isn't retried at all.
        second_chance = {**options, "temperature": 0.0}
        for start, end in _uncovered_speech(speech, segments, offset):
            if not _bordered_by_confident_speech(start, end, segments):
                continue
            piece = samples[int((start - offset) * SAMPLE_RATE) : int((end - offset) * SAMPLE_RATE)]
            segments.extend(self._whisper(piece, start, second_chance))
        yield from sorted(segments, key=lambda segment: segment.start)

    def _whisper(self, samples: np.ndarray, offset: float, options: dict, speech: list[dict] | None = None) -> list[Segment]:
        """Whisper on `samples`; `speech`: the VAD regions `samples` was collected from, to map times back."""
        segments, info = self.model.transcribe(samples, **options)
        if speech:
            from faster_whisper.transcribe import restore_speech_timestamps

            segments = restore_speech_timestamps(segments, speech, SAMPLE_RATE)
        self.language = info.language
        return [
            Segment(
                start=round(raw.start + offset, 3),
                end=round(raw.end + offset, 3),
                text=raw.text.strip(),
                avg_logprob=raw.avg_logprob,
                no_speech_prob=raw.no_speech_prob,
                compression_ratio=raw.compression_ratio,
                words=[
                    Word(round(w.start + offset, 3), round(w.end + offset, 3), w.word, w.probability)
                    for w in (raw.words or ())
                ],
            )
            for raw in segments
        ]


MIN_UNCOVERED_SECONDS = 2.0
# faster-whisper's log_prob_threshold: below it Whisper counts its own decoding as failed.
FAILED_LOG_PROB = -1.0


def _bordered_by_confident_speech(start: float, end: float, segments: list[Segment]) -> bool:
    """Whether the segments just before and just after a gap (those there are) were decoded confidently.

    Skipped speech sits between confident segments (on 60 s and 300 s memos of English: ≥ -0.72);
    a gap next to a failed decode (multilingual.mp3's German through tiny.en: -1.04) is more of the same."""
    before = [s for s in segments if s.end <= start + 0.3]
    after = [s for s in segments if s.start >= end - 0.3]
    neighbours = ([max(before, key=lambda s: s.end)] if before else []) + ([min(after, key=lambda s: s.start)] if after else [])
    return all(s.avg_logprob >= FAILED_LOG_PROB for s in neighbours)


def _uncovered_speech(speech: list[dict], segments: list[Segment], offset: float) -> list[tuple[float, float]]:
    """(start, end) in file time of VAD speech regions (in samples) that no segment overlaps for ≥ 2 s."""
    covered = sorted((s.start, s.end) for s in segments)
    gaps = []
    for region in speech:
        start, end = offset + region["start"] / SAMPLE_RATE, offset + region["end"] / SAMPLE_RATE
        cursor = start
        for seg_start, seg_end in covered:
            if seg_end <= cursor or seg_start >= end:
                continue
            if seg_start - cursor >= MIN_UNCOVERED_SECONDS:
                gaps.append((max(start, cursor - 0.2), seg_start))
            cursor = max(cursor, seg_end)
        if end - cursor >= MIN_UNCOVERED_SECONDS:
            gaps.append((max(start, cursor - 0.2), end))
    return gaps
