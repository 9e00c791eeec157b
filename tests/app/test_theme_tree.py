"""The theme tree (issue 11) through the real CLI: `themes` shows it, `list` gives each memo its path, `theme nest`
and `theme unnest` change it (and refuse what cannot be), the user's nesting outlives a re-clustering, and the
export writes a note per level with links both ways and nested tags."""
from __future__ import annotations

import json
import os
import sqlite3
import subprocess

import numpy as np
import pytest

from app.export import ExportTheme, theme_tags
from organize.embeddings import MODEL_NAME
from storage import memos as store
from storage import themes as org
from storage.db import open_database
from tests.app.test_export import assert_links_resolve, front_matter, memo_notes
from tests.app.test_organizer import add_transcribed, embedder  # noqa: F401  (fixture)
from tests.conftest import require, run_musings

ROBOTICS, HAND, ARM, GARDEN = 1, 2, 3, 4
TEXTS = {  # memo text -> the theme it is in (its most specific one); None: Unsorted
    "the robot hand needs softer fingertips to hold an egg": HAND,
    "the five fingered robot hand keeps dropping the screwdriver": HAND,
    "the tendons in the robot hand could be nylon fishing line": HAND,
    "the robot arm's shoulder motor overheats after ten minutes": ARM,
    "a counterweight on the robot arm would spare the elbow servo": ARM,
    "ideas for the robotics club meeting on friday": ROBOTICS,  # directly in the broad theme
    "plant tomatoes along the south fence this spring": GARDEN,  # a broad theme without sub-themes
    "the garden needs mulch before the first frost": GARDEN,
    "call mum about the weekend": None,
}
NAMES = {ROBOTICS: ("Robotics", None), HAND: ("Robot hand", ROBOTICS), ARM: ("Robot arm", ROBOTICS),
         GARDEN: ("Garden", None)}


def build_tree(data_dir, embedder) -> tuple[list[int], dict]:  # noqa: F811
    """A real library as a clustering leaves it: transcribed memos, their real embeddings, a two-level tree of
    themes (centroids the mean of their memos' vectors). Returns the memo ids and the themes given to save_themes."""
    db = open_database(data_dir)
    texts = list(TEXTS)
    ids = add_transcribed(db, texts)
    for memo_id in ids:  # the audio the export copies
        audio = data_dir / store.get_memo(db, memo_id).library_path
        audio.parent.mkdir(parents=True, exist_ok=True)
        audio.write_bytes(b"OggS" + bytes([memo_id]))
    vectors = dict(zip(ids, embedder.embed(texts)))
    org.save_embeddings(db, MODEL_NAME, vectors)
    assignments = {memo_id: TEXTS[text] for memo_id, text in zip(ids, texts)}
    themes = {}
    for theme_id, (name, parent) in NAMES.items():
        under = {theme_id} | {sub for sub, (_, parent) in NAMES.items() if parent == theme_id}
        members = [vectors[m] for m, t in assignments.items() if t in under]
        centroid = np.mean(members, axis=0)
        themes[theme_id] = (name, centroid / np.linalg.norm(centroid), parent)
    org.save_themes(db, themes, assignments)
    db.conn.close()
    return ids, themes


@pytest.fixture
def tree(tmp_path, embedder):  # noqa: F811
    data_dir = tmp_path / "data"
    ids, themes = build_tree(data_dir, embedder)
    return data_dir, ids, themes


def themes_json(data_dir) -> dict:
    return json.loads(run_musings("themes", "--json", data_dir=data_dir, check=True).stdout)


def one_line_error(result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("musings: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def test_themes_prints_the_tree_with_counts_and_json_gives_parents(tree):
    data_dir, ids, _ = tree
    run_musings("theme", "rename", str(ARM), "Robot arm\x1b[2J", data_dir=data_dir, check=True)
    shown = run_musings("themes", data_dir=data_dir, check=True).stdout
    assert shown.splitlines() == [
        f"{ROBOTICS:>5}  {6:>5}  Robotics",  # its own memo and its sub-themes' five
        f"{HAND:>5}  {3:>5}    Robot hand",
        f"{ARM:>5}  {2:>5}    Robot arm\\x1b[2J",  # indented beneath its broad theme, the escape shown, not obeyed
        f"{GARDEN:>5}  {2:>5}  Garden",
        f"{'':>5}  {1:>5}  (Unsorted)",  # last
    ]

    listed = themes_json(data_dir)
    assert listed["unsorted"] == 1
    assert [(t["id"], t["name"], t["parent_id"], t["count"], t["memos"], t["renamed"]) for t in listed["themes"]] == [
        (ROBOTICS, "Robotics", None, 6, 1, False),  # `memos`: directly in it; `count`: everything under it
        (HAND, "Robot hand", ROBOTICS, 3, 3, False),
        (ARM, "Robot arm\x1b[2J", ROBOTICS, 2, 2, True),
        (GARDEN, "Garden", None, 2, 2, False),
    ]
    broad = [t for t in listed["themes"] if t["parent_id"] is None]
    assert sum(t["count"] for t in broad) + listed["unsorted"] == len(ids)  # every memo counted once


def test_list_json_gives_each_memo_its_most_specific_theme_and_its_path(tree):
    data_dir, ids, _ = tree
    memos = {m["id"]: m for m in json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)}
    assert set(memos) == set(ids)
    for memo_id, text in zip(ids, TEXTS):
        theme_id = TEXTS[text]
        memo = memos[memo_id]
        assert memo["theme_id"] == theme_id
        # ["Robotics", "Robot hand"], ["Robotics"] for a memo directly in the broad theme, [] for Unsorted
        path = [] if theme_id is None else [NAMES[t][0] for t in (NAMES[theme_id][1], theme_id) if t is not None]
        assert memo["theme_path"] == path
        assert memo["transcript"] == text and memo["status"] == "done"  # the keys it had before stay


def test_nest_and_unnest_change_the_tree_and_say_what_happened(tree):
    data_dir, _, _ = tree
    nested = run_musings("theme", "nest", str(GARDEN), str(ROBOTICS), data_dir=data_dir, check=True)
    assert nested.stdout == f"theme {GARDEN} (Garden) is now a sub-theme of theme {ROBOTICS} (Robotics)\n"
    by_id = {t["id"]: t for t in themes_json(data_dir)["themes"]}
    assert by_id[GARDEN]["parent_id"] == ROBOTICS and by_id[ROBOTICS]["count"] == 8
    assert "    Garden" in run_musings("themes", data_dir=data_dir, check=True).stdout

    unnested = run_musings("theme", "unnest", str(GARDEN), data_dir=data_dir, check=True)
    assert unnested.stdout == f"theme {GARDEN} (Garden) is now a broad theme\n"
    by_id = {t["id"]: t for t in themes_json(data_dir)["themes"]}
    assert by_id[GARDEN]["parent_id"] is None and by_id[ROBOTICS]["count"] == 6
    again = run_musings("theme", "unnest", str(GARDEN), data_dir=data_dir, check=True)
    assert again.stdout == f"theme {GARDEN} (Garden) is already a broad theme\n"


def test_impossible_nestings_are_refused_in_one_line_and_change_nothing(tree):
    data_dir, _, _ = tree
    before = themes_json(data_dir)
    refused = {
        ("nest", HAND, HAND): (1, f"musings: a theme can't be nested in itself (theme {HAND} (Robot hand))"),
        ("nest", GARDEN, HAND): (1, f"musings: theme {HAND} (Robot hand) is itself a sub-theme: themes nest two "
                                    "levels deep"),
        ("nest", ROBOTICS, GARDEN): (1, f"musings: theme {ROBOTICS} (Robotics) has sub-themes of its own: un-nest "
                                        "them first"),
        ("nest", 999, ROBOTICS): (1, "musings: no theme 999"),
        ("nest", GARDEN, 999): (1, "musings: no theme 999"),
        ("unnest", 999): (1, "musings: no theme 999"),
    }
    for command, (code, message) in refused.items():
        result = run_musings("theme", *map(str, command), data_dir=data_dir)
        assert result.returncode == code, (command, result.stderr)
        assert one_line_error(result) == message and result.stdout == "", command
    assert themes_json(data_dir) == before


def test_a_broad_theme_left_with_nothing_goes_and_the_user_is_told(tree):
    data_dir, ids, _ = tree
    own = ids[list(TEXTS.values()).index(ROBOTICS)]
    run_musings("move", str(own), "unsorted", data_dir=data_dir, check=True)  # Robotics keeps only its sub-themes
    first = run_musings("theme", "unnest", str(HAND), data_dir=data_dir, check=True)
    assert first.stdout == f"theme {HAND} (Robot hand) is now a broad theme\n"
    last = run_musings("theme", "unnest", str(ARM), data_dir=data_dir, check=True)
    assert last.stdout == (f"theme {ARM} (Robot arm) is now a broad theme; "
                           f"theme {ROBOTICS}, left with no memos, was removed\n")
    assert {t["id"]: t["parent_id"] for t in themes_json(data_dir)["themes"]} == {HAND: None, ARM: None, GARDEN: None}


def test_the_users_nesting_survives_a_later_clustering(tree):
    data_dir, ids, themes = tree
    run_musings("theme", "nest", str(GARDEN), str(ROBOTICS), data_dir=data_dir, check=True)
    run_musings("theme", "unnest", str(ARM), data_dir=data_dir, check=True)
    # The next clustering sees the old tree again (and a new sub-theme of its own): the user's word wins.
    db = open_database(data_dir)
    assignments = {memo_id: TEXTS[text] for memo_id, text in zip(ids, TEXTS)}
    assignments[ids[-1]] = 5
    org.save_themes(db, {**themes, 5: ("Family calls", themes[GARDEN][1], GARDEN)}, assignments)
    db.conn.close()
    parents = {t["id"]: t["parent_id"] for t in themes_json(data_dir)["themes"]}
    assert parents[GARDEN] == ROBOTICS  # nested by the user, though the clustering called it broad
    assert parents[ARM] is None  # un-nested by the user, though the clustering put it under Robotics
    assert parents[HAND] == ROBOTICS  # the clustering's own nesting stays
    assert parents[5] is None  # the clustering's sub-theme of Garden: Garden is a sub-theme now, two levels only


def test_a_read_only_or_damaged_library_refuses_nest_in_one_line(tmp_path, embedder):  # noqa: F811
    mount_point = tmp_path / "snapshot"
    mount_point.mkdir()
    require(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=50m", "tmpfs", str(mount_point)],
                           capture_output=True).returncode == 0, "mounting a tmpfs needs root")
    try:
        data_dir = mount_point / "data"
        build_tree(data_dir, embedder)
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        assert "  Robot hand" in run_musings("themes", data_dir=data_dir, check=True).stdout  # reading works
        for command in (("nest", GARDEN, ROBOTICS), ("unnest", HAND)):
            result = run_musings("theme", *map(str, command), data_dir=data_dir)
            assert result.returncode == 1 and "read-only" in one_line_error(result), command
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)

    damaged = tmp_path / "damaged"
    build_tree(damaged, embedder)
    database = damaged / "musings.db"
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    database.write_bytes(os.urandom(database.stat().st_size))
    before = database.read_bytes()
    for command in (("nest", GARDEN, ROBOTICS), ("unnest", HAND)):
        result = run_musings("theme", *map(str, command), data_dir=damaged)
        assert result.returncode == 1 and "musings repair" in one_line_error(result), command
    assert database.read_bytes() == before


def test_export_writes_a_note_per_level_linked_both_ways_and_nested_tags(tree, tmp_path):
    data_dir, ids, _ = tree
    vault = tmp_path / "vault"
    first = json.loads(run_musings("export", str(vault), "--json", data_dir=data_dir, check=True).stdout)
    assert first["removed"] == 0 and not first["kept"]
    assert_links_resolve(vault)
    notes = {front_matter(p)["musings_theme_id"]: p for p in vault.glob("Theme - *.md")}
    assert set(notes) == {ROBOTICS, HAND, ARM, GARDEN}
    memo_note = memo_notes(vault)
    memo_of = {TEXTS[text]: memo_id for memo_id, text in zip(ids, TEXTS)}
    hand_memos = [m for m, text in zip(ids, TEXTS) if TEXTS[text] == HAND]

    robotics = notes[ROBOTICS].read_text(encoding="utf-8")
    assert "6 memos" in robotics  # everything under it
    assert "- [[Theme - Robot hand]] (3)" in robotics and "- [[Theme - Robot arm]] (2)" in robotics
    assert f"[[{memo_note[memo_of[ROBOTICS]].stem}]]" in robotics  # its own memo
    assert not any(f"[[{memo_note[m].stem}]]" in robotics for m in hand_memos)  # theirs are in their notes
    hand = notes[HAND].read_text(encoding="utf-8")
    assert front_matter(notes[HAND])["parent_theme"] == "Robotics"
    assert "3 memos · in [[Theme - Robotics]]" in hand
    assert all(f"[[{memo_note[m].stem}]]" in hand for m in hand_memos)
    assert "[[Theme - Robotics]]" not in notes[GARDEN].read_text(encoding="utf-8")
    index = (vault / "Musings index.md").read_text(encoding="utf-8")
    assert "- [[Theme - Robotics]] (6)\n    - [[Theme - Robot arm]] (2)\n    - [[Theme - Robot hand]] (3)\n" in index

    tags = {theme_id: front_matter(memo_note[memo_id])["tags"] for theme_id, memo_id in memo_of.items()}
    assert tags == {HAND: ["musings", "musings/robotics/robot-hand"], ARM: ["musings", "musings/robotics/robot-arm"],
                    ROBOTICS: ["musings", "musings/robotics"], GARDEN: ["musings", "musings/garden"],
                    None: ["musings"]}
    in_hand = memo_note[hand_memos[0]].read_text(encoding="utf-8")
    assert "theme [[Theme - Robotics]] › [[Theme - Robot hand]]" in in_hand
    assert front_matter(memo_note[hand_memos[0]])["theme"] == "Robot hand"  # the most specific theme

    again = json.loads(run_musings("export", str(vault), "--json", data_dir=data_dir, check=True).stdout)
    assert again["written"] == 0 and again["removed"] == 0

    # The user edits the broad theme's note, then nests Garden under Robotics: their note is kept, the rest follows.
    edited = notes[ROBOTICS].read_text(encoding="utf-8") + "\nMy own thoughts on robots.\n"
    notes[ROBOTICS].write_text(edited, encoding="utf-8")
    run_musings("theme", "nest", str(GARDEN), str(ROBOTICS), data_dir=data_dir, check=True)
    after = json.loads(run_musings("export", str(vault), "--json", data_dir=data_dir, check=True).stdout)
    assert after["kept"] == [str(notes[ROBOTICS])] and after["removed"] == 0
    assert notes[ROBOTICS].read_text(encoding="utf-8") == edited
    assert "in [[Theme - Robotics]]" in notes[GARDEN].read_text(encoding="utf-8")
    assert front_matter(memo_note[memo_of[GARDEN]])["tags"] == ["musings", "musings/robotics/garden"]
    assert "- [[Theme - Robotics]] (8)\n    - [[Theme - Garden]] (2)\n" in (vault / "Musings index.md").read_text()
    assert_links_resolve(vault)


def test_theme_tags_are_one_level_each_and_tell_alike_names_apart():
    themes = [ExportTheme(1, "Ideas", [], None), ExportTheme(2, "ideas!", [], None),
              ExportTheme(3, "Mum's hand/arm", [], 1), ExportTheme(4, "🤖", [], 1),
              ExportTheme(5, "Ideas", [], 1), ExportTheme(6, "हिन्दी नोट्स", [], None),
              ExportTheme(7, "Orphan", [], 99), ExportTheme(8, "Too deep", [], 3)]
    assert theme_tags(themes) == {
        1: "musings/ideas",
        2: "musings/ideas-2",  # the same slug beside "Ideas": told apart, not merged in the tag pane
        3: "musings/ideas/mums-hand-arm",  # a "/" in a name makes no extra level
        4: "musings/ideas/theme-4",  # nothing to spell a tag with
        5: "musings/ideas/ideas",  # the same slug under another parent is a different tag
        6: "musings/हिन्दी-नोट्स",  # letters with their combining marks
        7: "musings/orphan",  # its parent is not exported: shown as a broad theme
        8: "musings/too-deep",  # two levels only
    }
