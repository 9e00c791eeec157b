"""Voice recorders on USB: removable volumes, recognising a recorder on one, importing its new recordings.

    mounted_volumes   the mounts under /media/..., /run/media/<user>/... and $MUSINGS_VOLUME_ROOTS (or the roots
                      given), from /proc/self/mountinfo, each with its identity: filesystem UUID, else label
    recognise         a recorder: a folder such as VOICE/, REC/, RECORDER/, MIC/, FOLDER_A holding recordings, or a
                      volume the user marked once (any layout)
    import_from_volume  its recordings not taken yet (remembered per volume by relative path, size and mtime, so
                      a card is not hashed again on every mount) through Musings.import_recordings; with
                      clear_after, only the recordings whose bytes are verified in the library leave the device
    VolumeMonitor     a thread noticing newly mounted recorders (/proc/self/mountinfo, poll POLLPRI, else polling)

Qt-free, and the monitor never imports by itself: it calls back, and the caller decides.
"""
from __future__ import annotations

import dataclasses
import getpass
import logging
import os
import re
import select
import shutil
import subprocess
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from musings_errors import NotFound, Refused
from storage import volumes as known

log = logging.getLogger(__name__)

MOUNTINFO = Path("/proc/self/mountinfo")
ROOTS_VARIABLE = "MUSINGS_VOLUME_ROOTS"  # more folders whose mounts count as removable (os.pathsep-separated)
# Top-level folders a voice recorder keeps its recordings in (case-insensitive). Olympus/OM: RECORDER/FOLDER_A,
# Sony ICD: REC_FILE/FOLDER01 or VOICE/, Philips: VOICE/, Zoom/Tascam-like: REC/, RECORD/, MIC/. Not MUSIC/.
RECORDER_FOLDERS = frozenset({"voice", "rec", "record", "recorder", "rec_file", "mic",
                              "folder_a", "folder_b", "folder_c", "folder_d", "folder_e"})
# What recorders write (PyAV decodes every one, WMA included).
RECORDER_EXTENSIONS = frozenset({".mp3", ".wav", ".m4a", ".wma", ".ogg", ".opus", ".flac"})
# Never looked into, on a marked volume either.
SYSTEM_FOLDERS = frozenset({"system volume information", "$recycle.bin", "lost.dir", "lost+found"})
MAX_DEPTH = 6


@dataclass(frozen=True)
class Volume:
    """A mounted filesystem that looks removable."""

    mount_point: Path
    fstype: str
    source: str  # the device (/dev/sdb1), or what the filesystem calls itself
    uuid: str | None = None
    label: str | None = None
    mount_id: int = 0  # the kernel's id of this mount: a volume mounted again gets a new one

    @property
    def key(self) -> str:
        """What the library remembers the volume by: its UUID, else its label, else its mount point."""
        if self.uuid:
            return f"uuid:{self.uuid}"
        if self.label:
            return f"label:{self.label}"
        return f"path:{self.mount_point}"

    @property
    def name(self) -> str:
        return self.label or self.mount_point.name or str(self.mount_point)


@dataclass(frozen=True)
class RecorderFile:
    path: Path
    relative: str  # to the mount point, with "/"
    size: int
    mtime_ns: int


@dataclass
class Recorder:
    volume: Volume
    reason: str  # why it is taken for a recorder ("VOICE/ holds 2 recordings", "you marked it")
    files: list[RecorderFile] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # the recorder folders found, relative
    marked: bool = False

    @property
    def name(self) -> str:
        return self.volume.name


@dataclass
class VolumeProgress:
    """An import from a recorder: `done` of `total` new recordings dealt with; `current` the file now."""

    name: str
    done: int
    total: int
    current: str | None = None
    finished: bool = False

    @property
    def message(self) -> str:
        what = "recording" if self.total == 1 else "recordings"
        if self.finished:
            return f"Imported {self.total} new {what} from {self.name}"
        return f"Importing {self.total} new {what} from {self.name}…"


@dataclass
class VolumeImport:
    """What an import from a recorder did."""

    recorder: Recorder
    new: list[str] = field(default_factory=list)  # relative paths not taken before this run
    imported: dict[str, int] = field(default_factory=dict)  # relative path -> memo id (new or already there)
    refused: dict[str, str] = field(default_factory=dict)  # relative path -> why it is not a usable recording
    cleared: list[str] = field(default_factory=list)  # deleted from the device (verified in the library)
    kept: dict[str, str] = field(default_factory=dict)  # with clear_after: left on the device, and why
    summary: object | None = None  # app.core.ImportSummary, None when nothing was new
    cancelled: bool = False


@dataclass
class VolumeStatus:
    """One mounted volume as `musings devices --volumes` shows it."""

    mount_point: str
    fstype: str
    source: str
    uuid: str | None
    label: str | None
    key: str
    name: str
    recorder: bool
    reason: str
    marked: bool
    recordings: int
    new: int


# -- the mounts ------------------------------------------------------------------------------------

def _unescape_mountinfo(text: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), text)


@dataclass(frozen=True)
class Mount:
    mount_id: int
    mount_point: Path
    fstype: str
    source: str


def read_mounts(mountinfo: Path = MOUNTINFO, text: str | None = None) -> list[Mount]:
    """Every mount in `mountinfo` (the top one where several share a mount point)."""
    if text is None:
        text = Path(mountinfo).read_text(errors="surrogateescape")
    mounts: dict[Path, Mount] = {}
    for line in text.splitlines():
        fields = line.split()
        if "-" not in fields[6:]:
            continue
        dash = fields.index("-", 6)
        if len(fields) < dash + 3:
            continue
        point = Path(_unescape_mountinfo(fields[4]))
        mounts.pop(point, None)  # a mount over another one hides it
        mounts[point] = Mount(int(fields[0]), point, _unescape_mountinfo(fields[dash + 1]),
                              _unescape_mountinfo(fields[dash + 2]))
    return list(mounts.values())


def default_roots() -> list[Path]:
    """Where removable volumes are mounted: udisks2 (/media/<user>, /run/media/<user>), /media itself
    (usbmount, pmount), and the folders in $MUSINGS_VOLUME_ROOTS."""
    user = os.environ.get("USER") or _user()
    roots = [Path("/media"), Path("/run/media") / user]
    roots += [Path(p).expanduser() for p in os.environ.get(ROOTS_VARIABLE, "").split(os.pathsep) if p.strip()]
    return roots


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no name for this uid (a container)
        return str(os.getuid())


def _under(path: Path, roots: Iterable[Path]) -> bool:
    return any(root in path.parents for root in roots)


def mounted_volumes(roots: Iterable[Path] | None = None, *, mountinfo: Path = MOUNTINFO,
                    text: str | None = None) -> list[Volume]:
    """The mounted volumes under `roots` (default_roots() if None), each with its UUID and label."""
    roots = [Path(os.path.realpath(r)) for r in (default_roots() if roots is None else roots)]
    volumes = []
    for mount in read_mounts(mountinfo, text):
        if _under(mount.mount_point, roots):
            uuid, label = identify(mount.source)
            volumes.append(Volume(mount.mount_point, mount.fstype, mount.source, uuid, label, mount.mount_id))
    return sorted(volumes, key=lambda v: str(v.mount_point))


def volume_at(path: Path, *, mountinfo: Path = MOUNTINFO) -> Volume:
    """The volume a user points at: a mount point (wherever it is), or any folder (then known by its path)."""
    given = Path(path).expanduser()
    folder = Path(os.path.realpath(given))
    if not folder.is_dir():
        raise NotFound(f"no folder {given}")
    mounts = read_mounts(mountinfo)
    mount = next((m for m in mounts if m.mount_point == folder), None)
    if mount is not None:
        uuid, label = identify(mount.source)
        return Volume(folder, mount.fstype, mount.source, uuid, label, mount.mount_id)
    holder = max((m for m in mounts if m.mount_point in folder.parents), key=lambda m: len(str(m.mount_point)),
                 default=None)
    return Volume(folder, holder.fstype if holder else "", holder.source if holder else "", None, None,
                  holder.mount_id if holder else 0)


def identify(source: str, *, disk_dir: Path = Path("/dev/disk")) -> tuple[str | None, str | None]:
    """(filesystem UUID, label) of the device `source`: from /dev/disk/by-uuid and by-label, else `blkid`
    (a loop device in a container has no /dev/disk); (None, None) for what is not a device. Nothing is cached:
    the next card gets the same device name (and often the same mount id), and this runs once per mount
    change."""
    if not source.startswith("/dev/"):
        return None, None
    device = os.path.realpath(source)
    uuid = _link_to(disk_dir / "by-uuid", device)
    label = _link_to(disk_dir / "by-label", device)
    if uuid is None or label is None:
        found_uuid, found_label = _blkid(device)
        uuid, label = uuid or found_uuid, label or found_label
    return uuid, label


def _link_to(folder: Path, device: str) -> str | None:
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return None
    for entry in entries:
        try:
            if os.path.realpath(entry.path) == device:
                # udev writes unsafe bytes as \xNN ("MY\x20VOICE")
                return re.sub(r"\\x([0-9a-fA-F]{2})", lambda m: chr(int(m.group(1), 16)), entry.name)
        except OSError:
            continue
    return None


def _blkid(device: str) -> tuple[str | None, str | None]:
    blkid = shutil.which("blkid") or next((p for p in ("/usr/sbin/blkid", "/sbin/blkid") if os.path.exists(p)), None)
    if blkid is None:
        return None, None
    # -p reads the device itself (root, or the disk group); else blkid's cache, which it trusts for 2 s after
    # a probe, so a card just swapped for another on the same device could still be named after the old one.
    for probe in (["-p"], []):
        values = {}
        for tag in ("UUID", "LABEL"):
            try:
                result = subprocess.run([blkid, *probe, "-o", "value", "-s", tag, device], capture_output=True,
                                        text=True, timeout=10)
            except (OSError, subprocess.SubprocessError):
                return None, None
            values[tag] = (result.stdout.strip() or None) if result.returncode == 0 else None
        if values["UUID"] or values["LABEL"]:
            return values["UUID"], values["LABEL"]
    return None, None


# -- recognising a recorder ----------------------------------------------------------------------------

def recognise(volume: Volume, *, marked: bool = False, known_recorder: bool = False) -> Recorder | None:
    """A Recorder if `volume` holds a recorder folder with recordings (or an empty one on a volume the library
    already knows as a recorder: `known_recorder`), or the user `marked` it; else None."""
    root = volume.mount_point
    try:
        top = sorted((entry for entry in os.scandir(root) if entry.is_dir(follow_symlinks=False)),
                     key=lambda entry: entry.name)
    except OSError:
        return None
    folders = [entry.name for entry in top if entry.name.lower() in RECORDER_FOLDERS]
    if marked:
        files = _recordings(root, [Path(root)])
        return Recorder(volume, "you marked it as a recorder", files, folders, marked=True)
    if not folders:
        return None
    files = _recordings(root, [Path(root) / name for name in folders])
    if not files and not known_recorder:
        return None
    shown = ", ".join(f"{name}/" for name in folders)
    count = f"{len(files)} recording{'' if len(files) == 1 else 's'}"
    return Recorder(volume, f"{shown} {'holds' if len(folders) == 1 else 'hold'} {count}", files, folders)


def _recordings(root: Path, folders: list[Path]) -> list[RecorderFile]:
    files = []
    for folder in folders:
        base_depth = len(folder.parts)
        for dirpath, dirnames, filenames in os.walk(folder, onerror=lambda error: None):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d.lower() not in SYSTEM_FOLDERS
                                 and len(Path(dirpath).parts) - base_depth < MAX_DEPTH)
            for name in sorted(filenames):
                if name.startswith(".") or Path(name).suffix.lower() not in RECORDER_EXTENSIONS:
                    continue  # ._NAME: macOS's resource forks
                path = Path(dirpath) / name
                try:
                    info = path.stat(follow_symlinks=False)
                except OSError:
                    continue
                if not os.path.isfile(path) or path.is_symlink():
                    continue
                files.append(RecorderFile(path, path.relative_to(root).as_posix(), info.st_size, info.st_mtime_ns))
    return files


def new_files(recorder: Recorder, remembered: dict[str, known.VolumeFile]) -> list[RecorderFile]:
    """The recorder's files not dealt with before (or changed since: another size or mtime)."""
    result = []
    for file in recorder.files:
        seen = remembered.get(file.relative)
        if seen is None or seen.size != file.size or seen.mtime_ns != file.mtime_ns:
            result.append(file)
    return result


def recognise_in(db, volume: Volume) -> Recorder | None:
    """`recognise` with what the library `db` remembers of the volume (marked, known as a recorder)."""
    remembered = known.get_volume(db, volume.key)
    return recognise(volume, marked=bool(remembered and remembered.marked), known_recorder=remembered is not None)


def volume_statuses(db, roots: Iterable[Path] | None = None) -> list[VolumeStatus]:
    result = []
    for volume in mounted_volumes(roots):
        recorder = recognise_in(db, volume)
        remembered = known.known_files(db, volume.key)
        new = len(new_files(recorder, remembered)) if recorder else 0
        reason = recorder.reason if recorder else _why_not(volume)
        result.append(VolumeStatus(str(volume.mount_point), volume.fstype, volume.source, volume.uuid,
                                   volume.label, volume.key, volume.name, recorder is not None, reason,
                                   bool(recorder and recorder.marked), len(recorder.files) if recorder else 0, new))
    return result


def _why_not(volume: Volume) -> str:
    try:
        names = {entry.name.lower() for entry in os.scandir(volume.mount_point) if entry.is_dir()}
    except OSError as error:
        return f"cannot be read ({error.strerror})"
    if names & RECORDER_FOLDERS:
        return "its recorder folders hold no recordings"
    return "no recorder folder (VOICE/, REC/, RECORDER/, MIC/, FOLDER_A...): `musings recorder mark` it if it is one"


# -- importing from one ------------------------------------------------------------------------------

def import_from_volume(core, volume: Volume, settings, *, clear_after: bool = False,
                       on_event: Callable | None = None, on_progress: Callable[[VolumeProgress], None] | None = None,
                       cancel: threading.Event | None = None, shared_models: bool = False) -> VolumeImport:
    """Import the recordings of the recorder on `volume` not taken before, on the calling thread.

    `on_event(ImportEvent, ImportProgress)`: what Musings.import_recordings reports; `on_progress`: a
    VolumeProgress ("Importing 12 new recordings from ICD-UX570…", done of total) when there is something new,
    after each recording dealt with, and once finished. `clear_after`: then delete from the device each of its
    recordings whose bytes (hashed again, on the device and in the library) are those of a memo in the
    library and not in the trash; nothing else is ever deleted."""
    from app.importer import shown_path

    db = core.db()
    recorder = recognise_in(db, volume)
    if recorder is None:
        raise Refused(f"{volume.mount_point} is not a voice recorder ({_why_not(volume)})")
    remembered_volume = known.get_volume(db, volume.key)
    known.note_volume(db, volume.key, uuid=volume.uuid, label=volume.label, name=volume.name)
    fresh = new_files(recorder, known.known_files(db, volume.key))
    result = VolumeImport(recorder, new=[f.relative for f in fresh])
    if fresh:
        by_shown = {shown_path(f.path): f for f in fresh}
        memo_file: dict[int, RecorderFile] = {}
        settled: dict[str, known.VolumeFile] = {}
        progress = VolumeProgress(volume.name, 0, len(fresh))

        def tell(current: str | None = None) -> None:
            progress.current = current
            if on_progress is not None:
                on_progress(dataclasses.replace(progress))  # a snapshot: another thread may paint it later

        def heard(event, import_progress) -> None:
            file = by_shown.get(event.path) if event.memo_id is None or event.kind in ("queued", "skipped") else None
            if file is None and event.memo_id in memo_file:
                file = memo_file[event.memo_id]
            if file is not None:
                if event.kind == "queued":
                    memo_file[event.memo_id] = file
                elif event.kind == "started":
                    tell(Path(file.relative).name)
                elif event.kind in ("skipped", "failed", "done", "empty") and file.relative not in settled:
                    if event.memo_id is None:  # not a usable recording (the reason says why)
                        entry = known.VolumeFile(volume.key, file.relative, file.size, file.mtime_ns,
                                                 known.REFUSED, None, event.reason)
                    else:
                        entry = known.VolumeFile(volume.key, file.relative, file.size, file.mtime_ns,
                                                 known.IMPORTED, event.memo_id, event.reason)
                    if entry.outcome == known.REFUSED or entry.memo_id is not None:
                        settled[file.relative] = entry
                        progress.done += 1
                        tell()
            if on_event is not None:
                on_event(event, import_progress)

        tell()
        try:
            summary = core.import_recordings([f.path for f in fresh], settings, on_event=heard, cancel=cancel,
                                             shared_models=shared_models, recover_inbox=False)
        finally:
            # Queued memos are in the library even if transcription stopped: remembered as taken.
            for memo_id, file in memo_file.items():
                settled.setdefault(file.relative, known.VolumeFile(volume.key, file.relative, file.size,
                                                                   file.mtime_ns, known.IMPORTED, memo_id))
            known.remember_files(db, settled.values())
        result.summary, result.cancelled = summary, summary.cancelled
        leftover = [f for f in fresh if f.relative not in settled]
        if leftover and not summary.cancelled:  # e.g. a failed memo tried again: no "queued" event names it
            _settle_by_hash(db, volume, leftover, settled)
        for entry in settled.values():
            if entry.outcome == known.IMPORTED:
                result.imported[entry.path] = entry.memo_id
            else:
                result.refused[entry.path] = entry.reason or "not a usable recording"
        progress.done, progress.finished = len(fresh), True
        tell()
    if clear_after and not result.cancelled:
        _clear(core, volume, recorder, result)
    if remembered_volume is None and not recorder.marked:
        log.info("recorder %s (%s) seen for the first time: %s", volume.name, volume.key, recorder.reason)
    return result


def _settle_by_hash(db, volume: Volume, files: list[RecorderFile], settled: dict) -> None:
    from storage import memos as store
    from storage.data_folder import hash_file

    entries = []
    for file in files:
        try:
            memo = store.find_by_hash(db, hash_file(file.path))
        except OSError:
            continue
        if memo is not None:
            entry = known.VolumeFile(volume.key, file.relative, file.size, file.mtime_ns, known.IMPORTED, memo.id)
            settled[file.relative] = entry
            entries.append(entry)
    known.remember_files(db, entries)


def _clear(core, volume: Volume, recorder: Recorder, result: VolumeImport) -> None:
    """Delete from the device the recorder's files verified, by hash, as a memo's audio in the library."""
    from storage import memos as store
    from storage.data_folder import hash_file

    db = core.db()
    remembered = known.known_files(db, volume.key)
    cleared = []
    for file in recorder.files:
        seen = remembered.get(file.relative)
        if seen is None or seen.outcome != known.IMPORTED or seen.memo_id is None:
            result.kept[file.relative] = (seen.reason if seen and seen.reason else "not imported")
            continue
        memo = store.get_memo(db, seen.memo_id)
        reason = None
        if memo is None:
            reason = "its memo is no longer in the library"
        elif memo.deleted_at is not None:
            reason = f"its memo {memo.id} is in the trash"
        else:
            try:
                on_device = hash_file(file.path)
                in_library = hash_file(core.data_dir / memo.library_path) if memo.library_path else None
            except OSError as error:
                on_device, in_library = None, None
                reason = f"could not be verified ({error.strerror})"
            if reason is None and not (on_device == in_library == memo.content_hash):
                reason = "its bytes differ from the library's copy"
        if reason is None:
            try:
                file.path.unlink()
            except OSError as error:
                reason = f"could not be deleted ({error.strerror})"
        if reason is None:
            cleared.append(file.relative)
        else:
            result.kept[file.relative] = reason
    known.forget_files(db, volume.key, cleared)
    result.cleared = cleared


def mark(db, volume: Volume, marked: bool = True) -> Recorder | None:
    """Remember that `volume` is (or, not `marked`, is no longer taken for) a recorder, whatever its layout."""
    known.note_volume(db, volume.key, uuid=volume.uuid, label=volume.label, name=volume.name, marked=marked)
    return recognise_in(db, volume)


# -- noticing new recorders ----------------------------------------------------------------------------

class VolumeMonitor:
    """Notices volumes mounted under `roots` and calls `on_recorder(Recorder)` (on its own thread, or the
    caller's in `check_once`) for each newly mounted one `recognise(volume)` takes for a recorder.

    Wakes when the kernel signals a change of the mount table (POLLPRI on /proc/self/mountinfo), and at least
    every `interval` seconds, comparing the file's text (cheap). `report_existing`: recorders already mounted
    at the first check count as newly mounted. `on_change(list[Volume])`: any change of the mounted volumes."""

    def __init__(self, on_recorder: Callable[[Recorder], None], *,
                 recognise: Callable[[Volume], Recorder | None] = recognise, roots: Iterable[Path] | None = None,
                 interval: float = 2.0, report_existing: bool = True,
                 on_change: Callable[[list[Volume]], None] | None = None, mountinfo: Path = MOUNTINFO):
        self.on_recorder = on_recorder
        self.on_change = on_change
        self.recognise = recognise
        self.roots = None if roots is None else [Path(r) for r in roots]
        self.interval = interval
        self.mountinfo = Path(mountinfo)
        self._report = report_existing
        self._first = True
        self._text: str | None = None
        self._mounted: dict[tuple[int, Path], Volume] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake: tuple[int, int] | None = None

    @property
    def volumes(self) -> list[Volume]:
        """The volumes mounted at the last check."""
        return list(self._mounted.values())

    def check_once(self) -> list[Recorder]:
        """Look at the mount table now; returns (and calls back with) the recorders mounted since the last look."""
        try:
            text = self.mountinfo.read_text(errors="surrogateescape")
        except OSError:
            log.debug("cannot read %s", self.mountinfo, exc_info=True)
            return []
        if text == self._text:
            return []
        self._text = text
        current = {(v.mount_id, v.mount_point): v for v in mounted_volumes(self.roots, text=text)}
        appeared = [v for k, v in current.items() if k not in self._mounted]
        changed = current.keys() != self._mounted.keys()
        self._mounted = current
        first, self._first = self._first, False
        found = []
        if not first or self._report:
            for volume in appeared:
                try:
                    recorder = self.recognise(volume)
                except Exception:
                    log.exception("looking at the volume %s", volume.mount_point)
                    continue
                if recorder is not None:
                    found.append(recorder)
                    self.on_recorder(recorder)
        if changed and self.on_change is not None:
            self.on_change(list(current.values()))
        return found

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._wake = os.pipe()
        self._thread = threading.Thread(target=self._run, name="volume-monitor", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        try:
            os.write(self._wake[1], b"x")
        except OSError:
            pass
        thread.join(timeout)
        for fd in self._wake:
            try:
                os.close(fd)
            except OSError:
                pass
        self._wake = None

    def _run(self) -> None:
        poller, fd = None, None
        try:
            fd = os.open(self.mountinfo, os.O_RDONLY)
            poller = select.poll()
            poller.register(fd, select.POLLPRI | select.POLLERR)
            poller.register(self._wake[0], select.POLLIN)
        except (OSError, AttributeError):
            poller = None
        try:
            while not self._stop.is_set():
                try:
                    self.check_once()
                except Exception:
                    log.exception("checking the mounted volumes")
                if poller is not None:
                    if poller.poll(self.interval * 1000) and not self._stop.is_set():
                        self._stop.wait(0.2)  # a burst of mount changes (udisks) is looked at once
                else:
                    self._stop.wait(self.interval)
        finally:
            if fd is not None:
                os.close(fd)
