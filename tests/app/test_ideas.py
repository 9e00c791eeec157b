"""A long recording's ideas (issue 17), end to end with the real models: a three-topic ramble spoken by
espeak-ng, imported by the real `musings import` (Whisper, the embedder), split into its ideas; the user's
split and join surviving a re-split after a transcript edit; the export's idea sections."""
from __future__ import annotations

import json
import shutil
import subprocess
import wave
from pathlib import Path

import pytest

from tests.conftest import require, run_musings
from tests.organize.conftest import read_topics

PAUSE_S = 0.6  # between the three parts, as a speaker draws breath (no long pause to lean on)


TOPICS = ("transfer", "book_flight", "recipe")


def utterances(intent: str, n: int, skip: int = 0) -> str:
    rows = [r["text"] for r in read_topics("clinc150/clinc150_test.jsonl") if r["intent"] == intent]
    return " ".join(t[0].upper() + t[1:] + "." for t in rows[skip:skip + n])


def speak_ramble(folder: Path, parts: list[str]) -> tuple[Path, list[float]]:
    """One wav of the parts spoken in turn; the seconds where the 2nd, 3rd… part starts."""
    frames, boundaries, rate, params = [], [], None, None
    for number, text in enumerate(parts):
        piece = folder / f"part-{number}.wav"
        subprocess.run(["espeak-ng", "-s", "160", "-w", str(piece), text], check=True, capture_output=True)
        with wave.open(str(piece)) as w:
            params, rate = w.getparams(), w.getframerate()
            if number:
                frames.append(b"\0" * int(PAUSE_S * rate) * w.getsampwidth())
                boundaries.append(sum(len(f) for f in frames) / (rate * w.getsampwidth()))
            frames.append(w.readframes(w.getnframes()))
        piece.unlink()
    ramble = folder / "walk on the 3rd.wav"
    with wave.open(str(ramble), "wb") as w:
        w.setparams(params)
        w.writeframes(b"".join(frames))
    return ramble, boundaries


def make_ramble_library(folder: Path) -> tuple[Path, dict, list[float]]:
    """A library imported by the real `musings import`: the three-topic ramble and four short memos per topic
    (so there are themes to place its ideas in); returns the data folder, the ramble's memo (list --json) and
    the true seconds where its 2nd and 3rd topics start."""
    require(shutil.which("espeak-ng") is not None, "espeak-ng is not installed (scripts/bootstrap.sh installs it)")
    data_dir = folder / "data"
    recordings = folder / "recorder"
    recordings.mkdir()
    parts = [utterances(topic, 7) for topic in TOPICS]
    ramble, truth = speak_ramble(recordings, parts)
    for topic in TOPICS:
        for n in range(4):
            subprocess.run(["espeak-ng", "-s", "160", "-w", str(recordings / f"{topic}-{n}.wav"),
                            utterances(topic, 2, skip=8 + 2 * n)], check=True, capture_output=True)
    # a minute about one thing (other utterances of one topic): it must stay one idea
    subprocess.run(["espeak-ng", "-s", "160", "-w", str(recordings / "one topic minute.wav"),
                    utterances("book_flight", 14, skip=16)], check=True, capture_output=True)
    run_musings("import", str(recordings), data_dir=data_dir, check=True)
    memo = next(m for m in json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
                if m["original_name"] == ramble.name)
    return data_dir, memo, truth


@pytest.fixture(scope="module")
def ramble_library(tmp_path_factory):
    return make_ramble_library(tmp_path_factory.mktemp("ramble"))


def show(data_dir: Path, memo_id: int) -> dict:
    return json.loads(run_musings("show", str(memo_id), "--json", data_dir=data_dir, check=True).stdout)


def test_a_spoken_three_topic_ramble_becomes_three_ideas_with_their_boundaries(ramble_library):
    data_dir, memo, truth = ramble_library
    assert memo["ideas"] == 3, memo
    ideas = show(data_dir, memo["id"])["ideas"]
    assert len(ideas) == 3, ideas
    for idea, true in zip(ideas[1:], truth):
        assert abs(idea["start"] - true) <= 3.0, (ideas, truth)
    assert len({idea["title"] for idea in ideas}) == 3, ideas
    themes = json.loads(run_musings("themes", "--json", data_dir=data_dir, check=True).stdout)["themes"]
    assert len({idea["theme_id"] for idea in ideas}) == 3, (ideas, themes)  # each idea in a theme of its own
    assert None not in {idea["theme_id"] for idea in ideas}
    assert all(isinstance(idea["id"], int) for idea in ideas)
    listed = run_musings("list", data_dir=data_dir, check=True).stdout
    assert "[3 ideas]" in listed, listed


def test_a_spoken_minute_about_one_thing_stays_one_idea(ramble_library):
    data_dir, _, _ = ramble_library
    memo = next(m for m in json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
                if m["original_name"] == "one topic minute.wav")
    assert memo["duration"] >= 40, memo  # long enough for the splitter to look at it
    assert memo["ideas"] == 1 and len(show(data_dir, memo["id"])["ideas"]) == 1


def test_the_users_split_and_join_survive_a_changed_transcript(ramble_library):
    data_dir, memo, _ = ramble_library
    before = show(data_dir, memo["id"])
    first = before["ideas"][0]
    middle = (first["start"] + first["end"]) / 2
    split = json.loads(run_musings("split", str(memo["id"]), f"{middle:.2f}", "--json", data_dir=data_dir,
                                   check=True).stdout)
    assert len(split) == 4, split
    cut = split[1]["start"]
    assert first["start"] < cut < first["end"]
    assert cut in [s["start"] for s in before["segments"]]  # at the start of a passage
    # the last idea's first passage reworded: the transcript changes, the memo is split again
    last_segment = next(n for n, s in enumerate(before["segments"]) if s["start"] >= split[-1]["start"])
    run_musings("edit", str(memo["id"]), str(last_segment), "Here is a recipe I keep coming back to.",
                data_dir=data_dir, check=True)
    again = show(data_dir, memo["id"])["ideas"]
    assert [round(i["start"], 2) for i in again] == [round(i["start"], 2) for i in split], (again, split)
    # joining the split back: three ideas again, and they stay three after another edit
    joined = json.loads(run_musings("join-ideas", str(again[0]["id"]), str(again[1]["id"]), "--json",
                                    data_dir=data_dir, check=True).stdout)
    assert len(joined) == 3 and joined[0]["start"] == first["start"], joined
    run_musings("edit", str(memo["id"]), str(last_segment), "A recipe I keep coming back to.",
                data_dir=data_dir, check=True)
    assert len(show(data_dir, memo["id"])["ideas"]) == 3
    # refusals are plain sentences, not tracebacks
    bad = run_musings("join-ideas", str(joined[0]["id"]), str(joined[2]["id"]), data_dir=data_dir)
    assert bad.returncode != 0 and "not neighbours" in bad.stderr and "Traceback" not in bad.stderr
    outside = run_musings("split", str(memo["id"]), "9999", data_dir=data_dir)
    assert outside.returncode != 0 and "nothing to split" in outside.stderr and "Traceback" not in outside.stderr


def test_the_export_writes_a_section_per_idea(ramble_library, tmp_path):
    data_dir, memo, _ = ramble_library
    ideas = show(data_dir, memo["id"])["ideas"]
    vault = tmp_path / "vault"
    run_musings("export", str(vault), data_dir=data_dir, check=True)
    note = next(p for p in vault.rglob("*.md") if f"{memo['id']}" in p.read_text(encoding="utf-8")
                and "## " in p.read_text(encoding="utf-8") and ideas[0]["title"] in p.read_text(encoding="utf-8"))
    text = note.read_text(encoding="utf-8")
    headings = [line[3:] for line in text.splitlines() if line.startswith("## ")]
    for idea in ideas:
        assert idea["title"] in headings, (headings, ideas)
    # each idea's theme note links to the idea's own section of the memo's note
    for idea in ideas:
        linked = [p for p in vault.rglob("*.md") if f"[[{note.stem}#{idea['title']}]]" in p.read_text(encoding="utf-8")]
        assert linked, idea


def test_a_search_hit_inside_the_second_idea_plays_from_that_ideas_start(ramble_library):
    data_dir, memo, _ = ramble_library
    ideas = show(data_dir, memo["id"])["ideas"]
    for mode in ("--keyword", "--semantic"):
        hits = json.loads(run_musings("search", "book a flight to boston", mode, "--json", data_dir=data_dir,
                                      check=True).stdout)
        hit = next((h for h in hits if h["memo_id"] == memo["id"]), None)
        assert hit is not None, (mode, hits)
        assert hit["start"] == ideas[1]["start"] and hit["idea"] == ideas[1]["title"], (mode, hit, ideas)
    # a memo of one idea plays from its beginning
    whole = json.loads(run_musings("search", "recipe", "--json", data_dir=data_dir, check=True).stdout)
    assert all(h["start"] == 0.0 and h["idea"] is None for h in whole if h["memo_id"] != memo["id"])


def test_related_memos_point_at_the_idea_they_are_related_to(ramble_library):
    data_dir, memo, _ = ramble_library
    ideas = show(data_dir, memo["id"])["ideas"]
    listed = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    recipe = next(m["id"] for m in listed if m["original_name"].startswith("recipe-"))
    # a short recipe memo finds the ramble by its recipe idea, played from that idea's start
    found = json.loads(run_musings("related", str(recipe), "--limit", "10", "--json", data_dir=data_dir,
                                   check=True).stdout)
    ramble = next((r for r in found if r["memo_id"] == memo["id"]), None)
    assert ramble is not None, found
    assert (ramble["start"], ramble["idea"]) == (ideas[2]["start"], ideas[2]["title"]), (ramble, ideas)
    # a memo of one idea is found whole: played from its beginning, and it names no idea of the recipe memo
    assert all(r["start"] == 0.0 and r["idea"] is None and r["for_idea"] is None
               for r in found if r["memo_id"] != memo["id"])
    # the ramble's related memos each say which of its ideas they are related to
    mine = json.loads(run_musings("related", str(memo["id"]), "--limit", "10", "--json", data_dir=data_dir,
                                  check=True).stdout)
    short = {m["id"]: m["original_name"].split("-")[0] for m in listed if "-" in m["original_name"]}
    topic_of_idea = dict(zip((i["title"] for i in ideas), ("transfer", "book_flight", "recipe")))
    named = [(short[r["memo_id"]], topic_of_idea.get(r["for_idea"])) for r in mine if r["memo_id"] in short]
    assert named and sum(a == b for a, b in named) >= len(named) - 1, (named, mine)
    shown = run_musings("related", str(recipe), "--limit", "10", data_dir=data_dir, check=True).stdout
    assert f"its idea at" in shown and ideas[2]["title"] in shown, shown


def test_a_spoken_todo_points_at_the_idea_it_is_said_in(ramble_library):
    data_dir, memo, _ = ramble_library
    ideas = show(data_dir, memo["id"])["ideas"]
    todos = [t for t in json.loads(run_musings("todos", "--json", data_dir=data_dir, check=True).stdout)
             if t["memo_id"] == memo["id"]]
    assert todos, "the ramble says 'I need to book a flight…': a to-do"
    for todo in todos:
        holding = next(i for i in ideas if i["start"] <= todo["start"] < i["end"])
        assert (todo["idea_id"], todo["idea"]) == (holding["id"], holding["title"]), (todo, ideas)


def test_the_review_queue_shows_a_long_recordings_ideas(ramble_library):
    data_dir, memo, _ = ramble_library
    ideas = show(data_dir, memo["id"])["ideas"]
    queue = json.loads(run_musings("review", "--json", data_dir=data_dir, check=True).stdout)
    item = next(i for i in queue if i["memo_id"] == memo["id"])
    assert [i["start"] for i in item["ideas"]] == [i["start"] for i in ideas]
    assert all(not i["ideas"] for i in queue if i["memo_id"] != memo["id"])  # one idea: nothing extra
    shown = run_musings("review", data_dir=data_dir, input="s\n" * len(queue) + "q\n", check=True).stdout
    assert f"idea 2 at" in shown and ideas[1]["title"] in shown, shown


def test_a_topic_said_only_inside_long_recordings_gets_a_theme_of_its_own(tmp_path):
    """Themes are clustered over ideas: three walks each start with flights and end with a recipe; no memo is
    about recipes alone, yet the three recipe ideas make one theme, apart from the flight and money memos'
    themes, at the import and at a rebuild; the walks are listed under it."""
    require(shutil.which("espeak-ng") is not None, "espeak-ng is not installed (scripts/bootstrap.sh installs it)")
    data_dir, recordings = tmp_path / "data", tmp_path / "recorder"
    recordings.mkdir()
    walks = []
    for n in range(3):
        walk, _ = speak_ramble(recordings, [utterances("book_flight", 6, skip=8 + 6 * n), utterances("recipe", 7, skip=7 * n)])
        walks.append(walk.rename(recordings / f"walk {n + 1}.wav").name)
    for topic in ("book_flight", "transfer"):
        for n in range(4):
            subprocess.run(["espeak-ng", "-s", "160", "-w", str(recordings / f"{topic}-{n}.wav"),
                            utterances(topic, 2, skip=2 * n)], check=True, capture_output=True)
    run_musings("import", str(recordings), data_dir=data_dir, check=True)
    listed = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    walk_ids = [m["id"] for m in listed if m["original_name"] in walks]
    short = {m["original_name"].split("-")[0]: m["theme_id"] for m in listed if "-" in m["original_name"]}
    for when in ("after the import", "after a rebuild"):
        if when == "after a rebuild":
            run_musings("themes", "--rebuild", data_dir=data_dir, check=True)
            listed = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
            short = {m["original_name"].split("-")[0]: m["theme_id"] for m in listed if "-" in m["original_name"]}
        ideas = [show(data_dir, memo_id)["ideas"] for memo_id in walk_ids]
        assert all(len(split) == 2 for split in ideas), (when, ideas)
        recipe = {split[1]["theme_id"] for split in ideas}
        assert len(recipe) == 1 and None not in recipe, (when, ideas)
        (recipe_theme,) = recipe
        assert recipe_theme not in set(short.values()), (when, recipe_theme, short)
        assert {split[0]["theme_id"] for split in ideas} == {short["book_flight"]}, (when, ideas, short)
        themes = {t["id"]: t for t in json.loads(run_musings("themes", "--json", data_dir=data_dir,
                                                             check=True).stdout)["themes"]}
        assert themes[recipe_theme]["memos"] == 3, (when, themes[recipe_theme])  # the walks, by their ideas
        # the theme lists the walks by their recipe ideas: "… · 2nd idea of …", at the idea's start
        listing = json.loads(run_musings("list", "--theme", str(recipe_theme), "--json", data_dir=data_dir,
                                         check=True).stdout)
        assert sorted(m["memo_id"] for m in listing) == sorted(walk_ids), (when, listing)
        assert all(m["idea"]["number"] == 2 and m["idea"]["start"] > 20 for m in listing), (when, listing)
    shown = run_musings("list", "--theme", str(recipe_theme), data_dir=data_dir, check=True).stdout
    assert shown.count("2nd idea of") == 3, shown
    missing = run_musings("list", "--theme", "9999", data_dir=data_dir)
    assert missing.returncode == 1 and "no theme 9999" in missing.stderr and "Traceback" not in missing.stderr


def test_the_users_idea_title_and_move_survive_a_resplit_and_a_rebuild(ramble_library, tmp_path):
    source, memo, _ = ramble_library
    data_dir = tmp_path / "data"
    shutil.copytree(source, data_dir)
    ideas = show(data_dir, memo["id"])["ideas"]
    second = ideas[1]
    run_musings("idea", "title", str(second["id"]), "Flights to Boston", data_dir=data_dir, check=True)
    moved = json.loads(run_musings("idea", "move", str(second["id"]), "Travel plans", "--json",  # a new theme
                                   data_dir=data_dir, check=True).stdout)
    themes = json.loads(run_musings("themes", "--json", data_dir=data_dir, check=True).stdout)["themes"]
    elsewhere = next(t for t in themes if t["name"] == "Travel plans")
    assert (moved[1]["title"], moved[1]["theme_id"]) == ("Flights to Boston", elsewhere["id"]), moved
    assert elsewhere["memos"] == 1 and elsewhere["id"] not in {i["theme_id"] for i in ideas}
    # the transcript changes (the memo is split again: new ids) and the themes are rebuilt: both stay
    segments = show(data_dir, memo["id"])["segments"]
    last = next(n for n, s in enumerate(segments) if s["start"] >= ideas[2]["start"])
    run_musings("edit", str(memo["id"]), str(last), "Here is a recipe I keep coming back to.", data_dir=data_dir,
                check=True)
    run_musings("themes", "--rebuild", data_dir=data_dir, check=True)
    again = show(data_dir, memo["id"])["ideas"]
    assert [i["start"] for i in again] == [i["start"] for i in ideas], (again, ideas)
    assert (again[1]["title"], again[1]["theme_id"]) == ("Flights to Boston", elsewhere["id"]), again
    # plain refusals
    empty = run_musings("idea", "title", str(again[1]["id"]), "  ", data_dir=data_dir)
    assert empty.returncode == 1 and "can't be empty" in empty.stderr and "Traceback" not in empty.stderr
    gone = run_musings("idea", "move", "99999", "unsorted", data_dir=data_dir)
    assert gone.returncode == 1 and "no idea 99999" in gone.stderr and "Traceback" not in gone.stderr
