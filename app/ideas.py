"""The ideas of each recording kept up to date (for app.core.Musings), Qt-free.

`organize.ideas.split_ideas` finds where a transcript changes topic; this applies the user's own splits and
joins on top (storage.ideas.idea_edits, by second, oldest first, so they survive a changed transcript and a
re-split), titles each idea in its own words (a title the user gave an idea stays with the idea starting at
the same passage), and places each idea in the leaf theme its words are nearest to (a memo of one idea: the
memo's theme; an idea the user moved: where they put it, kept like its title). A memo is split again only when its transcript or its edits changed (a digest per memo).
"""
from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable

import numpy as np

from storage import ideas as stored
from storage import memos as store

Embed = Callable[[list[str]], np.ndarray]

WRITE_BATCH = 200  # memos split per transaction (short enough not to keep another writer waiting long)
SAME_PASSAGE_S = 1.0  # a join removes the boundaries this close to its second; a user title follows a start this close


def digest(transcript: str, edits: list[tuple[str, float]]) -> str:
    return hashlib.sha256(f"{transcript}\n{edits!r}".encode()).hexdigest()[:16]


def refresh(db, embed: Embed, memo_ids: Iterable[int] | None = None) -> int:
    """Split again every memo (of `memo_ids`, None: all) whose transcript or edits changed since; returns how
    many were split."""
    known = stored.sources(db) if memo_ids is None else {}
    all_edits: dict[int, list[tuple[str, float]]] = {}
    for memo_id, kind, at in db.execute("SELECT memo_id, kind, at FROM idea_edits ORDER BY id"):
        all_edits.setdefault(memo_id, []).append((kind, at))
    query = "SELECT id, transcript FROM memos WHERE status = 'done' AND deleted_at IS NULL"
    if memo_ids is None:
        rows = db.execute(query)
    else:  # an import's few memos: not every transcript of the library read
        wanted = sorted(set(memo_ids))
        rows = [row for start in range(0, len(wanted), 500) for row in db.execute(
            f"{query} AND id IN ({','.join('?' * len(wanted[start:start + 500]))})", wanted[start:start + 500])]
    changed = []
    for memo_id, transcript in rows:
        edits = all_edits.get(memo_id, [])
        source = digest(transcript or "", edits)
        if (known.get(memo_id) if memo_ids is None else stored.source_of(db, memo_id)) != source:
            changed.append((memo_id, edits, source))
    from storage.themes import write_transaction

    for start in range(0, len(changed), WRITE_BATCH):  # an old library's first split: not 20,000 transactions
        with write_transaction(db):
            for memo_id, edits, source in changed[start:start + WRITE_BATCH]:
                stored.replace_for_memo(db, memo_id, source, _ideas_of(db, memo_id, edits, embed))
    return len(changed)


def current(db, memo, embed: Embed | None) -> list[stored.StoredIdea]:
    """This memo's ideas as stored if they are up to date; else as they would be split now, unstored (ids
    None), or with no `embed` (a reading command: nothing computed) the whole memo as one idea."""
    edits = stored.edits(db, memo.id)
    if stored.source_of(db, memo.id) == digest(memo.transcript or "", edits):
        ideas = stored.ideas_of(db, memo.id)
        if len(ideas) == 1:  # one idea is the memo: its theme and (unless the user named the idea) its title now
            ideas[0].theme_id = memo.theme_id
            if not ideas[0].title_by_user:
                ideas[0].title = memo.title or memo.original_name
        return ideas
    if embed is None:
        segments = segments_of(db, memo.id)
        if not segments:
            return []
        return [stored.StoredIdea(None, memo.id, 0, segments[0][0], segments[-1][1],
                                  memo.title or memo.original_name, False, memo.theme_id)]
    return [stored.StoredIdea(None, memo.id, position, idea.start, idea.end, idea.title, idea.title_by_user,
                              idea.theme_id) for position, idea in enumerate(_ideas_of(db, memo.id, edits, embed))]


def segments_of(db, memo_id: int) -> list[tuple[float, float, str]]:
    return [(s.start, s.end, s.shown_text.strip()) for s in store.get_segments(db, memo_id) if s.shown_text.strip()]


def boundaries(segments: list[tuple[float, float, str]], automatic: list[float],
               edits: list[tuple[str, float]]) -> list[float]:
    """Where ideas start after the first: the automatic ones, then each user edit in order (a split at the
    start of the segment nearest its second, a join removing the boundaries near its second)."""
    if not segments:
        return []
    first, last = segments[0][0], segments[-1][1]
    cuts = list(automatic)
    for kind, at in edits:
        if kind == stored.SPLIT:
            cut = nearest_segment_start(segments, at)
            if cut is not None and first < cut < last and all(abs(cut - other) >= 1e-6 for other in cuts):
                cuts.append(cut)
        elif kind == stored.JOIN:
            cuts = [cut for cut in cuts if abs(cut - at) > SAME_PASSAGE_S]
    return sorted(cuts)


def nearest_segment_start(segments: list[tuple[float, float, str]], at: float) -> float | None:
    """Where a split asked for at second `at` falls: the start of the nearest segment after the first."""
    starts = [start for start, _, _ in segments[1:]]
    return min(starts, key=lambda start: (abs(start - at), start)) if starts else None


def _ideas_of(db, memo_id: int, edits: list[tuple[str, float]], embed: Embed) -> list[stored.NewIdea]:
    from organize.ideas import split_ideas

    segments = segments_of(db, memo_id)
    memo = store.get_memo(db, memo_id)
    if not segments:
        return []
    spans = split_ideas(segments, embed)
    cuts = boundaries(segments, [span.start_s for span in spans[1:]], edits)
    edges = [segments[0][0], *cuts, segments[-1][1]]
    texts = idea_texts(segments, edges)
    before = stored.ideas_of(db, memo_id)
    titled_before = [(idea.start, idea.title) for idea in before if idea.title_by_user]
    moved_before = [(idea.start, idea.theme_id) for idea in before if idea.theme_by_user]
    themes, vectors = _themes_of(db, texts, embed, memo.theme_id if memo else None)
    ideas = []
    for (a, b), text, theme_id, vector in zip(zip(edges, edges[1:]), texts, themes, vectors):
        own = next((title for start, title in titled_before if abs(start - a) <= SAME_PASSAGE_S), None)
        moved = next((theme for start, theme in moved_before if abs(start - a) <= SAME_PASSAGE_S), False)
        if moved is not False and len(texts) > 1:  # the user put the idea starting here in a theme: it stays
            theme_id = moved
        # one idea is the memo: its title (titled at import from the same words; nothing to compute, and
        # organize.titles' word lists not loaded by a reading command); several: each its own
        if own:
            title = own
        elif len(texts) == 1:
            title = (memo.title or memo.original_name) if memo else ""
        else:
            from organize.titles import title_for

            title = title_for(text)
        ideas.append(stored.NewIdea(a, b, title, own is not None, theme_id,
                                    None if vector is None else np.asarray(vector, dtype=np.float32).tobytes(),
                                    moved is not False and len(texts) > 1))
    return ideas


def idea_row(starts: list[float], start: float, end: float) -> int:
    """Which idea (of those starting at `starts`, in order) a passage from `start` to `end` belongs to: the one
    its middle falls in (a boundary inside a passage gives it to the idea holding most of it)."""
    return min(max(bisect.bisect_right(starts, (start + end) / 2) - 1, 0), len(starts) - 1)


def listed_by_idea(memo, split: dict[int, list], subtree: set[int]) -> tuple[int, object] | None:
    """Why `memo` is listed under a theme (`subtree`: it and its sub-themes) when its own theme is elsewhere: the
    first of its ideas there, as (its number from 1, the idea); None when the memo is there itself or not at all.
    `split`: the ideas of memos of several, by memo id."""
    if memo.theme_id in subtree:
        return None
    return next(((n, idea) for n, idea in enumerate(split.get(memo.id, ()), start=1) if idea.theme_id in subtree),
                None)


def idea_texts(segments: list[tuple[float, float, str]], edges: list[float]) -> list[str]:
    """The words of each idea between consecutive `edges`."""
    parts: list[list[str]] = [[] for _ in edges[1:]]
    for start, end, text in segments:
        parts[idea_row(edges[:-1], start, end)].append(text)
    return [" ".join(words) for words in parts]


def _themes_of(db, texts: list[str], embed: Embed, memo_theme: int | None) -> tuple[list, list]:
    """Each idea's leaf theme and vector: one idea is the memo (its theme, no vector of its own); several are
    embedded and placed by their own words."""
    if len(texts) <= 1:
        return [memo_theme] * len(texts), [None] * len(texts)
    from organize.themes import place
    from storage import themes as org

    vectors = embed(texts)
    theme_ids, centroids = org.leaf_centroids(db)
    if not theme_ids:
        return [memo_theme] * len(texts), list(vectors)
    rows = [place(vector, centroids) for vector in vectors]
    return [theme_ids[row] if row is not None else None for row in rows], list(vectors)
