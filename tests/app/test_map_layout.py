"""The theme map's fresh layout of a big library: a seeded sample laid out, the other memos placed beside the
memos they resemble (MAP_SAMPLE shrunk so that 300 real utterances take that path)."""
from __future__ import annotations

import numpy as np

from app import map_layout
from tests.organize.conftest import read_topics


def test_a_big_library_is_laid_out_on_a_sample_and_the_rest_placed_beside_their_neighbours(monkeypatch):
    from organize.embeddings import Embedder

    rows = read_topics("hwu64/hwu64_kfold1_test.jsonl")[:300]
    vectors = Embedder().embed([r["text"] for r in rows])
    monkeypatch.setattr(map_layout, "MAP_SAMPLE", 120)
    xy = map_layout.fresh_layout(vectors)
    assert xy.shape == (300, 2) and np.isfinite(xy).all()
    assert np.array_equal(xy, map_layout.fresh_layout(vectors))  # the same library, the same map
    # a memo's nearest memo by meaning is nearer on the map than a random memo, for most memos
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    nearest = sims.argmax(axis=1)
    random = np.random.default_rng(0).permutation(300)
    closer = np.linalg.norm(xy - xy[nearest], axis=1) < np.linalg.norm(xy - xy[random], axis=1)
    assert closer.mean() >= 0.8, closer.mean()
