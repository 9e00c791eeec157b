"""The stored related lists (storage.related, kept by Organizer.related_lists) stay equal to computing every
memo's nearest memos afresh, as memos arrive and leave; the export reads them and makes again only the notes
whose inputs changed."""
from __future__ import annotations

import json
import random

import pytest

from app.core import Musings
from app.export import INDEX_STEM, THEME_PREFIX
from app.organizer import RELATED_MIN_SCORE, RELATED_PER_MEMO, Organizer
from organize import related as related_memos
from organize.embeddings import MODEL_NAME, Embedder
from storage import themes as org
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import DATA


def memo_texts(count: int, seed: int) -> list[str]:
    lines = [json.loads(line)["text"] for line in (DATA / "topics" / "clinc150" / "clinc150_test.jsonl").open()]
    pick = random.Random(seed)
    # memos about a few related things (a person's interests), so that lists hold close memos
    lines = [line for line in lines if any(w in line for w in ("credit", "card", "bank", "transfer"))]
    return [" ".join(pick.sample(lines, 3)) for _ in range(count)]


def afresh(db) -> dict[int, list[int]]:
    """Every memo's related memos computed from scratch (the reference)."""
    ids, vectors = org.load_embeddings(db, MODEL_NAME)
    return {memo_id: [ids[i] for i, _ in related_memos.related(vectors, row, k=RELATED_PER_MEMO)]
            for row, memo_id in enumerate(ids)}


def stored(db) -> dict[int, list[int]]:
    return {memo_id: [other for other, _ in found] for memo_id, found in Organizer(db).related_lists().items()}


@pytest.fixture(scope="module")
def embedder():
    return Embedder()


def test_the_stored_lists_follow_memos_arriving_and_leaving(tmp_path, embedder):
    db = open_database(tmp_path)
    add_transcribed(db, memo_texts(40, seed=1))
    organizer = Organizer(db, embedder)
    organizer.organize_new()  # embeds, and keeps every list
    assert db["related"].count == 40 * RELATED_PER_MEMO
    assert stored(db) == afresh(db)

    add_transcribed(db, memo_texts(15, seed=2), start=40)  # new memos join the lists they now top
    organizer.organize_new()
    assert stored(db) == afresh(db)
    assert any(other > 40 for memo_id, found in stored(db).items() if memo_id <= 40 for other in found)

    Musings(tmp_path).delete([3, 17, 44])  # trashed memos leave every list, and the lists are filled again
    after = stored(db)
    assert not {3, 17, 44} & (set(after) | {o for found in after.values() for o in found})
    assert after == afresh(db)


def test_an_export_makes_again_only_the_notes_whose_inputs_changed(tmp_path, embedder):
    data_dir, vault = tmp_path / "data", tmp_path / "vault"
    db = open_database(data_dir)
    add_transcribed(db, memo_texts(30, seed=3))
    Organizer(db, embedder).organize_new()
    library = Musings(data_dir)
    first = library.export(vault)
    assert first.written and library.export(vault).written == []  # nothing changed: nothing written

    linking = {memo_id for memo_id, found in Organizer(db).related_lists().items()  # the notes that link to 7
               if any(other == 7 and score >= RELATED_MIN_SCORE for other, score in found)}
    assert linking
    library.set_title(7, "The plumber on Tuesday")
    written = {path.name for path in library.export(vault).written}
    memo_notes = {name for name in written if not name.startswith((THEME_PREFIX, INDEX_STEM))}
    # memo 7's own note and those whose Related section names it, no other memo note
    assert "The plumber on Tuesday.md" in memo_notes and len(memo_notes) == 1 + len(linking)
    assert all("[[The plumber on Tuesday]]" in (vault / name).read_text()
               for name in memo_notes - {"The plumber on Tuesday.md"})
