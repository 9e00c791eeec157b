"""Two-level theme tree (issue 11): Musings' leaves and top themes against BERTopic, same texts and vectors.

Run: .venv/bin/python bench/bench_tree.py [topics_dir] [--seeds 0 1 2] [--flat] [--bertopic-min-topic-size N]
Libraries are bench/memo_sets.py's; their vectors are cached in bench/results/. The BERTopic baseline is
bench/results/bertopic_tree.json, written by bench/bertopic_tree.py in BERTopic's own environment: when it
is missing or stale (other texts, seeds or script), this script runs it through $BERTOPIC_PYTHON
(default /work/btv/bin/python; how to make that environment is in bertopic_tree.py's docstring).
BERTopic's default min_topic_size (10) keeps it from any topic under 10 memos, smaller than most fine labels
here; --bertopic-min-topic-size N takes BERTopic with min_topic_size=N (bertopic_tree_mts{N}.json, made the
same way) as the baseline instead, a fairer one for leaves. The table header names the setting used.
Leaves are scored against the fine label (intent), top themes against the coarse label (domain, scenario);
BERTopic's flat topics against both, and its topic hierarchy cut into the true number of coarse groups
against the coarse label. Unsorted (-1) and BERTopic's outliers count as one more label. Per-seed figures
go to bench/results/tree.json (tree_flat.json with --flat). Musings is organize.themes.build_theme_tree
(or organize.tree's); without it, or with --flat, the flat build_themes stands in, each theme leaf and top.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

import numpy as np
from sklearn.metrics import adjusted_rand_score as ari, normalized_mutual_info_score as nmi

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]
import memo_sets  # noqa: E402
from organize import themes  # noqa: E402

RESULTS = BENCH / "results"
BASELINE_SCRIPT = BENCH / "bertopic_tree.py"
DEFAULT_TOPICS = Path("/work/shared/data/topics")
GENERIC = {"people", "thing", "things", "time", "way", "kind", "really", "stuff", "lot", "something", "anything"}


def _tree_builder():
    """organize.themes.build_theme_tree (or organize.tree's), else None."""
    for module in ("organize.themes", "organize.tree"):
        try:
            builder = getattr(importlib.import_module(module), "build_theme_tree", None)
        except ImportError as error:
            print(f"{module}: {error}")
            continue
        if builder:
            return builder
    return None


def build_tree(builder, vectors: np.ndarray, texts: list[str], seed: int):
    if builder:
        return builder(vectors, texts, seed=seed)
    model = themes.build_themes(vectors, texts, seed=seed)  # until the tree exists: each theme is leaf and top
    return SimpleNamespace(labels=model.labels, themes=[
        SimpleNamespace(theme_key=t.theme_key, parent_key=None, name=t.name, member_indices=t.member_indices)
        for t in model.themes])


def top_labels(tree) -> np.ndarray:
    parent = {t.theme_key: t.parent_key for t in tree.themes}

    def top(key):
        seen = set()
        while parent.get(key) is not None and key not in seen:
            seen.add(key)
            key = parent[key]
        return key

    return np.array([top(int(k)) if k >= 0 else -1 for k in tree.labels])


def shape(labels: np.ndarray) -> tuple[int, float, float]:
    """Groups (-1 excluded), largest group's share %, share of -1 %."""
    counts = Counter(labels[labels >= 0].tolist())
    return len(counts), 100 * max(counts.values(), default=0) / len(labels), 100 * float(np.mean(labels == -1))


def name_issues(tree) -> tuple[list[str], list[str]]:
    generic = [t.name for t in tree.themes if GENERIC & set(re.findall(r"[a-z']+", t.name.lower()))]
    siblings = Counter((t.parent_key, t.name.strip().lower()) for t in tree.themes)
    return generic, [f"{name!r} x{n} under {parent}" for (parent, name), n in siblings.items() if n > 1]


def musings(builder, library, vectors: np.ndarray, seed: int) -> dict:
    start = time.perf_counter()
    tree = build_tree(builder, vectors, library.texts, seed)
    seconds = time.perf_counter() - start
    leaf, top = np.asarray(tree.labels), top_labels(tree)
    leaves, largest, unsorted = shape(leaf)
    run = {"leaf_ari": ari(library.fine, leaf), "leaf_nmi": nmi(library.fine, leaf), "leaves": leaves,
           "tops": shape(top)[0], "largest": largest, "unsorted": unsorted, "seconds": seconds}
    if library.coarse:
        run |= {"top_ari": ari(library.coarse, top), "top_nmi": nmi(library.coarse, top)}
    run["generic"], run["duplicates"] = name_issues(tree)
    return run


def bertopic(library, run: dict) -> dict:
    labels = np.asarray(run["labels"])
    topics, largest, outliers = shape(labels)
    scored = {"leaf_ari": ari(library.fine, labels), "leaf_nmi": nmi(library.fine, labels), "leaves": topics,
              "largest": largest, "unsorted": outliers, "seconds": run["fit_seconds"]}
    if library.coarse and "cut_labels" in run:
        cut = np.asarray(run["cut_labels"])
        scored |= {"flat_top_ari": ari(library.coarse, labels), "flat_top_nmi": nmi(library.coarse, labels),
                   "cut_ari": ari(library.coarse, cut), "cut_nmi": nmi(library.coarse, cut), "tops": shape(cut)[0]}
        scored["top_ari"], scored["top_nmi"] = (max(scored["flat_top_ari"], scored["cut_ari"]),
                                                max(scored["flat_top_nmi"], scored["cut_nmi"]))
    return scored


def median(runs: list[dict]) -> dict:
    keys = [k for k in runs[0] if isinstance(runs[0][k], (int, float)) and all(k in r for r in runs)]
    return {k: float(np.median([r[k] for r in runs])) for k in keys}


def baseline(topics: Path, seeds: list[int], libraries, min_topic_size: int | None = None) -> dict | None:
    """bertopic_tree.json (bertopic_tree_mts{N}.json for min_topic_size N), (re)made through $BERTOPIC_PYTHON
    when missing or stale; None if it cannot be."""
    path = RESULTS / (f"bertopic_tree_mts{min_topic_size}.json" if min_topic_size else "bertopic_tree.json")
    option = ["--min-topic-size", str(min_topic_size)] if min_topic_size else []

    def usable(data):
        return (data.get("script") == hashlib.sha256(BASELINE_SCRIPT.read_bytes()).hexdigest()[:12]
                and data.get("min_topic_size") == min_topic_size
                and set(seeds) <= set(data["seeds"])
                and all(data["libraries"].get(lib.name, {}).get("digest")
                        == hashlib.sha256("\n".join(lib.texts).encode()).hexdigest()[:12] for lib in libraries))

    data = json.loads(path.read_text()) if path.exists() else {}
    if data and usable(data):
        return data
    python = os.environ.get("BERTOPIC_PYTHON", "/work/btv/bin/python")
    state = "stale" if data else "missing"
    if not Path(python).exists():
        print(f"BERTopic baseline {state} and no {python}: see bench/bertopic_tree.py; Musings only.\n")
        return None
    print(f"BERTopic baseline {state}: running {' '.join(['bertopic_tree.py', *option])} with {python}", flush=True)
    start = time.perf_counter()
    done = subprocess.run([python, str(BASELINE_SCRIPT), str(topics), "--seeds", *map(str, seeds), *option])
    if done.returncode or not path.exists():
        print(f"bertopic_tree.py failed (exit {done.returncode}); Musings only.\n")
        return None
    print(f"BERTopic baseline made in {time.perf_counter() - start:.0f} s\n")
    return json.loads(path.read_text())


def tiled_10k(libraries) -> tuple[np.ndarray, list[str]]:
    """clinc150 + banking77 memos tiled to 10,000 with small seeded noise on the repeats."""
    base = [lib for lib in libraries if lib.name in ("clinc150", "banking77")]
    vectors = np.vstack([memo_sets.embeddings(lib) for lib in base]).astype(np.float32)
    texts = [t for lib in base for t in lib.texts]
    rng = np.random.default_rng(0)
    extra = rng.choice(len(vectors), 10_000 - len(vectors))
    noisy = vectors[extra] + rng.normal(0, 0.02, (len(extra), vectors.shape[1])).astype(np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    order = rng.permutation(10_000)
    all_texts = texts + [texts[i] for i in extra]
    return np.vstack([vectors, noisy])[order], [all_texts[i] for i in order]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("topics", nargs="?", type=Path, default=DEFAULT_TOPICS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--flat", action="store_true", help="score the flat build_themes (each theme leaf and top)")
    parser.add_argument("--bertopic-min-topic-size", type=int, metavar="N",
                        help="baseline: BERTopic with min_topic_size=N (default: its own, 10)")
    args = parser.parse_args()
    mts = args.bertopic_min_topic_size
    setting = f"min_topic_size={mts}" if mts else "default min_topic_size=10"
    builder = None if args.flat else _tree_builder()
    libraries = memo_sets.memo_sets(args.topics)
    base = baseline(args.topics, args.seeds, libraries, mts)
    print(f"Musings: {builder.__module__}.build_theme_tree\n" if builder else
          "Musings: flat organize.themes.build_themes (each theme leaf and top)\n")

    rows, saved = [], {}
    for lib in libraries:
        vectors = memo_sets.embeddings(lib)
        ours = [musings(builder, lib, vectors, seed) for seed in args.seeds]
        runs = [r for r in (base["libraries"][lib.name]["runs"] if base else []) if r["seed"] in args.seeds]
        theirs = [bertopic(lib, r) for r in runs if "labels" in r]
        failures = [f"seed {r['seed']}: {r['error']}" for r in runs if "error" in r]
        rows.append((lib, median(ours), median(theirs) if theirs else None, ours, failures))
        saved[lib.name] = {"musings": ours, "bertopic": theirs, "bertopic_failures": failures}
        print(f"{lib.name}: done", file=sys.stderr, flush=True)

    pair = lambda m, b, k, f="{:.3f}": (f"{f.format(m[k])} / {f.format(b[k])}" if b and k in b else
                                        f.format(m[k]) if k in m else "-")
    ratio = lambda m, b, k: f"{m[k] / b[k]:.2f}" if b and k in b and k in m and b[k] else "-"
    print(f"Musings / BERTopic ({setting}), medians over seeds {args.seeds}. BERTopic top = the better (per metric) "
          "of its flat topics and its hierarchy cut into the true number of coarse groups.\n")
    print("| library | n | leaf NMI | M/B | leaf ARI | M/B | top NMI | M/B | top ARI | M/B | leaves | tops "
          "| largest leaf % | Unsorted % | build s |")
    print("|---" * 15 + "|")
    for lib, m, b, _, _ in rows:
        print(f"| {lib.name} | {len(lib.texts)} | {pair(m, b, 'leaf_nmi')} | {ratio(m, b, 'leaf_nmi')} "
              f"| {pair(m, b, 'leaf_ari')} | {ratio(m, b, 'leaf_ari')} | {pair(m, b, 'top_nmi')} "
              f"| {ratio(m, b, 'top_nmi')} | {pair(m, b, 'top_ari')} | {ratio(m, b, 'top_ari')} "
              f"| {pair(m, b, 'leaves', '{:.0f}')} | {pair(m, b, 'tops', '{:.0f}')} "
              f"| {pair(m, b, 'largest', '{:.1f}')} "
              f"| {pair(m, b, 'unsorted', '{:.1f}')} | {pair(m, b, 'seconds', '{:.2f}')} |")
    per_label = ", ".join(f"{lib.name} {np.median(list(Counter(lib.fine).values())):.0f}" for lib, *_ in rows)
    print(f"\nMemos per fine label (median): {per_label}. BERTopic's min_topic_size is {mts or 10} here: a "
          "smaller fine label cannot be one of its topics.")

    if base:
        print(f"\nBERTopic {base['versions']['bertopic']} ({setting}) alone (ARI / NMI; flat = its topics, "
              "cut = hierarchy cut into the true number of coarse groups)\n")
        print("| library | topics | outliers % | largest % | flat vs fine | flat vs coarse | cut vs coarse "
              "| fit s | failed seeds |")
        print("|---" * 9 + "|")
        for lib, _, b, _, failures in rows:
            if b is None:
                print(f"| {lib.name} | - | - | - | - | - | - | - | {'; '.join(failures)} |")
                continue
            two = lambda a, n: f"{b[a]:.3f} / {b[n]:.3f}" if a in b else "-"
            print(f"| {lib.name} | {b['leaves']:.0f} | {b['unsorted']:.1f} | {b['largest']:.1f} "
                  f"| {two('leaf_ari', 'leaf_nmi')} | {two('flat_top_ari', 'flat_top_nmi')} "
                  f"| {two('cut_ari', 'cut_nmi')} | {b['seconds']:.2f} | {'; '.join(failures) or '-'} |")

    print("\nTheme names (all seeds): generic words, siblings sharing a name")
    for lib, _, _, ours, _ in rows:
        generic = sorted({f"{n!r}" for r in ours for n in r["generic"]})
        duplicates = sorted({d for r in ours for d in r["duplicates"]})
        print(f"  {lib.name}: generic {sum(len(r['generic']) for r in ours)}{': ' * bool(generic)}"
              f"{', '.join(generic)}; duplicate siblings {sum(len(r['duplicates']) for r in ours)}"
              f"{': ' * bool(duplicates)}{', '.join(duplicates)}")

    print("\nTargets: beats BERTopic at both levels (NMI and ARI), largest leaf <= 20% (>= 100 memos), "
          "Unsorted <= 5%")
    met = 0
    for lib, m, b, _, _ in rows:
        levels = ["leaf"] + (["top"] if lib.coarse else [])
        beats = [None if not b or f"{lv}_nmi" not in b
                 else all(m[f"{lv}_{k}"] > b[f"{lv}_{k}"] for k in ("nmi", "ari")) for lv in levels]
        checks = {"beats BERTopic": None if None in beats else all(beats),
                  "largest leaf": m["largest"] <= 20 if len(lib.texts) >= 100 else None,
                  "Unsorted": m["unsorted"] <= 5}
        met += all(v is not False for v in checks.values())
        text = lambda v: "n/a" if v is None else "yes" if v else "NO"
        print(f"  {lib.name}: " + ", ".join(f"{k} {text(v)}" for k, v in checks.items())
              + (f" (leaf {text(beats[0])}" + (f", top {text(beats[1])})" if lib.coarse else ")") if b else ""))
    print(f"  all targets met on {met} of {len(rows)} libraries" + ("" if base else " (BERTopic not checked)"))

    vectors, texts = tiled_10k(libraries)
    start, cpu = time.perf_counter(), time.process_time()
    tree = build_tree(builder, vectors, texts, 0)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    leaves, largest, unsorted = shape(np.asarray(tree.labels))
    print(f"\n10,000 memos (clinc150 + banking77 tiled with noise): build {seconds:.2f} s (target <= 10 s; "
          f"CPU {cpu:.1f} s, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), {leaves} leaves, "
          f"{shape(top_labels(tree))[0]} tops, largest {largest:.1f}%, Unsorted {unsorted:.1f}%")
    saved["10k"] = {"seconds": seconds, "leaves": leaves, "largest": largest, "unsorted": unsorted}
    out = RESULTS / ("tree_flat.json" if args.flat else "tree.json")
    out.write_text(json.dumps({"seeds": args.seeds, "bertopic_min_topic_size": mts, "libraries": saved},
                              indent=1))


if __name__ == "__main__":
    main()
