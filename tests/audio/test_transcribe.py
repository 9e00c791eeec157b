"""Transcription quality and cleanup with the real tiny.en model on real recordings."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from faster_whisper import WhisperModel

from audio.cleanup import clean_segments
from audio.models import ModelError, resolve_model
from audio.transcribe import Transcriber, TranscriptionSettings
from tests.conftest import DATA
from tests.wer import wer


def test_word_error_rate_matches_plain_faster_whisper(transcriber, reference_clips):
    """The app's pipeline (streamed decode, cleanup) costs no accuracy against plain faster-whisper."""
    plain = WhisperModel(transcriber.choice.location, device="cpu", compute_type="int8")
    options = transcriber.settings.whisper_options()
    refs, ours, theirs = [], [], []
    for path, reference in reference_clips.items():
        refs.append(reference)
        ours.append(" ".join(s.text for s in transcriber.transcribe_file(path)))
        segments, _ = plain.transcribe(str(path), **options)
        theirs.append(" ".join(s.text.strip() for s in segments))
    ours_wer, plain_wer = wer(refs, ours), wer(refs, theirs)
    print(f"WER musings {ours_wer:.3f} vs plain faster-whisper {plain_wer:.3f} on {len(refs)} clips")
    assert ours_wer <= plain_wer + 0.02
    assert ours_wer < 0.15  # tiny.en reads these at about 0.07


def test_vocabulary_is_passed_as_hotwords():
    path = DATA / "speech/faster_whisper/hotwords.mp3"
    with_vocabulary = Transcriber(TranscriptionSettings(language="en", vocabulary=["ComfyUI"]))
    text = " ".join(s.text for s in with_vocabulary.transcribe_file(path))
    assert "ComfyUI" in text


def test_silence_gives_no_segments(transcriber):
    rng = np.random.default_rng(0)
    quiet_noise = (rng.standard_normal(16_000 * 20) * 0.002).astype(np.float32)
    assert transcriber.transcribe_samples(quiet_noise) == []


def test_timestamps_are_offset_into_the_file(transcriber):
    """Chunks of a long file carry their position: a word at 7 s in chunk 2 is at offset + 7 s."""
    jfk = DATA / "formats/jfk.mp3"
    first = transcriber.transcribe_file(jfk)
    segments = list(first)
    from audio.decode import iter_chunks

    (_, samples), = list(iter_chunks(jfk))
    shifted = transcriber.transcribe_samples(samples, offset=600.0)
    assert [round(s.start + 600, 1) for s in segments] == [round(s.start, 1) for s in shifted]
    assert all(w.start >= 600 for s in shifted for w in s.words)


@dataclass
class FakeWord:  # the shape of a Whisper word; the cleanup is pure logic over such records
    word: str
    start: float = 0.0
    end: float = 0.0
    probability: float = 1.0


@dataclass
class FakeSegment:
    text: str
    avg_logprob: float = -0.3
    no_speech_prob: float = 0.05
    start: float = 0.0
    end: float = 1.0
    words: list = field(default_factory=list)


def test_repetition_loops_are_cut():
    # What tiny.en produced on apollo11.mp3 with a low VAD threshold: "Okay, okay." three times running.
    segments = [FakeSegment("On the agenda."), *[FakeSegment("Okay, okay.") for _ in range(5)], FakeSegment("Hold on.")]
    assert [s.text for s in clean_segments(segments)] == ["On the agenda.", "Okay, okay.", "Okay, okay.", "Hold on."]
    words = [FakeWord(" I"), FakeWord(" think")] + [FakeWord(" okay") for _ in range(12)] + [FakeWord(" done.")]
    (looped,) = clean_segments([FakeSegment("I think" + " okay" * 12 + " done.", words=words)])
    assert looped.text == "I think okay okay okay done."
    # Short segments too: tiny.en on the radio clip once gave "uh, a, a, a, a," (4 words of a loop).
    short = [FakeWord(" uh,"), *[FakeWord(" a,") for _ in range(4)]]
    (cut,) = clean_segments([FakeSegment("uh, a, a, a, a,", words=short)])
    assert cut.text == "uh, a, a, a,"


def test_stock_hallucinations_over_silence_are_dropped():
    unsure = FakeSegment("Thank you.", avg_logprob=-0.9, no_speech_prob=0.5)
    meant = FakeSegment("Thank you.", avg_logprob=-0.2, no_speech_prob=0.01)
    assert list(clean_segments([unsure])) == []
    assert list(clean_segments([meant])) == [meant]


def test_hub_models_need_explicit_permission(tmp_path):
    with pytest.raises(ModelError, match="--allow-download"):
        resolve_model("small.en")
    assert resolve_model("small.en", allow_download=True).location == "small.en"
    with pytest.raises(ModelError, match="model.bin"):
        resolve_model(str(tmp_path))


def test_base_model_is_reassembled_from_its_two_packages():
    from audio.models import BASE_MODEL_BYTES

    choice = resolve_model("base")
    from pathlib import Path

    assert (Path(choice.location) / "model.bin").stat().st_size == BASE_MODEL_BYTES
    base = Transcriber(TranscriptionSettings(model="base", language="en"))
    text = " ".join(s.text for s in base.transcribe_file(DATA / "formats/jfk.mp3"))
    assert "country" in text.lower()


def test_speech_whisper_skips_at_a_window_end_is_transcribed_again(transcriber, reference_clips):
    """A ~60 s memo of read sentences with short pauses: tiny.en ends two 30 s windows early and skips
    ~28 s of speech (plain faster-whisper: WER ≈ 0.59 here); Musings re-transcribes what no segment covers."""
    from audio.decode import iter_chunks

    clips = sorted(DATA.glob("speech/fleurs_en_opus/*.ogg")) + sorted(DATA.glob("speech/ljspeech/*.wav"))
    pause = np.zeros(int(0.7 * 16_000), dtype=np.float32)
    parts, texts = [], []
    for clip in clips:
        if sum(len(p) for p in parts) >= 60 * 16_000:
            break
        parts += [np.concatenate([samples for _, samples in iter_chunks(clip)]), pause]
        texts.append(reference_clips[clip])
    audio, reference = np.concatenate(parts), " ".join(texts)
    plain = WhisperModel(transcriber.choice.location, device="cpu", compute_type="int8")
    segments, _ = plain.transcribe(audio, **transcriber.settings.whisper_options())
    plain_wer = wer([reference], [" ".join(s.text for s in segments)])
    ours_wer = wer([reference], [" ".join(s.text for s in transcriber.transcribe_samples(audio))])
    print(f"60 s memo: WER musings {ours_wer:.3f} vs plain faster-whisper {plain_wer:.3f}")
    assert ours_wer < 0.25 and ours_wer < plain_wer - 0.1


def test_gaps_next_to_a_failed_decode_are_not_retried():
    from audio.transcribe import Segment, _bordered_by_confident_speech

    confident = [Segment(0, 10, "fine", -0.3, 0.0), Segment(40, 50, "fine", -0.4, 0.0)]
    assert _bordered_by_confident_speech(10, 40, confident)
    assert _bordered_by_confident_speech(50, 60, confident)  # speech to the end, after a confident segment
    failed = [Segment(0, 10, "fine", -0.3, 0.0), Segment(40, 50, "the rest of the rest", -1.04, 0.2)]
    assert not _bordered_by_confident_speech(10, 40, failed)
    assert not _bordered_by_confident_speech(50, 60, failed)

