"""Imports that meet odd names, odd files and each other: the real CLI in child processes, real recordings."""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from storage import memos as store
from storage.db import open_database
from storage.data_folder import copy_into_library, remove_partial_copies
from tests.conftest import DATA, ROOT, run_musings

CLIPS = sorted(p for p in (DATA / "speech").rglob("*") if p.suffix in {".ogg", ".wav", ".mp3"})


def memo_rows(data_dir: Path) -> list[dict]:
    with sqlite3.connect(data_dir / "musings.db") as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM memos ORDER BY id")]


def musings_child(data_dir: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(child: subprocess.Popen) -> tuple[int, dict, str]:
    out, err = child.communicate(timeout=600)
    return child.returncode, json.loads(out) if out.strip() else {}, err


def inbox_of(tmp_path: Path, clips: list[Path]) -> Path:
    """A folder holding copies of `clips`."""
    folder = tmp_path / "inbox"
    folder.mkdir()
    for clip in clips:
        shutil.copy(clip, folder / clip.name)
    return folder


def assert_each_clip_imported_once(data_dir: Path, clips: list[Path], children: list[subprocess.Popen]) -> None:
    """Every run ends cleanly and each recording was transcribed by exactly one of them, never by two."""
    outcomes = [finish(child) for child in children]
    for code, _, err in outcomes:
        assert code == 0 and "Traceback" not in err, err
    rows = memo_rows(data_dir)
    assert sorted(r["original_name"] for r in rows) == sorted(c.name for c in clips)
    assert {r["status"] for r in rows} == {"done"}
    transcribed = [e["memo_id"] for _, report, _ in outcomes for e in report["events"] if e["kind"] == "done"]
    assert sorted(transcribed) == sorted(r["id"] for r in rows)


# -- item 7: names that are not UTF-8 -------------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_imported_and_its_exact_name_kept(tmp_path, data_dir):
    folder = tmp_path / "inbox"
    folder.mkdir()
    raw_name = b"caf\xe9.wav"  # Latin-1, as an old recorder or a Windows share writes it
    raw_path = os.path.join(os.fsencode(folder), raw_name)
    with open(raw_path, "wb") as out:
        out.write((DATA / "speech/ljspeech/LJ001-0002.wav").read_bytes())
    shutil.copy(DATA / "speech/ljspeech/LJ001-0008.wav", folder / "plain.wav")

    result = run_musings("import", str(folder), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert json.loads(result.stdout)["counts"]["done"] == 2
    rows = memo_rows(data_dir)
    assert {r["status"] for r in rows} == {"done"} and len(rows) == 2
    odd = next(r for r in rows if r["original_name"] != "plain.wav")
    assert odd["original_name"] == "caf\\xe9.wav"  # readable, and says which byte it was
    db = open_database(data_dir)
    exact = store.original_path_bytes(db, odd["id"])
    assert exact == os.path.realpath(raw_path)
    assert Path(os.fsdecode(exact)).read_bytes() == (data_dir / odd["library_path"]).read_bytes()
    plain = next(r for r in rows if r["original_name"] == "plain.wav")
    assert store.original_path_bytes(db, plain["id"]) == os.fsencode(folder.resolve() / "plain.wav")
    assert not list((data_dir / "library").rglob("*.partial"))

    # Every command that prints the name copes with it; a second import knows the file.
    again = run_musings("import", str(folder), data_dir=data_dir)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr
    assert "0 transcribed" in again.stdout and "2 skipped" in again.stdout
    listed = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
    assert "caf\\xe9.wav" in {m["original_name"] for m in listed}
    shown = run_musings("show", str(odd["id"]), data_dir=data_dir, check=True)
    assert "caf\\xe9.wav" in shown.stdout
    for command in (("status",), ("status", "--json"), ("export", str(tmp_path / "vault"))):
        printed = run_musings(*command, data_dir=data_dir)
        assert printed.returncode == 0 and "Traceback" not in printed.stderr, (command, printed.stderr)


# -- item 9: FIFOs and other files that are not regular ------------------------------------------

def test_a_named_pipe_called_wav_is_skipped_with_the_reason(tmp_path, data_dir):
    folder = tmp_path / "inbox"
    folder.mkdir()
    os.mkfifo(folder / "x.wav")  # nobody ever writes to it: opening it to read would wait forever
    shutil.copy(CLIPS[0], folder / CLIPS[0].name)

    result = run_musings("import", str(folder), "--json", data_dir=data_dir, timeout=300)
    assert result.returncode == 0, result.stderr
    events = json.loads(result.stdout)["events"]
    assert [(Path(e["path"]).name, e["kind"], e["reason"]) for e in events if e["kind"] != "done"] == [
        ("x.wav", "skipped", "not a regular file (a named pipe)")]
    assert [r["status"] for r in memo_rows(data_dir)] == ["done"]

    named = run_musings("import", str(folder / "x.wav"), data_dir=data_dir, timeout=300)
    assert named.returncode == 0, named.stderr
    assert "x.wav: not a regular file (a named pipe)" in named.stderr


# -- item 8: imports at the same time -------------------------------------------------------------

def test_two_imports_of_the_same_folder_at_once_import_each_file_once(tmp_path, data_dir):
    clips = CLIPS[:8]
    folder = inbox_of(tmp_path, clips)
    first, second = (musings_child(data_dir, "import", str(folder), "--json") for _ in range(2))
    assert_each_clip_imported_once(data_dir, clips, [first, second])
    assert not list((data_dir / "library").rglob("*.partial"))


def test_an_import_while_another_process_adds_the_same_file(tmp_path, data_dir):
    clips = CLIPS[:6]
    folder = inbox_of(tmp_path, clips)
    whole = musings_child(data_dir, "import", str(folder), "--json")
    single = musings_child(data_dir, "import", str(folder / clips[-1].name), "--json")
    assert_each_clip_imported_once(data_dir, clips, [whole, single])


COPY_IN_CHILD = """
import sys
from pathlib import Path
from storage.data_folder import copy_into_library
copy_into_library(Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3])
"""


def test_cleanup_of_interrupted_copies_leaves_a_copy_in_progress_alone(tmp_path, data_dir):
    """Another process's copy is running (its source is a pipe we feed); a new import's cleanup runs meanwhile."""
    source = tmp_path / "slow-source"
    os.mkfifo(source)
    relative = "library/ab/abcdef.wav"
    child = subprocess.Popen([sys.executable, "-c", COPY_IN_CHILD, str(data_dir), str(source), relative],
                             cwd=ROOT, stderr=subprocess.PIPE, text=True)
    audio = CLIPS[0].read_bytes()
    with open(source, "wb") as feed:
        feed.write(audio[:4096])
        feed.flush()
        while not list((data_dir / "library").glob("*/*.partial")):  # the copy is under way
            assert child.poll() is None, child.stderr.read()
            time.sleep(0.05)
        # A crash's leftover, which the cleanup must still remove.
        stale = data_dir / "library" / "cd" / "cdef.wav.partial"
        stale.parent.mkdir()
        stale.write_bytes(b"half")
        remove_partial_copies(data_dir)
        assert stale.exists()  # a copy is running: the cleanup waits for a quiet moment
        feed.write(audio[4096:])
    _, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert (data_dir / relative).read_bytes() == audio
    assert remove_partial_copies(data_dir) == 1 and not stale.exists()
    assert copy_into_library(data_dir, CLIPS[0], relative) == data_dir / relative


# -- issue 15, point 8: import feedback in plain words, and what a cancel leaves ----------------------

FLEURS = DATA / "speech/fleurs_en_opus"
EVENT_KEYS = {"kind", "path", "reason", "memo_id", "duration", "plain_reason"}  # plain_reason: new


def write_problem_files(folder: Path) -> None:
    import random
    import wave

    (folder / "x.mp3").write_bytes(random.Random(15).randbytes(20_000))  # corrupt: random bytes
    (folder / "empty.m4a").write_bytes(b"")
    (folder / "notes.wav").write_text("Shopping: milk, eggs, bread.\n")  # a text file named .wav
    (folder / "todo.txt").write_text("call the plumber\n")
    with wave.open(str(folder / "silence.wav"), "wb") as out:  # 3 s of digital silence
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        out.writeframes(b"\0\0" * 48_000)


def test_the_cli_names_each_problem_file_in_plain_words_one_line_each(tmp_path, data_dir):
    folder = inbox_of(tmp_path, [FLEURS / "fleurs-en-001.ogg"])
    write_problem_files(folder)

    first = run_musings("import", str(folder), "--json", data_dir=data_dir, timeout=300)
    assert first.returncode == 1, first.stderr  # some files failed
    outcome = json.loads(first.stdout)
    assert set(outcome) == {"counts", "events"}
    assert all(set(event) == EVENT_KEYS for event in outcome["events"])
    by_name = {Path(e["path"]).name: e for e in outcome["events"] if e["kind"] in ("skipped", "failed", "empty")}
    # --json keeps the precise reason (the decoder's words); plain_reason is what a person reads
    assert by_name["x.mp3"]["reason"].startswith("not a readable audio file (")
    assert {name: (e["kind"], e["plain_reason"]) for name, e in by_name.items()} == {
        "x.mp3": ("failed", "damaged or not an audio file"),
        "notes.wav": ("failed", "damaged or not an audio file"),
        "empty.m4a": ("failed", "empty file"),
        "todo.txt": ("skipped", "not an audio file (.txt)"),
        "silence.wav": ("empty", "no speech found"),
    }
    assert sorted(first.stderr.splitlines()) == sorted([
        f"failed: {folder / 'x.mp3'}: damaged or not an audio file",
        f"failed: {folder / 'notes.wav'}: damaged or not an audio file",
        f"failed: {folder / 'empty.m4a'}: empty file",
        f"skipped: {folder / 'todo.txt'}: not an audio file (.txt)",
        "empty: silence.wav: no speech found",
    ])

    again = run_musings("import", str(folder), data_dir=data_dir, timeout=300)
    ids = {r["original_name"]: r["id"] for r in memo_rows(data_dir)}
    assert sorted(again.stderr.splitlines()) == sorted([
        f"failed: {folder / 'x.mp3'}: damaged or not an audio file",
        f"failed: {folder / 'notes.wav'}: damaged or not an audio file",
        f"failed: {folder / 'empty.m4a'}: empty file",
        f"skipped: {folder / 'todo.txt'}: not an audio file (.txt)",
        f"skipped: {folder / 'fleurs-en-001.ogg'}: already in your library (memo {ids['fleurs-en-001.ogg']})",
        f"skipped: {folder / 'silence.wav'}: already in your library (memo {ids['silence.wav']})",
    ])
    assert "Invalid data" not in again.stderr + first.stderr
    assert again.stdout == "0 transcribed, 0 without speech, 3 skipped, 3 failed\n"


def test_plain_reasons_for_what_a_test_machine_cannot_make_happen():
    from app.importer import plain_reason

    assert plain_reason("cannot read the file (Permission denied)") == "can't be read (permission denied)"
    assert plain_reason("the file vanished before it could be read") == "moved or deleted before it could be read"
    assert plain_reason("memo 4, in the trash (musings restore 4)") == (
        "already in your library, but deleted (memo 4, in the trash)")
    assert plain_reason("the audio could not be decoded (End of file)") == "damaged or not an audio file"
    assert plain_reason("no audio stream in the file") == "has no sound in it (no audio track)"
    assert plain_reason("internal error: ValueError('x') (see the log)") == (
        "something went wrong while transcribing it (details in the log)")
    assert plain_reason("a reason nobody mapped yet") == "a reason nobody mapped yet"
    assert plain_reason(None) is None


def test_a_cancel_while_adding_files_leaves_the_rest_for_resume(tmp_path, data_dir, transcriber):
    import threading

    from app.importer import Importer

    folder = inbox_of(tmp_path, [FLEURS / f"fleurs-en-00{n}.ogg" for n in (1, 2, 4)])
    (folder / "zz-notes.txt").write_text("not audio")  # after the cancel: not looked at, so not reported
    cancel = threading.Event()

    def cancel_after_the_first_file(event, progress) -> None:
        if event.kind == "queued":
            cancel.set()

    with Importer(data_dir, transcriber=transcriber, organize=False, on_event=cancel_after_the_first_file,
                  cancel=cancel) as importer:
        report = importer.run([folder])
    recordings = sorted(p for p in folder.iterdir() if p.suffix == ".ogg")
    assert [(e.kind, Path(e.path).name) for e in report.events] == [("queued", recordings[0].name)]
    assert report.not_reached == recordings[1:]
    assert len(report.waiting_memo_ids()) == 1 and report.not_imported() == 3 and report.imported_memo_ids() == []

    with Importer(data_dir, transcriber=transcriber, organize=False) as importer:  # Resume
        resumed = importer.run(report.not_reached)
    assert len(resumed.imported_memo_ids()) == 3 and not resumed.problems() and resumed.not_imported() == 0
    rows = memo_rows(data_dir)
    assert sorted(r["original_name"] for r in rows) == [p.name for p in recordings]  # each once
    assert {r["status"] for r in rows} == {"done"}
