"""BERTopic on the same texts and embeddings as bench_themes.py, measured on this machine.

BERTopic is not a dependency of Musings: run this in a separate environment that has it, e.g.
    python3.11 -m venv /tmp/btv && /tmp/btv/bin/pip install torch==2.13.0 bertopic==0.17.0
    /tmp/btv/bin/python bench/bench_bertopic.py [topics_dir]
It reads the embeddings bench_themes.py cached in bench/results/ (run that first), so both use the same
vectors. Defaults as BERTopic ships them (UMAP 15 neighbours, 5-d, min_dist 0, cosine; HDBSCAN min
cluster size 10); the seed goes to UMAP. Outliers (topic -1) count as one more label, as Unsorted does.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
from bertopic import BERTopic
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from umap import UMAP

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_TOPICS = Path("/work/shared/data/topics")
SEEDS = tuple(range(10))


def load(path: Path, key: str) -> tuple[list[str], list[str]]:
    rows = [json.loads(line) for line in open(path, encoding="utf-8")]
    return [r["text"] for r in rows], [r[key] for r in rows]


def main(topics: Path) -> None:
    hwu_texts, hwu_truth = load(topics / "hwu64/hwu64_kfold1_test.jsonl", "scenario")
    clinc_texts, clinc_truth = load(topics / "clinc150/clinc150_test_5perintent.jsonl", "domain")
    hwu_vec = np.load(RESULTS / f"emb_hwu64_{len(hwu_texts)}.npy")
    clinc_vec = np.load(RESULTS / f"emb_clinc150_5per_{len(clinc_texts)}.npy")
    pick = np.random.default_rng(0).choice(len(hwu_texts), 150, replace=False)  # as bench_themes.py
    cases = {
        "hwu64 scenario": (hwu_vec, hwu_texts, hwu_truth),
        "clinc150 domain": (clinc_vec, clinc_texts, clinc_truth),
        "hwu64 150-sample": (hwu_vec[pick], [hwu_texts[i] for i in pick], [hwu_truth[i] for i in pick]),
    }
    print(f"BERTopic defaults, median over seeds {SEEDS} (ARI / NMI / #topics / % outliers)")
    measured = {}
    for name, (vectors, texts, truth) in cases.items():
        runs = []
        for seed in SEEDS:
            umap = UMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", random_state=seed)
            topics_, _ = BERTopic(umap_model=umap).fit_transform(texts, embeddings=vectors)
            labels = np.asarray(topics_)
            runs.append((adjusted_rand_score(truth, labels), normalized_mutual_info_score(truth, labels),
                         len(set(labels.tolist()) - {-1}), 100.0 * float(np.mean(labels == -1))))
        runs = np.array(runs)
        ari, nmi, n, out = np.median(runs, axis=0)
        measured[name] = [float(ari), float(nmi), float(n), float(out)]
        print(f"{name:<18} {len(texts):>5} | {ari:.3f} / {nmi:.3f} / {n:>4.0f} / {out:4.1f}%"
              f" | per seed NMI {' '.join(f'{x:.3f}' for x in runs[:, 1])}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "bertopic.json").write_text(json.dumps({"seeds": list(SEEDS), "medians": measured}, indent=1))
    print(f"written to {RESULTS / 'bertopic.json'}; bench_themes.py shows it next to Musings")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_TOPICS)
