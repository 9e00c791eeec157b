"""Splitting a transcript into ideas (organize/ideas.py) with the real embedder and real clinc150 utterances.

Segment times are synthetic (2.6 words/s, segments of 8-14 words, 0.3-1.0 s pauses, a 0.8 s pause at a
topic change, so the long-pause evidence does not help); the spoken (espeak-ng) rambles, through the real
`musings import`, are in tests/app/test_ideas.py.
"""

from __future__ import annotations

import random

from organize.ideas import IdeaSpan, sentences_of, split_ideas

from .conftest import read_topics

WORDS_PER_S = 2.6


def utterances(intent: str, n: int, skip: int = 0) -> str:
    rows = [r["text"] for r in read_topics("clinc150/clinc150_test.jsonl") if r["intent"] == intent]
    return " ".join(t[0].upper() + t[1:] + "." for t in rows[skip:skip + n])


def speak(parts: list[str], seed: int = 0) -> tuple[list[tuple[float, float, str]], list[float]]:
    rng = random.Random(seed)
    segments, boundaries, t = [], [], 0.0
    for p, text in enumerate(parts):
        if p:
            t += 0.8
            boundaries.append(t)
        words, i = text.split(), 0
        while i < len(words):
            if i:
                t += rng.uniform(0.3, 1.0)
            n = rng.randint(8, 14)
            chunk = words[i:] if len(words) - (i + n) < 4 else words[i:i + n]
            segments.append((t, t + len(chunk) / WORDS_PER_S, " ".join(chunk)))
            t += len(chunk) / WORDS_PER_S
            i += len(chunk)
    return segments, boundaries


def test_three_topic_ramble_splits_into_three_ideas(embedder):
    parts = [utterances("transfer", 7), utterances("book_flight", 7), utterances("recipe", 7)]
    segments, truth = speak(parts)
    assert segments[-1][1] > 60
    ideas = split_ideas(segments, embedder.embed)
    assert len(ideas) == 3, ideas
    for found, true in zip([i.start_s for i in ideas[1:]], truth):
        assert abs(found - true) <= 3.0
    assert ideas[0].start_s == segments[0][0] and ideas[-1].end_s == segments[-1][1]
    assert ideas[0].first_segment == 0 and ideas[-1].last_segment == len(segments) - 1
    for a, b in zip(ideas, ideas[1:]):
        assert a.end_s == b.start_s and a.last_segment <= b.first_segment + 1


def test_one_topic_minute_stays_whole(embedder):
    segments, _ = speak([utterances("recipe", 23, skip=7)], seed=1)
    assert 55 <= segments[-1][1] <= 90
    assert split_ideas(segments, embedder.embed) == [IdeaSpan(segments[0][0], segments[-1][1], 0, len(segments) - 1)]


def test_thirty_second_memo_stays_whole(embedder):
    segments, _ = speak([utterances("book_flight", 5, skip=7), utterances("recipe", 4, skip=7)], seed=2)
    assert 20 <= segments[-1][1] < 40
    ideas = split_ideas(segments, embedder.embed)
    assert ideas == [IdeaSpan(segments[0][0], segments[-1][1], 0, len(segments) - 1)]


def test_sentence_times_are_interpolated_within_segments():
    segments = [(0.0, 4.0, "One two three. Four"), (5.0, 7.0, "five six. Seven")]
    sentences = sentences_of(segments)
    assert [s.text for s in sentences] == ["One two three.", "Four five six.", "Seven"]
    assert sentences[0].start_s == 0.0
    assert 3.0 < sentences[1].start_s < 4.0 and sentences[1].last_segment == 1
    assert 5.0 < sentences[2].start_s < 7.0 and sentences[2].pause_before_s == 0.0
    assert sentences_of([(0.0, 1.0, "A."), (2.5, 3.0, "B.")])[1].pause_before_s == 1.5
