import numpy as np
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from organize.themes import UNSORTED, build_themes, match_themes, place
from organize.vocabulary import SPEECH_FILLERS, is_junk

# Measured on these exact samples when the thresholds were set (see bench/bench_themes.py):
# hwu64 150-sample ARI 0.40 / NMI 0.67; clinc150 domains ARI 0.27 / NMI 0.52 (Louvain).
# Layout + HDBSCAN (seeds 0-4): 150-sample ARI 0.40-0.55 / NMI 0.64-0.70; clinc ARI 0.23-0.25 / NMI 0.56-0.57.


def test_same_input_same_themes(hwu_sample):
    texts, _, vectors = hwu_sample
    first, second = build_themes(vectors, texts, seed=0), build_themes(vectors, texts, seed=0)
    assert np.array_equal(first.labels, second.labels)
    assert [t.name for t in first.themes] == [t.name for t in second.themes]


def test_small_library_is_sorted_into_real_topics(hwu_sample):
    texts, scenarios, vectors = hwu_sample
    model = build_themes(vectors, texts)
    assert adjusted_rand_score(scenarios, model.labels) >= 0.30
    assert normalized_mutual_info_score(scenarios, model.labels) >= 0.58
    assert 6 <= len(model.themes) <= 30
    assert np.mean(model.labels == UNSORTED) <= 0.05


def test_larger_library_finds_domains(clinc_set):
    texts, domains, vectors = clinc_set
    model = build_themes(vectors, texts)
    assert adjusted_rand_score(domains, model.labels) >= 0.22
    assert normalized_mutual_info_score(domains, model.labels) >= 0.47
    assert np.mean(model.labels == UNSORTED) <= 0.05


def test_junk_memos_stay_unsorted(embedder, hwu_sample):
    texts, _, vectors = hwu_sample
    junk = ["uh", "", "test test", "um yeah okay so"]
    all_texts = texts + junk
    all_vectors = np.vstack([vectors, embedder.embed(junk)])
    excluded = np.zeros(len(all_texts), dtype=bool)
    excluded[0] = True
    model = build_themes(all_vectors, all_texts, exclude=excluded)
    assert (model.labels[-len(junk):] == UNSORTED).all()
    assert model.labels[0] == UNSORTED
    assert all(0 not in t.member_indices for t in model.themes)


def test_junk_is_what_has_no_topic():
    for text in ["", "uh", "test test", "Hello? Testing, one two three.", "um yeah okay so", "11 12", "you"]:
        assert is_junk(text), text
    # One word with a topic is a voice note; scikit-learn's stop list would have dropped "fire" and "bill".
    for text in ["groceries", "pay the bill", "fire the system", "blood test results", "call mum"]:
        assert not is_junk(text), text


def test_theme_names_are_short_and_free_of_fillers(hwu_sample):
    texts, _, vectors = hwu_sample
    for theme in build_themes(vectors, texts).themes:
        words = theme.name.split()
        assert 2 <= len(words) <= 4, theme.name
        assert len(set(words)) == len(words), theme.name
        assert not set(words) & SPEECH_FILLERS, theme.name


def test_new_memo_is_placed_in_the_matching_theme(embedder, hwu_sample):
    texts, _, vectors = hwu_sample
    model = build_themes(vectors, texts)
    alarm_theme = next(t for t in model.themes if "alarm" in t.name.lower())
    new = embedder.embed(["please set an alarm to wake me at six thirty"])[0]
    row = place(new, model.centroids)
    assert row is not None and model.themes[row].theme_key == alarm_theme.theme_key
    assert place(new, model.centroids, min_similarity=0.99) is None


def test_match_themes_keeps_ids_when_clusters_are_reordered(hwu_sample):
    texts, _, vectors = hwu_sample
    old = build_themes(vectors, texts).centroids
    order = np.random.default_rng(1).permutation(len(old))
    assert match_themes(old, old[order]) == {new: int(o) for new, o in enumerate(order)}


def test_reclustering_keeps_keys_and_names(hwu_sample):
    texts, _, vectors = hwu_sample
    first = build_themes(vectors, texts)
    renamed = [type(t)(t.theme_key + 100, t.centroid, t.member_indices, f"my {t.name}")
               for t in first.themes]
    again = build_themes(vectors, texts, seed=0, previous=renamed)
    assert {t.theme_key for t in again.themes} == {t.theme_key for t in renamed}
    assert {t.name for t in again.themes} == {t.name for t in renamed}


def test_pinned_corrections_and_merges_survive_reclustering(hwu_sample):
    texts, _, vectors = hwu_sample
    first = build_themes(vectors, texts)
    a, b = first.themes[0], first.themes[1]
    moved = a.member_indices[0]
    # The user moves one memo into theme b, and merges all of a into b.
    pinned = {i: b.theme_key for i in a.member_indices + b.member_indices}
    pinned[moved] = b.theme_key
    again = build_themes(vectors, texts, previous=first.themes, pinned=pinned)
    assert again.labels[moved] == b.theme_key
    assert all(again.labels[i] == b.theme_key for i in a.member_indices + b.member_indices)
    assert a.theme_key not in again.keys
    # A memo pinned to a theme the user created by hand keeps it.
    custom = build_themes(vectors, texts, pinned={5: 999})
    assert custom.labels[5] == 999 and 999 in custom.keys


def test_a_big_library_is_clustered_on_a_sample_and_the_rest_join_by_vote(clinc_set, monkeypatch):
    """Above LAYOUT_SAMPLE memos the layout runs on a sample (20,000 memos: 48.7 s -> 13.7 s, bench_scale.py);
    shrunk here so that clinc's 750 memos take that path: the domains are found about as well as unsampled."""
    from organize import clustering
    texts, domains, vectors = clinc_set
    full = clustering.DensityClusterer(seed=0).fit(vectors).labels_
    monkeypatch.setattr(clustering, "LAYOUT_SAMPLE", 500)
    sampled = clustering.DensityClusterer(seed=0).fit(vectors).labels_
    assert len(sampled) == len(vectors) and (sampled >= 0).all()
    assert normalized_mutual_info_score(domains, sampled) >= normalized_mutual_info_score(domains, full) - 0.05
    assert normalized_mutual_info_score(full, sampled) >= 0.7
