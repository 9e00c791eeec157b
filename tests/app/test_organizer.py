"""Themes, titles, related memos and hybrid search over a real database with real embeddings."""
from __future__ import annotations

import json

import numpy as np
import pytest

from app.organizer import Organizer
from organize.embeddings import Embedder
from organize.titles import UNTITLED
from storage import memos as store
from storage import themes as org
from storage.db import open_database
from tests.conftest import DATA, run_musings


def read_hwu() -> list[dict]:
    with open(DATA / "topics/hwu64/hwu64_kfold1_test.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


@pytest.fixture(scope="module")
def embedder() -> Embedder:
    return Embedder()


def add_transcribed(db, texts: list[str], start: int = 0) -> list[int]:
    """Memos as the importer leaves them: transcribed, not yet organised."""
    ids = []
    for n, text in enumerate(texts, start):
        memo_id = store.add_memo(db, store.NewMemo(f"h{n}", f"m{n}.ogg", f"/in/m{n}.ogg", f"library/h{n}.ogg",
                                                   f"2026-01-{1 + n % 28:02d}T08:00:00+00:00", "mtime", 4.0))
        store.save_transcript(db, memo_id, [store.StoredSegment(0, 4, text, -0.2, 0.01)], language="en", model="t")
        ids.append(memo_id)
    return ids


@pytest.fixture(scope="module")
def sample():
    rows = read_hwu()
    pick = np.random.default_rng(7).choice(len(rows), 160, replace=False)
    return [rows[i] for i in pick]


def assignment(db) -> dict[int, int | None]:
    return {memo_id: p.theme_id for memo_id, p in org.placements(db).items()}


def test_themes_are_found_named_and_stable(tmp_path, embedder, sample):
    db = open_database(tmp_path)
    add_transcribed(db, [r["text"] for r in sample[:140]])
    organizer = Organizer(db, embedder)
    assert organizer.organize_new() == 140
    themes = org.list_themes(db)
    assert 5 <= len(themes) <= 40
    assert all(2 <= len(t.name.split()) <= 4 for t in themes)
    assert len(org.memos_of_theme(db, None)) <= 0.05 * 140
    first = assignment(db)
    organizer.recluster()  # the same memos give the same themes
    assert assignment(db) == first
    # New memos join existing themes at once; old ones do not move.
    new_ids = add_transcribed(db, [r["text"] for r in sample[140:]], start=140)
    organizer.organize_new()
    after = assignment(db)
    assert {k: after[k] for k in first} == first
    assert sum(after[i] is not None for i in new_ids) >= 0.6 * len(new_ids)
    # A full re-clustering keeps most memos where they were (ids mapped onto the old themes).
    organizer.recluster()
    stayed = sum(assignment(db)[k] == v for k, v in first.items())
    print(f"{stayed}/{len(first)} memos kept their theme through a full re-clustering")
    # Measured 2026-12-02 on one machine: 96-97 of 140 with torch's native AVX kernels, 111-113 with
    # ATEN_CPU_CAPABILITY=default (119-120 in an earlier CI). Most movers are a big theme split into
    # finer ones at 160 memos, not scattered memos; the theme tree (issue 11) is to make this robust.
    assert stayed >= 0.65 * len(first)


def test_junk_that_arrives_later_stays_unsorted_and_calls_for_no_reclustering(tmp_path, embedder, sample):
    db = open_database(tmp_path)
    add_transcribed(db, [r["text"] for r in sample[:60]])
    organizer = Organizer(db, embedder)
    organizer.organize_new()
    themes_before = org.list_themes(db)
    # A night of accidental recordings: more junk than the Unsorted share that triggers a re-clustering.
    junk = ["uh", "um yeah okay so", "test test", "hello hello testing", "you", "thank you", "so um",
            "yeah", "okay okay", "hmm right"] * 2
    junk_ids = add_transcribed(db, junk, start=60)
    organizer.organize_new()
    assert all(org.placements(db)[i].theme_id is None for i in junk_ids)
    assert [t.id for t in org.list_themes(db)] == [t.id for t in themes_before]
    assert not organizer._reclustering_due()


def test_user_corrections_survive_reclustering(tmp_path, embedder, sample):
    db = open_database(tmp_path)
    ids = add_transcribed(db, [r["text"] for r in sample])
    organizer = Organizer(db, embedder)
    organizer.organize_new()
    themes = org.list_themes(db)
    big, second, third = themes[0], themes[1], themes[2]
    org.rename_theme(db, big.id, "My big theme")
    org.merge_themes(db, third.id, second.id)
    moved = org.memos_of_theme(db, big.id)[0]
    org.place_memo(db, moved, second.id, by_user=True)
    org.set_title(db, ids[0], "My own title", by_user=True)
    merged_members = set(org.memos_of_theme(db, second.id))
    organizer.recluster()
    names = {t.id: t.name for t in org.list_themes(db)}
    assert names[big.id] == "My big theme"
    assert third.id not in names
    assert merged_members <= set(org.memos_of_theme(db, second.id))
    assert org.placements(db)[moved].theme_id == second.id
    # Re-embedding (as after a model change) never overwrites a title the user wrote.
    db.execute("DELETE FROM embeddings")
    organizer.organize_new()
    assert store.get_memo(db, ids[0]).title == "My own title"


def test_related_flags_near_duplicates_and_search_finds_meaning(tmp_path, embedder):
    db = open_database(tmp_path)
    texts = ["remind me to buy a new bike helmet before the weekend ride",
             "I need to get a new helmet for my bike before Saturday's ride",
             "the robot arm needs a stronger gripper for picking up cups",
             "idea for the garden: plant tomatoes along the south fence",
             "set an alarm for six thirty tomorrow morning"]
    ids = add_transcribed(db, texts)
    organizer = Organizer(db, embedder)
    organizer.organize_new()
    related = organizer.related(ids[0], k=3)
    assert related[0].memo.id == ids[1] and related[0].near_duplicate
    assert not any(r.near_duplicate for r in related[1:])
    assert all(store.get_memo(db, i).title not in (None, "", UNTITLED) for i in ids)  # all have speech
    # No shared word with the memo: found by meaning only; keyword mode finds nothing.
    semantic = organizer.search("vegetable patch", mode="semantic")
    assert semantic[0].memo.id == ids[3]
    assert organizer.search("vegetable patch", mode="keyword") == []
    hybrid = organizer.search("gripper")
    assert hybrid[0].memo.id == ids[2] and hybrid[0].matched_by == "both"


def test_related_search_and_export_commands_work_with_the_network_blocked(tmp_path, embedder, offline):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    texts = ["remind me to buy a new bike helmet before the weekend ride",
             "I need to get a new helmet for my bike before Saturday's ride",
             "the robot arm needs a stronger gripper for picking up cups",
             "idea for the garden: plant tomatoes along the south fence",
             "set an alarm for six thirty tomorrow morning",
             "the gripper on the robot arm slips when the cup is wet"]
    ids = add_transcribed(db, texts)
    for memo_id in ids:  # the audio the export copies
        (data_dir / store.get_memo(db, memo_id).library_path).parent.mkdir(parents=True, exist_ok=True)
        (data_dir / store.get_memo(db, memo_id).library_path).write_bytes(b"OggS" + bytes(memo_id))
    Organizer(db, embedder).organize_new()

    def musings(*args: str) -> str:
        return run_musings(*args, data_dir=data_dir, check=True, **offline.run_options).stdout

    related = json.loads(musings("related", str(ids[0]), "--json"))
    assert related[0]["memo_id"] == ids[1] and related[0]["near_duplicate"]
    assert [r["score"] for r in related] == sorted((r["score"] for r in related), reverse=True)
    meaning = json.loads(musings("search", "vegetable patch", "--semantic", "--json"))
    assert meaning[0]["memo_id"] == ids[3] and meaning[0]["matched_by"] == "semantic"
    assert json.loads(musings("search", "vegetable patch", "--keyword", "--json")) == []
    both = json.loads(musings("search", "gripper", "--json"))
    assert {r["memo_id"] for r in both[:2]} == {ids[2], ids[5]} and both[0]["matched_by"] == "both"

    vault = tmp_path / "vault"
    first = json.loads(musings("export", str(vault), "--json"))
    assert first["written"] >= len(ids) + 1  # a note per memo, per theme, the index
    files = {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()}
    again = json.loads(musings("export", str(vault), "--json"))
    assert again["written"] == 0 and again["removed"] == 0
    assert {p: p.read_bytes() for p in vault.rglob("*") if p.is_file()} == files
    offline.assert_no_attempts()


def test_theme_commands(tmp_path, embedder, sample):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    add_transcribed(db, [r["text"] for r in sample[:60]])
    Organizer(db, embedder).organize_new()
    listed = json.loads(run_musings("themes", "--json", data_dir=data_dir, check=True).stdout)
    first, second = listed["themes"][0], listed["themes"][1]
    run_musings("theme", "rename", str(first["id"]), "Alarms & mornings", data_dir=data_dir, check=True)
    run_musings("theme", "merge", str(second["id"]), str(first["id"]), data_dir=data_dir, check=True)
    run_musings("move", "1", "Ideas to sort later", data_dir=data_dir, check=True)
    after = json.loads(run_musings("themes", "--rebuild", "--json", data_dir=data_dir, check=True).stdout)
    by_id = {t["id"]: t for t in after["themes"]}
    assert by_id[first["id"]]["name"] == "Alarms & mornings"
    assert by_id[first["id"]]["memos"] >= first["memos"] + second["memos"] - 1
    assert second["id"] not in by_id
    assert any(t["name"] == "Ideas to sort later" and t["memos"] >= 1 for t in after["themes"])
    bad = run_musings("theme", "rename", "9999", "x", data_dir=data_dir)
    assert bad.returncode == 1 and "no theme 9999" in bad.stderr


BEEKEEPING = [  # a topic the library has never heard of, said the way one says memos
    "so the bees in the second hive were really calm today, I think the new queen is laying well",
    "note about the hive, I need to add a super before the lime trees flower or they'll swarm",
    "the beekeeping course said to check the brood frames for queen cells every nine days",
    "honey harvest idea, extract the frames in the shed and sell the jars at the market",
    "varroa mites again, maybe try the oxalic acid treatment on the hives in december",
    "the smoker kept going out while I was inspecting the hive, use drier pine needles next time",
]


def test_a_new_topic_gets_its_own_theme_without_waiting_for_a_reclustering(tmp_path, embedder, sample):
    db = open_database(tmp_path)
    add_transcribed(db, [r["text"] for r in sample[:120]])
    organizer = Organizer(db, embedder)
    organizer.organize_new()
    before = {t.id: t.name for t in org.list_themes(db)}
    first = assignment(db)
    # three memos about three unrelated things: no theme is made of them
    stray = add_transcribed(db, ["my grandmother's recipe for plum dumplings with cinnamon sugar",
                                 "the offside rule in football still confuses me",
                                 "a poem about the tide coming in over the mudflats"], start=120)
    organizer.organize_new()
    assert {t.id for t in org.list_themes(db)} == set(before)
    # a new topic, recorded over a few days: a theme of its own, named in its words, once it has enough memos
    bees = add_transcribed(db, BEEKEEPING, start=123)
    assert not organizer._reclustering_due()  # the 15 % rule alone would not give it a theme
    organizer.organize_new()
    after = assignment(db)
    new = {t.id: t for t in org.list_themes(db)} .keys() - before.keys()
    assert len(new) == 1, [t.name for t in org.list_themes(db)]
    theme = org.get_theme(db, new.pop())
    assert sum(after[m] == theme.id for m in bees) >= 5
    assert not any(after[m] == theme.id for m in stray)
    assert {"bee", "bees", "hive", "hives", "honey", "queen", "beekeeping"} & set(theme.name.lower().split()), theme.name
    assert not theme.name_edited  # the app's name: a re-clustering may improve it
    assert {m: after[m] for m in first} == first  # nothing else moved
    assert {t.id: t.name for t in org.list_themes(db) if t.id in before} == before
