"""The window watches the watched folders: a recording dropped in one becomes a memo in the list while the window
is open, and the status bar says where it came from. `musings listen` watches them too."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

from app.core import Musings
from tests.conftest import DATA, ROOT, run_musings

CLIP = DATA / "formats" / "jfk.mp3"


def test_a_recording_dropped_in_a_watched_folder_shows_up_in_the_open_window(qtbot, window, tmp_path):
    inbox = tmp_path / "phone"
    inbox.mkdir()
    Musings(window.library.data_dir).add_watched_folder(inbox)
    before = len(window.memo_list.memo_ids())
    window._start_intake()
    qtbot.waitUntil(lambda: window.intake.watcher.state == "watching", timeout=30_000)
    shutil.copy(CLIP, inbox / "Recording.mp3")
    qtbot.waitUntil(lambda: len(window.memo_list.memo_ids()) == before + 1, timeout=180_000)
    memo = next(m for m in window.memos if m.original_name == "Recording.mp3")
    assert "country" in (memo.transcript or "").lower()
    qtbot.waitUntil(lambda: "came in from a watched folder" in window.statusBar().currentMessage(), timeout=10_000)
    window.close()
    assert not window.intake.watcher._thread.is_alive()  # the watcher stops with the window


def test_listen_watches_the_watched_folders(tmp_path):
    data_dir, inbox = tmp_path / "data", tmp_path / "recorder"
    inbox.mkdir()
    run_musings("watch", "add", str(inbox), data_dir=data_dir, check=True)
    env = {**os.environ, "MUSINGS_HOME": str(data_dir), "MUSINGS_RUNTIME_DIR": str(tmp_path / "run"),
           "PYTHONPATH": str(ROOT)}
    # --night: the microphone opens only when a recording starts, so the test does not hold it.
    listener = subprocess.Popen([sys.executable, "-m", "app.cli", "listen", "--night", "--hotkey", "none"],
                                cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        shutil.copy(CLIP, inbox / "Voice 001.mp3")
        deadline = time.monotonic() + 240
        memos = []
        while time.monotonic() < deadline and not memos:
            time.sleep(1)
            memos = json.loads(run_musings("list", "--json", data_dir=data_dir, check=True).stdout)
        assert [m["original_name"] for m in memos] == ["Voice 001.mp3"]
    finally:
        listener.send_signal(signal.SIGTERM)
        _, err = listener.communicate(timeout=60)
    assert listener.returncode == 0, err
    assert "imported: " in err and "Voice 001.mp3" in err and "Traceback" not in err


def test_watched_folders_are_added_and_removed_in_settings(qtbot, window, tmp_path):
    folder = tmp_path / "phone sync"
    folder.mkdir()
    dialog = window.open_settings()
    dialog.add_watched_folder(str(folder))
    assert [dialog.watched.item(i).text() for i in range(dialog.watched.count())] == [
        f"{folder.resolve()}  (nothing yet)"]
    assert [f.path for f in window.library.watched_folders()] == [str(folder.resolve())]
    dialog.add_watched_folder(str(window.library.data_dir))  # refused, with the reason, nothing added
    assert "own data folder" in dialog.watched_problem.text() and dialog.watched.count() == 1
    dialog.remove_watched_folder(str(folder.resolve()))
    assert dialog.watched.count() == 0 and window.library.watched_folders() == []
    assert dialog.watched_problem.text() == ""
    dialog.reject()


def test_a_recording_split_in_two_is_offered_and_joined_from_the_window(qtbot, window):
    from tests.gui.conftest import wait_idle

    db = window.library.db()
    first, second = sorted(window.memos, key=lambda m: m.id)
    # As a recorder leaves them: one folder, the second part starting as the first ends.
    start = "2026-11-30T06:00:00+00:00"
    end = f"2026-11-30T06:00:{int(first.duration) + 1:02d}+00:00"
    with db.conn:
        db.execute("UPDATE memos SET original_path = ?, recorded_at = ? WHERE id = ?", ["/rec/VOICE/a.wav", start, first.id])
        db.execute("UPDATE memos SET original_path = ?, recorded_at = ? WHERE id = ?", ["/rec/VOICE/b.wav", end, second.id])
    window.refresh()
    assert window.join_groups == [[first.id, second.id]] and window.join_action.isEnabled()
    assert "look like parts of 1 longer one" in window.message_bar.text()
    box = window.ask_join()
    assert "The parts go to Recently deleted" in box.text()
    box.reject()
    window.join_split_recordings()
    wait_idle(qtbot, window, timeout=180_000)
    joined = window.memos
    assert len(joined) == 1 and joined[0].id not in (first.id, second.id)
    assert abs(joined[0].duration - (first.duration + second.duration)) < 0.3
    assert {m.id for m in window.trashed} == {first.id, second.id} and not window.join_action.isEnabled()


def test_settings_show_each_watched_folder_with_what_was_refused_there(qtbot, window, tmp_path):
    from storage import memos as store

    folder = tmp_path / "recorder"
    folder.mkdir()
    window.library.add_watched_folder(folder)
    store.record_problem(window.library.db(), str(folder.resolve() / "notes.txt"), "not an audio file")
    dialog = window.open_settings()
    item = dialog.watched.item(0)
    assert item.text() == f"{folder.resolve()}  (nothing yet · 1 refused)"
    assert item.toolTip() == f"refused: {folder.resolve() / 'notes.txt'}: not an audio file"
    dialog.reject()



def test_settings_show_each_voice_recorder_with_what_came_of_its_files(qtbot, window):
    from storage import volumes as known

    db = window.library.db()
    known.note_volume(db, "uuid:1234-ABCD", uuid="1234-ABCD", label="ICD-UX570", name="ICD-UX570", marked=True)
    known.remember_files(db, [known.VolumeFile("uuid:1234-ABCD", "VOICE/A/1.mp3", 10, 1, "imported", memo_id=1),
                              known.VolumeFile("uuid:1234-ABCD", "VOICE/A/2.mp3", 10, 1, "refused",
                                               reason="damaged or not an audio file")])
    dialog = window.open_settings()
    item = dialog.recorders.item(0)
    assert item.text().startswith("ICD-UX570  (1 imported, 1 refused · last seen ")
    assert item.toolTip() == "refused: VOICE/A/2.mp3: damaged or not an audio file"
    dialog.reject()
