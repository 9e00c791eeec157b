"""Watched folders (app/intake.py): real recordings landing in real folders, the real Importer and Whisper,
the real `musings watch` command. No timing assertions: every wait is on a condition, with a generous limit."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app.core import Musings
from app.intake import FolderWatcher, WatchLock, filesystem_type, ignored_name, ignored_path, needs_polling
from audio.decode import probe
from audio.transcribe import TranscriptionSettings
from musings_errors import NotFound, Refused
from storage import intake as intake_store
from tests.conftest import DATA, ROOT, run_musings

SETTINGS = TranscriptionSettings(model="tiny.en", language="en")  # the session `transcriber` fixture's
JFK = DATA / "formats" / "jfk.mp3"
FLEURS = sorted((DATA / "speech" / "fleurs_en_opus").glob("*.ogg"))
WAIT = 180.0


@pytest.fixture(scope="session")
def embedder():
    from organize.embeddings import Embedder

    return Embedder()


@pytest.fixture
def core(data_dir, transcriber, embedder):
    library = Musings(data_dir)
    # The session's models, shared (what the window does with shared_models=True).
    library._transcribers[(SETTINGS.model, SETTINGS.language, tuple(SETTINGS.vocabulary), SETTINGS.device)] = \
        transcriber
    library._embedder = embedder
    yield library
    library.close()


class Events:
    def __init__(self):
        self.seen: list[tuple[str, str, str | None]] = []
        self._changed = threading.Condition()

    def __call__(self, kind, path, detail):
        with self._changed:
            self.seen.append((kind, path, detail))
            self._changed.notify_all()

    def of(self, kind, path=None) -> list:
        with self._changed:
            return [e for e in self.seen if e[0] == kind and (path is None or e[1] == str(path))]

    def wait(self, kind, path=None, count=1, timeout=WAIT):
        deadline = time.monotonic() + timeout
        with self._changed:
            while len([e for e in self.seen if e[0] == kind and (path is None or e[1] == str(path))]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"no {kind} event for {path} within {timeout} s; events: {self.seen}"
                self._changed.wait(left)


def wait_until(condition, timeout=WAIT, what="the condition"):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.2)


@pytest.fixture
def inbox(tmp_path) -> Path:
    folder = tmp_path / "Recorder"
    folder.mkdir()
    return folder


@pytest.fixture
def watch(core, inbox):
    """A started watcher on `inbox`; yields (watcher, events). Stopped at the end."""
    core.add_watched_folder(inbox)
    started = []

    def start(**options):
        events = Events()
        watcher = FolderWatcher(core, SETTINGS, on_event=events, shared_models=True, **options)
        watcher.start()
        started.append(watcher)
        events.wait("watching")
        return watcher, events

    yield start
    for watcher in started:
        watcher.stop()


def write_slowly(source: Path, target: Path, seconds: float, pieces: int = 12) -> None:
    data = source.read_bytes()
    step = -(-len(data) // pieces)
    with open(target, "wb") as handle:
        for start in range(0, len(data), step):
            handle.write(data[start:start + step])
            handle.flush()
            time.sleep(seconds / pieces)


def memos_of(core, name: str) -> list:
    return [m for m in core.memos() if m.original_name == name]


def test_a_file_written_slowly_is_imported_once_and_whole(core, inbox, watch):
    watcher, events = watch()
    target = inbox / "bedside.mp3"
    writer = threading.Thread(target=write_slowly, args=(JFK, target, 6.0))
    writer.start()
    events.wait("waiting", target)
    writer.join()
    events.wait("imported", target)
    [memo] = core.memos()
    assert memo.status == "done" and "country" in memo.transcript.lower()
    assert abs(memo.duration - probe(JFK).duration) < 0.1
    assert len(events.of("importing", target)) == 1 and len(events.of("imported", target)) == 1
    assert watcher.pending() == []
    assert core.search("country", mode="keyword")


def test_sync_tools_temporary_names_wait_until_renamed(core, inbox, watch):
    watcher, events = watch()
    temporary = [inbox / ".syncthing.note.ogg.tmp", inbox / "~syncthing~note2.ogg.tmp", inbox / "note3.ogg.part",
                 inbox / ".~note4.ogg", inbox / "note5.ogg.crdownload", inbox / ".hidden" / "note6.ogg"]
    (inbox / ".hidden").mkdir()
    for path, source in zip(temporary, FLEURS):
        shutil.copy(source, path)
    good = inbox / "marker.ogg"  # imported after the temporary files landed: they were looked at by then
    shutil.copy(FLEURS[7], good)
    events.wait("imported", good)
    assert len(core.memos()) == 1
    assert not [e for e in events.seen if e[1] in map(str, temporary)]
    os.rename(temporary[0], inbox / "note.ogg")  # Syncthing's rename once the file is whole
    events.wait("imported", inbox / "note.ogg")
    assert len(memos_of(core, "note.ogg")) == 1 and len(core.memos()) == 2


def test_a_reused_name_with_new_content_is_a_new_memo_and_the_same_content_is_skipped(core, inbox, watch):
    watcher, events = watch()
    clip = inbox / "REC001.ogg"
    shutil.copy(FLEURS[0], clip)
    events.wait("imported", clip)
    shutil.copy(FLEURS[1], clip)  # the recorder starts its numbering again
    events.wait("imported", clip, count=2)
    shutil.copy(FLEURS[0], inbox / "copy of REC001.ogg")  # the first recording again, under another name
    events.wait("skipped", inbox / "copy of REC001.ogg")
    assert len(core.memos()) == 2
    assert len(memos_of(core, "REC001.ogg")) == 2


def test_junk_is_refused_once_with_its_reason_and_never_retried(core, inbox, watch):
    watcher, events = watch(incomplete_grace=1.0)
    junk, corrupt = inbox / "shopping list.txt", inbox / "broken.mp3"
    junk.write_text("milk, eggs\n")
    corrupt.write_bytes(os.urandom(20_000))
    events.wait("refused", junk)
    events.wait("refused", corrupt)
    good = inbox / "after.ogg"
    shutil.copy(FLEURS[2], good)
    events.wait("imported", good)
    problems = dict(core.status().problems)
    assert problems[str(junk)] == "not an audio file (.txt)"
    assert "not a readable audio file" in problems[str(corrupt)] or "decod" in problems[str(corrupt)]
    os.utime(inbox)  # the folder touched, the files not: still not retried, nor by a new watcher
    watcher.stop()
    watcher, events2 = watch(incomplete_grace=1.0)
    shutil.copy(FLEURS[3], inbox / "later.ogg")
    events2.wait("imported", inbox / "later.ogg")
    assert len(events.of("refused", junk)) == 1 and not events2.of("refused")
    [folder] = core.status().watched
    assert dict(folder.refused)[str(junk)] == "not an audio file (.txt)"
    junk.write_text("milk, eggs, bread\n")  # changed: looked at again
    events2.wait("refused", junk)


def test_deleting_or_moving_a_file_in_a_watched_folder_keeps_its_memo(core, inbox, watch):
    watcher, events = watch()
    clip = inbox / "keep.ogg"
    shutil.copy(FLEURS[4], clip)
    events.wait("imported", clip)
    (inbox / "sub").mkdir()
    os.rename(clip, inbox / "sub" / "keep.ogg")
    events.wait("skipped", inbox / "sub" / "keep.ogg")
    (inbox / "sub" / "keep.ogg").unlink()
    marker = inbox / "marker.ogg"
    shutil.copy(FLEURS[5], marker)
    events.wait("imported", marker)
    assert [m.original_name for m in core.memos()].count("keep.ogg") == 1
    assert all(m.deleted_at is None for m in core.memos()) and len(core.memos()) == 2


def test_a_vanished_folder_is_reported_and_watched_again_when_back(core, inbox, tmp_path, watch):
    other = tmp_path / "Phone"
    other.mkdir()
    core.add_watched_folder(other)
    watcher, events = watch()
    away = tmp_path / "unmounted"
    os.rename(inbox, away)
    events.wait("missing", inbox)
    status = {f.path: f for f in core.status().watched}
    assert "missing" in status[str(inbox)].problem and status[str(other)].problem is None
    shutil.copy(FLEURS[6], other / "phone.ogg")  # the other folder goes on
    events.wait("imported", other / "phone.ogg")
    shutil.copy(FLEURS[8], away / "while away.ogg")
    os.rename(away, inbox)
    events.wait("back", inbox)
    events.wait("imported", inbox / "while away.ogg")
    assert {f.path: f for f in core.status().watched}[str(inbox)].problem is None


def test_a_stopped_watcher_catches_up_and_skips_what_it_saw(core, inbox, watch):
    watcher, events = watch()
    first = inbox / "first.ogg"
    shutil.copy(FLEURS[0], first)
    events.wait("imported", first)
    watcher.stop()
    (inbox / "deep" / "er").mkdir(parents=True)
    shutil.copy(FLEURS[1], inbox / "deep" / "er" / "meanwhile.ogg")
    watcher, events = watch()
    events.wait("imported", inbox / "deep" / "er" / "meanwhile.ogg")
    assert not events.of("importing", first)  # known by (size, mtime): not even hashed again
    assert len(core.memos()) == 2


def test_one_process_watches_and_another_takes_over_after_sigkill(core, inbox, data_dir):
    core.add_watched_folder(inbox)
    env = {**os.environ, "MUSINGS_HOME": str(data_dir)}
    child = subprocess.Popen([sys.executable, "-m", "app.cli", "watch"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: WatchLock(data_dir).holder() == child.pid, what="`musings watch` taking the lock")
        events = Events()
        watcher = FolderWatcher(core, SETTINGS, on_event=events, shared_models=True, lock_retry_seconds=0.5)
        watcher.start()
        events.wait("standby")
        assert "another Musings" in events.of("standby")[0][2]
        shutil.copy(FLEURS[2], inbox / "by the child.ogg")
        seen = lambda: intake_store.seen_files(core.db()).get(str(inbox / "by the child.ogg"))  # noqa: E731
        wait_until(lambda: seen() is not None and seen().outcome == "imported", what="the child's import")
        child.send_signal(signal.SIGKILL)
        child.wait(30)
        shutil.copy(FLEURS[3], inbox / "while nobody watched.ogg")
        events.wait("watching")
        events.wait("imported", inbox / "while nobody watched.ogg")
        assert not events.of("importing", inbox / "by the child.ogg")
        assert len(core.memos()) == 2
        watcher.stop()
        assert WatchLock(data_dir).holder() is None
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(30)
        child.stdout.close()
        child.stderr.close()


def test_musings_watch_add_list_remove(data_dir, inbox, tmp_path):
    added = run_musings("watch", "add", str(inbox), data_dir=data_dir)
    assert added.returncode == 0 and str(inbox) in added.stdout
    flat = tmp_path / "flat"
    flat.mkdir()
    assert run_musings("watch", "add", str(flat), "--no-recursive", data_dir=data_dir).returncode == 0
    listed = json.loads(run_musings("watch", "list", "--json", data_dir=data_dir, check=True).stdout)
    assert {(f["path"], f["recursive"]) for f in listed} == {(str(inbox), True), (str(flat), False)}
    text = run_musings("watch", "list", data_dir=data_dir, check=True).stdout
    assert "flat (not subfolders)" in text and "no activity yet" in text
    for args, said in [((str(tmp_path / "nope"),), "no folder"), ((str(ROOT / "README.md"),), "not a folder"),
                       ((str(data_dir),), "data folder"), ((str(data_dir / "library"),), "data folder")]:
        (data_dir / "library").mkdir(exist_ok=True)
        refused = run_musings("watch", "add", *args, data_dir=data_dir)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1 and "Traceback" not in refused.stderr
    removed = run_musings("watch", "remove", str(flat), data_dir=data_dir)
    assert removed.returncode == 0 and "no longer watching" in removed.stdout
    again = run_musings("watch", "remove", str(flat), data_dir=data_dir)
    assert again.returncode == 1 and "not a watched folder" in again.stderr
    status = json.loads(run_musings("status", "--json", data_dir=data_dir, check=True).stdout)
    assert [f["path"] for f in status["watched"]] == [str(inbox)] and status["watcher_pid"] is None


def test_status_shows_waiting_and_refused_files(core, inbox, watch, data_dir):
    watcher, events = watch(settle_seconds=3600)  # nothing settles: the files stay waiting
    (inbox / "growing.ogg").write_bytes(FLEURS[0].read_bytes()[:3000])
    events.wait("waiting", inbox / "growing.ogg")
    assert [p.path for p in watcher.pending()] == [str(inbox / "growing.ogg")]
    intake_store.mark_files(core.db(), [intake_store.SeenFile(str(inbox / "x.txt"), str(inbox), 1, 1, "refused")])
    from storage.memos import record_problem
    record_problem(core.db(), str(inbox / "x.txt"), "not an audio file (.txt)")
    shown = run_musings("status", data_dir=data_dir, check=True).stdout
    assert f"waiting to settle: {inbox / 'growing.ogg'}" in shown
    assert f"refused: {inbox / 'x.txt'}: not an audio file (.txt)" in shown
    assert "watcher: running" in shown
    status = json.loads(run_musings("status", "--json", data_dir=data_dir, check=True).stdout)
    [folder] = status["watched"]
    assert folder["waiting"] == [str(inbox / "growing.ogg")] and status["watcher_pid"] == os.getpid()


def test_core_refusals(core, tmp_path):
    with pytest.raises(NotFound):
        core.add_watched_folder(tmp_path / "missing")
    with pytest.raises(Refused):
        core.add_watched_folder(JFK)
    with pytest.raises(Refused):
        core.add_watched_folder(core.data_dir)
    with pytest.raises(NotFound):
        core.remove_watched_folder(tmp_path)


def test_names_ignored_and_filesystems_polled(tmp_path):
    for name in (".syncthing.a.mp3.tmp", "~syncthing~a.mp3.tmp", "a.mp3.part", ".~a.mp3", "a.crdownload",
                 "a.tmp", ".hidden.mp3"):
        assert ignored_name(name), name
    for name in ("a.mp3", "REC 001.WAV", "~notes.ogg"):
        assert not ignored_name(name), name
    assert ignored_path("/in/.sync/a.mp3", "/in") and not ignored_path("/in/sub/a.mp3", "/in")
    mountinfo = tmp_path / "mountinfo"
    mountinfo.write_text("22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
                         "40 22 0:50 / /mnt/nas rw - nfs4 nas:/x rw\n"
                         "41 22 0:51 / /home/u/my\\040box rw - fuse.sshfs u@h:/ rw\n")
    assert filesystem_type("/mnt/nas/rec/a.mp3", str(mountinfo)) == "nfs4"
    assert filesystem_type("/home/u/my box/a.mp3", str(mountinfo)) == "fuse.sshfs"
    assert filesystem_type("/home/u/a.mp3", str(mountinfo)) == "ext4"
    assert not needs_polling(str(tmp_path))  # a local folder: inotify


def test_install_desktop_watch_installs_the_user_unit_and_uninstall_removes_it(tmp_path):
    from app.desktop import WATCH_UNIT, XdgDirs, install_desktop, uninstall_desktop

    dirs = XdgDirs(tmp_path / "share", tmp_path / "config")
    change = install_desktop(watch=True, dirs=dirs, command=["/opt/my apps/musings"])
    unit = tmp_path / "config" / "systemd" / "user" / WATCH_UNIT
    assert unit in change.written
    assert 'ExecStart="/opt/my apps/musings" watch' in unit.read_text()
    assert len(change.notes) <= 1  # systemctl --user missing or without a session: one line says so
    assert unit in install_desktop(dirs=dirs, command=["/opt/musings"]).removed  # not asked for again: gone
    install_desktop(watch=True, dirs=dirs, command=["/opt/musings"])
    assert unit in uninstall_desktop(dirs=dirs).removed and not unit.exists()
