"""The read commands of the real CLI, in child processes, on a real imported data folder."""
from __future__ import annotations

import json
import shutil

import pytest

from app.importer import Importer
from tests.conftest import DATA, run_musings


@pytest.fixture
def imported(tmp_path, transcriber):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "formats/jfk.mp3", folder)
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg", folder)
    data_dir = tmp_path / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        importer.run([folder])
    return data_dir


def test_list_show_search_status(imported):
    memos = json.loads(run_musings("list", "--json", data_dir=imported, check=True).stdout)
    assert sorted(m["original_name"] for m in memos) == ["fleurs-en-001.ogg", "jfk.mp3"]
    jfk = next(m for m in memos if m["original_name"] == "jfk.mp3")

    shown = run_musings("show", str(jfk["id"]), data_dir=imported, check=True).stdout
    assert "[0:00 →" in shown and "fellow Americans" in shown
    detail = json.loads(run_musings("show", str(jfk["id"]), "--json", data_dir=imported, check=True).stdout)
    assert detail["segments"][0]["words"][0]["word"].strip()

    hits = json.loads(run_musings("search", "country", "--json", data_dir=imported, check=True).stdout)
    assert [h["memo_id"] for h in hits] == [jfk["id"]] and "**country**" in hits[0]["snippet"]
    plain = run_musings("search", '"fellow americans" (', data_dir=imported, check=True).stdout
    assert "[fellow Americans]" in plain

    status = json.loads(run_musings("status", "--json", data_dir=imported, check=True).stdout)
    assert status["memos"]["done"] == 2 and status["audio_seconds"] > 19


def test_unknown_memo_and_bad_model_are_one_line_errors(imported, tmp_path):
    missing = run_musings("show", "999", data_dir=imported)
    assert missing.returncode == 1 and missing.stderr.strip() == "musings: no memo 999"
    bad_model = run_musings("import", str(DATA / "formats/jfk.mp3"), "--model", "large-v3", data_dir=tmp_path / "d")
    assert bad_model.returncode == 1 and "--allow-download" in bad_model.stderr


def test_no_display_gives_a_clear_message_instead_of_a_crash(tmp_path):
    env = {"DISPLAY": "", "WAYLAND_DISPLAY": "", "QT_QPA_PLATFORM": ""}
    result = run_musings(data_dir=tmp_path / "d", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == ("musings: no display to open the window on; the commands work without one "
                                     "(musings --help)")


def test_edit_shows_the_users_words_and_restore_brings_back_the_transcription(imported):
    memos = json.loads(run_musings("list", "--json", data_dir=imported, check=True).stdout)
    jfk = str(next(m["id"] for m in memos if m["original_name"] == "jfk.mp3"))
    original = json.loads(run_musings("show", jfk, "--json", data_dir=imported, check=True).stdout)["segments"][0]

    run_musings("edit", jfk, "0", "And so, my fellow citizens of the zeppelin,", data_dir=imported, check=True)
    shown = run_musings("show", jfk, data_dir=imported, check=True).stdout
    assert "my fellow citizens of the zeppelin, (edited)" in shown
    assert shown.count("(edited)") == 1
    segment = json.loads(run_musings("show", jfk, "--json", data_dir=imported, check=True).stdout)["segments"][0]
    assert segment["text"] == original["text"]
    assert segment["edited_text"] == "And so, my fellow citizens of the zeppelin,"
    hits = json.loads(run_musings("search", "zeppelin", "--json", data_dir=imported, check=True).stdout)
    assert [str(h["memo_id"]) for h in hits] == [jfk]

    run_musings("edit", jfk, "0", "--restore", data_dir=imported, check=True)
    shown = run_musings("show", jfk, data_dir=imported, check=True).stdout
    assert "(edited)" not in shown and original["text"].strip() in shown
    missing = run_musings("edit", jfk, "99", "text", data_dir=imported)
    assert missing.returncode == 1 and "no segment 99" in missing.stderr
