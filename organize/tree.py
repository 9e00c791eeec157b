"""A two-level theme tree: broad themes, and sub-themes inside the large ones.

One person's memos orbit a few related interests, so a flat clustering either lumps them into a blob
or scatters them. ``build_theme_tree``:

1. Broad themes: the density clustering of ``themes.build_themes`` (neighbour-graph layout + HDBSCAN),
   its closest groups joined until about sqrt(n)/2 are left (``broad_theme_count``), with stable keys and
   the user's corrections carried up (a memo pinned to a sub-theme counts for that sub-theme's broad theme).
2. Sub-themes: a broad theme of at least ``SPLIT_MIN_MEMOS`` memos is split by Louvain communities of
   its own cosine neighbour graph (resolution 1.0): inside one interest, the neighbour graph is local and
   separates what the global layout merged. Groups smaller than ``min_subtheme_size`` join their nearest
   sibling; one group left means no sub-themes. Keys are matched to the previous sub-themes by memo
   overlap (``themes._assign_keys``), never reusing a broad theme's key.
3. A leaf holding more than ``MAX_LEAF_SHARE`` of a library of >= 100 memos is split again (its pieces
   become siblings), so no sub-theme is the unsorted pile again.
4. Names (``naming.name_tree``): broad themes against each other, sub-themes against their siblings,
   computed afresh at every full clustering (the user's own names are kept by storage).

Measured in bench/bench_tree.py on memo-like libraries made from banking77, clinc150 and hwu64.
"""

from __future__ import annotations

import logging

import numpy as np

from organize.clustering import GraphClusterer
from organize.naming import name_tree
from organize.themes import UNSORTED, Theme, ThemeModel, _assign_keys, build_themes, centroid, place

log = logging.getLogger(__name__)

# A broad theme this large is looked into for sub-themes.
SPLIT_MIN_MEMOS = 12
# No sub-theme holds more than this share of a library of at least LARGE_LIBRARY memos, if it can be split.
MAX_LEAF_SHARE = 0.20
LARGE_LIBRARY = 100
# Louvain resolution inside a broad theme (1.0 beat 1.5 on leaf NMI/ARI of all but one set; bench/README.md).
SUB_RESOLUTION = 1.0


def broad_theme_count(n_items: int) -> int:
    """At most this many broad themes: about sqrt(n)/2 (6 for 124 memos, 17 for 1,117, 50 for 10,000).

    The density clustering alone made 42 for clinc150's 1,117 memos (10 domains): broad themes too fine to
    be broad, top-level ARI 0.29 against BERTopic's 0.34. Joining the closest (Ward) to sqrt(n)/2 gave
    0.39 there and 0.37 on hwu64 (BERTopic 0.20), with the leaves found inside them (bench/README.md)."""
    return int(np.clip(round(np.sqrt(n_items) / 2), 4, 60))


def min_subtheme_size(n_items: int) -> int:
    """Smallest sub-theme: 3 memos, growing to 8 in big libraries."""
    return int(np.clip(n_items // 300, 3, 8))


def _split(vectors: np.ndarray, seed: int, smallest: int) -> np.ndarray | None:
    """Sub-groups (0..g-1) of these vectors, or None when there is no split worth making."""
    if len(vectors) < max(SPLIT_MIN_MEMOS, 2 * smallest):
        return None
    groups = GraphClusterer(resolution=SUB_RESOLUTION, seed=seed).fit(vectors).labels_.copy()
    sizes = np.bincount(groups)
    big = np.flatnonzero(sizes >= smallest)
    if len(big) < 2:
        return None
    remap = np.full(len(sizes), UNSORTED)
    remap[big] = np.arange(len(big))
    groups = remap[groups]
    centres = np.stack([centroid(vectors[groups == g]) for g in range(len(big))])
    for row in np.flatnonzero(groups == UNSORTED):  # members of small groups join the nearest big one
        groups[row] = int(np.argmax(centres @ vectors[row]))
    return groups


def top_labels(model: ThemeModel) -> np.ndarray:
    """Each memo's broad theme key (-1 = Unsorted)."""
    parent = {t.theme_key: t.parent_key for t in model.themes}
    return np.array([k if k < 0 or parent.get(int(k)) is None else parent[int(k)] for k in model.labels])


def build_theme_tree(embeddings: np.ndarray, texts: list[str], seed: int = 0, *,
                     exclude: np.ndarray | None = None, pinned: dict[int, int] | None = None,
                     previous: list[Theme] | None = None) -> ThemeModel:
    """Cluster memos into a named two-level tree; ``labels`` holds each memo's most specific theme.

    ``previous``: the last tree (``member_indices`` = memos directly in each theme, ``parent_key`` set);
    ``pinned``: memo index -> theme key at any level, for memos the user placed. A memo pinned to a broad
    theme stays directly in it; one pinned to a sub-theme ends there (the sub-theme is kept, under the broad
    theme its memos went to, even when the clustering did not find it)."""
    vectors = np.asarray(embeddings, dtype=np.float32)
    pinned = dict(pinned or {})
    previous = list(previous or [])
    parent_before = {t.theme_key: t.parent_key for t in previous}

    def top_of(key: int) -> int:
        return key if parent_before.get(key) is None else parent_before[key]

    # 1. Broad themes, from every memo under each previous broad theme.
    under: dict[int, list[int]] = {}
    for theme in previous:
        under.setdefault(top_of(theme.theme_key), []).extend(theme.member_indices)
    previous_top = [Theme(key, centroid(vectors[members]) if members else _first_centroid(previous, key), members,
                          _name_of(previous, key)) for key, members in under.items()]
    broad = build_themes(vectors, texts, seed, exclude=exclude,
                         pinned={i: top_of(k) for i, k in pinned.items()}, previous=previous_top,
                         reserved={t.theme_key for t in previous} - set(under),
                         max_themes=broad_theme_count(len(vectors)), named=False)
    top = broad.labels
    top_keys = sorted({int(k) for k in top if k >= 0})
    labels = top.copy()
    parent_of: dict[int, int | None] = {k: None for k in top_keys}
    smallest = min_subtheme_size(len(vectors))

    # 2. Sub-themes inside each broad theme.
    candidates = [t for t in previous if t.theme_key not in parent_of]  # may become sub-themes
    taken = set(top_keys)
    for key in top_keys:
        rows = np.flatnonzero(top == key)
        free = np.array([i for i in rows if i not in pinned], dtype=np.int64)
        groups = _split(vectors[free], seed, smallest) if len(free) else None
        local_pins = {int(np.searchsorted(rows, i)): k for i, k in pinned.items() if top[i] == key and k != key}
        if groups is not None:
            local_groups = np.full(len(rows), UNSORTED, dtype=np.int64)
            local_groups[np.searchsorted(rows, free)] = groups
            voters = _pinned_vote(vectors[rows], local_groups, local_pins)
            local_previous = _localise(candidates, rows)
            keys = _assign_keys(vectors[rows], voters, local_pins, local_previous, taken)
            for g, sub_key in keys.items():
                labels[free[groups == g]] = sub_key
                parent_of[sub_key] = key
                taken.add(sub_key)
        for local, sub_key in local_pins.items():  # a memo the user put into a sub-theme stays there
            if sub_key in parent_of and parent_of[sub_key] is None:
                continue  # that key is a broad theme now: the memo stays directly in it
            labels[rows[local]] = sub_key
            parent_of[sub_key] = key
            taken.add(sub_key)
        for i in rows:
            if pinned.get(i) == key:
                labels[i] = key  # dropped directly on the broad theme

    # 3. No leaf over MAX_LEAF_SHARE of a large library when it can be split.
    if len(vectors) >= LARGE_LIBRARY:
        limit = MAX_LEAF_SHARE * len(vectors)
        for leaf in sorted({int(k) for k in labels if k >= 0}):
            rows = np.flatnonzero((labels == leaf) & ~np.isin(np.arange(len(labels)), list(pinned)))
            if len(rows) <= limit:
                continue
            groups = _split(vectors[rows], seed, smallest)
            if groups is None:
                continue
            parent = parent_of[leaf] if parent_of[leaf] is not None else leaf
            next_key = max(taken | {t.theme_key for t in previous} | set(pinned.values()), default=-1) + 1
            largest = int(np.argmax(np.bincount(groups)))
            for g in range(int(groups.max()) + 1):  # the largest piece keeps the leaf's key
                if g == largest and parent != leaf:
                    continue
                labels[rows[groups == g]] = next_key
                parent_of[next_key] = parent
                taken.add(next_key)
                next_key += 1

    # A sub-theme stays under the broad theme it was in, while that is still a broad theme with sub-themes:
    # a re-clustering joins groups a little differently each time, and broad themes must not reshuffle.
    has_children = {p for p in parent_of.values() if p is not None}
    for theme in previous:
        if (theme.parent_key is not None and parent_of.get(theme.theme_key) is not None
                and theme.parent_key in has_children and parent_of.get(theme.parent_key, 0) is None):
            parent_of[theme.theme_key] = theme.parent_key

    # A broad theme with a single sub-theme and no memos of its own is just that theme.
    for key in top_keys:
        children = [k for k, p in parent_of.items() if p == key]
        if len(children) == 1 and not (labels == key).any():
            labels[labels == children[0]] = key
            del parent_of[children[0]]

    used = {int(k) for k in labels if k >= 0}
    parent_of = {k: p for k, p in parent_of.items() if k in used or any(q == k for q in parent_of.values())}
    for key in [k for k, p in parent_of.items() if p is None]:  # left with one sub-theme by the above
        children = [k for k, p in parent_of.items() if p == key]
        if len(children) == 1 and not (labels == key).any():
            labels[labels == children[0]] = key
            del parent_of[children[0]]
    names = name_tree(list(texts), labels, parent_of)
    themes = []
    for key in sorted(parent_of):
        members = np.flatnonzero(labels == key)
        everything = np.flatnonzero((labels == key) | np.isin(labels, [k for k, p in parent_of.items() if p == key]))
        themes.append(Theme(key, centroid(vectors[everything]), members.tolist(),
                            names.get(key) or _name_of(previous, key), parent_of[key]))
    log.info("theme tree: %d broad themes, %d sub-themes for %d memos (%d unsorted)",
             sum(p is None for p in parent_of.values()), sum(p is not None for p in parent_of.values()),
             len(texts), int((labels == UNSORTED).sum()))
    return ThemeModel(labels=labels, themes=themes)


def _pinned_vote(vectors: np.ndarray, groups: np.ndarray, pins: dict[int, int]) -> np.ndarray:
    """Pinned memos vote with the group their nearest unpinned neighbours got (for key matching)."""
    voters = groups.copy()
    if pins and (groups >= 0).any():
        centres = np.stack([centroid(vectors[groups == g]) for g in range(int(groups.max()) + 1)])
        for index in pins:
            target = place(vectors[index], centres)
            voters[index] = UNSORTED if target is None else target
    return voters


def _localise(themes: list[Theme], rows: np.ndarray) -> list[Theme]:
    """The themes with their members renumbered to positions in ``rows`` (members elsewhere dropped)."""
    position = {int(r): i for i, r in enumerate(rows)}
    return [Theme(t.theme_key, t.centroid, [position[m] for m in t.member_indices if m in position], t.name,
                  t.parent_key) for t in themes]


def _first_centroid(themes: list[Theme], key: int) -> np.ndarray:
    return next(t.centroid for t in themes if t.theme_key == key)


def _name_of(themes: list[Theme], key: int) -> str:
    return next((t.name for t in themes if t.theme_key == key), "")

