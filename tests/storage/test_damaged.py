"""A damaged or lost database, from a real library: one-line errors, nothing overwritten, `musings repair`."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from app.importer import Importer
from tests.conftest import DATA, run_musings

CLIPS = [DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg", DATA / "formats/jfk.mp3",
         DATA / "speech/ljspeech/LJ001-0002.wav"]


@pytest.fixture
def library(tmp_path, transcriber) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for clip in CLIPS:
        shutil.copy(clip, folder)
    data_dir = tmp_path / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        importer.run([folder])
    conn = sqlite3.connect(data_dir / "musings.db")
    with conn:
        conn.execute("UPDATE memos SET title = 'My own title', title_edited = 1 WHERE original_name = 'jfk.mp3'")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file, as a backup or a copy would have it
    conn.close()
    return data_dir


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _garbage(path: Path) -> None:
    path.write_bytes(os.urandom(path.stat().st_size))


def _empty(path: Path) -> None:
    path.write_bytes(b"")


def _missing(path: Path) -> None:
    path.unlink()


def _words_page(path: Path) -> None:
    """Scribble over the root page of the words table: the memos table stays readable."""
    with sqlite3.connect(path) as conn:
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'words'").fetchone()[0]
    conn.close()
    with open(path, "r+b") as handle:
        handle.seek((root - 1) * page_size)
        handle.write(b"\xa5" * page_size)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "missing"


@pytest.mark.parametrize("damage", [_truncate, _garbage, _empty, _missing, _words_page],
                         ids=["truncated", "garbage", "zero-bytes", "missing", "damaged-page"])
def test_a_damaged_database_is_reported_kept_and_repaired_from_the_library(library, damage):
    database = library / "musings.db"
    for extra in (library / "musings.db-wal", library / "musings.db-shm"):
        extra.unlink(missing_ok=True)
    damage(database)
    before = digest(database)

    for command in (("list",), ("status",), ("show", "1"), ("search", "--keyword", "country"), ("import",),
                    ("title", "1", "x")):
        result = run_musings(*command, data_dir=library)
        assert result.returncode == 1, (command, result.stdout, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("musings: ") and "musings repair" in lines[0], (command, lines)
    assert digest(database) == before  # never written over
    assert not (library / "musings.db-wal").exists()

    repaired = run_musings("repair", data_dir=library)
    assert repaired.returncode == 0, repaired.stderr
    assert "3 recording(s) from the library added" in repaired.stdout
    if damage is not _missing:
        (kept,) = library.glob("musings.db.damaged-*[0-9]Z")
        assert digest(kept) == before and str(kept) in repaired.stdout

    memos = json.loads(run_musings("list", "--json", data_dir=library, check=True).stdout)
    assert [m["status"] for m in memos] == ["pending"] * 3
    if damage is _words_page:  # what the damaged file still held came back
        assert sorted(m["original_name"] for m in memos) == sorted(c.name for c in CLIPS)
        assert "3 with their names and dates" in repaired.stdout
        assert [m["title"] for m in memos if m["original_name"] == "jfk.mp3"] == ["My own title"]
    again = run_musings("repair", data_dir=library, check=True)
    assert "Nothing to repair" in again.stdout

    if damage in (_truncate, _words_page):  # and the queue is transcribed like any interrupted import
        imported = run_musings("import", "--json", data_dir=library, check=True)
        assert json.loads(imported.stdout)["counts"]["done"] == 3
        memos = json.loads(run_musings("list", "--json", data_dir=library, check=True).stdout)
        jfk = next(m for m in memos if m["library_path"].endswith(".mp3"))
        assert "country" in jfk["transcript"].lower()
        assert {m["status"] for m in memos} == {"done"}


def test_an_empty_database_with_an_empty_library_is_a_new_library(tmp_path):
    data_dir = tmp_path / "fresh"
    data_dir.mkdir()
    (data_dir / "musings.db").write_bytes(b"")
    result = run_musings("status", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert sum(json.loads(result.stdout)["memos"].values()) == 0
