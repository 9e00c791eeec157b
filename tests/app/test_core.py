"""Every use case through the one core (app.core.Musings), on a real SQLite library with the real embedding
model; the refusals are UserErrors with a sentence and change nothing; the trash; a bug is one line for the
user and a traceback in the owner-only log file."""
from __future__ import annotations

import datetime as dt
import json
import os
import stat
import threading

import pytest

from app import cli
from app.core import RELATED_MIN_SCORE, TRASH_DAYS, Musings
from musings_errors import NotFound, Refused, UserError
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import run_musings

TEXTS = [
    "the plumber is coming on tuesday about the leak under the kitchen sink",
    "call the plumber again, the kitchen sink is still leaking after his visit",
    "idea for the garden: plant tomatoes and basil along the south fence this spring",
    "the tomatoes in the garden need stakes before the basil crowds them out",
    "book the train to Leeds for the conference and find a cheap hotel near the station",
    "the conference in Leeds moved to Thursday, change the train and the hotel booking",
    "a robot hand that solves the cube with one hand, trained only in simulation",
    "the robot hand learned to turn the cube by trial and error in a simulator",
]


@pytest.fixture
def library(tmp_path):
    data_dir = tmp_path / "data"
    ids = add_transcribed(open_database(data_dir), TEXTS)
    for memo_id in ids:  # the audio each memo keeps until the trash is emptied
        path = data_dir / f"library/h{memo_id - 1}.ogg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"OggS" + bytes(64))
    core = Musings(data_dir)
    core.organizer().organize_new()
    yield core, ids
    core.shutdown()


def test_reading_search_and_related_through_the_core(library):
    core, ids = library
    assert {m.id for m in core.memos()} == set(ids)
    assert core.memo(ids[0]).transcript == TEXTS[0]
    assert [s.text for s in core.segments(ids[0])] == [TEXTS[0]]
    hits = core.search("plumber", mode="keyword")
    assert {r.memo.id for r in hits} == {ids[0], ids[1]}
    meaning = core.search("fixing a dripping tap", mode="semantic")
    assert meaning and meaning[0].memo.id in (ids[0], ids[1])
    related = core.related(ids[6])
    assert related[0].memo.id == ids[7]
    assert all(r.score >= RELATED_MIN_SCORE for r in related)  # one threshold for window, CLI and export
    status = core.status()
    assert status.counts["done"] == len(ids) and status.in_trash == 0


def test_a_search_can_be_limited_to_a_theme(library):
    core, ids = library
    garden = core.new_theme("Garden", [ids[2], ids[3]])
    everywhere = {r.memo.id for r in core.search("the kitchen sink and the tomatoes")}
    assert {ids[0], ids[2]} <= everywhere
    only = core.search("the kitchen sink and the tomatoes", theme_id=garden)
    assert only and {r.memo.id for r in only} <= {ids[2], ids[3]}
    assert {r.memo.id for r in core.search("sink", mode="keyword", theme_id=garden)} == set()
    with pytest.raises(NotFound):
        core.search("tomatoes", theme_id=9999)
    out = run_musings("search", "tomatoes", "--theme", str(garden), "--json", data_dir=core.data_dir, check=True)
    assert {hit["memo_id"] for hit in json.loads(out.stdout)} <= {ids[2], ids[3]}
    refused = run_musings("search", "tomatoes", "--theme", "9999", data_dir=core.data_dir)
    assert refused.returncode == 1 and refused.stderr.strip() == "musings: no theme 9999"


def test_changes_through_the_core(library, tmp_path):
    core, ids = library
    core.set_title(ids[0], "  Plumber   on Tuesday ")
    assert core.memo(ids[0]).title == "Plumber on Tuesday"
    core.edit_segment(ids[0], 0, "the plumber comes on Wednesday")
    assert core.search("wednesday", mode="keyword")[0].memo.id == ids[0]
    core.edit_segment(ids[0], 0, None)
    assert core.memo(ids[0]).transcript == TEXTS[0]

    house = core.new_theme("House", [ids[0], ids[1]])
    garden = core.new_theme("Garden", [ids[2]], parent_id=house)
    assert core.theme(garden).parent_id == house
    assert core.move_to(ids[3], "garden") == garden  # by name, any case
    assert core.move_to(ids[4], "Travel plans") not in (house, garden)  # a new theme
    assert core.move_to(ids[5], "unsorted") is None and core.memo(ids[5]).theme_id is None
    core.rename_theme(garden, "  Vegetable   garden ")
    assert core.theme(garden).name == "Vegetable garden"
    assert core.nest_theme(garden, None) == f"theme {garden} (Vegetable garden) is now a broad theme"
    assert core.theme(garden).parent_id is None
    travel = core.memo(ids[4]).theme_id
    core.merge_themes(travel, house)
    assert core.memo(ids[4]).theme_id == house
    with pytest.raises(NotFound):
        core.theme(travel)

    result = core.export(tmp_path / "vault")
    assert len(result.written) > len(ids)
    assert any("Vegetable garden" in p.read_text() for p in (tmp_path / "vault").rglob("*.md"))


@pytest.mark.parametrize("change, message", [
    (lambda c, ids, t: c.rename_theme(t, "   "), "a theme's name can't be empty"),
    (lambda c, ids, t: c.merge_themes(t, t), "a theme can't be merged into itself"),
    (lambda c, ids, t: c.nest_theme(t, t), "a theme can't be nested in itself"),
    (lambda c, ids, t: c.set_title(ids[0], " \n "), "a memo's title can't be empty"),
    (lambda c, ids, t: c.edit_segment(ids[0], 0, "  "), "a segment can't be empty"),
    (lambda c, ids, t: c.edit_segment(ids[0], 7, "words"), "has no segment 7"),
    (lambda c, ids, t: c.move([ids[0]], 999), "no theme 999"),
    (lambda c, ids, t: c.move([999], t), "no memo 999"),
    (lambda c, ids, t: c.new_theme("Empty", []), "at least one memo"),
    (lambda c, ids, t: c.related(999), "no memo 999"),
    (lambda c, ids, t: c.search("x", mode="fuzzy"), "unknown search mode"),
    (lambda c, ids, t: c.restore(ids[0]), "is not in the trash"),
])
def test_refusals_are_user_errors_and_change_nothing(library, change, message):
    core, ids = library
    theme = core.new_theme("House", [ids[0], ids[1]])
    before = ([(t.id, t.name, t.parent_id, t.count) for t in core.themes()],
              [(m.id, m.title, m.transcript, m.theme_id) for m in core.memos()])
    with pytest.raises(UserError, match=message):
        change(core, ids, theme)
    after = ([(t.id, t.name, t.parent_id, t.count) for t in core.themes()],
             [(m.id, m.title, m.transcript, m.theme_id) for m in core.memos()])
    assert after == before


def test_nesting_two_levels_deep_is_refused_with_the_themes_names(library):
    core, ids = library
    house = core.new_theme("House", [ids[0]])
    kitchen = core.new_theme("Kitchen", [ids[1]], parent_id=house)
    garden = core.new_theme("Garden", [ids[2]])
    with pytest.raises(Refused, match=rf"theme {kitchen} \(Kitchen\) is itself a sub-theme"):
        core.nest_theme(garden, kitchen)
    with pytest.raises(Refused, match=rf"theme {house} \(House\) has sub-themes of its own"):
        core.nest_theme(house, garden)


def test_a_deleted_memo_leaves_every_view_and_comes_back_whole(library, tmp_path):
    core, ids = library
    core.set_title(ids[0], "Plumber on Tuesday")
    theme = core.new_theme("House", [ids[0], ids[1]])
    vault = tmp_path / "vault"
    core.export(vault)
    note = next(p for p in vault.rglob("*.md") if "Plumber on Tuesday" in p.name)

    assert core.delete([ids[0], ids[0]]) == [ids[0]]
    assert ids[0] not in {m.id for m in core.memos()}
    assert ids[0] not in {r.memo.id for r in core.search("plumber")}
    assert ids[0] not in {r.memo.id for r in core.related(ids[1])}
    assert core.theme(theme).count == 1
    assert core.status().counts["done"] == len(ids) - 1 and core.status().in_trash == 1
    assert [m.id for m in core.trash()] == [ids[0]]
    with pytest.raises(NotFound, match="in the trash"):
        core.memo(ids[0])
    assert core.memo(ids[0], include_trash=True).id == ids[0]
    removed = core.export(vault).removed
    assert note in removed and not note.exists()  # the note it wrote for the memo goes

    restored = core.restore(ids[0])
    assert restored.title == "Plumber on Tuesday" and restored.transcript == TEXTS[0]
    assert ids[0] in {r.memo.id for r in core.search("plumber")}  # embedded and indexed again
    assert core.memo(ids[0]).theme_id is not None  # placed into a theme again
    assert core.trash() == []


def test_emptying_the_trash_deletes_the_memo_and_its_audio_for_good(library):
    core, ids = library
    audio = core.data_dir / core.memo(ids[2]).library_path
    kept = core.data_dir / core.memo(ids[3]).library_path
    core.delete([ids[2], ids[3]])
    with core.db().conn:  # ids[3] was deleted over TRASH_DAYS ago
        old = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=TRASH_DAYS + 1)).isoformat(timespec="seconds")
        core.db().execute("UPDATE memos SET deleted_at = ? WHERE id = ?", [old, ids[3]])
    assert core.forget_old_trash() == 1
    assert [m.id for m in core.trash()] == [ids[2]] and not kept.exists() and audio.exists()
    assert core.empty_trash() == 1
    assert core.trash() == [] and not audio.exists()
    with pytest.raises(NotFound):
        core.restore(ids[2])
    db = core.db()
    assert db.execute("SELECT count(*) FROM segments WHERE memo_id IN (?, ?)", [ids[2], ids[3]]).fetchone()[0] == 0
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_delete_trash_and_restore_from_the_command_line(library):
    core, ids = library
    data_dir = core.data_dir
    deleted = run_musings("delete", str(ids[0]), str(ids[1]), data_dir=data_dir, check=True)
    assert deleted.stdout.startswith("2 memos moved to the trash")
    listed = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert {m["id"] for m in listed} == set(ids[2:])
    hits = json.loads(run_musings("search", "--keyword", "plumber", "--json", data_dir=data_dir, check=True).stdout)
    assert hits == []
    trash = json.loads(run_musings("trash", "--json", data_dir=data_dir, check=True).stdout)
    assert {m["id"] for m in trash} == {ids[0], ids[1]} and all(m["deleted_at"] for m in trash)
    shown = run_musings("show", str(ids[0]), data_dir=data_dir)
    assert shown.returncode == 1 and shown.stderr == f"musings: no memo {ids[0]} (it is in the trash: musings restore {ids[0]})\n"
    restored = run_musings("restore", str(ids[0]), data_dir=data_dir, check=True)
    assert restored.stdout.startswith(f"memo {ids[0]} is back")
    again = run_musings("restore", str(ids[0]), data_dir=data_dir)
    assert again.returncode == 1 and again.stderr == f"musings: memo {ids[0]} is not in the trash\n"
    emptied = run_musings("trash", "--empty", data_dir=data_dir, check=True)
    assert emptied.stdout.startswith("1 memo deleted for good")
    unknown = run_musings("delete", "999", data_dir=data_dir)
    assert unknown.returncode == 1 and unknown.stderr == "musings: no memo 999\n"
    assert {m["id"] for m in json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)} == \
        {ids[0], *ids[2:]}


def test_a_bug_is_one_line_for_the_user_and_a_traceback_in_the_private_log(tmp_path, monkeypatch, capsys):
    data_dir = tmp_path / "data"
    open_database(data_dir).conn.close()
    old = os.umask(0o022)  # the log's mode must not depend on the umask
    try:
        def broken(args, data_dir):
            return {}["no such key"]  # a real bug: a KeyError from our own code

        monkeypatch.setitem(cli.COMMANDS, "status", broken)
        code = cli.main(["--data-dir", str(data_dir), "status"])
    finally:
        os.umask(old)
    err = capsys.readouterr().err
    log_file = data_dir / "musings.log"
    assert code == cli.EXIT_BUG
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("musings: Something went wrong (KeyError: 'no such key')") and str(log_file) in err
    logged = log_file.read_text()
    assert "Traceback" in logged and "KeyError: 'no such key'" in logged and "in broken" in logged
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600


def test_import_through_the_core_cancel_and_a_trashed_recording(tmp_path):
    from audio.transcribe import TranscriptionSettings
    from tests.conftest import DATA

    clip = DATA / "formats/jfk.mp3"
    core = Musings(tmp_path / "data")
    settings = TranscriptionSettings()
    cancel = threading.Event()
    cancel.set()  # the user cancelled before the first file: nothing is copied or made
    stopped = core.import_recordings([clip], settings, cancel=cancel)
    assert stopped.cancelled and stopped.counts == {"done": 0, "empty": 0, "skipped": 0, "failed": 0}
    assert core.memos() == [] and not any((core.data_dir / "library").rglob("*.mp3"))

    summary = core.import_recordings([clip], settings)
    assert not summary.cancelled and summary.sentence() == "1 transcribed, 0 without speech, 0 skipped, 0 failed"
    memo = core.memos()[0]
    assert "country" in memo.transcript.lower() and memo.title
    core.delete([memo.id])
    again = core.import_recordings([clip], settings)
    skipped = again.report.of_kind("skipped")
    assert len(skipped) == 1 and skipped[0].reason == f"memo {memo.id}, in the trash (musings restore {memo.id})"
    assert core.memos() == []
    core.shutdown()


def library_state(core) -> dict:
    """Everything an undo must put back: the themes (whole rows), each memo's row, each passage's wording."""
    db = core.db()
    return {"themes": [dict(row) for row in db.query("SELECT * FROM themes ORDER BY id")],
            "memos": [dict(row) for row in db.query("SELECT id, theme_id, theme_pinned, title, title_edited, "
                                                    "deleted_at, trashed_theme_id, transcript FROM memos ORDER BY id")],
            "segments": [tuple(row) for row in db.execute("SELECT memo_id, position, edited_text FROM segments "
                                                          "ORDER BY memo_id, position")]}


def test_undo_puts_back_exactly_what_each_change_changed(library):
    core, ids = library
    first, second = core.new_theme("Home", ids[:2]), core.new_theme("Garden", ids[2:4])
    core.new_theme("Travel", ids[4:6])
    changes = [
        ("Moved", ids[:2], lambda: core.move(ids[:2], second)),
        ("Moved to a new theme", [ids[4]], lambda: core.move_to(ids[4], "Trips and travel")),
        ("Merged", [], lambda: core.merge_themes(first, second)),
        ("Renamed", [], lambda: core.rename_theme(second, "Something else")),
        ("Nested", [], lambda: core.nest_theme(first, second)),
        ("Retitled", [ids[3]], lambda: core.set_title(ids[3], "My tomatoes")),
        ("Passage edited", [ids[5]], lambda: core.edit_segment(ids[5], 0, "the conference moved to Friday")),
        ("Deleted", ids[6:8], lambda: core.delete(ids[6:8])),
    ]
    for description, memo_ids, change in changes:
        before = library_state(core)
        point = core.undo_point(description, memo_ids)
        change()
        assert library_state(core) != before, description  # the change changed something
        core.undo(point)
        assert library_state(core) == before, description
    assert core.search("Friday", mode="keyword") == []  # the restored wording is what search finds
    assert {r.memo.id for r in core.search("conference", mode="keyword")} == {ids[4], ids[5]}
