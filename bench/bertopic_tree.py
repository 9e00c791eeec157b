"""BERTopic's flat topics and topic hierarchy on the memo libraries, the baseline for bench_tree.py.

BERTopic is not a Musings dependency; run this in its own environment (bench_tree.py runs it itself
through $BERTOPIC_PYTHON, default /work/btv/bin/python, when its results are missing or stale):
    python3.11 -m venv /work/btv && /work/btv/bin/pip install torch==2.13.0 && /work/btv/bin/pip install bertopic
    /work/btv/bin/python bench/bertopic_tree.py [topics_dir] [--seeds 0 1 2] [--min-topic-size N]
The memo vectors come from bench/results/ (cached by memo_sets.embeddings from the Musings side), so both
sides cluster the same vectors; a missing cache is an error here, never recomputed. BERTopic runs with its
shipped defaults (UMAP 15 neighbours, 5-d, min_dist 0, cosine, random_state = seed; its default HDBSCAN),
embeddings passed in; --min-topic-size N passes min_topic_size=N (its HDBSCAN's min_cluster_size; default 10,
so no topic under 10 memos), a fairer leaf baseline where fine labels are small. Per library and seed it
records the flat labels (-1 outliers kept as one label), ``hierarchical_topics`` and, for libraries with a
coarse label, the hierarchy cut into as many groups as there are coarse labels. A failing fit is recorded as
an error. Output: bench/results/bertopic_tree.json, or bertopic_tree_mts{N}.json with --min-topic-size N.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from importlib.metadata import version
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TQDM_DISABLE", "1")  # hierarchical_topics draws a progress bar

import numpy as np  # noqa: E402
from bertopic import BERTopic  # noqa: E402
from umap import UMAP  # noqa: E402

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
import memo_sets  # noqa: E402

RESULTS = BENCH / "results"
DEFAULT_TOPICS = Path("/work/shared/data/topics")


def texts_digest(texts: list[str]) -> str:
    """The key memo_sets.embeddings caches a library's vectors under."""
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]


def output(min_topic_size: int | None) -> Path:
    """Where the results for this min_topic_size (None: BERTopic's default) go; bench_tree.py reads them there."""
    return RESULTS / (f"bertopic_tree_mts{min_topic_size}.json" if min_topic_size else "bertopic_tree.json")


def script_digest() -> str:
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]


class _NoEmbedder:
    """Stands in for the app's embedder: this environment never computes vectors."""

    def __init__(self, name: str):
        self.name = name

    def embed(self, texts):
        raise SystemExit(f"no cached vectors for {self.name} in {memo_sets.RESULTS}: run "
                         "/work/main/.venv/bin/python bench/bench_tree.py (it caches them) first")


def cut(hierarchy, n_topics: int, n_groups: int) -> dict[int, int]:
    """Topic -> group after the first n_topics - n_groups merges of the linkage (fewer groups than asked
    only if there are fewer topics)."""
    parent = list(range(n_topics))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for row in hierarchy:
        if int(row["Parent_ID"]) - n_topics < n_topics - n_groups:  # Parent_ID = merge index + n_topics
            topics = [int(t) for t in row["Topics"]]
            for t in topics[1:]:
                parent[root(t)] = root(topics[0])
    roots = sorted({root(t) for t in range(n_topics)})
    return {t: roots.index(root(t)) for t in range(n_topics)}


def run(library, vectors: np.ndarray, seed: int, min_topic_size: int | None = None) -> dict:
    umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
    model = BERTopic(umap_model=umap, **({"min_topic_size": min_topic_size} if min_topic_size else {}))
    start = time.perf_counter()
    try:
        topics, _ = model.fit_transform(library.texts, embeddings=vectors)
    except Exception as error:  # small libraries: record what happens
        return {"seed": seed, "error": f"fit: {type(error).__name__}: {error}"}
    result = {"seed": seed, "fit_seconds": time.perf_counter() - start, "labels": [int(t) for t in topics],
              "names": {str(k): v for k, v in zip(*model.get_topic_info()[["Topic", "Name"]].values.T)}}
    n_topics = len(set(result["labels"]) - {-1})
    try:
        start = time.perf_counter()
        hierarchy = model.hierarchical_topics(library.texts)
        result["hierarchy_seconds"] = time.perf_counter() - start
        rows = hierarchy[["Parent_ID", "Parent_Name", "Topics", "Child_Left_ID", "Child_Right_ID",
                          "Distance"]].to_dict("records")
        result["hierarchy"] = [{**r, "Topics": [int(t) for t in r["Topics"]], "Distance": float(r["Distance"])}
                               for r in rows]
    except Exception as error:  # e.g. a single topic has no hierarchy
        result["hierarchy_error"] = f"{type(error).__name__}: {error}"
        rows = []
    if library.coarse is not None and n_topics:
        group = cut(rows, n_topics, len(set(library.coarse)))
        result["cut_labels"] = [group[t] if t >= 0 else -1 for t in result["labels"]]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topics", nargs="?", type=Path, default=DEFAULT_TOPICS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--min-topic-size", type=int, metavar="N",
                        help="BERTopic's min_topic_size (default: its own, 10)")
    args = parser.parse_args()
    out = {"script": script_digest(), "seeds": args.seeds, "min_topic_size": args.min_topic_size,
           "versions": {p: version(p) for p in ("bertopic", "umap-learn", "hdbscan", "scikit-learn", "numpy")},
           "libraries": {}}
    for library in memo_sets.memo_sets(args.topics):
        vectors = memo_sets.embeddings(library, embedder=_NoEmbedder(library.name))
        runs = [run(library, vectors, seed, args.min_topic_size) for seed in args.seeds]
        out["libraries"][library.name] = {"digest": texts_digest(library.texts), "n": len(library.texts),
                                          "runs": runs}
        for r in runs:
            labels = np.asarray(r.get("labels", []))
            state = r.get("error") or (f"{len(set(labels.tolist()) - {-1})} topics, "
                                       f"{100 * np.mean(labels == -1):.1f}% outliers, {r['fit_seconds']:.1f} s"
                                       + (f"; hierarchy: {r['hierarchy_error']}" if "hierarchy_error" in r else ""))
            print(f"{library.name:28} seed {r['seed']}: {state}", flush=True)
    path = output(args.min_topic_size)
    path.write_text(json.dumps(out))
    print(f"written to {path}")


if __name__ == "__main__":
    main()
