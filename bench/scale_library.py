"""Libraries of 1,000 and 20,000 memos built with the app's own functions, for bench_scale.py.

The texts are memo-like texts from the public intent sets (bench/memo_sets.py, several seeds joined until
there are enough: ten years of one person's daily memos are 20,000), dated evenly over ten years, stored
through storage/, titled and embedded as an import does, and clustered by the app's own rebuild. Built
once per size and copied for each run (`library(size)`), so a run never measures the building.

    .venv/bin/python bench/scale_library.py 20000      # build (or reuse) and print where it is
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CACHE = Path.home() / ".cache" / "musings-bench"
TOPICS = next((p for p in (ROOT.parent / "shared" / "data" / "topics", Path("/work/shared/data/topics"))
               if (p / "banking77").is_dir()), None)
YEARS = 10
BUILD = "3"  # what `done` holds: a cached library built by an older recipe (1: no to-dos, 2: no ideas) is built again


def texts(count: int) -> list[str]:
    from memo_sets import memo_sets

    if TOPICS is None:
        raise SystemExit("bench/scale_library.py needs the public topic sets (../shared/data/topics)")
    pool: list[str] = []
    seed = 0
    while len(pool) < count:
        for library in memo_sets(TOPICS, seed, domains=False):
            pool.extend(library.texts)
        seed += 1
    return pool[:count]


def build(folder: Path, count: int) -> Path:
    import numpy as np

    from app.organizer import Organizer
    from organize.embeddings import MODEL_NAME, Embedder
    from organize.titles import title_for
    from storage import memos as store
    from storage import themes as org
    from storage.db import open_database

    memo_texts = texts(count)
    vectors_file = CACHE / f"vectors-{count}.npy"
    if vectors_file.exists():
        vectors = np.load(vectors_file)
    else:
        started = time.perf_counter()
        vectors = Embedder().embed(memo_texts)
        print(f"embedded {count} memos in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(vectors_file, vectors)
    db = open_database(folder)
    # Each memo's audio: one small real recording, hard-linked (the export copies it into the vault).
    clip = min((p for p in (ROOT / "tests" / "data" / "speech").rglob("*") if p.suffix in {".ogg", ".opus"}),
               key=lambda p: p.stat().st_size)
    (folder / "library").mkdir(parents=True, exist_ok=True)
    first = dt.datetime(2016, 12, 1, 7, 0, tzinfo=dt.timezone.utc)
    step = dt.timedelta(days=365.25 * YEARS) / count
    ids = []
    with db.atomic():
        for n, text in enumerate(memo_texts):
            when = (first + n * step).isoformat(timespec="seconds")
            memo_id = store.add_memo(db, store.NewMemo(f"scale-{n}", f"memo-{n}.ogg", f"/recorder/memo-{n}.ogg",
                                                       f"library/scale-{n}.ogg", when, "metadata",
                                                       20.0 + len(text.split()) / 2.5))
            words = len(text.split())
            store.save_transcript(db, memo_id, [store.StoredSegment(0.0, words / 2.5, text, -0.3, 0.02)],
                                  language="en", model="tiny.en")
            org.set_title(db, memo_id, title_for(text), by_user=False)
            ids.append(memo_id)
            (folder / "library" / f"scale-{n}.ogg").hardlink_to(clip)
    org.save_embeddings(db, MODEL_NAME, dict(zip(ids, vectors)))
    Organizer(db, None).recluster()
    from app import todos as spoken

    spoken.refresh(db)  # as an import does: the to-dos the memos speak of, read once
    from app import ideas
    from organize.embeddings import Embedder

    ideas.refresh(db, Embedder().embed)  # and the ideas each memo holds
    db.conn.close()
    return folder


def library(count: int, into: Path) -> Path:
    """A fresh copy of the `count`-memo library at `into` (built into the cache the first time)."""
    built = CACHE / f"library-{count}"
    done = built / "done"
    if not done.exists() or done.read_text() != BUILD:
        shutil.rmtree(built, ignore_errors=True)
        started = time.perf_counter()
        build(built, count)
        done.write_text(BUILD)
        print(f"built the {count}-memo library in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    shutil.rmtree(into, ignore_errors=True)
    def link_audio(source, target):  # the audio is only read: linked; the database is copied
        return os.link(source, target) if source.endswith(".ogg") else shutil.copy2(source, target)

    shutil.copytree(built, into, ignore=shutil.ignore_patterns("done"), copy_function=link_audio)
    return into


if __name__ == "__main__":
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    print(library(size, Path("/tmp") / f"musings-scale-{size}"))
