"""Removing what Whisper invents: phrases hallucinated over silence, and repetition loops.

Works on segment streams (anything with text/words/avg_logprob/no_speech_prob), lazily.
"""
from __future__ import annotations

import dataclasses
import re
from typing import Iterable, Iterator, TypeVar

S = TypeVar("S")

# What Whisper says over silence and noise (subtitle credits learned from its training data).
KNOWN_HALLUCINATIONS = frozenset(
    {
        "thank you", "thanks for watching", "thank you for watching", "thank you very much",
        "thanks", "you", "bye", "bye bye", "okay", "oh", "so", "subtitles by the amara org community",
        "please subscribe", "like and subscribe", "i ll see you next time", "see you next time",
    }
)
MAX_REPEATS = 2  # identical consecutive segments kept before the rest count as a loop
MAX_NGRAM_REPEATS = 3  # a phrase said this many times in a row is kept; more is a loop


def normalise(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def is_hallucination(segment) -> bool:
    """Whisper's own no-speech rule, plus the stock phrases when the model itself is unsure."""
    if segment.no_speech_prob > 0.6 and segment.avg_logprob < -1.0:
        return True
    if normalise(segment.text) in KNOWN_HALLUCINATIONS:
        return segment.no_speech_prob > 0.3 or segment.avg_logprob < -0.7
    return not normalise(segment.text)


def clean_segments(segments: Iterable[S]) -> Iterator[S]:
    """Drop hallucinated segments, cut runs of the same segment, and cut loops inside a segment."""
    previous, run = None, 0
    for segment in segments:
        if is_hallucination(segment):
            continue
        segment = _cut_inner_loops(segment)
        key = normalise(segment.text)
        run = run + 1 if key == previous else 1
        previous = key
        if run <= MAX_REPEATS:
            yield segment


def _cut_inner_loops(segment: S) -> S:
    words = list(getattr(segment, "words", None) or ())
    if len(words) <= MAX_NGRAM_REPEATS:
        return segment
    keys = [normalise(w.word) for w in words]
    keep = _loop_free_indices(keys)
    if len(keep) == len(words):
        return segment
    kept = [words[i] for i in keep]
    return dataclasses.replace(
        segment, words=kept, text="".join(w.word for w in kept).strip(), end=kept[-1].end
    )


def _loop_free_indices(keys: list[str]) -> list[int]:
    """Indices of the words to keep when any n-gram (n ≤ 6) repeats more than MAX_NGRAM_REPEATS times in a row."""
    drop: set[int] = set()
    for n in range(1, 7):
        i = 0
        while i + n <= len(keys):
            gram = keys[i : i + n]
            j = i + n
            repeats = 1
            while keys[j : j + n] == gram:
                repeats += 1
                j += n
            if repeats > MAX_NGRAM_REPEATS:
                drop.update(range(i + n * MAX_NGRAM_REPEATS, j))
                i = j
            else:
                i += 1
    return [i for i in range(len(keys)) if i not in drop]
