"""Related ideas: which similarities are worth showing, and which say "very close" (issue 15, point 6).

    .venv/bin/python bench/bench_related.py [TOPICS_DIR]     (default ../shared/data/topics, else tests/data/topics)

On bench/memo_sets.py's memo-like libraries (the bundled model's vectors, cached), every memo's 5 most similar
memos — what the window and the export list as related — are sorted into three kinds by the hidden labels:
the same idea said again (same intent, another memo), the same theme (same clinc150 domain / hwu64 scenario,
another intent), another theme. Printed: the cosine percentiles of each kind, then for the rule in use
(organize/related.py) and for the baseline rule before issue 15 (a floor of 0.35, near-duplicate from 0.85):
of the memos listed, the share of each kind, and how many related memos of the same theme are listed.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from memo_sets import embeddings, memo_sets  # noqa: E402

from organize.related import CHAIN_MIN, closeness  # noqa: E402

SHOWN = 5
BASELINE_FLOOR = 0.35


def neighbours(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = vectors @ vectors.T
    np.fill_diagonal(scores, -np.inf)
    top = np.argsort(-scores, axis=1)[:, :SHOWN]
    return top, np.take_along_axis(scores, top, axis=1)


def main() -> int:
    topics = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "data" / "topics"
    if not topics.exists():
        topics = ROOT / "tests" / "data" / "topics"
    libraries = [lib for lib in memo_sets(topics, domains=False) if lib.coarse is not None]
    kinds = {"same idea": [], "same theme": [], "other theme": []}
    for library in libraries:
        vectors = embeddings(library)
        top, scores = neighbours(vectors)
        fine, coarse = np.array(library.fine), np.array(library.coarse)
        for row in range(len(vectors)):
            for other, score in zip(top[row], scores[row]):
                kind = ("same idea" if fine[other] == fine[row] else
                        "same theme" if coarse[other] == coarse[row] else "other theme")
                kinds[kind].append(float(score))
        print(f"{library.name}: {len(vectors)} memos, {SHOWN} nearest each")
    print("\ncosine of the 5 nearest, by kind (percentiles 10 / 25 / 50 / 75 / 90)")
    for kind, values in kinds.items():
        print(f"  {kind:<12} n={len(values):>5}  " + " / ".join(f"{np.percentile(values, p):.2f}"
                                                             for p in (10, 25, 50, 75, 90)))
    everything = [(score, kind) for kind, values in kinds.items() for score in values]
    print("\nby cosine: of the neighbours in each band, the share about another theme")
    edges = np.arange(0.20, 0.95, 0.05)
    for low in edges:
        band = [kind for score, kind in everything if low <= score < low + 0.05]
        if band:
            print(f"  {low:.2f}-{low + 0.05:.2f}  n={len(band):>5}  same idea {band.count('same idea') / len(band):.2f}"
                  f"  same theme {band.count('same theme') / len(band):.2f}"
                  f"  other theme {band.count('other theme') / len(band):.2f}")
    relevant_total = sum(kind != "other theme" for _, kind in everything)

    def report(name: str, label_of) -> None:
        print(f"\n{name}")
        print(f"  {'shown as':<12} {'listed':>7} {'same idea':>10} {'same theme':>11} {'other':>7}")
        listed_relevant = 0
        for words in ("very close", "close", "related", None):
            chosen = [kind for score, kind in everything if label_of(score) == words]
            if not chosen:
                continue
            share = {k: chosen.count(k) / len(chosen) for k in kinds}
            if words is not None:
                listed_relevant += sum(k != "other theme" for k in chosen)
            print(f"  {str(words or 'not listed'):<12} {len(chosen):>7} {share['same idea']:>10.2f} "
                  f"{share['same theme']:>11.2f} {share['other theme']:>7.2f}")
        listed = [kind for score, kind in everything if label_of(score) is not None]
        print(f"  listed: {len(listed)} of {len(everything)}; of them about the same theme or idea: "
              f"{sum(k != 'other theme' for k in listed) / max(1, len(listed)):.2f}; "
              f"same-theme-or-idea neighbours listed: {listed_relevant / relevant_total:.2f}")

    linked = [kind for score, kind in everything if score >= CHAIN_MIN]
    same = sum(kind == "same idea" for _, kind in everything)
    print(f"\nrecurring ideas: a pair of nearest memos is one chain's from {CHAIN_MIN:.2f} — precision "
          f"{linked.count('same idea') / max(1, len(linked)):.2f} (same idea), recall {linked.count('same idea') / same:.2f}"
          f" of the same-idea pairs; baseline near-duplicate rule (0.85): precision "
          f"{[k for s_, k in everything if s_ >= 0.85].count('same idea') / max(1, sum(s_ >= 0.85 for s_, _ in everything)):.2f}, "
          f"recall {[k for s_, k in everything if s_ >= 0.85].count('same idea') / same:.2f}")

    report("baseline (before): listed from 0.35, near-duplicate from 0.85",
           lambda s: None if s < BASELINE_FLOOR else "very close" if s >= 0.85 else "related")
    report("Musings now (organize.related.closeness)", closeness)
    return 0


if __name__ == "__main__":
    sys.exit(main())
