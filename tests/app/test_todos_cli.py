"""Spoken to-dos through the core and the CLI (issue 16, point 3): found in the transcripts with their due day
relative to the recording, listed open-first by due day, ticked off (and kept ticked when the memo's words are
edited elsewhere), read again when a passage is edited."""
from __future__ import annotations

import json

from app.core import Musings
from storage import memos as store
from storage.db import open_database
from tests.conftest import run_musings


def add(db, text: str, recorded_at: str, n: int) -> int:
    memo_id = store.add_memo(db, store.NewMemo(f"t{n}", f"m{n}.ogg", f"/in/m{n}.ogg", f"library/t{n}.ogg",
                                               recorded_at, "mtime", 20.0))
    store.save_transcript(db, memo_id, [store.StoredSegment(0, 6, "so uh the robot hand needs softer fingertips.",
                                                            -0.2, 0.01),
                                        store.StoredSegment(6, 20, text, -0.2, 0.01)], language="en", model="t")
    return memo_id


def test_todos_are_found_with_their_day_listed_and_ticked_off(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    landlord = add(db, "remind me to call the landlord about the heating tomorrow", "2026-12-01T12:10:00+00:00", 1)
    coffee = add(db, "and I need to buy more coffee beans by friday", "2026-12-01T12:20:00+00:00", 2)
    idea = add(db, "I should think more about what consciousness even is", "2026-12-01T12:30:00+00:00", 3)
    out = json.loads(run_musings("todos", "--json", data_dir=data_dir, check=True).stdout)
    assert [(t["memo_id"], t["due"], t["done"]) for t in out] == [(landlord, "2026-12-02", False),
                                                                   (coffee, "2026-12-04", False)]
    assert out[0]["text"].lower().startswith("call the landlord about the heating")
    assert out[0]["start"] == 6  # said in the second segment
    assert idea not in {t["memo_id"] for t in out}
    text = run_musings("todos", data_dir=data_dir, check=True).stdout
    assert "[ ] " in text and "due 2026-12-02" in text and f"(memo {landlord} at 0:06)" in text
    done = run_musings("todo", "done", str(out[0]["id"]), data_dir=data_dir, check=True)
    assert done.stdout.strip() == f"to-do {out[0]['id']} done"
    assert [t["memo_id"] for t in json.loads(run_musings("todos", "--json", data_dir=data_dir, check=True).stdout)] \
        == [coffee]
    every = json.loads(run_musings("todos", "--all", "--json", data_dir=data_dir, check=True).stdout)
    assert [(t["memo_id"], t["done"]) for t in every] == [(coffee, False), (landlord, True)]
    # an edit elsewhere in the memo keeps the tick; an edit of the to-do's words reads it again
    core = Musings(data_dir)
    core.edit_segment(landlord, 0, "so the robot hand needs much softer fingertips")
    assert [t.done_at is not None for t in core.todos(include_done=True) if t.memo_id == landlord] == [True]
    core.edit_segment(coffee, 1, "and I need to buy more coffee beans on monday")
    assert [t.due for t in core.todos() if t.memo_id == coffee] == ["2026-12-07"]
    refused = run_musings("todo", "done", "999", data_dir=data_dir)
    assert refused.returncode == 1 and refused.stderr.strip() == "musings: no to-do 999"
    core.shutdown()


def test_the_export_writes_to_dos_as_obsidian_tasks_in_the_memo_and_a_to_dos_note(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    landlord = add(db, "remind me to call the landlord about the heating tomorrow", "2026-12-01T12:10:00+00:00", 1)
    coffee = add(db, "and I need to buy more coffee beans", "2026-12-01T12:20:00+00:00", 2)
    for memo_id in (landlord, coffee):  # the audio the export copies
        audio = data_dir / store.get_memo(db, memo_id).library_path
        audio.parent.mkdir(parents=True, exist_ok=True)
        audio.write_bytes(b"OggS" + bytes([memo_id]))
    core = Musings(data_dir)
    first = next(t for t in core.todos() if t.memo_id == landlord)
    core.set_todo_done(first.id)
    vault = tmp_path / "vault"
    core.export(vault)
    todos_note = (vault / "To-dos.md").read_text()
    lines = [line for line in todos_note.splitlines() if line.startswith("- [")]
    assert len(lines) == 2
    assert lines[0].startswith("- [ ] ") and "buy more coffee beans" in lines[0].lower() and "📅" not in lines[0]
    assert lines[1].startswith("- [x] ") and "📅 2026-12-02" in lines[1] and "✅ " in lines[1]
    memo_note = next(p for p in vault.glob("*.md") if "musings_id: " + str(landlord) in p.read_text())
    text = memo_note.read_text()
    assert "## To-dos" in text and "📅 2026-12-02" in text
    assert f"[[{memo_note.stem}]]" in lines[1]
    core.shutdown()
