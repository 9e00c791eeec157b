"""Split one transcript into the ideas it holds (issue 17, step 1: the splitting function only).

TextTiling-style (Hearst 1997) over the bundled sentence embeddings:

1. the transcript's segments are joined and cut into sentences; each sentence gets a start and end time,
   interpolated inside its segment by character position (a sentence may span segments);
2. each sentence is embedded once (``embed``: texts -> unit vectors, e.g. ``Embedder().embed``);
3. at each gap between sentences, the cosine similarity between the mean vector of the ``k`` sentences
   before and the ``k`` sentences after;
4. a depth score per gap: left peak + right peak - 2 x the gap's similarity (peaks found by climbing while
   the similarity rises, as in Hearst);
5. evidence: a pause of >= ``PAUSE_S`` between two segments at the gap adds ``pause_weight``; a spoken cue
   ("another thing", "second idea", "also", "next", "oh and", "different topic", ...) at the start of the
   sentence after the gap adds ``cue_weight``;
6. boundaries: gaps (optionally only those whose similarity is at most ``max_similarity``) whose score reaches ``threshold`` (an absolute value tuned on the development half of
   bench/bench_ideas.py; ``threshold=None`` uses Hearst's cut-off, mean - sigma/2 of the scores), taken in
   descending score order, each kept only if every idea stays at least ``min_idea_s`` long;
6b. optionally (``merge_similarity``), neighbouring ideas whose whole-idea mean vectors are more similar
   than that are joined again, the most similar pair first;
7. a memo shorter than ``min_memo_s`` or with fewer than ``min_sentences`` sentences stays one idea.

Pure numpy apart from ``embed``. An idea's segments are the segments its time span touches: when a
boundary falls inside a segment (a sentence ending mid-segment), that segment belongs to both ideas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

Segment = tuple[float, float, str]
Embed = Callable[[list[str]], np.ndarray]

# Tuned on the development half of bench/bench_ideas.py (synthetic times; see its docstring).
K = 2
THRESHOLD = 0.20
PAUSE_S = 1.5
PAUSE_WEIGHT = 0.10
CUE_WEIGHT = 0.15  # not exercised by the bench (its rambles hold no spoken cues): a prior, not a fit
MIN_IDEA_S = 10.0
MAX_SIMILARITY: float | None = None  # a boundary also needs the two sides' similarity at most this
MERGE_SIMILARITY: float | None = 0.6  # neighbouring ideas whose mean vectors are this similar are joined
MIN_MEMO_S = 40.0
MIN_SENTENCES = 6

CUES = ("another thing", "second idea", "third idea", "next idea", "one more thing", "different topic",
        "on a different note", "oh and", "also", "next", "anyway", "by the way", "other thing", "moving on")
_CUE_RE = re.compile(r"^\W*(?:" + "|".join(re.escape(c) for c in CUES) + r")\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


@dataclass(frozen=True)
class IdeaSpan:
    start_s: float
    end_s: float
    first_segment: int
    last_segment: int  # inclusive


@dataclass(frozen=True)
class Sentence:
    text: str
    start_s: float
    end_s: float
    first_segment: int
    last_segment: int
    pause_before_s: float  # silence between segments right before it; 0 when it starts mid-segment


def sentences_of(segments: Sequence[Segment]) -> list[Sentence]:
    """The transcript's sentences with interpolated times (segments joined by one space)."""
    pieces, spans = [], []  # spans: (char_start, char_end, seg index)
    pos = 0
    for i, (_, _, text) in enumerate(segments):
        text = " ".join(text.split())
        if pieces:
            pos += 1
        spans.append((pos, pos + len(text), i))
        pieces.append(text)
        pos += len(text)
    full = " ".join(pieces)
    char_seg = np.full(len(full) + 1, -1, dtype=int)
    for cs, ce, i in spans:
        char_seg[cs:ce + 1] = i
    for c in range(len(char_seg) - 2, -1, -1):  # a joining space belongs to the next segment
        if char_seg[c] < 0:
            char_seg[c] = char_seg[c + 1]

    def time_at(c: int) -> float:
        i = int(char_seg[c])
        cs, ce, _ = spans[i]
        s, e, _ = segments[i]
        return float(s + (e - s) * ((c - cs) / max(ce - cs, 1)))

    out: list[Sentence] = []
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(full)]
    ends = [m.start() for m in _SENTENCE_END.finditer(full)] + [len(full)]
    for a, b in zip(starts, ends):
        text = full[a:b].strip()
        if not text:
            continue
        i = int(char_seg[a])
        j = int(char_seg[max(b - 1, a)])
        pause = 0.0
        if a == spans[i][0] and i > 0:
            pause = max(0.0, float(segments[i][0] - segments[i - 1][1]))
        out.append(Sentence(text, time_at(a), time_at(max(b, a)), i, j, pause))
    return out


def _climb(values: np.ndarray, i: int, step: int) -> float:
    j = i
    while 0 <= j + step < len(values) and values[j + step] >= values[j]:
        j += step
    return float(values[j])


def gap_similarities(vectors: np.ndarray, k: int = K) -> np.ndarray:
    """Cosine similarity of the mean of the k sentences before and after the gap before sentence g (g-1)."""
    v = np.asarray(vectors, dtype=np.float64)
    n = len(v)
    csum = np.vstack([np.zeros((1, v.shape[1])), np.cumsum(v, axis=0)])
    sims = np.empty(n - 1)
    for g in range(1, n):
        left = csum[g] - csum[max(0, g - k)]
        right = csum[min(n, g + k)] - csum[g]
        sims[g - 1] = left @ right / (np.linalg.norm(left) * np.linalg.norm(right) + 1e-12)
    return sims


def gap_scores(sentences: Sequence[Sentence], sims: np.ndarray, *,
               pause_weight: float = PAUSE_WEIGHT, cue_weight: float = CUE_WEIGHT) -> np.ndarray:
    """Score of the gap before sentence g, for g = 1 .. n-1 (index g-1): depth + pause + cue evidence."""
    n = len(sentences)
    depth = np.array([_climb(sims, i, -1) + _climb(sims, i, 1) - 2 * sims[i] for i in range(n - 1)])
    pause = np.array([s.pause_before_s >= PAUSE_S for s in sentences[1:]], dtype=float)
    cue = np.array([bool(_CUE_RE.match(s.text)) for s in sentences[1:]], dtype=float)
    return depth + pause_weight * pause + cue_weight * cue


def _merge(chosen: list[int], vectors: np.ndarray, limit: float) -> list[int]:
    """Drop boundaries, most similar neighbours first, while two neighbouring ideas' centroids are > limit."""
    chosen = list(chosen)
    while chosen:
        edges = [0] + chosen + [len(vectors)]
        means = [vectors[a:b].mean(axis=0) for a, b in zip(edges, edges[1:])]
        means = [m / (np.linalg.norm(m) + 1e-12) for m in means]
        sims = [float(means[i] @ means[i + 1]) for i in range(len(chosen))]
        i = int(np.argmax(sims))
        if sims[i] <= limit:
            break
        del chosen[i]
    return chosen


def split_ideas(segments: Sequence[Segment], embed: Embed, *, k: int = K, threshold: float | None = THRESHOLD,
                pause_weight: float = PAUSE_WEIGHT, cue_weight: float = CUE_WEIGHT,
                min_idea_s: float = MIN_IDEA_S, min_memo_s: float = MIN_MEMO_S,
                min_sentences: int = MIN_SENTENCES,
                max_similarity: float | None = MAX_SIMILARITY,
                merge_similarity: float | None = MERGE_SIMILARITY) -> list[IdeaSpan]:
    """The ideas of one transcript, in order; ``segments``: (start_s, end_s, text) in order."""
    segments = [(float(s), float(e), t) for s, e, t in segments if t and t.strip()]
    if not segments:
        return []
    start, end = segments[0][0], segments[-1][1]
    whole = [IdeaSpan(start, end, 0, len(segments) - 1)]
    if end - start < min_memo_s:
        return whole
    sentences = sentences_of(segments)
    if len(sentences) < min_sentences:
        return whole
    vectors = np.asarray(embed([s.text for s in sentences]))
    sims = gap_similarities(vectors, k)
    scores = gap_scores(sentences, sims, pause_weight=pause_weight, cue_weight=cue_weight)
    cut = threshold if threshold is not None else scores.mean() - scores.std() / 2
    chosen: list[int] = []  # sentence index g: a new idea starts at sentence g
    for i in np.argsort(-scores, kind="stable"):
        if scores[i] < cut or scores[i] <= 0:
            break
        if max_similarity is not None and sims[i] > max_similarity:
            continue  # a dip, but the two sides still talk about the same thing
        g = int(i) + 1
        t = sentences[g].start_s
        if t - start < min_idea_s or end - t < min_idea_s:
            continue
        if all(abs(t - sentences[c].start_s) >= min_idea_s for c in chosen):
            chosen.append(g)
    chosen.sort()
    if merge_similarity is not None:
        chosen = _merge(chosen, vectors, merge_similarity)
    if not chosen:
        return whole
    ideas, first = [], 0
    for g in chosen + [len(sentences)]:
        a, b = sentences[first], sentences[g - 1]
        s = start if first == 0 else a.start_s
        e = end if g == len(sentences) else sentences[g].start_s
        ideas.append(IdeaSpan(s, e, a.first_segment if first else 0,
                              b.last_segment if g < len(sentences) else len(segments) - 1))
        first = g
    return ideas
