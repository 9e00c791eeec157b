"""`musings export` killed part-way (SIGKILL at chosen system calls), then run again; a lost manifest; file modes.

The kill points come from strace's fault injection: `-e inject=/^rename:signal=KILL:when=N` kills the real
`musings export` on entry to its Nth rename (after a temporary file was written, before it takes its name),
`/^fsync` after a temporary file's bytes were written, `/^unlink` while stale files are being removed.
No hook in the app: the child is the real command, stopped where a power cut or `kill -9` could stop it.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import stat
from pathlib import Path

import pytest

from app.export import MANIFEST_NAME
from storage import memos as store
from storage import themes as org
from storage.db import open_database
from storage.data_folder import copy_into_library, hash_file, library_path_for
from tests.conftest import DATA, references, run_musings

CLIPS = ["formats/jfk.mp3", "formats/format_test.m4a", "speech/fleurs_en_opus/fleurs-en-000.ogg",
         "speech/fleurs_en_opus/fleurs-en-003.ogg", "speech/fleurs_en_opus/fleurs-en-005.ogg"]
COPY_SUFFIX = re.compile(r"^musings-\d+-\d+\.")  # audio/musings-3-2.mp3: a second copy of memo 3's audio
STRACE = shutil.which("strace")


def build_library(data_dir: Path) -> None:
    """A data folder as the importer leaves it: the real clips copied into the library by content hash,
    their reference transcripts, and two themes."""
    db = open_database(data_dir)
    texts = references()
    themes = [org.create_theme(db, "Speeches"), org.create_theme(db, "Travel")]
    for n, clip in enumerate(CLIPS):
        source = DATA / clip
        digest = hash_file(source)
        relative = library_path_for(digest, source.suffix)
        copy_into_library(data_dir, source, relative)
        memo_id = store.add_memo(db, store.NewMemo(digest, source.name, str(source), relative,
                                                   f"2026-03-{n + 1:02d}T08:00:00+00:00", "mtime", 10.0))
        text = texts.get(source, "a short test recording")
        store.save_transcript(db, memo_id, [store.StoredSegment(0.0, 10.0, text, -0.2, 0.01)],
                              language="en", model="tiny.en")
        org.place_memo(db, memo_id, themes[n % 2])
    db.conn.close()


@pytest.fixture(scope="module")
def library_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("library") / "data"
    build_library(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def clean_vault(library_dir, tmp_path_factory) -> dict[str, bytes]:
    """What one uninterrupted export of the library writes."""
    vault = tmp_path_factory.mktemp("clean") / "vault"
    report = export(vault, library_dir)
    assert report["kept"] == [] and report["removed"] == 0
    return vault_files(vault)


def export(vault: Path, data_dir: Path, *, kill_at: tuple[str, int] | None = None, umask: int | None = None):
    """Run the real `musings export VAULT --json`; with `kill_at=(syscall, n)` SIGKILL it on its nth such call."""
    wrapper: tuple[str, ...] = ()
    if kill_at is not None:
        assert STRACE, "these tests need strace (scripts/bootstrap.sh installs it)"
        syscall, n = kill_at
        wrapper = (STRACE, "-f", "-qq", "-e", "signal=none", "-o", os.devnull, "-e", f"trace=/^{syscall}",
                   "-e", f"inject=/^{syscall}:signal=KILL:when={n}")
    if umask is not None:
        wrapper = ("sh", "-c", f'umask {umask:03o} && exec "$@"', "sh", *wrapper)
    # No .pyc writes in the child: they are renames too and would shift the kill points.
    result = run_musings("export", str(vault), "--json", data_dir=data_dir, wrapper=wrapper,
                         env={"PYTHONDONTWRITEBYTECODE": "1"})
    if kill_at is not None:
        assert result.returncode in (-signal.SIGKILL, 128 + signal.SIGKILL), (
            f"the export was not killed at {kill_at} (exit {result.returncode}):\n{result.stderr}")
        return None
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def count_calls(vault: Path, data_dir: Path, syscall: str) -> int:
    """How many successful `syscall` calls an uninterrupted export into `vault` makes, all inside the vault."""
    assert STRACE, "these tests need strace (scripts/bootstrap.sh installs it)"
    log = vault.parent / f"{syscall}.strace"
    result = run_musings("export", str(vault), "--json", data_dir=data_dir,
                         wrapper=(STRACE, "-f", "-qq", "-e", "signal=none", "-o", str(log), "-e", f"trace=/^{syscall}"),
                         env={"PYTHONDONTWRITEBYTECODE": "1"})
    assert result.returncode == 0, result.stderr
    calls = [line for line in log.read_text().splitlines() if re.search(rf"\b{syscall}\w*\(.*= 0$", line)]
    if syscall != "fsync":
        assert all(str(vault) in line for line in calls), "a call outside the vault would shift the kill points"
    return len(calls)


def vault_files(vault: Path) -> dict[str, bytes]:
    """Every file of the vault but the manifest (it holds absolute library paths and copy times)."""
    return {p.relative_to(vault).as_posix(): p.read_bytes()
            for p in sorted(vault.rglob("*")) if p.is_file() and p.name != MANIFEST_NAME}


def assert_complete(vault: Path, report: dict, expected: dict[str, bytes]) -> None:
    assert report["kept"] == [], f"Musings' own files reported as the user's edits: {report['kept']}"
    files = vault_files(vault)
    assert not [name for name in files if COPY_SUFFIX.match(Path(name).name)], f"duplicate audio: {sorted(files)}"
    assert not [name for name in files if Path(name).name.startswith(".")], f"leftovers: {sorted(files)}"
    assert files == expected, "the re-exported vault differs from an uninterrupted export"
    manifest = json.loads((vault / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert sorted(manifest["files"]) == sorted(expected)


@pytest.fixture(scope="module")
def renames(library_dir, tmp_path_factory) -> int:
    return count_calls(tmp_path_factory.mktemp("count") / "vault", library_dir, "rename")


@pytest.mark.parametrize("point", ["first", "second", "fourth", "middle", "last but one", "last"])
def test_export_killed_at_a_rename_is_completed_by_the_next_export(point, renames, library_dir, clean_vault, tmp_path):
    n = {"first": 1, "second": 2, "fourth": 4, "middle": renames // 2, "last but one": renames - 1,
         "last": renames}[point]
    vault = tmp_path / "vault"
    export(vault, library_dir, kill_at=("rename", n))

    report = export(vault, library_dir)

    assert_complete(vault, report, clean_vault)
    again = export(vault, library_dir)
    assert again["written"] == 0 and again["removed"] == 0 and again["kept"] == []


@pytest.mark.parametrize("n", [1, 3, 8])
def test_export_killed_after_writing_a_temporary_file_leaves_no_leftovers(n, library_dir, clean_vault, tmp_path):
    vault = tmp_path / "vault"
    export(vault, library_dir, kill_at=("fsync", n))

    report = export(vault, library_dir)

    assert_complete(vault, report, clean_vault)
    assert not list(vault.rglob(".musings-tmp-*"))


def test_export_killed_twice_makes_no_second_or_third_copies(renames, library_dir, clean_vault, tmp_path):
    vault = tmp_path / "vault"
    export(vault, library_dir, kill_at=("rename", renames // 2))
    export(vault, library_dir, kill_at=("rename", 2))

    report = export(vault, library_dir)

    assert_complete(vault, report, clean_vault)
    size = sum(p.stat().st_size for p in vault.rglob("*") if p.is_file())
    audio = sum((DATA / clip).stat().st_size for clip in CLIPS)
    assert size < audio + 64 * 1024, "the vault holds more than one copy of the audio"


@pytest.mark.parametrize("kill_at", [("rename", 2), ("rename", 3), ("unlink", 1)])
def test_update_killed_part_way_is_completed_not_kept_as_a_user_edit(kill_at, library_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(library_dir, data_dir)
    vault = tmp_path / "vault"
    export(vault, data_dir)
    # A retitled memo (its note is renamed, the old one removed) and a corrected transcript.
    run_musings("title", "1", "Ask not what your country can do", data_dir=data_dir, check=True)
    run_musings("edit", "3", "0", "The styles in the west lagged behind", data_dir=data_dir, check=True)
    export(vault, data_dir, kill_at=kill_at)

    report = export(vault, data_dir)

    fresh = tmp_path / "fresh"
    export(fresh, data_dir)
    assert_complete(vault, report, vault_files(fresh))
    assert "Ask not what your country can do.md" in vault_files(vault)


def test_lost_manifest_keeps_every_user_line_and_duplicates_no_audio(library_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(library_dir, data_dir)
    vault = tmp_path / "vault"
    export(vault, data_dir)
    audio_before = sorted((vault / "audio").iterdir())
    note = next(p for p in vault.glob("*.md") if p.stem == "jfk.mp3")
    edited = note.read_text(encoding="utf-8") + "\nMy own follow-up: call Sam about this.\n"
    note.write_text(edited, encoding="utf-8")
    mine = vault / "My plans.md"
    mine.write_text("---\ntitle: My plans\n---\nthings to do\n", encoding="utf-8")
    (vault / MANIFEST_NAME).unlink()  # a sync tool that skips hidden files
    run_musings("edit", "2", "0", "A corrected line", data_dir=data_dir, check=True)

    report = export(vault, data_dir)

    assert note.read_text(encoding="utf-8") == edited, "the user's line was overwritten"
    assert report["kept"] == [str(note)]
    assert mine.read_text(encoding="utf-8") == "---\ntitle: My plans\n---\nthings to do\n"
    assert sorted((vault / "audio").iterdir()) == audio_before, "audio copied again"
    assert not [p for p in vault.glob("*.md") if p.stem.startswith("jfk.mp3 (")], "the memo's note was duplicated"
    assert "A corrected line" in next(p for p in vault.glob("*.md") if p.stem == "format_test.m4a").read_text()
    again = export(vault, data_dir)
    assert again["written"] == 0 and again["kept"] == [str(note)]


def test_second_audio_copies_left_by_an_interrupted_export_are_removed(library_dir, clean_vault, tmp_path):
    vault = tmp_path / "vault"
    export(vault, library_dir)
    # What an interrupted export used to leave: a second copy of a memo's audio that no manifest lists.
    first = sorted((vault / "audio").iterdir())[0]
    stale = first.with_name(first.stem + "-2" + first.suffix)
    shutil.copy(first, stale)
    (vault / MANIFEST_NAME).unlink()

    report = export(vault, library_dir)

    assert not stale.exists()
    assert report["removed"] == 1
    assert_complete(vault, report, clean_vault)


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_vault_files_follow_the_umask_not_the_private_library(umask, mode, library_dir, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(library_dir, data_dir)
    for path in (data_dir / "library").rglob("*"):  # the data folder is private to its owner
        path.chmod(0o700 if path.is_dir() else 0o600)
    vault = tmp_path / "vault"

    export(vault, data_dir, umask=umask)

    modes = {p.relative_to(vault).as_posix(): stat.S_IMODE(p.stat().st_mode) for p in vault.rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {mode}, modes


def test_a_second_export_into_the_same_folder_is_refused_with_one_line(library_dir, tmp_path):
    import fcntl

    vault = tmp_path / "vault"
    vault.mkdir()
    descriptor = os.open(vault, os.O_RDONLY)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)  # as a running export holds it
        result = run_musings("export", str(vault), data_dir=library_dir)
    finally:
        os.close(descriptor)

    assert result.returncode == 1
    assert result.stderr.strip() == f"musings: another export into {vault} is running"
    assert list(vault.iterdir()) == []
