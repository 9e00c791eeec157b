"""Themes: groups of memos about the same thing, found without being told how many.

``build_themes`` clusters memo embeddings (neighbour-graph layout + HDBSCAN, see ``clustering``),
dissolves groups too small to be a theme, names each theme (``naming``) and gives it a
stable ``theme_key``.

Keeping the user's world stable across re-clustering
----------------------------------------------------
* ``previous``: the themes of the last run, with their members. A new group takes the key (and
  name) of the old theme whose memos it holds the most of (Hungarian on the memo overlap,
  ``_assign_keys``): a name stays with the memos it was given to. Old themes given without
  members are matched by centroid similarity (``match_themes``) instead.
* ``pinned``: memo index -> theme key, for every memo the user put somewhere by hand.
  A pinned memo always ends in its key (even a key no cluster matches: the theme is then
  made from the pinned memos alone), and counts for that key in the overlap. A group left
  without a key whose pinned members mostly point to one key, and are a fair share of it,
  takes that key too, so its unpinned neighbours follow.
* Merges: when the user merges theme A into B, the app pins A's and B's memos to B. On
  the next run every group holding those memos votes for B, so groups that would have
  re-split A and B are given the same key and the merge stays merged.
* Junk (no topic word: ``vocabulary.is_junk``), or the ``exclude`` mask, never forms or joins a
  theme: label -1.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

from organize.naming import name_themes
from organize.vocabulary import is_junk

log = logging.getLogger(__name__)

UNSORTED = -1
# Cosine similarity to a theme centroid below which a memo is not put into it.
# Measured: 5th percentile of member-to-own-centroid similarity is about 0.35 on hwu64.
PLACE_MIN_SIMILARITY = 0.30
# Centroids this similar are "the same theme" across two clusterings.
MATCH_MIN_SIMILARITY = 0.70


@dataclass
class Theme:
    """One theme: its stable key, unit centroid, member memo indices (the memos directly in it), display
    name, and its parent's key (None for a broad theme)."""

    theme_key: int
    centroid: np.ndarray
    member_indices: list[int]
    name: str
    parent_key: int | None = None


@dataclass
class ThemeModel:
    """Result of ``build_themes``: a theme key per memo (-1 = Unsorted) and the themes."""

    labels: np.ndarray
    themes: list[Theme] = field(default_factory=list)

    @property
    def keys(self) -> list[int]:
        return [t.theme_key for t in self.themes]

    @property
    def centroids(self) -> np.ndarray:
        """Theme centroids stacked in ``themes`` order (shape (n_themes, dim))."""
        if not self.themes:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([t.centroid for t in self.themes])


def _unit(v: np.ndarray) -> np.ndarray:
    return (v / max(float(np.linalg.norm(v)), 1e-12)).astype(np.float32)


def centroid(vectors: np.ndarray) -> np.ndarray:
    """A theme's centre: the mean of its members' vectors, unit length."""
    return _unit(np.asarray(vectors).mean(axis=0))


def min_theme_size(n_items: int) -> int:
    """Smallest group kept as a theme: 3 memos, growing to 10 for big libraries."""
    return int(np.clip(n_items // 200, 3, 10))


def place(embedding: np.ndarray, centroids: np.ndarray,
          min_similarity: float = PLACE_MIN_SIMILARITY) -> int | None:
    """Row of ``centroids`` nearest to ``embedding`` (cosine), or None (Unsorted)."""
    if len(centroids) == 0:
        return None
    sims = np.asarray(centroids) @ np.asarray(embedding, dtype=np.float32)
    best = int(np.argmax(sims))
    return best if sims[best] >= min_similarity else None


def match_themes(old_centroids: np.ndarray, new_centroids: np.ndarray,
                 min_similarity: float = MATCH_MIN_SIMILARITY) -> dict[int, int]:
    """Pair new themes with old ones one-to-one (Hungarian on cosine) -> {new_row: old_row}."""
    if len(old_centroids) == 0 or len(new_centroids) == 0:
        return {}
    sims = np.asarray(new_centroids) @ np.asarray(old_centroids).T
    rows, cols = linear_sum_assignment(-sims)
    return {int(r): int(c) for r, c in zip(rows, cols) if sims[r, c] >= min_similarity}


def _merge_groups(vectors: np.ndarray, labels: np.ndarray, max_groups: int,
                  hint: np.ndarray | None = None) -> np.ndarray:
    """Join groups until at most ``max_groups`` are left: first groups whose memos mostly were in the same
    theme before (``hint``: a key per memo, -1 = none), so a re-clustering keeps its broad themes; then by
    Ward linkage on the centroids."""
    n_groups = int(labels.max()) + 1
    if n_groups <= max_groups:
        return labels
    merged = labels.copy()
    if hint is not None:
        hint = np.asarray(hint)
        owner = {}
        for g in range(n_groups):
            keys, counts = np.unique(hint[(labels == g) & (hint >= 0)], return_counts=True)
            if len(keys) and counts.max() * 2 > (labels == g).sum():
                owner.setdefault(int(keys[np.argmax(counts)]), []).append(g)
        for groups in owner.values():
            merged[np.isin(labels, groups)] = groups[0]
        present = sorted({int(g) for g in merged if g >= 0})
        merged[merged >= 0] = np.searchsorted(present, merged[merged >= 0])
        n_groups = len(present)
        if n_groups <= max_groups:
            return merged
    centres = np.stack([centroid(vectors[merged == g]) for g in range(n_groups)])
    from scipy.cluster.hierarchy import fcluster, linkage

    joined = fcluster(linkage(centres, method="ward"), max_groups, criterion="maxclust") - 1
    merged[merged >= 0] = joined[merged[merged >= 0]]
    # Renumber by first member, so labels do not depend on the linkage's numbering.
    order = {g: i for i, g in enumerate(dict.fromkeys(merged[merged >= 0].tolist()))}
    merged[merged >= 0] = [order[g] for g in merged[merged >= 0]]
    return merged


def _cluster(vectors: np.ndarray, eligible: np.ndarray, seed: int, max_groups: int | None = None,
             hint: np.ndarray | None = None) -> np.ndarray:
    """Group labels (0..g-1) for eligible rows, -1 elsewhere; tiny groups dissolved; at most
    ``max_groups`` groups (the closest joined)."""
    labels = np.full(len(vectors), UNSORTED, dtype=np.int64)
    rows = np.flatnonzero(eligible)
    if len(rows) < 3:
        return labels
    from organize.clustering import DensityClusterer  # scikit-learn and igraph: only when clustering

    groups = DensityClusterer(seed=seed).fit(vectors[rows]).labels_
    sizes = np.bincount(groups)
    big = np.flatnonzero(sizes >= min_theme_size(len(rows)))
    if len(big) == 0:
        return labels
    remap = np.full(len(sizes), UNSORTED)
    remap[big] = np.arange(len(big))
    labels[rows] = remap[groups]
    centroids = np.stack([centroid(vectors[labels == g]) for g in range(len(big))])
    for row in rows[remap[groups] == UNSORTED]:  # members of dissolved groups
        target = place(vectors[row], centroids)
        labels[row] = UNSORTED if target is None else target
    return labels if max_groups is None else _merge_groups(vectors, labels, max_groups, hint)


def _assign_keys(vectors: np.ndarray, groups: np.ndarray, pinned: dict[int, int],
                 previous: list[Theme], taken: set[int] = frozenset()) -> dict[int, int]:
    """Theme key for every group, by the memos it holds: a memo counts for the key it was pinned to, else
    for the previous theme it was in. Each key goes to the group holding the most of its memos (one-to-one,
    Hungarian), if they are a fair share of that group (``_holds_enough``); a group left over whose pinned
    members mostly point to one key joins that key too (a merge stays merged). Centroid similarity decides
    only for previous themes whose members are unknown. Then new keys.

    So a name (the user's, or the automatic one) stays with the memos it was given to: a memo the user moved
    into a theme does not carry the theme's key off to its own small group of neighbours. ``taken``: keys
    in use elsewhere (the other level of the tree), never given out here."""
    n_groups = int(groups.max()) + 1 if (groups >= 0).any() else 0
    keys: dict[int, int] = {}
    sizes = np.bincount(groups[groups >= 0], minlength=n_groups)
    memo_key = np.full(len(groups), UNSORTED, dtype=np.int64)
    for theme in previous:
        memo_key[theme.member_indices] = theme.theme_key
    for index, key in pinned.items():
        memo_key[index] = key
    known = sorted({int(k) for k in memo_key[groups >= 0] if k >= 0} - set(taken))
    if n_groups and known:
        held = np.array([[int(((groups == g) & (memo_key == k)).sum()) for k in known] for g in range(n_groups)])
        for row, col in zip(*linear_sum_assignment(-held)):
            if _holds_enough(held[row, col], sizes[row]):
                keys[int(row)] = known[col]
    for g in range(n_groups):
        votes = [pinned[i] for i in np.flatnonzero(groups == g) if i in pinned]
        if g in keys or not votes:
            continue
        values, counts = np.unique(votes, return_counts=True)
        if (counts.max() * 2 > len(votes) and _holds_enough(counts.max(), sizes[g])
                and int(values[np.argmax(counts)]) not in taken):
            keys[g] = int(values[np.argmax(counts)])
    free_groups = [g for g in range(n_groups) if g not in keys]
    free_old = [t for t in previous if t.theme_key not in set(keys.values()) | set(taken)]
    if free_groups and free_old:
        new_c = np.stack([centroid(vectors[groups == g]) for g in free_groups])
        old_c = np.stack([t.centroid for t in free_old])
        for new_row, old_row in match_themes(old_c, new_c).items():
            keys[free_groups[new_row]] = free_old[old_row].theme_key
    used = set(keys.values()) | {t.theme_key for t in previous} | set(pinned.values()) | set(taken)
    next_key = max(used, default=-1) + 1
    for g in range(n_groups):
        if g not in keys:
            keys[g] = next_key
            next_key += 1
    return keys


def _holds_enough(count: int, group_size: int) -> bool:
    """Whether `count` of a group's memos are enough for the group to take their theme's key: 30 %."""
    return count > 0 and count * 10 >= 3 * group_size


def build_themes(embeddings: np.ndarray, texts: list[str], seed: int = 0, *,
                 exclude: np.ndarray | None = None, pinned: dict[int, int] | None = None,
                 previous: list[Theme] | None = None, reserved: set[int] = frozenset(),
                 max_themes: int | None = None, named: bool = True) -> ThemeModel:
    """Cluster memos into named themes; see the module docstring for keys and corrections.

    ``embeddings``: unit rows (n, dim); ``texts``: the n memo texts (for junk detection
    and names); ``exclude``: bool mask of memos that must stay Unsorted; ``reserved``: keys in use
    elsewhere (sub-themes of a tree), never given to a theme here; ``max_themes``: the most groups the
    clustering may make (the closest are joined), pinned memos' own themes aside; ``named``: False when
    the caller names the themes itself (the tree does).
    """
    vectors = np.asarray(embeddings, dtype=np.float32)
    pinned = dict(pinned or {})
    previous = list(previous or [])
    if len(vectors) != len(texts):
        raise ValueError(f"{len(vectors)} embeddings for {len(texts)} texts")
    eligible = np.array([not is_junk(t) for t in texts], dtype=bool)
    if exclude is not None:
        eligible &= ~np.asarray(exclude, dtype=bool)
    for index in pinned:
        eligible[index] = False  # pinned memos are placed by the user, not by the clustering
    hint = np.full(len(vectors), UNSORTED, dtype=np.int64)
    for theme in previous:
        hint[theme.member_indices] = theme.theme_key
    groups = _cluster(vectors, eligible, seed, max_themes, hint)
    # Pinned memos still vote: give each the group its nearest unpinned neighbours got.
    voters = groups.copy()
    if pinned and (groups >= 0).any():
        group_c = np.stack([centroid(vectors[groups == g])
                            for g in range(int(groups.max()) + 1)])
        for index in pinned:
            target = place(vectors[index], group_c)
            voters[index] = UNSORTED if target is None else target
    keys = _assign_keys(vectors, voters, pinned, previous, reserved)
    labels = np.array([keys[g] if g >= 0 else UNSORTED for g in groups], dtype=np.int64)
    for index, key in pinned.items():
        labels[index] = key
    previous_names = {t.theme_key: t.name for t in previous}
    names = name_themes(list(texts), labels) if named else {}
    themes = []
    for key in sorted({int(k) for k in labels if k >= 0}):
        members = np.flatnonzero(labels == key)
        themes.append(Theme(
            theme_key=key,
            centroid=centroid(vectors[members]),
            member_indices=members.tolist(),
            name=previous_names.get(key, names.get(key, "")),
        ))
    log.info("built %d themes for %d memos (%d unsorted)", len(themes), len(texts),
             int((labels == UNSORTED).sum()))
    return ThemeModel(labels=labels, themes=themes)


# A memo keeps its theme through a re-clustering unless another theme is clearly closer.
STAY_MARGIN = 0.10


def stabilise(labels: np.ndarray, previous_labels: np.ndarray, vectors: np.ndarray,
              margin: float = STAY_MARGIN) -> np.ndarray:
    """Labels after a re-clustering, with memos left where they were unless the new theme is
    closer by more than ``margin`` (cosine to the theme centroids). Previous label -1 = no hint.

    A theme the re-clustering dissolved (merged into another, or split) is measured by its former
    members' centroid: its memos stay together unless they clearly belong elsewhere, so the theme
    survives when enough of them stay (else they go where the re-clustering put them)."""
    proposed = np.asarray(labels)
    labels = proposed.copy()
    previous_labels = np.asarray(previous_labels)
    vectors = np.asarray(vectors, dtype=np.float32)
    keys = {int(k) for k in labels if k >= 0}
    if not keys:
        return labels
    dissolved = {int(k) for k in previous_labels if k >= 0} - keys
    centroids = {k: centroid(vectors[labels == k]) for k in keys}
    for old in dissolved:
        centroids[old] = centroid(vectors[previous_labels == old])
    for i, (new, old) in enumerate(zip(proposed, previous_labels)):
        if old < 0 or old == new or int(old) not in centroids:
            continue
        new_similarity = float(vectors[i] @ centroids[int(new)]) if new >= 0 else -1.0
        if new_similarity < float(vectors[i] @ centroids[int(old)]) + margin:
            labels[i] = old
    smallest = min_theme_size(len(labels))
    for old in dissolved:
        kept = labels == old
        if kept.sum() < smallest:
            labels[kept] = proposed[kept]
    return labels


# -- a new topic, before any re-clustering ----------------------------------------------------------------

NEW_TOPIC_MIN_MEMOS = 4  # at least this many Unsorted memos about one thing make a theme of their own
NEW_TOPIC_MAX_CANDIDATES = 4000  # Unsorted memos looked at (the newest): average linkage is quadratic


def mean_pairwise_similarity(vectors: np.ndarray) -> float:
    """Mean cosine over the distinct pairs of these unit vectors (from their sum: |S|^2 = n + sum over pairs)."""
    n = len(vectors)
    if n < 2:
        return 1.0
    total = np.asarray(vectors, dtype=np.float64).sum(axis=0)
    return float((total @ total - n) / (n * (n - 1)))


def theme_cohesion(vectors: np.ndarray, labels: np.ndarray, smallest: int) -> float | None:
    """How alike the memos of this library's themes are: the median over its themes of at least `smallest`
    memos of their mean pairwise similarity (None when there are none). A new theme must be as tight."""
    values = [mean_pairwise_similarity(vectors[labels == key]) for key in np.unique(labels[labels >= 0])
              if (labels == key).sum() >= smallest]
    return float(np.median(values)) if values else None


def new_topic_groups(vectors: np.ndarray, cohesion: float, smallest: int = NEW_TOPIC_MIN_MEMOS) -> list[np.ndarray]:
    """Groups (row indices) of these Unsorted memos that are each about one thing: average-linkage groups
    whose memos are, pair for pair, at least as alike as the library's own themes (`theme_cohesion`), and
    at least `smallest` of them. The rest stays Unsorted. Deterministic; quadratic in len(vectors)."""
    from scipy.cluster.hierarchy import fcluster, linkage

    vectors = np.asarray(vectors, dtype=np.float64)
    if len(vectors) < smallest:
        return []
    distances = np.clip(1.0 - vectors @ vectors.T, 0.0, 2.0)
    condensed = distances[np.triu_indices(len(vectors), k=1)]
    groups = fcluster(linkage(condensed, method="average"), t=1.0 - cohesion, criterion="distance")
    found = []
    for key in np.unique(groups):
        rows = np.flatnonzero(groups == key)
        if len(rows) >= smallest and mean_pairwise_similarity(vectors[rows]) >= cohesion:
            found.append(rows)
    return sorted(found, key=lambda rows: (-len(rows), int(rows[0])))
