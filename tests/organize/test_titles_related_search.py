import numpy as np

from organize.related import is_near_duplicate, related
from organize.search import fuse_rankings, semantic_scores, top_k
from organize.titles import UNTITLED, title_for


def test_titles_are_short_salient_and_capitalised(hwu_sample):
    texts, _, _ = hwu_sample
    for text in texts + ["weather"]:  # every one has speech: none is "Untitled memo"
        title = title_for(text)
        assert title != UNTITLED and len(title.split()) <= 6 and title[0].isupper(), (text, title)
    assert title_for("uh") == title_for("") == UNTITLED  # no words but fillers, or none at all
    long_memo = ("So um I was thinking we should really repaint the kitchen walls "
                 "in a pale green before the party next month")
    assert "kitchen" in title_for(long_memo).lower()
    assert not title_for(long_memo).lower().startswith("so um")


def test_related_and_near_duplicates(embedder):
    memos = ["remind me to call mom tomorrow", "book a flight to lisbon in may",
             "tomorrow remind me to call my mom", "what's the weather like tomorrow",
             "I need to renew my passport before the trip to Japan"]
    vectors = embedder.embed(memos)
    best, score = related(vectors, 0, k=3)[0]
    assert best == 2 and is_near_duplicate(score)
    assert not any(is_near_duplicate(s) for i, s in related(vectors, 1, k=4))


def test_semantic_search_with_fusion(embedder, hwu_sample):
    texts, _, vectors = hwu_sample
    query = embedder.embed(["turn off the lights in the kitchen"])[0]
    ranked = top_k(semantic_scores(query, vectors), 5)
    assert any("light" in texts[i] for i in ranked[:3])
    assert fuse_rankings([3, 1, 2], [1, 4], k=60)[0] == 1
    matrix = np.tile(vectors, (67, 1))  # ~10,000 memos, each text 67 times (speed: bench/bench_search.py)
    top = top_k(semantic_scores(query, matrix), 50)
    assert len(top) == 50 and {i % len(texts) for i in top} == {ranked[0]}  # 50 copies of the best memo


def test_titles_keep_names_cased_as_spoken():
    from organize.titles import title_for

    title = title_for("Had a thought about what John Dashwood promised his father, and whether Fanny talked him "
                      "out of it. Sense and sensibility is really about money.")
    assert "dashwood" not in title and ("Dashwood" in title or "Fanny" in title), title
    # A word capitalised only because it starts a sentence stays lower-case inside a title.
    assert title_for("So the idea. Robot hand solving the cube, that is the demo we want for the open day") \
        .split()[1:] == [w.lower() for w in title_for(
            "So the idea. Robot hand solving the cube, that is the demo we want for the open day").split()[1:]]
