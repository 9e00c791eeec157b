"""Placing one new memo into a 10,000-memo library's theme tree (the Organizer's incremental step).

Run: .venv/bin/python bench/bench_place.py
A real SQLite library of 10,000 transcribed memos (bench_tree's clinc150 + banking77 memos tiled with
noise, vectors cached), its tree written by the Organizer's own storage calls; then 20 new memos placed one
at a time through `Organizer._place` (what `organize_new` does after embedding a memo; the embedding itself
is the embedder's cost). Baseline in the same run: the same library with flat themes (`build_themes`).
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import bench_tree  # noqa: E402
import memo_sets  # noqa: E402
from app.organizer import Organizer  # noqa: E402
from organize.embeddings import MODEL_NAME  # noqa: E402
from organize.themes import build_themes, centroid  # noqa: E402
from organize.tree import build_theme_tree  # noqa: E402
from storage import memos as store  # noqa: E402
from storage import themes as org  # noqa: E402
from storage.db import open_database  # noqa: E402


def library(folder: Path, vectors, texts, model) -> tuple:
    db = open_database(folder)
    with db.atomic():
        ids = []
        for n, text in enumerate(texts):
            memo_id = store.add_memo(db, store.NewMemo(f"h{n}", f"m{n}.ogg", f"/in/m{n}.ogg", f"library/h{n}.ogg",
                                                       "2026-01-01T08:00:00+00:00", "mtime", 4.0))
            store.save_transcript(db, memo_id, [store.StoredSegment(0, 4, text, -0.2, 0.01)], language="en", model="t")
            ids.append(memo_id)
    org.save_embeddings(db, MODEL_NAME, dict(zip(ids, vectors)))
    children = {}
    for t in model.themes:
        children.setdefault(t.parent_key, []).append(t.theme_key)
    themes = {t.theme_key: (t.name, t.centroid, t.parent_key) for t in model.themes}
    org.save_themes(db, themes, {i: (None if k < 0 else int(k)) for i, k in zip(ids, model.labels)})
    return db, ids


def main() -> None:
    libraries = memo_sets.memo_sets(Path("/work/shared/data/topics"), domains=False)
    vectors, texts = bench_tree.tiled_10k(libraries)
    old, new = vectors[:-20], vectors[-20:]
    print("| themes | placing one memo: median ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    for label, build in (("flat build_themes (baseline)", build_themes), ("tree build_theme_tree", build_theme_tree)):
        with tempfile.TemporaryDirectory() as folder:
            db, ids = library(Path(folder), old, texts[:-20], build(old, texts[:-20]))
            organizer = Organizer(db, embedder=object())
            new_ids = []
            for n, text in enumerate(texts[-20:], len(ids)):
                memo_id = store.add_memo(db, store.NewMemo(f"h{n}", f"m{n}.ogg", f"/in/m{n}.ogg",
                                                           f"library/h{n}.ogg", "2026-01-02T08:00:00+00:00", "mtime", 4.0))
                store.save_transcript(db, memo_id, [store.StoredSegment(0, 4, text, -0.2, 0.01)], language="en", model="t")
                new_ids.append(memo_id)
            times = []
            for memo_id, vector in zip(new_ids, new):
                start = time.perf_counter()
                organizer._place({memo_id: vector})
                times.append(1000 * (time.perf_counter() - start))
            times.sort()
            print(f"| {label} | {statistics.median(times):.1f} | {times[int(0.95 * (len(times) - 1))]:.1f} | "
                  f"{times[-1]:.1f} |", flush=True)
            db.close()


if __name__ == "__main__":
    main()
