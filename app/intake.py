"""Watched folders: recordings that land in them (the bedside recorder's card, the phone's sync folder) are
imported by themselves. Qt-free; the window, `musings listen` and `musings watch` all use `FolderWatcher`.

    notice    watchdog (inotify; polling on network/FUSE mounts) tells of a file created, changed or renamed
    settle    a file is taken once its size and mtime have not changed for `settle_seconds` and its audio
              decodes to the end (a file still being written waits); sync tools' temporary names, hidden
              files and files in hidden folders are never taken
    import    the settled files go, as one batch, through `Musings.import_recordings` on the watcher's one
              thread: never two imports at once from here
    remember  each file's (size, mtime) and outcome go into `intake_files`, so a refused file is not retried
              until it changes and the catch-up scan at start only looks at new or changed files

Only one process per data folder watches: the one holding `watch.lock` (fcntl.flock). Another waits,
trying again every `lock_retry_seconds`, and takes over when the first exits. Deleting or moving a file in
a watched folder never touches its memo. A folder that vanishes (unmounted) is reported and watched again
when it comes back; the other folders go on.
"""
from __future__ import annotations

import fcntl
import logging
import os
import stat
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from musings_errors import UserError
from storage import intake as store

log = logging.getLogger(__name__)

SETTLE_SECONDS = 3.0  # a file's size and mtime must stay the same this long before it is imported
# A settled file whose audio ends before its declared length (or can't be read yet) waits this long more
# for the rest; then it goes to the import as it is (which keeps what decodes, or refuses it with the reason).
INCOMPLETE_GRACE_SECONDS = 20.0
LOCK_NAME = "watch.lock"
LOCK_RETRY_SECONDS = 10.0  # another process watches: try to take over this often
FOLDER_CHECK_SECONDS = 5.0  # the folder list re-read, vanished folders looked for, this often
POLL_SECONDS = 5.0  # the polling observer's interval (network and FUSE mounts)
ERROR_BACKOFF_SECONDS = 60.0  # an import that failed as a whole (a full disk) is tried again after this
POLLED_FILESYSTEMS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "sshfs", "9p", "afs")
TEMPORARY_SUFFIXES = (".part", ".crdownload", ".tmp", ".partial")

# on_event(kind, path, detail) kinds, on the watcher's thread:
#   watching   this process now watches (path: the data folder)
#   standby    another process watches; this one takes over when it exits (detail says who)
#   waiting    a file was noticed and waits to settle (detail: why it still waits)
#   importing  a settled file goes to the import
#   imported   it became a memo (detail: "memo N", perhaps with "no speech found" or why transcription failed)
#   skipped    already in the library (detail: which memo)
#   refused    not audio or unreadable (detail: the reason; also in import_problems; not retried until changed)
#   missing    a watched folder is gone (unmounted?); back: it is there again
#   error      an import failed as a whole (detail: why); tried again later
EventCallback = Callable[[str, str, "str | None"], None]


@dataclass
class Pending:
    """A file waiting to settle."""

    path: str
    folder: str
    size: int
    mtime_ns: int
    noticed_at: float  # time.time() when first noticed
    stable_since: float  # time.monotonic() of the last change seen
    reason: str | None = None  # why it still waits, once it is settled but its audio is not complete


def ignored_name(name: str) -> bool:
    """Hidden files and the temporary names sync tools and browsers write to before renaming."""
    lowered = name.lower()
    return (name.startswith(".")  # hidden; Syncthing .syncthing.*.tmp, Nextcloud/Dropbox .~*
            or (lowered.startswith("~syncthing~") and lowered.endswith(".tmp"))
            or lowered.endswith(TEMPORARY_SUFFIXES))


def ignored_path(path: str, root: str) -> bool:
    """`path` (inside `root`) is hidden, in a hidden folder, or a temporary name."""
    relative = os.path.relpath(path, root)
    parts = relative.split(os.sep)
    return relative.startswith("..") or any(part.startswith(".") for part in parts[:-1]) or ignored_name(parts[-1])


def filesystem_type(path: str, mountinfo: str = "/proc/self/mountinfo") -> str | None:
    """The type of the filesystem `path` is on (from the longest matching mount point), or None."""
    try:
        with open(mountinfo, encoding="utf-8", errors="replace") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    path = os.path.realpath(path)
    best, kind = "", None
    for line in lines:
        fields = line.split()
        if " - " not in line or len(fields) < 5:
            continue
        mount_point = fields[4].replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")
        after = line.split(" - ", 1)[1].split()
        inside = path == mount_point or path.startswith(mount_point.rstrip("/") + "/")
        if inside and len(mount_point) >= len(best) and after:
            best, kind = mount_point, after[0]
    return kind


def needs_polling(path: str) -> bool:
    """inotify sees no changes made by other machines: network and FUSE filesystems are polled."""
    kind = filesystem_type(path) or ""
    return kind in POLLED_FILESYSTEMS or kind.startswith("fuse") or "sshfs" in kind


def audio_incomplete(path: Path) -> str | None:
    """Why the audio of `path` does not (yet) decode to its end, or None when it does."""
    from audio.decode import AudioError, iter_chunks, probe

    try:
        declared = probe(path).duration
        samples = sum(len(chunk) for _, chunk in iter_chunks(path, chunk_seconds=60.0))
    except AudioError as error:
        return str(error)
    decoded = samples / 16_000
    if declared > 0 and decoded < declared - max(0.5, 0.02 * declared):
        return f"its audio ends at {decoded:.1f} s of {declared:.1f} s: waiting for the rest"
    return None


class WatchLock:
    """Held by the one process watching a data folder's folders (fcntl.flock, released when it exits)."""

    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / LOCK_NAME
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    def holder(self) -> int | None:
        """The pid of the process watching, or None when none is (never creates the file)."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except OSError:
                text = os.read(fd, 32).decode(errors="replace").strip()
                return int(text) if text.isdigit() else -1
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


class FolderWatcher:
    """Imports what lands in the library's watched folders, on one thread of its own, until `stop()`.

    `core`: the open library (app.core.Musings). `settings`: the TranscriptionSettings imports use.
    `on_event(kind, path, detail)`: see the kinds above; called on the watcher's thread (a window posts it
    to its UI thread). `on_import_event`: the import's own (ImportEvent, ImportProgress) callback, for a
    progress display. `shared_models`: use the core's loaded Whisper model and embedder (the window)."""

    def __init__(self, core, settings, *, on_event: EventCallback | None = None,
                 on_import_event: Callable | None = None, settle_seconds: float = SETTLE_SECONDS,
                 incomplete_grace: float = INCOMPLETE_GRACE_SECONDS, lock_retry_seconds: float = LOCK_RETRY_SECONDS,
                 shared_models: bool = False):
        self.core = core
        self.settings = settings
        self.on_event = on_event or (lambda kind, path, detail: None)
        self.on_import_event = on_import_event
        self.settle_seconds = settle_seconds
        self.incomplete_grace = incomplete_grace
        self.lock_retry_seconds = lock_retry_seconds
        self.shared_models = shared_models
        self.data_dir = str(Path(core.data_dir).resolve())
        self.state = "stopped"  # stopped / starting / standby / watching
        self._lock = WatchLock(core.data_dir)
        self._stop = threading.Event()
        self._cancel = threading.Event()  # set by stop(): an import under way stops before its next file
        self._wake = threading.Event()
        self._guard = threading.Lock()
        self._noticed: set[str] = set()  # paths the observers told of, for the watcher's thread
        self._pending: dict[str, Pending] = {}
        self._seen: dict[str, store.SeenFile] = {}
        self._folders: dict[str, store.WatchedFolder] = {}  # watched now, by path
        self._watches: dict[str, object] = {}  # folder -> (observer, ObservedWatch)
        self._missing: set[str] = set()
        self._observers: dict[str, object] = {}
        self._thread: threading.Thread | None = None
        self._retry_at = 0.0

    # -- the API ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching on a thread of its own (returns at once)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._cancel.clear()
        self.state = "starting"
        self._thread = threading.Thread(target=self._run, name="musings-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop watching: an import under way stops before its next file (what it copied stays queued)."""
        self._stop.set()
        self._cancel.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self, stop_event: threading.Event) -> None:
        """`musings watch`: watch until `stop_event` is set (Ctrl-C and SIGTERM set it)."""
        self.start()
        try:
            while not stop_event.wait(0.5) and self._thread.is_alive():
                pass
        finally:
            self.stop()

    def pending(self) -> list[Pending]:
        """The files waiting to settle, oldest first."""
        with self._guard:
            return sorted((replace(p) for p in self._pending.values()), key=lambda p: p.noticed_at)

    def notice(self, path: str) -> None:
        """A file may have appeared or changed (the observers call this; any thread)."""
        with self._guard:
            self._noticed.add(path)
        self._wake.set()

    # -- the watcher's thread ------------------------------------------------------------------------

    def _emit(self, kind: str, path: str, detail: str | None = None) -> None:
        try:
            self.on_event(kind, path, detail)
        except Exception:  # a front end's bug must not stop the watching
            log.exception("watch event handler failed (%s %s)", kind, path)

    def _run(self) -> None:
        told_standby = False
        try:
            while not self._stop.is_set():
                try:
                    if self.state != "watching":
                        if not self._lock_acquired():
                            if not told_standby:
                                holder = self._lock.holder()
                                self.state, told_standby = "standby", True
                                self._emit("standby", self.data_dir, "another Musings"
                                           + (f" (pid {holder})" if holder and holder > 0 else "")
                                           + " is watching these folders; this one takes over when it exits")
                            self._stop.wait(self.lock_retry_seconds)
                            continue
                        self._begin()
                    self._step()
                except UserError as error:  # the library can't be opened or written: say so, try again later
                    log.warning("watching: %s", error)
                    self._emit("error", self.data_dir, str(error))
                    self._stop.wait(ERROR_BACKOFF_SECONDS)
                except Exception as error:  # a bug: logged whole; the watcher goes on
                    log.exception("the folder watcher failed")
                    self._emit("error", self.data_dir, f"internal error: {error!r} (see the log)")
                    self._stop.wait(ERROR_BACKOFF_SECONDS)
        finally:
            self._end()

    def _lock_acquired(self) -> bool:
        self.core.db()  # creates the data folder of a new library, where the lock lives
        return self._lock.acquire()

    def _begin(self) -> None:
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        db = self.core.db()
        store.forget_waiting(db)
        self._seen = store.seen_files(db)
        self._observers = {"inotify": Observer(), "polling": PollingObserver(timeout=POLL_SECONDS)}
        for observer in self._observers.values():
            observer.daemon = True
            observer.start()
        self.state = "watching"
        self._emit("watching", self.data_dir, None)
        self._next_check = 0.0

    def _end(self) -> None:
        for observer in self._observers.values():
            try:
                observer.stop()
                observer.join(5)
            except Exception:
                log.debug("stopping an observer", exc_info=True)
        self._observers, self._watches, self._folders = {}, {}, {}
        with self._guard:
            self._pending.clear()
        self._lock.release()
        self.state = "stopped"
        try:
            self.core.close()  # this thread's connection
        except Exception:
            log.debug("closing the watcher's connection", exc_info=True)

    def _step(self) -> None:
        now = time.monotonic()
        if now >= self._next_check:
            self._check_folders()
            self._next_check = now + FOLDER_CHECK_SECONDS
        with self._guard:
            noticed, self._noticed = self._noticed, set()
        for path in sorted(noticed):
            self._notice(path)
        ready = self._settled() if now >= self._retry_at else []
        if ready:
            self._import(ready)
        with self._guard:
            waiting = bool(self._pending or self._noticed)
        self._wake.wait(min(1.0, self.settle_seconds) if waiting else FOLDER_CHECK_SECONDS)
        self._wake.clear()
        if waiting:
            self._stop.wait(0.2)  # a file being written wakes us at every write: look at most 5 times a second

    # -- folders -------------------------------------------------------------------------------------

    def _check_folders(self) -> None:
        db = self.core.db()
        wanted = {folder.path: folder for folder in store.list_folders(db)}
        for path in list(self._folders):
            if path not in wanted:
                self._unwatch(path)
                self._folders.pop(path, None)
                self._missing.discard(path)
                with self._guard:
                    for file in [p for p, f in self._pending.items() if f.folder == path]:
                        del self._pending[file]
        for path, folder in wanted.items():
            there = os.path.isdir(path)
            if not there:
                if path not in self._missing:
                    self._missing.add(path)
                    self._unwatch(path)
                    store.set_folder_state(db, path, error="the folder is missing (unmounted or removed?)")
                    self._emit("missing", path, "the folder is missing (unmounted or removed?); "
                                                "watched again when it is back")
                continue
            changed = path in self._folders and self._folders[path].recursive != folder.recursive
            if path in self._watches and not changed:
                continue
            if changed:
                self._unwatch(path)
            self._folders[path] = folder
            error = self._watch(folder)
            if path in self._missing or folder.last_error != error:
                store.set_folder_state(db, path, error=error)
            if path in self._missing:
                self._missing.discard(path)
                self._emit("back", path, None)
            self._catch_up(folder)

    def _watch(self, folder: store.WatchedFolder) -> str | None:
        from watchdog.events import FileSystemEventHandler

        watcher = self

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event):
                if event.event_type in ("deleted", "opened", "closed_no_write"):
                    return  # a file deleted or moved away never deletes its memo
                target = getattr(event, "dest_path", "") or event.src_path
                if isinstance(target, bytes):
                    target = os.fsdecode(target)
                watcher.notice(target)

        kind = "polling" if needs_polling(folder.path) else "inotify"
        error = None
        try:
            watch = self._observers[kind].schedule(Handler(), folder.path, recursive=folder.recursive)
        except OSError as failure:  # inotify's watch limit (a huge tree): poll instead
            if kind == "polling":
                raise
            log.warning("inotify can't watch %s (%s); polling it", folder.path, failure)
            error = None
            kind = "polling"
            watch = self._observers[kind].schedule(Handler(), folder.path, recursive=folder.recursive)
        self._watches[folder.path] = (self._observers[kind], watch)
        log.info("watching %s (%s%s)", folder.path, kind, ", with subfolders" if folder.recursive else "")
        return error

    def _unwatch(self, path: str) -> None:
        observer, watch = self._watches.pop(path, (None, None))
        if observer is not None:
            try:
                observer.unschedule(watch)
            except Exception:  # the folder went away under inotify: its watch is gone already
                log.debug("unscheduling %s", path, exc_info=True)

    def _catch_up(self, folder: store.WatchedFolder) -> None:
        """What arrived while no watcher ran: new or changed files (by size and mtime) become pending."""
        found = set()
        for dirpath, dirnames, filenames in os.walk(folder.path):
            if not folder.recursive:
                dirnames[:] = []
            dirnames[:] = sorted(d for d in dirnames if not d.startswith(".")
                                 and os.path.join(dirpath, d) != self.data_dir)
            for name in sorted(filenames):
                path = os.path.join(dirpath, name)
                found.add(path)
                self._notice(path, folder)
        gone = [path for path, seen in self._seen.items() if seen.folder == folder.path and path not in found]
        if gone:  # forgotten, not their memos
            store.forget_files(self.core.db(), gone)
            for path in gone:
                self._seen.pop(path, None)

    def _folder_of(self, path: str) -> store.WatchedFolder | None:
        best = None
        for root, folder in self._folders.items():
            if path.startswith(root.rstrip("/") + "/") and (best is None or len(root) > len(best.path)):
                if folder.recursive or os.path.dirname(path) == root:
                    best = folder
        return best

    # -- files ---------------------------------------------------------------------------------------

    def _notice(self, path: str, folder: store.WatchedFolder | None = None) -> None:
        folder = folder or self._folder_of(path)
        if folder is None or path in self._missing or ignored_path(path, folder.path):
            return
        if path == self.data_dir or path.startswith(self.data_dir + "/"):
            return
        try:
            info = os.stat(path)
        except OSError:  # gone (deleted, renamed away): forget it, never its memo
            with self._guard:
                self._pending.pop(path, None)
            return
        if stat.S_ISDIR(info.st_mode):  # a folder moved in: its files, which inotify never saw created
            if folder.recursive:
                for dirpath, dirnames, filenames in os.walk(path):
                    dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                    for name in filenames:
                        self._notice(os.path.join(dirpath, name), folder)
            return
        if not stat.S_ISREG(info.st_mode):
            return
        seen = self._seen.get(path)
        if seen is not None and seen.outcome != store.WAITING and (seen.size, seen.mtime_ns) == (
                info.st_size, info.st_mtime_ns):
            return  # dealt with, unchanged since
        with self._guard:
            pending = self._pending.get(path)
            if pending is None:
                self._pending[path] = Pending(path, folder.path, info.st_size, info.st_mtime_ns, time.time(),
                                              time.monotonic())
        if pending is None:
            self._mark([store.SeenFile(path, folder.path, info.st_size, info.st_mtime_ns, store.WAITING)])
            self._emit("waiting", path, "waiting for it to settle")

    def _settled(self) -> list[Pending]:
        """Pending files whose size and mtime have stood still long enough and whose audio is complete."""
        from audio.decode import looks_like_audio

        now, ready = time.monotonic(), []
        with self._guard:
            pending = list(self._pending.values())
        for file in pending:
            try:
                info = os.stat(file.path)
            except OSError:
                with self._guard:
                    self._pending.pop(file.path, None)
                store.forget_files(self.core.db(), [file.path])
                continue
            if (info.st_size, info.st_mtime_ns) != (file.size, file.mtime_ns):
                file.size, file.mtime_ns, file.stable_since, file.reason = (info.st_size, info.st_mtime_ns,
                                                                            now, None)
                continue
            if now - file.stable_since < self.settle_seconds:
                continue
            if looks_like_audio(Path(file.path)) and now - file.stable_since < self.settle_seconds + self.incomplete_grace:
                reason = audio_incomplete(Path(file.path))
                if reason is not None:
                    if reason != file.reason:
                        file.reason = reason
                        self._emit("waiting", file.path, reason)
                    continue
            ready.append(file)
        return ready

    def _import(self, ready: list[Pending]) -> None:
        from app.importer import shown_path
        from audio.decode import looks_like_audio
        from storage import memos as memo_store

        db = self.core.db()
        audio = [file for file in ready if looks_like_audio(Path(file.path))]
        for file in ready:
            if file not in audio:
                reason = f"not an audio file ({Path(file.path).suffix or 'no extension'})"
                memo_store.record_problem(db, shown_path(file.path), reason)
                self._done(file, store.REFUSED, reason, "refused")
        if not audio:
            return
        for file in audio:
            self._emit("importing", file.path, None)
        try:
            summary = self.core.import_recordings([Path(file.path) for file in audio], self.settings,
                                                  on_event=self.on_import_event, cancel=self._cancel,
                                                  shared_models=self.shared_models, recover_inbox=False)
        except UserError as error:  # a full disk, a missing model: the files wait, tried again later
            log.warning("watched folders: the import failed: %s", error)
            for file in audio:
                self._emit("error", file.path, str(error))
            self._retry_at = time.monotonic() + ERROR_BACKOFF_SECONDS
            return
        shown = {shown_path(file.path): file for file in audio}
        memo_file: dict[int, Pending] = {}
        outcome: dict[str, tuple[str, str | None]] = {}
        for event in summary.report.events:
            file = shown.get(event.path)
            if file is not None and event.kind == "queued":
                memo_file[event.memo_id] = file
            elif file is not None and event.kind == "skipped":
                outcome[file.path] = (store.SKIPPED, event.reason)
            elif file is not None and event.kind == "failed" and event.memo_id is None:
                outcome[file.path] = (store.REFUSED, event.reason)
            elif event.memo_id in memo_file and event.kind in ("done", "empty", "failed"):
                detail = f"memo {event.memo_id}" + (f": {event.reason}" if event.reason else "")
                outcome[memo_file[event.memo_id].path] = (store.IMPORTED, detail)
        for file in audio:
            if file.path in outcome:
                kind, detail = outcome[file.path]
                self._done(file, kind, detail, {store.IMPORTED: "imported", store.SKIPPED: "skipped"}.get(kind, kind))
            elif summary.cancelled:
                with self._guard:  # stopping: the next watcher's catch-up takes it (and the queue) up
                    self._pending.pop(file.path, None)
            else:  # queued but not transcribed (another import holds it): it is a memo all the same
                memo_id = next((m for m, f in memo_file.items() if f is file), None)
                self._done(file, store.IMPORTED, f"memo {memo_id}" if memo_id else None, "imported")

    def _done(self, file: Pending, outcome: str, detail: str | None, kind: str) -> None:
        with self._guard:
            current = self._pending.get(file.path)
            if current is file:
                del self._pending[file.path]
        self._mark([store.SeenFile(file.path, file.folder, file.size, file.mtime_ns, outcome, detail)])
        store.set_folder_state(self.core.db(), file.folder, activity=True)
        self._emit(kind, file.path, detail)

    def _mark(self, files: list[store.SeenFile]) -> None:
        store.mark_files(self.core.db(), files)
        for file in files:
            self._seen[file.path] = file


class Intake:
    """Everything that brings recordings in by itself, for a process that owns the library (the window,
    `musings listen`): the watched folders (FolderWatcher) and recorders plugged in on USB (app.volumes'
    VolumeMonitor). Only the process holding the watch lock imports: a recorder mounted while another Musings
    watches is left to that one.

    `on_event(kind, path, detail)`: the watcher's events, and "volume" (path = the recorder's name,
    detail = "Importing 12 new recordings from ICD-UX570… (3 of 12)" and at the end "Imported …") and "error";
    called on the intake's own threads."""

    def __init__(self, core, settings, *, on_event: EventCallback | None = None, shared_models: bool = False,
                 volume_roots=None):
        import queue

        self.core, self.settings = core, settings
        self.on_event = on_event or (lambda kind, path, detail: None)
        self.shared_models = shared_models
        self.watcher = core.folder_watcher(settings, on_event=self.on_event, shared_models=shared_models)
        self._recorders: queue.Queue = queue.Queue()
        self.monitor = core.volume_monitor(self._recorders.put, roots=volume_roots)
        self._thread = threading.Thread(target=self._import_recorders, name="musings-recorders", daemon=True)
        self._cancel = threading.Event()

    def start(self) -> None:
        self.watcher.start()
        self.monitor.start()
        self._thread.start()

    def stop(self, timeout: float | None = 10) -> None:
        self._cancel.set()
        self.monitor.stop()
        self._recorders.put(None)
        self.watcher.stop(timeout)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _import_recorders(self) -> None:
        while (recorder := self._recorders.get()) is not None:
            if self._cancel.is_set():
                return
            if self.watcher.state != "watching":  # another Musings holds the watch lock: it imports
                continue
            try:
                self.core.import_from_volume(
                    recorder.volume, self.settings, cancel=self._cancel, shared_models=self.shared_models,
                    on_progress=lambda progress: self.on_event("volume", recorder.name, progress.message + (
                        "" if progress.finished else f" ({progress.done} of {progress.total})")))
            except UserError as error:
                self.on_event("error", recorder.name, str(error))
            except Exception:  # a bug: logged, and the next recorder is still taken
                log.exception("importing from the recorder %s", recorder.name)
                self.on_event("error", recorder.name, "something went wrong importing it (see the log)")
