"""Memo-like benchmark libraries from the public intent sets: one person's related interests.

A memo is not an 8-word utterance: utterances of the same intent are joined, in a seeded random order,
until the text has at least 30 words (at least 2 and at most 6 utterances; hwu64's utterances average
7 words, so 2-4 of them rarely reach 30) and at most 80. Each memo keeps its fine label (the intent) and,
where the set has one, its coarse label (clinc150's domain, hwu64's scenario). Labels are for scoring
only; the app sees the texts.

    from memo_sets import memo_sets
    for library in memo_sets(Path("/work/shared/data/topics")): ...
"""
from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

MIN_WORDS, MAX_WORDS = 30, 80
MIN_UTTERANCES, MAX_UTTERANCES = 2, 6


@dataclass
class Library:
    name: str
    texts: list[str]
    fine: list[str]
    coarse: list[str] | None  # None: the set has no coarse label


def _join(utterances: list[str], rng: random.Random) -> list[str]:
    """The utterances of one intent, shuffled, joined into memos of MIN..MAX words."""
    pool = list(utterances)
    rng.shuffle(pool)
    memos, current = [], []
    for utterance in pool:
        text = utterance.strip()
        if not text:
            continue
        if not text.endswith((".", "?", "!")):
            text += "."
        words = sum(len(u.split()) for u in current)
        if current and words + len(text.split()) > MAX_WORDS:
            memos.append(" ".join(current)) if len(current) >= MIN_UTTERANCES else None
            current = []
        current.append(text[0].upper() + text[1:])
        words = sum(len(u.split()) for u in current)
        if (words >= MIN_WORDS and len(current) >= MIN_UTTERANCES) or len(current) >= MAX_UTTERANCES:
            memos.append(" ".join(current))
            current = []
    if len(current) >= MIN_UTTERANCES:
        memos.append(" ".join(current))
    return memos


def library_from_rows(name: str, rows: list[tuple[str, str, str | None]], seed: int = 0) -> Library:
    """A memo-like library from labelled utterances; rows: (text, fine, coarse or None)."""
    rng = random.Random(f"{name}-{seed}")
    by_fine: dict[str, list[str]] = defaultdict(list)
    coarse_of: dict[str, str | None] = {}
    for text, fine, coarse in rows:
        by_fine[fine].append(text)
        coarse_of[fine] = coarse
    memos = [(text, fine) for fine in sorted(by_fine) for text in _join(by_fine[fine], rng)]
    rng.shuffle(memos)
    has_coarse = any(c is not None for c in coarse_of.values())
    return Library(name, [t for t, _ in memos], [f for _, f in memos],
                   [coarse_of[f] for _, f in memos] if has_coarse else None)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def memo_sets(topics: Path, seed: int = 0, *, domains: bool = True) -> list[Library]:
    """banking77 (one domain, 77 intents), clinc150 (10 domains, 150 intents), hwu64 (18 scenarios,
    64 intents), and (``domains``) each clinc150 domain alone as a small library of 15 intents."""
    libraries = []
    with open(topics / "banking77" / "test.csv", encoding="utf-8", newline="") as f:
        banking = [(r["text"], r["category"], None) for r in csv.DictReader(f)]
    libraries.append(library_from_rows("banking77", banking, seed))
    clinc = [(r["text"], r["intent"], r["domain"]) for r in _jsonl(topics / "clinc150" / "clinc150_test.jsonl")]
    libraries.append(library_from_rows("clinc150", clinc, seed))
    hwu = [(r["text"], r["intent"], r["scenario"]) for r in _jsonl(topics / "hwu64" / "hwu64_kfold1_test.jsonl")]
    libraries.append(library_from_rows("hwu64", hwu, seed))
    if domains:
        for domain in sorted({d for _, _, d in clinc}):
            rows = [(t, i, None) for t, i, d in clinc if d == domain]
            libraries.append(library_from_rows(f"clinc150/{domain}", rows, seed))
    return libraries


RESULTS = Path(__file__).resolve().parent / "results"


def embeddings(library: Library, embedder=None):
    """The library's memo vectors from the bundled model, cached in bench/results/ by the texts' hash."""
    import hashlib

    import numpy as np

    digest = hashlib.sha256("\n".join(library.texts).encode()).hexdigest()[:12]
    path = RESULTS / f"memo_{library.name.replace('/', '_')}_{digest}.npy"
    if path.exists():
        return np.load(path)
    if embedder is None:
        import sys

        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
        from organize.embeddings import Embedder

        embedder = Embedder()
    vectors = np.asarray(embedder.embed(library.texts), dtype=np.float32)
    RESULTS.mkdir(exist_ok=True)
    np.save(path, vectors)
    return vectors


if __name__ == "__main__":
    import sys
    import statistics

    for lib in memo_sets(Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/topics")):
        lengths = [len(t.split()) for t in lib.texts]
        print(f"{lib.name:28} {len(lib.texts):5} memos  {len(set(lib.fine)):3} fine  "
              f"{len(set(lib.coarse)) if lib.coarse else '-':>3} coarse  words median {statistics.median(lengths):.0f} "
              f"min {min(lengths)} max {max(lengths)}")
