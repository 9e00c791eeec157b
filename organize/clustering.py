"""Clustering of unit vectors into groups, without being told how many.

``DensityClusterer`` (used by ``themes``): a UMAP-style 5-d layout of the fuzzy kNN graph,
then HDBSCAN, with HDBSCAN's noise points joined to the nearest group. Measured on
hwu64 (bench/bench_themes.py, 5 seeds) it lifts ARI from 0.55 to 0.63 over the Louvain
clusterer below; on clinc150 domains it trades ARI (0.29 -> 0.24) for NMI (0.52 -> 0.57).
HDBSCAN straight on the 384-d vectors leaves 25-40 % of items as noise, hence the layout.

``GraphClusterer``: a cosine kNN graph + Louvain communities; the fallback for collections
too small for a density estimate. Its neighbour count shrinks on small collections so a
150-memo library is not collapsed into a handful of giant groups."""

from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import random

import igraph
import numpy as np
from scipy import sparse
from sklearn.cluster import HDBSCAN
from sklearn.neighbors import NearestNeighbors

log = logging.getLogger(__name__)

_BLOCK_ROWS = 512  # rows of the similarity matrix held at once (8,000 memos: 16 MB, 33 MB of argpartition indices)


def neighbour_count(n_items: int) -> int:
    """Neighbours per item: about n/25, kept within 5..15."""
    return int(np.clip(round(n_items / 25), 5, 15))


def nearest_neighbours(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of each row's ``k`` nearest other rows."""
    n = len(vectors)
    k = min(k, n - 1)
    indices = np.empty((n, k), dtype=np.int64)
    sims = np.empty((n, k), dtype=np.float32)
    for start in range(0, n, _BLOCK_ROWS):
        block = vectors[start : start + _BLOCK_ROWS] @ vectors.T
        rows = np.arange(block.shape[0])
        block[rows, rows + start] = -np.inf  # never your own neighbour
        part = np.argpartition(-block, k - 1, axis=1)[:, :k]
        part_sims = np.take_along_axis(block, part, axis=1)
        order = np.lexsort((part, -part_sims), axis=1)  # by similarity, ties by index
        indices[start : start + len(rows)] = np.take_along_axis(part, order, axis=1)
        sims[start : start + len(rows)] = np.take_along_axis(part_sims, order, axis=1)
    return indices, sims


@dataclass
class GraphClusterer:
    """sklearn-like: ``GraphClusterer(seed=0).fit(vectors).labels_``.

    ``resolution`` > 1 favours more, smaller groups (1.5 measured best on the topic sets).
    ``n_neighbors`` None means :func:`neighbour_count` of the collection size.
    """

    resolution: float = 1.5
    n_neighbors: int | None = None
    seed: int = 0

    def fit(self, vectors: np.ndarray) -> "GraphClusterer":
        n = len(vectors)
        self.labels_ = np.zeros(n, dtype=np.int64)
        if n < 3:
            return self
        k = self.n_neighbors or neighbour_count(n)
        indices, sims = nearest_neighbours(np.asarray(vectors, dtype=np.float32), k)
        # The kNN graph made undirected: each pair once, whichever of the two found the other.
        rows = np.repeat(np.arange(n), indices.shape[1])
        cols = indices.ravel()
        weights = np.maximum(sims.ravel(), 0.0)
        keep = weights > 0
        pairs = np.stack([np.minimum(rows, cols), np.maximum(rows, cols)], axis=1)[keep]
        pairs, first = np.unique(pairs, axis=0, return_index=True)
        graph = igraph.Graph(n=n, edges=pairs.tolist())
        # Louvain (Blondel et al.) in igraph's C: the same method networkx ran in pure Python, ~30x faster.
        # igraph draws from Python's random module; a seeded generator makes the groups repeatable.
        igraph.set_random_number_generator(random.Random(self.seed))
        try:
            clusters = graph.community_multilevel(weights=weights[keep][first].tolist(),
                                                  resolution=self.resolution)
        finally:
            igraph.set_random_number_generator(random)
        membership = np.asarray(clusters.membership)
        communities = [np.flatnonzero(membership == g) for g in range(membership.max() + 1)]
        # Largest first, ties by smallest member, so labels do not depend on igraph's numbering.
        communities = sorted(communities, key=lambda c: (-len(c), c[0]))
        for label, members in enumerate(communities):
            self.labels_[members] = label
        log.debug("louvain: %d items, k=%d, %d groups", n, k, len(communities))
        return self


# --- Density clustering on a neighbour-graph layout (what BERTopic does with UMAP + HDBSCAN) ---
#
# Why: on hwu64 the kNN-graph Louvain above stays near ARI 0.55-0.60 whatever its resolution
# or neighbour count, while HDBSCAN on a 5-d UMAP-style layout reaches about 0.63 (bench/).
# umap-learn itself is not used: it pulls in numba (seconds of compilation per process)
# and took 39 s on 10,000 memos here. The layout below is UMAP's recipe (fuzzy neighbour
# graph, attract along edges, repel random pairs) run as vectorised numpy epochs.

# Curve 1 / (1 + a d^2b) that UMAP fits for min_dist=0, spread=1: clusters packed tight.
_CURVE_A, _CURVE_B = 1.929, 0.7915


def fuzzy_neighbour_graph(vectors: np.ndarray, k: int) -> sparse.csr_matrix:
    """UMAP's symmetric fuzzy kNN graph: each item's edges scaled by its own local density."""
    n = len(vectors)
    indices, sims = nearest_neighbours(vectors, k)
    distances = 1.0 - sims.astype(np.float64)
    gaps = np.maximum(distances - distances[:, :1], 0.0)
    # Per-item bandwidth so that the edge weights sum to log2(k) (binary search, all rows at once).
    target = np.log2(indices.shape[1])
    low, high, sigma = np.zeros(n), np.full(n, np.inf), np.ones(n)
    for _ in range(64):
        too_wide = np.exp(-gaps / sigma[:, None]).sum(axis=1) > target
        high = np.where(too_wide, sigma, high)
        low = np.where(too_wide, low, sigma)
        sigma = np.where(np.isinf(high), sigma * 2, (low + high) / 2)
    weights = np.exp(-gaps / sigma[:, None])
    rows = np.repeat(np.arange(n), indices.shape[1])
    directed = sparse.csr_matrix((weights.ravel(), (rows, indices.ravel())), shape=(n, n))
    return (directed + directed.T - directed.multiply(directed.T)).tocsr()  # fuzzy union


# The edges of an epoch are cut into this many parts, worked on by as many threads: numpy lets go of the
# GIL in the gathers and arithmetic, so two cores lay out 10,000 memos in 2.6 s instead of 4.9 s. A fixed
# count, not the machine's core count, so the layout (a sum of the parts' moves) is the same everywhere.
LAYOUT_PARTS = 2


def graph_layout(graph: sparse.csr_matrix, init: np.ndarray, n_epochs: int = 200,
                 negative_rate: int = 5, seed: int = 0) -> np.ndarray:
    """Low-dimensional coordinates where graph neighbours sit close and random pairs apart.

    ``init``: starting coordinates (n, dim). UMAP's stochastic edge sampling, but each epoch's
    moves are summed and applied at once so the work is a few numpy calls per epoch.
    """
    rng = np.random.default_rng(seed)
    upper = sparse.triu(graph, 1).tocoo()
    keep = upper.data >= upper.data.max() / n_epochs  # UMAP drops edges it would never sample
    heads, tails, weights = upper.row[keep], upper.col[keep], upper.data[keep]
    sample_probability = (weights / weights.max()).astype(np.float32)
    coords = init.astype(np.float32)
    coords = 10 * (coords - coords.min(axis=0)) / np.maximum(np.ptp(coords, axis=0), 1e-12)
    n, dim = coords.shape
    a, b = np.float32(_CURVE_A), np.float32(_CURVE_B)

    def moves(head: np.ndarray, tail: np.ndarray, far: np.ndarray) -> np.ndarray:
        """Summed move of every item from these edges (pull) and their random pairs (push)."""
        at_head = coords[head]
        diff = at_head - coords[tail]
        d2 = np.maximum(np.einsum("ij,ij->i", diff, diff), 1e-12)
        d2b = np.exp(b * np.log(d2))  # d2**b, cheaper as one exp/log pair
        move = np.clip((-2 * a * b * d2b / d2 / (1 + a * d2b))[:, None] * diff, -4, 4)
        diff = np.repeat(at_head, negative_rate, axis=0) - coords[far]
        d2 = np.einsum("ij,ij->i", diff, diff)
        d2b = np.exp(b * np.log(np.maximum(d2, 1e-12)))
        push = np.clip((2 * b / ((0.001 + d2) * (1 + a * d2b)))[:, None] * diff, -4, 4)
        push[far == np.repeat(head, negative_rate)] = 0
        move += push.reshape(len(head), negative_rate, dim).sum(axis=1)
        return np.stack([np.bincount(head, move[:, axis], n) for axis in range(dim)], axis=1)

    with ThreadPoolExecutor(min(LAYOUT_PARTS, os.cpu_count() or 1)) as pool:
        for epoch in range(n_epochs):
            step = np.float32(1.0 - epoch / n_epochs)
            chosen = rng.random(len(weights), dtype=np.float32) < sample_probability
            head = np.concatenate([heads[chosen], tails[chosen]])
            tail = np.concatenate([tails[chosen], heads[chosen]])
            far = rng.integers(0, n, len(head) * negative_rate)
            cuts = np.linspace(0, len(head), LAYOUT_PARTS + 1).astype(int)
            parts = pool.map(lambda i: moves(head[cuts[i]:cuts[i + 1]], tail[cuts[i]:cuts[i + 1]],
                                             far[cuts[i] * negative_rate:cuts[i + 1] * negative_rate]),
                             range(LAYOUT_PARTS))
            coords += step * sum(parts)
    return coords


# Grouped neighbours that vote for a noise point's group (in the layout HDBSCAN saw).
NOISE_VOTERS = 5


def _vote_of_neighbours(coords: np.ndarray, groups: np.ndarray, voters: int = NOISE_VOTERS) -> np.ndarray:
    """A group for each noise point (label < 0): the most common among its ``voters`` nearest grouped
    points in ``coords``, ties to the nearer. Medians of 5 seeds against joining the nearest 384-d
    centroid (bench/README.md): NMI hwu64 0.765 -> 0.768, clinc 0.567 -> 0.582, 150-sample 0.676 -> 0.684;
    a centroid favours broad groups, while the layout is where HDBSCAN measured density."""
    noise = np.flatnonzero(groups < 0)
    grouped = np.flatnonzero(groups >= 0)
    if len(noise) == 0:
        return groups[noise]
    k = min(voters, len(grouped))
    nearest = NearestNeighbors(n_neighbors=k).fit(coords[grouped]).kneighbors(coords[noise], return_distance=False)
    votes = groups[grouped[nearest]]
    n_groups = int(groups.max()) + 1
    counts = np.zeros((len(noise), n_groups))
    for rank in range(k):  # earlier (nearer) voters break ties by a small bonus
        np.add.at(counts, (np.arange(len(noise)), votes[:, rank]), 1.0 + 1e-3 * (k - rank))
    return np.argmax(counts, axis=1)


def min_cluster_size(n_items: int) -> int:
    """Smallest dense group HDBSCAN may report: about n/100 memos (10 at 1,000, BERTopic's default),
    within 5..50. With 20 neighbours it beat n/80 and 15 neighbours on hwu64, the 150-memo sample and clinc
    NMI (medians of 3 seeds; bench/README.md).

    The cap keeps big libraries from being lumped into a few huge themes: at 10,000 memos
    n/80 gave ~20 themes, 50 gives ~80 (Louvain gave ~70)."""
    return int(np.clip(n_items // 100, 5, 50))


# Above this many items the density clustering runs on a sample of this size and the rest join by vote.
LAYOUT_SAMPLE = 8000
SAMPLE_VOTERS = 5


@dataclass
class DensityClusterer:
    """sklearn-like: ``DensityClusterer(seed=0).fit(vectors).labels_``.

    Fuzzy kNN graph -> ``n_components``-d layout -> HDBSCAN; points HDBSCAN calls noise
    join the group whose centroid is nearest (cosine), so every item gets a group.
    Collections too small for a density estimate fall back to :class:`GraphClusterer`.
    """

    n_neighbors: int = 20
    n_components: int = 5
    n_epochs: int = 200
    seed: int = 0

    def fit(self, vectors: np.ndarray) -> "DensityClusterer":
        vectors = np.asarray(vectors, dtype=np.float32)
        n = len(vectors)
        if n > LAYOUT_SAMPLE:
            return self._fit_sample(vectors)
        if n < 4 * min_cluster_size(n):
            self.labels_ = GraphClusterer(seed=self.seed).fit(vectors).labels_
            return self
        graph = fuzzy_neighbour_graph(vectors, self.n_neighbors)
        centred = vectors - vectors.mean(axis=0)
        # PCA start (deterministic): top eigenvectors of the small dim x dim covariance.
        _, axes = np.linalg.eigh(centred.T @ centred)
        coords = graph_layout(graph, centred @ axes[:, ::-1][:, : self.n_components],
                              n_epochs=self.n_epochs, seed=self.seed)
        groups = HDBSCAN(min_cluster_size=min_cluster_size(n), copy=True).fit_predict(coords)
        if groups.max() < 1:  # one blob or all noise: no density structure to use
            self.labels_ = GraphClusterer(seed=self.seed).fit(vectors).labels_
            return self
        noise = groups < 0
        groups[noise] = _vote_of_neighbours(coords, groups)
        # Largest first, ties by smallest member, as GraphClusterer does.
        sizes = np.bincount(groups)
        order = sorted(range(len(sizes)), key=lambda g: (-sizes[g], np.argmax(groups == g)))
        relabel = np.empty(len(sizes), dtype=np.int64)
        relabel[order] = np.arange(len(sizes))
        self.labels_ = relabel[groups]
        log.debug("layout+hdbscan: %d items, %d groups, %d noise reassigned",
                  n, len(sizes), int(noise.sum()))
        return self

    def _fit_sample(self, vectors: np.ndarray) -> "DensityClusterer":
        """Big libraries: the groups of an evenly spread sample of LAYOUT_SAMPLE memos, and every other memo
        in the group most of its SAMPLE_VOTERS nearest sampled memos are in (near-linear: the all-pairs
        neighbour graph and the layout of 20,000 memos took ~35 of a rebuild's ~50 s)."""
        n = len(vectors)
        sample = np.sort(np.random.default_rng(self.seed).choice(n, LAYOUT_SAMPLE, replace=False))
        sampled = DensityClusterer(self.n_neighbors, self.n_components, self.n_epochs, self.seed).fit(vectors[sample])
        labels = np.empty(n, dtype=np.int64)
        labels[sample] = sampled.labels_
        rest = np.setdiff1d(np.arange(n), sample)
        n_groups = int(sampled.labels_.max()) + 1
        for start in range(0, len(rest), _BLOCK_ROWS):
            rows = rest[start:start + _BLOCK_ROWS]
            scores = vectors[rows] @ vectors[sample].T
            nearest = np.argpartition(-scores, SAMPLE_VOTERS - 1, axis=1)[:, :SAMPLE_VOTERS]
            counts = np.zeros((len(rows), n_groups))
            for rank in range(SAMPLE_VOTERS):  # a vote weighs its similarity: ties go to the closer
                np.add.at(counts, (np.arange(len(rows)), sampled.labels_[nearest[:, rank]]),
                          np.take_along_axis(scores, nearest[:, rank:rank + 1], axis=1).ravel())
            labels[rows] = np.argmax(counts, axis=1)
        self.labels_ = labels
        log.debug("layout+hdbscan on a sample of %d of %d items, %d groups", LAYOUT_SAMPLE, n, n_groups)
        return self
