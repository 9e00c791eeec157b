"""The theme tree on memo-like libraries: real clinc150 utterances of one domain joined into 30-80-word
memos (bench/memo_sets.py), embedded by the real model. Labels only score; the code never sees them."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from organize.naming import name_words
from organize.tree import build_theme_tree, top_labels
from organize.vocabulary import GENERIC_WORDS, STOP_WORDS, words_of

from .conftest import read_topics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from memo_sets import library_from_rows  # noqa: E402

DOMAINS = ("travel", "home", "work")  # 108-131 memos each; flat themes gave one of 20.4 % for "home"


@pytest.fixture(scope="module")
def libraries(embedder):
    rows = read_topics("clinc150/clinc150_test.jsonl")
    found = {}
    for domain in DOMAINS:
        library = library_from_rows(domain, [(r["text"], r["intent"], None) for r in rows if r["domain"] == domain])
        found[domain] = (library.texts, library.fine, embedder.embed(library.texts))
    return found


def test_a_library_within_one_domain_is_no_blob(libraries):
    for domain, (texts, intents, vectors) in libraries.items():
        model = build_theme_tree(vectors, texts)
        leaves = model.labels
        sizes = np.bincount(leaves[leaves >= 0])
        assert len(texts) >= 100
        assert sizes.max() <= 0.20 * len(texts), (domain, sizes.max(), len(texts))
        assert 8 <= len(sizes[sizes > 0]) <= 30, domain  # 15 intents
        assert np.mean(leaves < 0) <= 0.05
        # Measured 0.94-1.00 (bench/README.md); flat themes 0.89-0.99.
        assert normalized_mutual_info_score(intents, leaves) >= 0.85, domain
        broad = {t.theme_key for t in model.themes if t.parent_key is None}
        assert 2 <= len(broad) < len(sizes[sizes > 0])


def test_the_same_library_gives_the_same_tree(libraries):
    texts, _, vectors = libraries["travel"]
    first, second = build_theme_tree(vectors, texts), build_theme_tree(vectors, texts)
    assert np.array_equal(first.labels, second.labels)
    assert [(t.theme_key, t.parent_key, t.name) for t in first.themes] == \
        [(t.theme_key, t.parent_key, t.name) for t in second.themes]


def test_names_tell_siblings_apart_in_words_people_use(libraries):
    for domain, (texts, _, vectors) in libraries.items():
        model = build_theme_tree(vectors, texts)
        by_key = {t.theme_key: t for t in model.themes}
        heard = [set(words_of(text)) for text in texts]
        for theme in model.themes:
            words = [w.lower() for w in theme.name.split()]
            assert 2 <= len(words) <= 4, theme.name
            assert all(w[:1].isupper() or w in ("and", "of", "the") for w in theme.name.split()), theme.name
            assert not set(words) & (GENERIC_WORDS | STOP_WORDS), theme.name
            for word in words:  # never a word heard in one memo only (likely misrecognised)
                assert sum(word in memo for memo in heard) >= 2, (theme.name, word)
            if theme.parent_key is not None:
                assert theme.name != by_key[theme.parent_key].name
        for parent in {t.parent_key for t in model.themes}:
            siblings = [t.name for t in model.themes if t.parent_key == parent]
            assert len(siblings) == len(set(siblings)), siblings
        children = [t for t in model.themes if t.parent_key is not None]
        sharing = sum(bool(name_words(t.name) & name_words(by_key[t.parent_key].name)) for t in children)
        assert sharing <= len(children) // 2, domain  # most sub-themes say something their parent does not


def test_new_memos_move_old_ones_only_near_them(libraries):
    texts, _, vectors = libraries["home"]
    keep = len(texts) - 20
    before = build_theme_tree(vectors[:keep], texts[:keep])
    previous = [t for t in before.themes]
    after = build_theme_tree(vectors, texts, previous=previous)
    stayed = before.labels == after.labels[:keep]
    print(f"{stayed.sum()}/{keep} old memos kept their sub-theme after 20 new ones and a full re-clustering")
    assert stayed.mean() >= 0.7
    # Broad themes of the old memos stay put even more.
    assert (top_labels(before) == top_labels(after)[:keep]).mean() >= stayed.mean()


def test_corrections_at_both_levels_steer_the_tree(libraries):
    texts, _, vectors = libraries["work"]
    model = build_theme_tree(vectors, texts)
    broad = [t for t in model.themes if t.parent_key is None]
    sub = [t for t in model.themes if t.parent_key is not None]
    assert broad and sub
    target_sub, other_broad = sub[0], next(t for t in broad if t.theme_key != sub[0].parent_key)
    moved = next(i for i, key in enumerate(model.labels) if top_labels(model)[i] == other_broad.theme_key)
    direct = next(i for i, key in enumerate(model.labels) if key == sub[-1].theme_key and i != moved)
    pinned = {moved: target_sub.theme_key, direct: other_broad.theme_key}
    again = build_theme_tree(vectors, texts, pinned=pinned, previous=model.themes)
    assert again.labels[moved] == target_sub.theme_key  # into a sub-theme of another broad theme
    assert again.labels[direct] == other_broad.theme_key  # dropped directly on a broad theme
    parent = {t.theme_key: t.parent_key for t in again.themes}
    assert parent[target_sub.theme_key] is not None and parent[other_broad.theme_key] is None
