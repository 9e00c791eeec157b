"""Theme names: 2-4 words that tell a theme apart from its siblings, in Title Case.

Each theme's memos are joined into one document and its terms scored by class-based TF-IDF (c-TF-IDF,
as BERTopic does) against the documents of its *siblings*: broad themes against each other, a broad
theme's sub-themes against each other. So "Robot Hand" names a sub-theme of "Robots" only if the hand is
what sets it apart from the other robot memos. Candidates are single words and two-word phrases
(phrases are preferred: "language models" says more than "models"), never a stop word, speech filler or
generic word ("people", "time", "way"...), and never a term heard in only one memo (likely misrecognised:
"nerema's"). A sub-theme's name shares no word with its parent's, and siblings get different names.
"""

from __future__ import annotations

import logging
import re

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer

from organize.vocabulary import GENERIC_WORDS, NAME_WORD_PATTERN, STOP_WORDS

log = logging.getLogger(__name__)

MIN_NAME_WORDS = 2
MAX_NAME_WORDS = 4
FALLBACK_NAME = "Miscellaneous Notes"
# A two-word phrase's score is multiplied by this: "robot hand" over "robot" when both are as specific.
PHRASE_BONUS = 1.5
# A term must occur in at least this many memos of the library to name anything.
MIN_TERM_MEMOS = 2
_SMALL_WORDS = frozenset("a an and as at by for in of on or the to vs".split())


def _vectorizer(vocabulary=None) -> CountVectorizer:
    return CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(STOP_WORDS | GENERIC_WORDS),
        token_pattern=NAME_WORD_PATTERN.pattern,
        lowercase=True,
        vocabulary=vocabulary,
    )


class TermCounts:
    """Every memo's counts of the namable terms (words and two-word phrases heard in at least
    MIN_TERM_MEMOS memos), tokenised once for all the naming of a tree."""

    def __init__(self, texts: list[str]):
        self.vocabulary: list[str] = []
        self.counts = None  # sparse (memos, terms)
        try:
            vectorizer = _vectorizer()
            matrix = vectorizer.fit_transform(texts)
        except ValueError:  # nothing but stop words anywhere
            return
        in_memos = np.asarray((matrix > 0).sum(axis=0)).ravel()
        terms = vectorizer.get_feature_names_out()
        keep = [i for i, (t, n) in enumerate(zip(terms, in_memos)) if n >= MIN_TERM_MEMOS and not _generic(str(t))]
        self.vocabulary = [str(terms[i]) for i in keep]
        self.counts = matrix[:, keep].tocsr()
        self.bonus = np.array([PHRASE_BONUS if " " in term else 1.0 for term in self.vocabulary])


def namable_terms(texts: list[str]) -> list[str]:
    """Terms (words and two-word phrases) heard in at least MIN_TERM_MEMOS of the memos."""
    return TermCounts(texts).vocabulary


def _generic(term: str) -> bool:
    return any(w in GENERIC_WORDS or w in STOP_WORDS for w in term.split())


def class_tfidf(terms: TermCounts, labels: np.ndarray) -> tuple[list[int], np.ndarray]:
    """c-TF-IDF: (theme labels, scores[theme, term]) over the memos' term counts; label -1 ignored."""
    labels = np.asarray(labels)
    keys = sorted({int(x) for x in labels if x >= 0})
    if terms.counts is None or not terms.vocabulary or not keys:
        return keys, np.zeros((len(keys), 0))
    rows = np.flatnonzero(labels >= 0)
    position = {key: i for i, key in enumerate(keys)}
    member_of = sparse.csr_matrix((np.ones(len(rows)), ([position[int(labels[r])] for r in rows], rows)),
                                  shape=(len(keys), len(labels)))
    counts = (member_of @ terms.counts).toarray().astype(np.float64)  # one document per theme
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average_words = counts.sum() / max(len(keys), 1)
    idf = np.log1p(average_words / np.maximum(counts.sum(axis=0), 1.0))
    return keys, tf * idf


def title_case(words: list[str]) -> str:
    """'robot hand' -> 'Robot Hand'; small words stay small inside a name."""
    out = []
    for i, word in enumerate(words):
        out.append(word if (i and word in _SMALL_WORDS) else word[:1].upper() + word[1:])
    return " ".join(out)


def compose_name(ranked_terms: list[str], avoid: set[str] = frozenset()) -> str:
    """Join the best terms into 2-4 distinct words, best first; words in `avoid` are left out."""
    words: list[str] = []
    for term in ranked_terms:
        new = [w for w in term.split() if w not in words]
        if not new or set(new) & avoid or len(words) + len(new) > MAX_NAME_WORDS:
            continue
        words.extend(new)
        if len(words) >= 3:
            break
    if len(words) < MIN_NAME_WORDS:
        return FALLBACK_NAME if not words else title_case([words[0], "notes"])
    return title_case(words)


def _ranked(scores: np.ndarray, terms: TermCounts, top_terms: int) -> list[str]:
    boosted = scores * terms.bonus
    best = np.argpartition(-boosted, min(top_terms, len(boosted) - 1))[:top_terms]
    order = best[np.lexsort((best, -boosted[best]))]  # by score, ties by term order
    return [terms.vocabulary[i] for i in order if boosted[i] > 0]


def name_themes(texts: list[str], labels: np.ndarray, top_terms: int = 12, *,
                terms: TermCounts | None = None, avoid: dict[int, set[str]] | None = None) -> dict[int, str]:
    """Name every theme label (>= 0) in ``labels`` against the other labels given (its siblings).

    ``terms``: the memos' term counts (rows in ``texts`` order; made from ``texts`` if not given);
    ``avoid``: per label, words its name should not use (its parent's)."""
    terms = terms if terms is not None else TermCounts(texts)
    keys, scores = class_tfidf(terms, np.asarray(labels))
    names: dict[int, str] = {}
    ranked_of = {key: (_ranked(scores[row], terms, top_terms) if scores.shape[1] else [])
                 for row, key in enumerate(keys)}
    for key in keys:
        names[key] = compose_name(ranked_of[key], (avoid or {}).get(key, set()))
        if len(names[key].split()) < 2 or names[key].endswith(" Notes") or names[key] == FALLBACK_NAME:
            names[key] = compose_name(ranked_of[key])  # too little of its own: the parent's words may help
    _make_distinct(names, ranked_of, avoid or {})
    return names


def _make_distinct(names: dict[int, str], ranked_of: dict[int, list[str]], avoid: dict[int, set[str]]) -> None:
    """Siblings with the same name: each later one takes its next best term instead of its first."""
    seen: dict[str, int] = {}
    for key in sorted(names):
        name = names[key]
        if name.lower() not in seen:
            seen[name.lower()] = key
            continue
        for skip in range(1, len(ranked_of[key])):
            candidate = compose_name(ranked_of[key][skip:], avoid.get(key, set()))
            if candidate.lower() not in seen and candidate != FALLBACK_NAME:
                names[key] = candidate
                break
        else:
            names[key] = f"{name} {sum(1 for n in names.values() if n == name)}"
        seen[names[key].lower()] = key


def name_words(name: str) -> set[str]:
    return {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", name or "")}


def name_tree(texts: list[str], labels: np.ndarray, parent_of: dict[int, int | None]) -> dict[int, str]:
    """Names for a two-level tree: ``labels`` holds each memo's most specific theme, ``parent_of`` every
    theme's parent (None at the top). Broad themes are named against each other from all the memos under
    them; sub-themes against their siblings, avoiding their parent's words."""
    labels = np.asarray(labels)
    terms = TermCounts(texts)
    top_of = {k: (k if p is None else p) for k, p in parent_of.items()}
    top_labels = np.array([top_of.get(int(k), -1) if k >= 0 else -1 for k in labels])
    names = name_themes(texts, top_labels, terms=terms)
    for parent in sorted({p for p in parent_of.values() if p is not None}):
        children = {k for k, p in parent_of.items() if p == parent}
        siblings = np.array([int(k) if int(k) in children else -1 for k in labels])
        avoid = {k: name_words(names.get(parent, "")) for k in children}
        names.update(name_themes(texts, siblings, terms=terms, avoid=avoid))
    return names
