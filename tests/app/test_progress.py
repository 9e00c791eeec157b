"""The import progress line a user watches during a long import."""
from __future__ import annotations

import io
import shutil

from app.importer import Importer
from app.progress import ImportProgressBar
from app.timefmt import clock
from tests.conftest import DATA


def test_progress_shows_files_audio_time_and_time_left(tmp_path, transcriber):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("fleurs-en-001.ogg", "fleurs-en-002.ogg"):
        shutil.copy(DATA / "speech/fleurs_en_opus" / name, folder)
    (folder / "notes.txt").write_text("not audio")
    stream = io.StringIO()
    with Importer(tmp_path / "data", transcriber=transcriber, on_event=ImportProgressBar(stream, show_bar=True),
                  organize=False) as importer:
        importer.run([folder])
    output = stream.getvalue()
    assert "skipped: " in output and "not an audio file (.txt)" in output
    assert "files 2/2" in output
    assert "audio 0:20/0:20" in output  # 8.8 s + 11.5 s
    assert " left" in output


def test_clock():
    assert (clock(59.6), clock(3725), clock(None)) == ("1:00", "1:02:05", "?")
