"""The theme map's fresh layout of a big library: a seeded sample laid out, the other memos placed beside the
memos they resemble (MAP_SAMPLE shrunk so that 300 real utterances take that path)."""
from __future__ import annotations

import subprocess
import sys

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


def test_a_fresh_layout_runs_in_a_child_process_with_the_same_map_and_none_of_its_libraries_here(monkeypatch, tmp_path):
    """The window keeps its memory and its GIL: the clustering libraries load in the child, and the child's map
    is the one laid out here to the last digit; a child that cannot start costs nothing but the wait."""
    rows = read_topics("hwu64/hwu64_kfold1_test.jsonl")[:300]
    from organize.embeddings import Embedder

    vectors = Embedder().embed([r["text"] for r in rows])
    code = ("import sys, numpy as np; from app import map_layout as m; m.CHILD_MIN_MEMOS = 10; "
            "v = np.load(sys.argv[1]); xy = m.laid_out_apart(v); np.save(sys.argv[2], xy); "
            "print(sorted(x for x in ('sklearn', 'igraph', 'scipy') if x in sys.modules))")
    np.save(tmp_path / "v.npy", vectors)
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path / "v.npy"), str(tmp_path / "xy.npy")],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # laid out, and nothing heavy imported in this process
    apart = np.load(tmp_path / "xy.npy")
    assert np.array_equal(apart, map_layout.fresh_layout(vectors))
    monkeypatch.setattr(map_layout, "CHILD_MIN_MEMOS", 10)
    monkeypatch.setattr(sys, "executable", "/nonexistent/python")
    assert np.array_equal(map_layout.laid_out_apart(vectors), apart)
