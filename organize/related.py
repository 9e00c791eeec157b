"""Related memos by cosine similarity, and near-duplicate detection."""

from __future__ import annotations

import numpy as np

from organize.search import semantic_scores

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


def is_near_duplicate(score: float, threshold: float = NEAR_DUPLICATE_THRESHOLD) -> bool:
    """True when a cosine score means "the same memo said twice"."""
    return score >= threshold
