"""The digest (issue 16, point 4) on a real library with real embeddings: this week's new ideas by theme, the idea
said again, the theme that grew and the one that went quiet, the open to-dos, one older kept idea brought back;
`musings digest [--month] [--json]`."""
from __future__ import annotations

import datetime as dt
import json

from app.core import Musings
from app.digest import period_of
from storage import memos as store
from storage.db import open_database
from tests.conftest import run_musings

TODAY = dt.date.today()
MONDAY = TODAY - dt.timedelta(days=TODAY.weekday())


def add(db, n: int, text: str, day: dt.date) -> int:
    when = dt.datetime.combine(day, dt.time(12, 0)).astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    memo_id = store.add_memo(db, store.NewMemo(f"d{n}", f"m{n}.ogg", f"/in/m{n}.ogg", f"library/d{n}.ogg", when,
                                               "mtime", 10.0))
    store.save_transcript(db, memo_id, [store.StoredSegment(0, 10, text, -0.2, 0.01)], language="en", model="t")
    return memo_id


def test_the_digest_of_a_week(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    weeks_ago = lambda n, d=1: MONDAY - dt.timedelta(days=7 * n - d)  # noqa: E731
    ids = {
        "hand_old": add(db, 1, "what if the robot hand had soft silicone fingertips so it could hold an egg", weeks_ago(3)),
        "hand_now": add(db, 2, "idea again about the robot hand: soft silicone fingertips so it holds an egg", MONDAY),
        "arm_now": add(db, 3, "the robot arm's shoulder servo overheats, a counterweight would help the elbow", MONDAY),
        "run_1": add(db, 4, "long run on sunday felt easy, keep the pace at five thirty per kilometre", weeks_ago(1)),
        "run_2": add(db, 5, "interval session on the track, six times eight hundred metres", weeks_ago(2)),
        "run_3": add(db, 6, "tempo run along the river, legs heavy after the hills", weeks_ago(3)),
        "todo": add(db, 7, "remind me to order new running shoes before the marathon", MONDAY),
        "kept": add(db, 8, "a story about a lighthouse keeper who writes letters to the sea", weeks_ago(5)),
    }
    core = Musings(data_dir)
    robots = core.new_theme("Robots", [ids["hand_old"], ids["hand_now"], ids["arm_now"]])
    core.new_theme("Running", [ids["run_1"], ids["run_2"], ids["run_3"], ids["todo"]])
    core.new_theme("Novel", [ids["kept"]])
    core.organizer().organize_new()
    core.set_review([ids["kept"]], "kept")

    digest = core.digest("week", MONDAY)
    assert digest.period == period_of(MONDAY) and digest.period.label == f"{MONDAY.isocalendar()[0]}-W{MONDAY.isocalendar()[1]:02d}"
    assert [(name, sorted(m.id for m in memos)) for name, memos in digest.new_by_theme] == [
        ("Robots", sorted([ids["hand_now"], ids["arm_now"]])), ("Running", [ids["todo"]])]
    assert [[m.id for m in chain] for chain in digest.recurring] == [[ids["hand_old"], ids["hand_now"]]]
    assert digest.grew == [("Robots", 2, 0)]
    assert digest.quiet == []  # Running has a memo this week
    assert [t.memo_id for t in digest.todos] == [ids["todo"]]
    assert digest.brought_back.id == ids["kept"]

    out = json.loads(run_musings("digest", "--json", data_dir=data_dir, check=True).stdout)
    assert out["period"] == digest.period.label and out["brought_back"]["memo_id"] == ids["kept"]
    assert [item["theme"] for item in out["new"]] == ["Robots", "Running"] and len(out["recurring"]) == 1
    text = run_musings("digest", data_dir=data_dir, check=True).stdout
    assert text.startswith(f"Digest {digest.period.label} (")
    assert "Said again" in text and "Said 2 times" in text and "Open to-dos" in text and "Brought back:" in text
    month = json.loads(run_musings("digest", "--month", "--json", data_dir=data_dir, check=True).stdout)
    assert month["period"] == f"{TODAY:%Y-%m}"
    # a week later with nothing new: Robots had memos then, so no growth; Running went quiet after 3 weeks of memos
    quiet_week = core.digest("week", MONDAY + dt.timedelta(days=7))
    assert quiet_week.new_count == 0 and quiet_week.grew == [] and quiet_week.quiet == ["Running"]
    core.shutdown()


def test_the_export_writes_this_weeks_digest_with_links_and_keeps_earlier_ones(tmp_path):
    from app.digest import period_of
    from app.exporting import export_library

    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    this_week = add(db, 1, "remind me to order new running shoes before the marathon", MONDAY)
    last_week = add(db, 2, "long run on sunday felt easy, keep the pace at five thirty", MONDAY - dt.timedelta(days=6))
    for memo_id in (this_week, last_week):
        audio = data_dir / store.get_memo(db, memo_id).library_path
        audio.parent.mkdir(parents=True, exist_ok=True)
        audio.write_bytes(b"OggS" + bytes([memo_id]))
    core = Musings(data_dir)
    core.new_theme("Running", [this_week, last_week])
    vault = tmp_path / "vault"
    earlier = core.digest("week", MONDAY - dt.timedelta(days=6))
    export_library(core.db(), data_dir, vault, digest=earlier)  # last week's export
    core.export(vault)  # this week's
    label, before = period_of(MONDAY).label, period_of(MONDAY - dt.timedelta(days=6)).label
    note = (vault / f"Digest {label}.md").read_text()
    memo_note = next(p.stem for p in vault.glob("*.md") if f"musings_id: {this_week}\n" in p.read_text())
    assert f"# Digest {label}" in note and f"- **Running**: [[{memo_note}]]" in note
    assert "## Open to-dos" in note and "order new running shoes" in note.lower()
    assert (vault / f"Digest {before}.md").exists()  # last week's digest stays
    core.shutdown()
