"""Memo titles: how often a title's words are among the memo's most distinctive terms.

Run: .venv/bin/python bench/bench_titles.py [topics_dir]
Memo-like libraries from bench/memo_sets.py. A memo's distinctive terms are its 5 content words of highest
TF-IDF against the rest of its library; measured, for each title, the share of its content words among them.
Baseline in the same run: the memo's first 6 words (a trimmed first clause). Also measured: RAKE with each
word weighted by its rarity in the library (tried for issue 11, not adopted: see bench/README.md). Prints
a seeded sample of 30 memos' titles, for judging.
"""
from __future__ import annotations

import math
import random
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import memo_sets  # noqa: E402
import organize.titles as titles  # noqa: E402
from organize.vocabulary import content_words, words_of  # noqa: E402


class WordRarity:
    """Inverse document frequency of each word in a library."""

    def __init__(self, texts: list[str]):
        self.documents = len(texts)
        self.frequency: Counter[str] = Counter()
        for text in texts:
            self.frequency.update(set(words_of(text)))

    def weight(self, word: str) -> float:
        return math.log((1 + self.documents) / (1 + self.frequency[word])) + 1.0


def rake_with_rarity(text: str, rarity: WordRarity) -> str:
    """titles.title_for with each word's RAKE score times its rarity."""
    phrases = titles.candidate_phrases(text)
    if not phrases or len(words_of(text)) <= 3:
        return titles.title_for(text)
    frequency, degree = Counter(), Counter()
    for phrase in phrases:
        for word in phrase:
            frequency[word] += 1
            degree[word] += len(phrase)
    unique = list(dict.fromkeys(tuple(p) for p in phrases))
    best = max(unique, key=lambda p: sum(degree[w] / frequency[w] * rarity.weight(w) for w in p))
    return titles._capitalise(list(best), titles.spoken_case(text))


def distinctive(text: str, rarity: WordRarity, k: int = 5) -> set[str]:
    counts = Counter(content_words(text))
    return {w for w, _ in sorted(counts.items(), key=lambda wc: (-wc[1] * rarity.weight(wc[0]), wc[0]))[:k]}


def share(title: str, terms: set[str]) -> float:
    words = [w for w in words_of(title) if w in set(content_words(title))]
    return sum(w in terms for w in words) / len(words) if words else 0.0


def first_words(text: str) -> str:
    return " ".join(text.split()[:6])


def main(topics: Path) -> None:
    libraries = [lib for lib in memo_sets.memo_sets(topics) if "/" not in lib.name]
    print("| library | memos | first 6 words (baseline) | RAKE (Musings) | RAKE x rarity (not adopted) |")
    print("|---|---|---|---|---|")
    sample = []
    for library in libraries:
        rarity = WordRarity(library.texts)
        rows = {"first": [], "rake": [], "rarity": []}
        for text in library.texts:
            terms = distinctive(text, rarity)
            made = {"first": first_words(text), "rake": titles.title_for(text), "rarity": rake_with_rarity(text, rarity)}
            for key, title in made.items():
                rows[key].append(share(title, terms))
            sample.append((text, made))
        mean = {k: sum(v) / len(v) for k, v in rows.items()}
        print(f"| {library.name} | {len(library.texts)} | {mean['first']:.2f} | {mean['rake']:.2f} "
              f"(x{mean['rake'] / max(mean['first'], 1e-9):.2f}) | {mean['rarity']:.2f} |")
    print("\n30 memos, seeded sample: first 6 words | RAKE | RAKE x rarity")
    for text, made in random.Random(0).sample(sample, 30):
        print(f"- {made['first']!r} | {made['rake']!r} | {made['rarity']!r}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/work/shared/data/topics"))
