"""What the commands print: a reader that goes away, numbers beyond SQLite, text that holds terminal escapes."""
from __future__ import annotations

import os
import subprocess
import sys

from app.display import memo_title, terminal_safe
from storage import memos as store
from storage import themes as org
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import ROOT, run_musings

ESCAPES = "\x1b]0;owned\x07\x1b[2J\x1b[31m"  # set the window title, clear the screen, red


def test_a_reader_that_stops_early_gets_no_traceback(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    add_transcribed(db, [f"note number {n} about the garden and the long list of seeds to buy" for n in range(1200)])
    db.conn.close()
    # `musings list | head -1`: far more than a pipe holds, and the reader leaves after one line.
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "list"], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, env={**os.environ, "MUSINGS_HOME": str(data_dir)})
    assert child.stdout.readline().strip()
    child.stdout.close()
    errors = child.stderr.read().decode()
    assert child.wait(60) == 141  # 128 + SIGPIPE, as a shell reports `cat` stopped the same way
    assert errors == ""


def test_numbers_beyond_sqlite_get_one_line(tmp_path):
    data_dir = tmp_path / "data"
    add_transcribed(open_database(data_dir), ["a memo to edit"])
    for args in (["edit", "1", "999999999999999999999", "x"], ["show", "99999999999999999999"],
                 ["list", "--limit", "99999999999999999999"]):
        result = run_musings(*args, data_dir=data_dir)
        assert result.returncode == 1, args
        assert result.stderr.startswith("musings: ") and result.stderr.count("\n") == 1, result.stderr


def test_titles_transcripts_and_theme_names_are_printed_without_their_escapes(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    [memo_id] = add_transcribed(db, [f"buy seeds {ESCAPES}for the garden"])
    run_musings("title", str(memo_id), f"{ESCAPES}Garden", data_dir=data_dir, check=True)
    run_musings("move", str(memo_id), f"{ESCAPES}Plants", data_dir=data_dir, check=True)
    outputs = [run_musings(*args, data_dir=data_dir, check=True).stdout
               for args in (["list"], ["themes"], ["show", str(memo_id)], ["search", "seeds", "--keyword"])]
    for output in outputs:
        assert "\x1b" not in output and "\x07" not in output, output
    assert "\\x1b]0;owned\\x07\\x1b[2J\\x1b[31mGarden" in outputs[0]
    assert "\\x1b[31mPlants" in outputs[1]
    assert "buy seeds \\x1b" in outputs[2]
    assert "[seeds]" in outputs[3] and "\\x1b[31mGarden" in outputs[3]
    assert terminal_safe("line\u202eevil") == "line\\u202eevil"


def test_a_memo_without_speech_is_named_by_its_date_not_its_file(tmp_path):
    db = open_database(tmp_path)
    memo_id = store.add_memo(db, store.NewMemo("h", "20261202T032100.123456Z.ogg", "/inbox/x.ogg", "library/h.ogg",
                                               "2026-12-02T03:21:00+00:00", "metadata", 3.0))
    store.set_status(db, memo_id, store.EMPTY)
    title = memo_title(store.get_memo(db, memo_id))
    assert title.startswith("No speech · ") and "ogg" not in title and ":21" in title
    org.set_title(db, memo_id, "Walk to work", by_user=True)
    assert memo_title(store.get_memo(db, memo_id)) == "Walk to work"
