"""Related memos by cosine similarity, and near-duplicate detection."""

from __future__ import annotations

import numpy as np

from organize.search import semantic_scores
from organize.threads import single_blas_thread

# Calibrated on real paraphrase pairs vs same-topic pairs (tests/organize/test_related.py):
# paraphrases of one memo score >= 0.85 with all-MiniLM-L6-v2, different memos about
# the same intent mostly score 0.5-0.8.
NEAR_DUPLICATE_THRESHOLD = 0.85


def related(vectors: np.ndarray, index: int, k: int = 5) -> list[tuple[int, float]]:
    """The ``k`` memos most similar to memo ``index`` as (other_index, cosine), best first."""
    scores = semantic_scores(vectors[index], vectors)
    scores[index] = -np.inf
    k = min(k, len(scores) - 1)
    if k <= 0:
        return []
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top]


def similarities(queries: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    """Cosine of each of `queries` (unit rows) against each row of `vectors`: (queries, rows)."""
    with single_blas_thread():
        return np.asarray(queries, dtype=np.float32) @ np.asarray(vectors, dtype=np.float32).T


def is_near_duplicate(score: float, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> bool:
    """True when a cosine score means "the same memo said twice"."""
    return score >= threshold


def top_related(vectors: np.ndarray, rows: list[int], k: int, *, kth: np.ndarray | None = None,
                block: int = 1024) -> tuple[dict[int, list[tuple[int, float]]], list[tuple[int, int, float]]]:
    """The `k` most similar rows of `vectors` for each of `rows` (as `related` gives them, itself left out),
    in blocks of `block` rows so that memory stays ~block × n floats.

    With `kth` (per row of `vectors`, the k-th best score its stored list holds; +inf for rows being
    recomputed), also every (row, other row in `rows`, score) where that other row beats the k-th best: the
    entries that must join lists already stored. Cosine is symmetric, so the same products give both."""
    found: dict[int, list[tuple[int, float]]] = {}
    joins: list[tuple[int, int, float]] = []
    k = min(k, len(vectors) - 1)
    if k <= 0 or not rows:
        return {row: [] for row in rows}, joins
    for start in range(0, len(rows), block):
        part = np.asarray(rows[start:start + block])
        scores = vectors[part] @ vectors.T
        scores[np.arange(len(part)), part] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        for r, row in enumerate(part):
            best = top[r][np.lexsort((top[r], -scores[r, top[r]]))]
            found[int(row)] = [(int(i), float(scores[r, i])) for i in best]
        if kth is not None:
            for r, column in zip(*np.nonzero(scores > kth[None, :])):
                joins.append((int(column), int(part[r]), float(scores[r, column])))
    return found, joins


# What a similarity is called where related ideas are listed (the window, `musings related`, the export), and the
# floor under which nothing is listed, from bench/bench_related.py (bench/README.md, "Related ideas"): of the
# nearest memos scoring 0.70 or more, 95-100 % are the same idea said again; 0.55-0.70, 83-89 % the same idea and
# at most 4 % another theme; 0.30-0.55, mixed but at most a third about another theme; below 0.30, half or more.
VERY_CLOSE = 0.70
CLOSE = 0.55
RELATED_FLOOR = 0.30


def closeness(score: float) -> str | None:
    """"very close" / "close" / "related", or None: not worth listing."""
    if score >= VERY_CLOSE:
        return "very close"
    if score >= CLOSE:
        return "close"
    if score >= RELATED_FLOOR:
        return "related"
    return None


# One idea said again on other days: memos at least this alike are links of one chain ("said 3 times"). At 0.70
# 95-100 % of the nearest memos are the same idea (bench/bench_related.py: chain precision and recall there).
CHAIN_MIN = VERY_CLOSE
CHAIN_MAX = 50  # a chain longer than this is a topic, not one idea said again: it stops growing


def chain(vectors: np.ndarray, index: int, threshold: float = CHAIN_MIN, limit: int = CHAIN_MAX) -> list[int]:
    """Row `index` and every row linked to it through rows at least `threshold` alike (breadth first, at most
    `limit` rows), in the order found."""
    found, frontier = [index], [index]
    seen = {index}
    while frontier and len(found) < limit:
        scores = vectors[frontier] @ vectors.T
        nxt = []
        for row in np.unique(np.nonzero(scores >= threshold)[1]):
            if int(row) not in seen:
                seen.add(int(row))
                nxt.append(int(row))
        nxt = nxt[:limit - len(found)]
        found += nxt
        frontier = nxt
    return found


def chains_from_lists(lists: dict[int, list[tuple[int, float]]], days: dict[int, object],
                      threshold: float = CHAIN_MIN) -> dict[int, list[int]]:
    """Recurring ideas for a whole library at once, from each memo's stored nearest memos (no all-pairs
    product): memos linked at `threshold` or more, joined into chains; memo id -> its chain (ids, oldest day
    first) for every memo in a chain that spans two days or more. `days`: memo id -> its day."""
    parent: dict[int, int] = {}

    def root(x: int) -> int:
        while parent.get(x, x) != x:
            parent[x] = parent.get(parent[x], parent[x])
            x = parent[x]
        return x

    for memo_id, found in lists.items():
        for other, score in found:
            if score >= threshold and memo_id in days and other in days:
                parent.setdefault(memo_id, memo_id)
                parent.setdefault(other, other)
                a, b = root(memo_id), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for memo_id in parent:
        groups.setdefault(root(memo_id), []).append(memo_id)
    chains = {}
    for members in groups.values():
        if len({days[m] for m in members}) >= 2 and len(members) <= CHAIN_MAX:
            ordered = sorted(members, key=lambda m: (str(days[m]), m))
            chains.update({m: ordered for m in members})
    return chains
