"""Recurring ideas (issue 16, point 2): one idea said again on other days, in other words, is one chain —
"said 3 times: 1 Jan, 2 Jan, 3 Jan" in `musings related` — and a memo of the same theme about another idea
is not in it. Real embeddings of real sentences."""
from __future__ import annotations

import json

from app.core import Musings
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import run_musings

TEXTS = [
    "what if the robot hand had soft silicone fingertips so it could pick up an egg without breaking it",
    "idea again about the robot hand: give it soft silicone fingertips, then it can hold an egg without cracking",
    "the robot hand should get soft silicone finger pads so it can grab an egg and not break it",
    "the robot arm's shoulder motor overheats after ten minutes, maybe a bigger heat sink",
    "plant tomatoes and basil along the south fence this spring",
]


def test_one_idea_said_on_three_days_is_one_chain(tmp_path):
    data_dir = tmp_path / "data"
    ids = add_transcribed(open_database(data_dir), TEXTS)  # recorded on 1, 2, 3, 4, 5 January
    core = Musings(data_dir)
    core.organizer().organize_new()
    assert [m.id for m in core.recurrence(ids[1])] == ids[:3]  # oldest first, whichever memo is asked
    assert [m.id for m in core.recurrence(ids[0])] == ids[:3]
    assert core.recurrence(ids[3]) == [] and core.recurrence(ids[4]) == []
    out = run_musings("related", str(ids[2]), data_dir=data_dir, check=True).stdout
    assert out.splitlines()[0] == f"Said 3 times: 1 Jan, 2 Jan, 3 Jan (memos {ids[0]}, {ids[1]}, {ids[2]})"
    found = json.loads(run_musings("related", str(ids[2]), "--json", data_dir=data_dir, check=True).stdout)
    assert {r["memo_id"] for r in found if r["same_idea"]} == {ids[0], ids[1]}
    # the whole library's chains, from the stored related lists, agree; and the idea said again comes first
    # in the review queue (newest first among them), before the newer memo said once
    assert core.recurring_ideas() == {i: ids[:3] for i in ids[:3]}
    assert [item.memo.id for item in core.review_queue()] == [ids[2], ids[1], ids[0], ids[4], ids[3]]
    core.shutdown()


def test_the_export_links_an_idea_said_on_several_days(tmp_path):
    from storage import memos as store

    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    ids = add_transcribed(db, TEXTS)
    for memo_id in ids:
        audio = data_dir / store.get_memo(db, memo_id).library_path
        audio.parent.mkdir(parents=True, exist_ok=True)
        audio.write_bytes(b"OggS" + bytes([memo_id]))
    core = Musings(data_dir)
    core.organizer().organize_new()
    core.export(tmp_path / "vault")
    notes = {int(p.read_text().split("musings_id: ")[1].split()[0]): p for p in (tmp_path / "vault").glob("*.md")
             if "musings_id: " in p.read_text()}
    second = notes[ids[1]].read_text()
    assert "> [!note] Said 3 times: 1 Jan, 2 Jan, 3 Jan" in second
    assert f"> [[{notes[ids[0]].stem}]], [[{notes[ids[2]].stem}]]" in second
    assert "Said " not in notes[ids[4]].read_text()
    core.shutdown()
