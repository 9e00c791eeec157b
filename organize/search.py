"""Semantic ranking and reciprocal rank fusion with keyword search results."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np

from organize.threads import single_blas_thread


def semantic_scores(query_vec: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Cosine score of every memo row in ``matrix`` (unit rows) against a unit query."""
    with single_blas_thread():
        return np.asarray(matrix, dtype=np.float32) @ np.asarray(query_vec, dtype=np.float32)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Row indices of the ``k`` highest scores, best first (ties by lower index)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.lexsort((top, -scores[top]))]


def fuse_rankings(keyword_ids: Sequence[Hashable], semantic_ids: Sequence[Hashable],
                  k: int = 60) -> list[Hashable]:
    """Reciprocal rank fusion: score(id) = sum over lists of 1 / (k + rank), rank from 1."""
    fused: dict[Hashable, float] = {}
    first_seen: dict[Hashable, int] = {}
    for ranking in (keyword_ids, semantic_ids):
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
            first_seen.setdefault(item, len(first_seen))
    return sorted(fused, key=lambda item: (-fused[item], first_seen[item]))
