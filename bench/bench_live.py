"""Stop-to-transcript latency: live transcription (LiveTranscriber) vs transcribing after the recording stops.

    .venv/bin/python bench/bench_live.py [--tries 3] [--model tiny.en]

Memos of ~10 s, ~60 s and ~300 s are built by joining the clips in tests/data/speech (and, for
300 s, /work/shared/data/speech when present, else the test clips again) with 0.7 s pauses
(none after the last, so the user stops right after speaking). Live:
the audio is fed in 0.1 s chunks (what the recorder delivers, without a microphone) as fast as
possible, then we wait until the worker has caught up, which is where a real-time recording
would be when transcription keeps up with speech (the "compute/audio" column says whether it
does); only stop -> finish() is timed. Baseline: `transcribe_samples` of the whole audio after stop.
WER is against the joined reference transcripts.
"""
from __future__ import annotations

import argparse
import csv
import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audio.decode import iter_chunks  # noqa: E402
from audio.live import SAMPLE_RATE, LiveTranscriber  # noqa: E402
from audio.transcribe import Transcriber, TranscriptionSettings  # noqa: E402
from tests.conftest import DATA, references  # noqa: E402
from tests.wer import wer  # noqa: E402

PAUSE = np.zeros(int(0.7 * SAMPLE_RATE), dtype=np.float32)
CHUNK = SAMPLE_RATE // 10


SHARED_SPEECH = Path("/work/shared/data/speech")


def shared_references() -> dict[Path, str]:
    """Reference transcripts of the shared clips (one transcripts.tsv per folder), if they are here."""
    refs = {}
    for table in sorted(SHARED_SPEECH.glob("*/transcripts.tsv")):
        with open(table, newline="") as handle:
            for row in csv.DictReader(handle, delimiter="\t"):
                if "channel" not in row and not row["reference_text"].startswith("("):
                    refs[table.parent / row["file"]] = row["reference_text"]
    return refs


def build_memo(clips: list[Path], seconds: float) -> tuple[np.ndarray, str]:
    """Join clips (with pauses) until the memo is at least `seconds` long."""
    refs = references() | shared_references()
    parts, texts = [], []
    for clip in clips:
        if sum(len(p) for p in parts) >= seconds * SAMPLE_RATE:
            break
        parts += [np.concatenate([s for _, s in iter_chunks(clip)]), PAUSE]
        texts.append(refs[clip])
    # No pause after the last clip: the memo stops right after the last word, the harder case for live.
    audio = np.concatenate(parts[:-1])
    loud = np.flatnonzero(np.abs(audio) > 0.01)  # the clips' own trailing silence goes too
    return audio[: loud[-1] + SAMPLE_RATE // 5], " ".join(texts)


def run_live(transcriber: Transcriber, audio: np.ndarray) -> tuple[float, float, str, int]:
    live = LiveTranscriber(transcriber)
    fed_at = time.perf_counter()
    for start in range(0, len(audio), CHUNK):
        live(audio[start:start + CHUNK])
    live.settle()
    stopped = time.perf_counter()
    segments = live.finish()
    done = time.perf_counter()
    return done - stopped, done - fed_at, " ".join(s.text for s in segments), live.pieces


def run_after(transcriber: Transcriber, audio: np.ndarray) -> tuple[float, str]:
    stopped = time.perf_counter()
    segments = transcriber.transcribe_samples(audio)
    return time.perf_counter() - stopped, " ".join(s.text for s in segments)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=3)
    parser.add_argument("--long-tries", type=int, default=1, help="tries for the 300 s memo")
    parser.add_argument("--model", default="tiny.en")
    args = parser.parse_args()
    transcriber = Transcriber(TranscriptionSettings(model=args.model, language="en"))
    speech = DATA / "speech"
    ljspeech = sorted((speech / "ljspeech").glob("*.wav"))
    fleurs = sorted((speech / "fleurs_en_opus").glob("*.ogg"))
    # For 300 s: the shared LJSpeech clips not already in tests/data, else the test clips over again.
    shared = [clip for clip in sorted((SHARED_SPEECH / "ljspeech_coqui").glob("*.wav"))
              if clip.name not in {c.name for c in ljspeech}]
    long_clips = list(itertools.islice(itertools.cycle(fleurs + ljspeech + shared), 200))
    memos = {"10 s": build_memo(ljspeech, 10), "60 s": build_memo(fleurs + ljspeech, 60),
             "300 s": build_memo(long_clips, 300)}
    transcriber.transcribe_samples(memos["10 s"][0])  # warm-up

    print(f"model {transcriber.model_name}, {args.tries} tries ({args.long_tries} for 300 s), median seconds from stop to final transcript\n")
    print(f"{'memo':>6} {'audio s':>8} {'pieces':>6} {'live s':>8} {'after s':>8} {'speed-up':>8} "
          f"{'live WER':>8} {'after WER':>9} {'compute/audio':>13}")
    for name, (audio, reference) in memos.items():
        tries = args.long_tries if len(audio) > 120 * SAMPLE_RATE else args.tries
        live_runs = [run_live(transcriber, audio) for _ in range(tries)]
        after_runs = [run_after(transcriber, audio) for _ in range(tries)]
        live_latency = statistics.median(r[0] for r in live_runs)
        after_latency = statistics.median(r[0] for r in after_runs)
        compute = statistics.median(r[1] for r in live_runs)
        seconds = len(audio) / SAMPLE_RATE
        print(f"{name:>6} {seconds:>8.1f} {live_runs[0][3]:>6} {live_latency:>8.2f} {after_latency:>8.2f} "
              f"{after_latency / live_latency:>7.1f}x {wer([reference], [live_runs[0][2]]):>8.3f} "
              f"{wer([reference], [after_runs[0][1]]):>9.3f} {compute / seconds:>13.2f}")


if __name__ == "__main__":
    main()
