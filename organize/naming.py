"""Theme names: 2-4 words from the theme's own memos, by class-based TF-IDF (c-TF-IDF).

Every theme's memos are concatenated into one document; a term scores high when it is
frequent in that theme and rare across themes (BERTopic's c-TF-IDF). Uni- and bigrams are
candidates; the name is built from the best terms without repeating a word.
"""

from __future__ import annotations

import logging

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from organize.vocabulary import NAME_WORD_PATTERN, STOP_WORDS

log = logging.getLogger(__name__)

MIN_NAME_WORDS = 2
MAX_NAME_WORDS = 4
FALLBACK_NAME = "miscellaneous notes"


def _vectorizer() -> CountVectorizer:
    return CountVectorizer(
        ngram_range=(1, 2),
        stop_words=sorted(STOP_WORDS),
        token_pattern=NAME_WORD_PATTERN.pattern,
        lowercase=True,
    )


def class_tfidf(texts: list[str], labels: np.ndarray) -> tuple[list[int], list[str], np.ndarray]:
    """c-TF-IDF matrix: (theme labels, vocabulary, scores[theme, term]); label -1 ignored."""
    keys = sorted({int(x) for x in labels if x >= 0})
    documents = [" ".join(t for t, l in zip(texts, labels) if l == key) for key in keys]
    vectorizer = _vectorizer()
    try:
        counts = vectorizer.fit_transform(documents).toarray().astype(np.float64)
    except ValueError:  # nothing but stop words anywhere
        return keys, [], np.zeros((len(keys), 0))
    tf = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1.0)
    average_words = counts.sum() / max(len(keys), 1)
    idf = np.log1p(average_words / np.maximum(counts.sum(axis=0), 1.0))
    return keys, list(vectorizer.get_feature_names_out()), tf * idf


def compose_name(ranked_terms: list[str]) -> str:
    """Join the best terms into 2-4 distinct words, best first."""
    words: list[str] = []
    for term in ranked_terms:
        new = [w for w in term.split() if w not in words]
        if not new or len(words) + len(new) > MAX_NAME_WORDS:
            continue
        words.extend(new)
        if len(words) >= 3:
            break
    if len(words) < MIN_NAME_WORDS:
        return FALLBACK_NAME if not words else f"{words[0]} notes"
    return " ".join(words)


def name_themes(texts: list[str], labels: np.ndarray, top_terms: int = 8) -> dict[int, str]:
    """Name every theme label (>= 0) in ``labels`` from the texts carrying that label."""
    keys, vocabulary, scores = class_tfidf(texts, np.asarray(labels))
    names: dict[int, str] = {}
    for row, key in enumerate(keys):
        if not vocabulary:
            names[key] = FALLBACK_NAME
            continue
        order = np.argsort(-scores[row], kind="stable")[:top_terms]
        ranked = [vocabulary[i] for i in order if scores[row, i] > 0]
        names[key] = compose_name(ranked)
    return names
