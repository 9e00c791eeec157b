"""Theme quality and speed against k-means told the true k (and BERTopic anchor numbers).

Run: .venv/bin/python bench/bench_themes.py [topics_dir]
Embeddings are cached under bench/results/ (git-ignored) so reruns take seconds.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from organize.embeddings import Embedder  # noqa: E402
from organize.themes import UNSORTED, build_themes, place  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_TOPICS = Path("/work/shared/data/topics")
# The layout is stochastic: NMI varies by ±0.01 from seed to seed (BERTopic's too), so one seed decides nothing.
SEEDS = tuple(range(10))
# BERTopic defaults (UMAP + HDBSCAN) as the issue gives them: ARI, NMI, themes, % outliers. When
# bench_bertopic.py has run (results/bertopic.json), its figures from this machine are shown instead.
BERTOPIC = {"hwu64 scenario": (0.63, 0.77, 28, 6.0), "clinc150 domain": (0.17, 0.49, 22, 21.0)}


def load(topics: Path, relative: str, key: str) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in open(topics / relative, encoding="utf-8")]
    return [r["text"] for r in rows], [r[key] for r in rows]


def cached_embeddings(embedder_factory, name: str, texts: list[str]) -> np.ndarray:
    path = RESULTS / f"emb_{name}_{len(texts)}.npy"
    if path.exists():
        return np.load(path)
    vectors = embedder_factory().embed(texts)
    RESULTS.mkdir(exist_ok=True)
    np.save(path, vectors)
    return vectors


def scores(truth, labels) -> tuple[float, float, int, float]:
    labels = np.asarray(labels)
    n_themes = len(set(labels.tolist()) - {UNSORTED})
    return (adjusted_rand_score(truth, labels), normalized_mutual_info_score(truth, labels),
            n_themes, 100.0 * float(np.mean(labels == UNSORTED)))


def main(topics: Path) -> None:
    embedder: list[Embedder] = []
    def factory() -> Embedder:
        if not embedder:
            embedder.append(Embedder())
        return embedder[0]

    hwu_texts, hwu_truth = load(topics, "hwu64/hwu64_kfold1_test.jsonl", "scenario")
    clinc_texts, clinc_truth = load(topics, "clinc150/clinc150_test_5perintent.jsonl", "domain")
    hwu_vec = cached_embeddings(factory, "hwu64", hwu_texts)
    clinc_vec = cached_embeddings(factory, "clinc150_5per", clinc_texts)
    pick = np.random.default_rng(0).choice(len(hwu_texts), 150, replace=False)
    cases = {
        "hwu64 scenario": (hwu_vec, hwu_texts, hwu_truth),
        "clinc150 domain": (clinc_vec, clinc_texts, clinc_truth),
        "hwu64 150-sample": (hwu_vec[pick], [hwu_texts[i] for i in pick],
                             [hwu_truth[i] for i in pick]),
    }
    measured_bertopic = {}
    if (RESULTS / "bertopic.json").exists():  # written by bench_bertopic.py (its own environment)
        measured_bertopic = json.loads((RESULTS / "bertopic.json").read_text())["medians"]
    bertopic_title = "BERTopic measured here" if measured_bertopic else "BERTopic anchor (issue)"
    print(f"Theme quality (ARI / NMI / #themes / % unsorted), ours = median over seeds {SEEDS}; "
          "baseline = KMeans with oracle k")
    print(f"{'set':<18} {'n':>5} | {'ours':^27} | {'KMeans oracle k':^27} | {bertopic_title:^27} | ARI x KMeans")
    for name, (vectors, texts, truth) in cases.items():
        runs = np.array([scores(truth, build_themes(vectors, texts, seed=seed).labels) for seed in SEEDS])
        ours = tuple(np.median(runs, axis=0))
        k = len(set(truth))
        base = scores(truth, KMeans(k, n_init=10, random_state=0).fit_predict(vectors))
        anchor = measured_bertopic.get(name) or BERTOPIC.get(name)
        fmt = lambda s: f"{s[0]:.3f} / {s[1]:.3f} / {s[2]:>3} / {s[3]:4.1f}%"
        anchor_text = fmt(anchor) if anchor else f"{'(collapses, not run)':^27}"
        print(f"{name:<18} {len(texts):>5} | {fmt(ours)} | {fmt(base)} | {anchor_text} | {ours[0] / base[0]:.2f}")
        print(f"{'':<18} {'':>5} | per seed NMI {' '.join(f'{x:.3f}' for x in runs[:, 1])}")

    # Speed: a 10,000-memo library from every topic file, tiled with small perturbations.
    big_texts = (load(topics, "clinc150/clinc150_test.jsonl", "domain")[0] + hwu_texts
                 + load(topics, "banking77/banking77_test_10perclass.jsonl", "intent")[0])
    big_vec = np.vstack([cached_embeddings(factory, "clinc150_full", big_texts[:4500]),
                         hwu_vec,
                         cached_embeddings(factory, "banking77_10per", big_texts[4500 + len(hwu_texts):])])
    rng = np.random.default_rng(0)
    extra = rng.choice(len(big_vec), 10_000 - len(big_vec))
    noisy = big_vec[extra] + rng.normal(0, 0.02, (len(extra), big_vec.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    vec10k = np.vstack([big_vec, noisy]).astype(np.float32)
    texts10k = big_texts + [big_texts[i] for i in extra]
    order = rng.permutation(len(vec10k))
    vec10k, texts10k = vec10k[order], [texts10k[i] for i in order]
    print("\nTime to build themes (embeddings precomputed; target <= 10 s for 10,000)")
    for n in (1_000, 10_000):
        start = time.perf_counter()
        model = build_themes(vec10k[:n], texts10k[:n], seed=0)
        print(f"  {n:>6} memos: {time.perf_counter() - start:6.2f} s  ({len(model.themes)} themes, "
              f"{100 * np.mean(model.labels == UNSORTED):.1f}% unsorted)")
    centroids = model.centroids
    new_memo = "remind me to pay the electricity bill on friday"
    model_embedder = factory()
    model_embedder.embed([new_memo])  # warm up
    timings, place_only = [], []
    for _ in range(50):
        start = time.perf_counter()
        vector = model_embedder.embed([new_memo])[0]
        middle = time.perf_counter()
        place(vector, centroids)
        end = time.perf_counter()
        timings.append(end - start)
        place_only.append(end - middle)
    print(f"\nPlace one new memo into {len(centroids)} themes (target <= 50 ms): "
          f"place() p95 {1000 * np.percentile(place_only, 95):.3f} ms, "
          f"embed + place p95 {1000 * np.percentile(timings, 95):.1f} ms")


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TOPICS)
