"""Voice recorders on USB (app/volumes.py): a real FAT image, loop-mounted, as the recorder.

The image is made by mkfs.vfat and mounted with `mount -o loop`; where the kernel has no vfat (a container),
the same image is mounted through FUSE (fusefat) on a loop device, so the mount still names /dev/loopN and its
UUID and label come from blkid, as for a card in a real reader.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from app import volumes as vol
from app.core import Musings
from audio.transcribe import TranscriptionSettings
from musings_errors import Refused
from storage.db import open_database
from storage import volumes as known
from tests.conftest import DATA, require, run_musings

JFK = DATA / "formats" / "jfk.mp3"
LJ2 = DATA / "speech" / "ljspeech" / "LJ001-0002.wav"
LJ8 = DATA / "speech" / "ljspeech" / "LJ001-0008.wav"
SETTINGS = TranscriptionSettings(model="tiny.en", language="en")


def _loop_mounts_possible() -> tuple[bool, str]:
    if os.geteuid() != 0:
        return False, "needs root (loop mounts)"
    if not shutil.which("mkfs.vfat"):
        return False, "needs mkfs.vfat (dosfstools)"
    if not os.path.exists("/dev/loop-control") and not os.path.exists("/dev/loop0"):
        return False, "needs loop devices"
    kernel_vfat = "vfat" in Path("/proc/filesystems").read_text()
    if not kernel_vfat and not (shutil.which("fusefat") and os.path.exists("/dev/fuse")):
        return False, "needs vfat in the kernel, or fusefat and /dev/fuse"
    return True, ""


class Card:
    """A FAT image file, mounted at `point` while `mount()`ed; `unmount()` is safe to call any time."""

    def __init__(self, image: Path, point: Path, label: str):
        self.image, self.point, self.label = image, point, label
        self._fuse: subprocess.Popen | None = None
        self._loop: str | None = None
        self.mounted_at: Path | None = None
        with open(image, "wb") as handle:
            handle.truncate(24 * 1024 * 1024)
        subprocess.run(["mkfs.vfat", "-n", label, str(image)], check=True, capture_output=True)

    def mount(self, point: Path | None = None) -> Path:
        point = point or self.point
        point.mkdir(parents=True, exist_ok=True)
        if "vfat" in Path("/proc/filesystems").read_text():
            result = subprocess.run(["mount", "-o", "loop", str(self.image), str(point)], capture_output=True,
                                    text=True)
            require(result.returncode == 0, f"loop mount failed: {result.stderr.strip()}")
        else:
            self._loop = subprocess.run(["losetup", "-f", "--show", str(self.image)], capture_output=True,
                                        text=True, check=True).stdout.strip()
            self._fuse = subprocess.Popen(["fusefat", "-f", "-o", f"rw+,fsname={self._loop}", self._loop,
                                           str(point)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 30
            while not os.path.ismount(point):
                assert self._fuse.poll() is None, "fusefat exited"
                assert time.monotonic() < deadline, "fusefat did not mount"
                time.sleep(0.05)
        self.mounted_at = point
        return point

    def unmount(self) -> None:
        if self.mounted_at is not None:
            os.sync()
            if subprocess.run(["umount", str(self.mounted_at)], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", str(self.mounted_at)], capture_output=True)
            self.mounted_at = None
        if self._fuse is not None:
            try:
                self._fuse.wait(timeout=30)  # its writes are on the image before it is mounted again
            except subprocess.TimeoutExpired:
                self._fuse.terminate()
                self._fuse.wait(timeout=10)
            self._fuse = None
        if self._loop is not None:
            subprocess.run(["losetup", "-d", self._loop], capture_output=True)
            self._loop = None

    def put(self, relative: str, source: Path | bytes) -> None:
        target = self.mounted_at / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, bytes):
            target.write_bytes(source)
        else:
            shutil.copyfile(source, target)


@pytest.fixture
def media(tmp_path) -> Path:
    root = tmp_path / "media" / "user"
    root.mkdir(parents=True)
    return root


@pytest.fixture
def make_card(tmp_path, media):
    possible, why = _loop_mounts_possible()
    require(possible, why)
    cards = []

    def make(label: str) -> Card:
        card = Card(tmp_path / f"{label}.img", media / label, label)
        cards.append(card)
        return card

    try:
        yield make
    finally:
        for card in cards:
            card.unmount()


def _blkid(image: Path, tag: str) -> str:
    return subprocess.run(["blkid", "-o", "value", "-s", tag, str(image)], capture_output=True, text=True,
                          check=True).stdout.strip()


def _only(volumes: list, point: Path):
    found = [v for v in volumes if Path(v["mount_point"] if isinstance(v, dict) else v.mount_point) == point]
    assert len(found) == 1, volumes
    return found[0]


def test_a_recorder_is_recognised_imported_once_and_new_recordings_on_the_next_mount(make_card, media, tmp_path):
    card = make_card("ICD-UX570")
    point = card.mount()
    card.put("VOICE/FOLDER_A/LJ001-0002.wav", LJ2)
    card.put("VOICE/FOLDER_A/jfk.mp3", JFK)
    uuid = _blkid(card.image, "UUID")

    volume = _only(vol.mounted_volumes([media]), point)
    assert (volume.uuid, volume.label, volume.name, volume.key) == (uuid, "ICD-UX570", "ICD-UX570", f"uuid:{uuid}")
    recorder = vol.recognise(volume)
    assert recorder is not None and recorder.folders == ["VOICE"]
    assert sorted(f.relative for f in recorder.files) == ["VOICE/FOLDER_A/LJ001-0002.wav", "VOICE/FOLDER_A/jfk.mp3"]

    data_dir = tmp_path / "data"
    listed = run_musings("devices", "--volumes", "--json", data_dir=data_dir, check=True,
                         env={vol.ROOTS_VARIABLE: str(media)})
    shown = _only(json.loads(listed.stdout), point)
    assert shown["recorder"] and shown["uuid"] == uuid and shown["label"] == "ICD-UX570"
    assert (shown["recordings"], shown["new"]) == (2, 2) and "VOICE/" in shown["reason"]

    library = Musings(data_dir)
    seen_progress = []
    try:
        first = library.import_from_volume(volume, SETTINGS, shared_models=True, on_progress=seen_progress.append)
        assert sorted(first.imported) == sorted(f.relative for f in recorder.files) and not first.refused
        memos = {library.memo(memo_id).original_name: library.memo(memo_id) for memo_id in first.imported.values()}
        assert {m.status for m in memos.values()} == {"done"}
        assert "country" in memos["jfk.mp3"].transcript.lower()
        assert seen_progress[0].message == "Importing 2 new recordings from ICD-UX570…"
        assert seen_progress[0].done == 0 and seen_progress[-1].finished and seen_progress[-1].done == 2
        assert max(p.done for p in seen_progress if not p.finished) == 2

        # Unplugged and plugged in again: noticed as a newly mounted recorder, nothing is taken twice.
        card.unmount()
        monitor = library.volume_monitor(lambda r: None, roots=[media])
        assert monitor.check_once() == []
        point = card.mount()
        [again] = monitor.check_once()
        assert again.volume.key == f"uuid:{uuid}" and again.name == "ICD-UX570"
        assert monitor.check_once() == []  # nothing changed since
        second = library.import_from_volume(again.volume, SETTINGS, shared_models=True)
        assert second.new == [] and second.summary is None
        assert len(library.memos()) == 2

        # A recording made while it was away (here: written with the card mounted elsewhere) comes next time.
        card.unmount()
        card.mount(tmp_path / "elsewhere")
        card.put("VOICE/FOLDER_A/LJ001-0008.wav", LJ8)
        card.unmount()
        point = card.mount()
        volume = _only(vol.mounted_volumes([media]), point)
        third = library.import_from_volume(volume, SETTINGS, shared_models=True)
        assert third.new == ["VOICE/FOLDER_A/LJ001-0008.wav"] and list(third.imported) == third.new
        assert len(library.memos()) == 3
        assert len(known.known_files(library.db(), volume.key)) == 3
        # `musings status` shows the recorder: when it was last here and what came of its files
        shown = json.loads(run_musings("status", "--json", data_dir=data_dir, check=True).stdout)["volumes"]
        assert [(v["name"], v["key"], v["counts"]) for v in shown] == [("ICD-UX570", f"uuid:{uuid}", {"imported": 3})]
        assert shown[0]["last_seen"] and shown[0]["last_activity"] and shown[0]["refused"] == []
        said = run_musings("status", data_dir=data_dir, check=True).stdout
        assert f"recorder: ICD-UX570 (uuid:{uuid}): 3 imported; last seen " in said
    finally:
        library.shutdown()


def test_clear_after_deletes_only_recordings_verified_in_the_library(make_card, tmp_path):
    card = make_card("VOICEREC")
    point = card.mount()
    card.put("RECORDER/FOLDER_A/jfk.mp3", JFK)
    card.put("RECORDER/FOLDER_A/broken.mp3", b"ID3 this is not really an mp3" * 50)
    card.put("RECORDER/FOLDER_A/notes.txt", b"call the dentist\n")
    card.put("RECORDER/FOLDER_B/LJ001-0002.wav", LJ2)
    data_dir = tmp_path / "data"

    # A recording the library has, but in the trash: not "in the library", so it stays on the card too.
    library = Musings(data_dir)
    try:
        done = library.import_recordings([LJ2], SETTINGS, shared_models=True)
        library.delete([done.report.of_kind("done")[0].memo_id])
    finally:
        library.shutdown()

    result = run_musings("import", "--volume", str(point), "--clear-after", "--json", "--model", "tiny.en",
                         "--language", "en", data_dir=data_dir)
    assert result.returncode == 1, result.stderr  # broken.mp3 could not be imported
    [outcome] = json.loads(result.stdout)
    assert outcome["name"] == "VOICEREC" and outcome["cleared"] == ["RECORDER/FOLDER_A/jfk.mp3"]
    assert set(outcome["refused"]) == {"RECORDER/FOLDER_A/broken.mp3"}
    assert "trash" in outcome["kept"]["RECORDER/FOLDER_B/LJ001-0002.wav"]
    left = sorted(p.relative_to(point).as_posix() for p in (point / "RECORDER").rglob("*") if p.is_file())
    assert left == ["RECORDER/FOLDER_A/broken.mp3", "RECORDER/FOLDER_A/notes.txt", "RECORDER/FOLDER_B/LJ001-0002.wav"]

    library = Musings(data_dir)
    try:
        [memo] = [m for m in library.memos() if m.original_name == "jfk.mp3"]
        assert memo.status == "done" and (data_dir / memo.library_path).exists()
        # Emptied by the clearing, the card is still known as that recorder.
        card.unmount()
        point = card.mount()
        volume = library.volume(point)
        again = library.import_from_volume(volume, SETTINGS, shared_models=True, clear_after=True)
        assert again.new == [] and again.cleared == []  # broken.mp3 is not tried again while unchanged
    finally:
        library.shutdown()


def test_a_plain_usb_stick_is_not_a_recorder_until_marked(make_card, media, tmp_path):
    card = make_card("STICK")
    point = card.mount()
    card.put("MUSIC/song.mp3", JFK)
    data_dir = tmp_path / "data"
    volume = _only(vol.mounted_volumes([media]), point)
    assert volume.label == "STICK" and volume.uuid
    assert vol.recognise(volume) is None

    listed = run_musings("devices", "--volumes", "--json", data_dir=data_dir, check=True,
                         env={vol.ROOTS_VARIABLE: str(media)})
    shown = _only(json.loads(listed.stdout), point)
    assert not shown["recorder"] and "no recorder folder" in shown["reason"] and shown["new"] == 0
    library = Musings(data_dir)
    try:
        with pytest.raises(Refused, match="not a voice recorder"):
            library.import_from_volume(volume, SETTINGS)
    finally:
        library.shutdown()

    run_musings("recorder", "mark", str(point), data_dir=data_dir, check=True)
    shown = _only(json.loads(run_musings("devices", "--volumes", "--json", data_dir=data_dir, check=True,
                                         env={vol.ROOTS_VARIABLE: str(media)}).stdout), point)
    assert shown["recorder"] and shown["marked"] and shown["new"] == 1


# -- without mounting: the mount table, the monitor --------------------------------------------------

def test_mountinfo_is_read_with_escapes_and_only_removable_roots(tmp_path):
    text = (
        "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
        "40 22 8:17 / /media/ann/MY\\040VOICE rw,nosuid shared:9 - vfat /dev/sdb1 rw,uid=1000\n"
        "41 22 8:33 / /mnt/backup rw - ext4 /dev/sdc1 rw\n"
        f"42 22 0:40 / {tmp_path}/cards/REC rw - fuse fusefat rw\n"
    )
    mounts = vol.read_mounts(text=text)
    assert [m.mount_point for m in mounts][1] == Path("/media/ann/MY VOICE")
    shown = vol.mounted_volumes([Path("/media"), tmp_path / "cards"], text=text)
    assert [str(v.mount_point) for v in shown] == ["/media/ann/MY VOICE", f"{tmp_path}/cards/REC"]
    fuse = shown[1]
    assert (fuse.uuid, fuse.label, fuse.key, fuse.name) == (None, None, f"path:{tmp_path}/cards/REC", "REC")


def test_the_monitor_calls_back_for_a_newly_mounted_recorder(tmp_path):
    recorder_dir = tmp_path / "media" / "REC"
    (recorder_dir / "Voice").mkdir(parents=True)
    shutil.copyfile(JFK, recorder_dir / "Voice" / "memo1.mp3")
    (recorder_dir / "Voice" / "._memo1.mp3").write_bytes(b"resource fork")
    mountinfo = tmp_path / "mountinfo"
    root_line = "22 1 8:1 / / rw - ext4 /dev/sda1 rw\n"
    mountinfo.write_text(root_line)
    found, arrived = [], threading.Event()

    def on_recorder(recorder):
        found.append(recorder)
        arrived.set()

    monitor = vol.VolumeMonitor(on_recorder, roots=[tmp_path / "media"], interval=0.05, mountinfo=mountinfo)
    monitor.start()
    try:
        mountinfo.write_text(root_line + f"50 22 0:41 / {recorder_dir} rw - vfat /dev/nonexistent rw\n")
        assert arrived.wait(60)
    finally:
        monitor.stop()
    [recorder] = found
    assert recorder.name == "REC" and [f.relative for f in recorder.files] == ["Voice/memo1.mp3"]
    assert recorder.reason == "Voice/ holds 1 recording"


def test_a_marked_volume_and_its_files_are_remembered(tmp_path):
    db = open_database(tmp_path / "data")
    volume = vol.Volume(tmp_path, "vfat", "/dev/sdz1", "1234-ABCD", "DICTA")
    (tmp_path / "Takes").mkdir()
    shutil.copyfile(JFK, tmp_path / "Takes" / "a.mp3")
    assert vol.recognise_in(db, volume) is None
    recorder = vol.mark(db, volume)
    assert recorder.marked and [f.relative for f in recorder.files] == ["Takes/a.mp3"]
    file = recorder.files[0]
    known.remember_files(db, [known.VolumeFile(volume.key, file.relative, file.size, file.mtime_ns, known.IMPORTED, 7)])
    assert vol.new_files(recorder, known.known_files(db, volume.key)) == []
    os.utime(file.path, ns=(file.mtime_ns, file.mtime_ns + 10**9))
    assert [f.relative for f in vol.new_files(vol.recognise_in(db, volume), known.known_files(db, volume.key))] \
        == ["Takes/a.mp3"]
    assert vol.mark(db, volume, marked=False) is None
