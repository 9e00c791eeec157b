"""The import use case: recordings on disk -> memos with transcripts, as a short list of named stages.

    scan      walk the given files and folders; non-audio files are skipped with the reason
    identify  content hash; a recording already in the library (any name, any place) is skipped
    probe     read duration and recorded-at time; unreadable files fail here with the reason
    store     copy into the library folder, add a pending memo (the job queue lives in SQLite)
    transcribe  every pending memo, including ones a killed run left behind, one at a time
    organize  embed and title new memos, place them into themes (app.organizer)

Each stage only moves a memo forward, so a run killed at any point resumes on the next one.
"""
from __future__ import annotations

import errno
import importlib
import logging
import os
import re
import sqlite3
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from audio.decode import AudioError, file_mtime, looks_like_audio, probe
from audio.recorded_time import recorded_time
from audio.transcribe import Segment, Transcriber, TranscriptionSettings
from storage import memos as store
from storage.db import StorageError, describe_storage_error, open_database, when_unlocked
from storage.data_folder import copy_into_library, hash_file, library_path_for, remove_partial_copies
from storage.owners import OwnerLock, owner_alive
from storage.timestamps import utc_text

log = logging.getLogger(__name__)


@dataclass
class ImportEvent:
    """One thing that happened to one file or memo, for progress displays."""

    kind: str  # skipped / failed / queued / started / done / empty
    path: str
    reason: str | None = None  # precise (the decoder's own words included): kept in import_problems and --json
    memo_id: int | None = None
    duration: float = 0.0
    plain_reason: str | None = field(init=False, default=None)  # `reason` for a newcomer: see plain_reason()

    def __post_init__(self) -> None:
        self.plain_reason = plain_reason(self.reason)


@dataclass
class ImportProgress:
    files_done: int = 0
    files_total: int = 0
    seconds_done: float = 0.0
    seconds_total: float = 0.0
    started_at: float = field(default_factory=time.monotonic)

    def seconds_left(self) -> float | None:
        """Time left, from the audio seconds per wall second seen so far."""
        elapsed = time.monotonic() - self.started_at
        if self.seconds_done <= 0 or elapsed <= 0:
            return None
        return (self.seconds_total - self.seconds_done) * elapsed / self.seconds_done


@dataclass
class ImportReport:
    events: list[ImportEvent] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)  # memos this run put in the transcription queue (new or retried)
    not_reached: list[Path] = field(default_factory=list)  # recordings found but not looked at: a cancel stopped it

    def of_kind(self, *kinds: str) -> list[ImportEvent]:
        return [event for event in self.events if event.kind in kinds]

    def problems(self) -> list[ImportEvent]:
        """Each file skipped or failed, and each memo without speech, in the order met."""
        return self.of_kind("skipped", "failed", "empty")

    def imported_memo_ids(self) -> list[int]:
        """The memos this run transcribed (with or without speech)."""
        return list(dict.fromkeys(e.memo_id for e in self.of_kind("done", "empty") if e.memo_id is not None))

    def waiting_memo_ids(self) -> list[int]:
        """Memos this run copied into the library but did not transcribe (cancelled): the next import does."""
        finished = {e.memo_id for e in self.of_kind("done", "empty", "failed")}
        return [memo_id for memo_id in dict.fromkeys(self.queued) if memo_id not in finished]

    def not_imported(self) -> int:
        """How many recordings a cancel left for later: not looked at, or copied but not transcribed."""
        return len(self.not_reached) + len(self.waiting_memo_ids())


EventCallback = Callable[[ImportEvent, ImportProgress], None]


class FileTranscriber(Protocol):
    """What the Importer needs of a transcriber (audio.transcribe.Transcriber is one)."""

    model_name: str
    language: str | None  # the language heard in the last file (or the one it was set to)

    def transcribe_file(self, path: Path) -> Iterator[Segment]: ...


class Importer:
    """Imports recordings into the data folder; `run` may be called again to resume."""

    def __init__(
        self,
        data_dir: Path,
        settings: TranscriptionSettings | None = None,
        on_event: EventCallback | None = None,
        transcriber: FileTranscriber | None = None,
        organize: bool = True,
        embedder=None,
        *,
        load_transcriber: Callable[[], FileTranscriber] | None = None,
        cancel: threading.Event | None = None,
    ):
        self.data_dir = Path(data_dir)
        self.settings = settings or TranscriptionSettings()
        self.on_event = on_event or (lambda event, progress: None)
        self._transcriber = transcriber
        # Called for the Whisper model when there is something to transcribe (the window's shared model).
        self._load_transcriber = load_transcriber or (lambda: Transcriber(self.settings))
        # Set by the user's Cancel: the import stops before the next file (what is copied stays queued).
        self.cancel = cancel or threading.Event()
        self.organize = organize
        # An Embedder to share (or a function returning one); else one is loaded when needed.
        self._embedder = embedder
        self.db = open_database(self.data_dir)
        self.progress = ImportProgress()
        self.report = ImportReport()
        self.memo_of: dict[Path, int] = {}  # each file of this run that is (or already was) a memo
        self._given_transcripts: dict[Path, list[Segment]] = {}
        self._known_segments: dict[int, list[Segment]] = {}  # memo id -> its given transcript
        self._remove_sources = False

    @property
    def transcriber(self) -> FileTranscriber:
        # Loaded only when there is something to transcribe: re-importing known files stays instant.
        if self._transcriber is None:
            self._transcriber = self._load_transcriber()
        return self._transcriber

    def run(self, paths: Iterable[Path], *, transcripts: dict[Path, list[Segment]] | None = None,
            remove_sources: bool = False) -> ImportReport:
        """Add the recordings under `paths`, then transcribe everything pending.

        `transcripts`: segments already made for some of these files (a recording's live transcript): stored
        as they are instead of running Whisper again. `remove_sources`: the files are the app's own inbox
        recordings, so each goes once its memo is made (its audio is in the library then); `memo_of` maps
        each file given to its memo."""
        remove_partial_copies(self.data_dir)
        self._given_transcripts = {Path(p).resolve(): segments for p, segments in (transcripts or {}).items()}
        self._remove_sources = remove_sources
        report = self._run(paths)
        # Only after a run that ended well: one stopped by a full disk leaves the files where they are, for the
        # user to be told where their recording is (a memo that failed is retried from the library's copy).
        if remove_sources:
            for path, memo_id in self.memo_of.items():
                if store.get_memo(self.db, memo_id) is not None:
                    path.unlink(missing_ok=True)
        return report

    def _run(self, paths: Iterable[Path]) -> ImportReport:
        reached = True
        files = scan(paths, lambda event: self._emit(event) if reached else None)
        for path in files:
            if self.cancel.is_set():
                # What a Resume imports: the rest of the scan, walked without reporting anything.
                reached = False
                self.report.not_reached = [Path(path), *files]
                return self.report
            memo_id = self.register(path)
            if memo_id is not None:
                self.report.queued.append(memo_id)
                self.memo_of[Path(path)] = memo_id
                given = self._given_transcripts.get(Path(path).resolve())
                if given is not None:
                    self._known_segments[memo_id] = given
        if self.cancel.is_set():
            return self.report
        if not self.organize:
            self.transcribe_pending()
            return self.report
        if store.memos_to_transcribe(self.db):
            # The organize stage's imports (scipy, scikit-learn, igraph: ~0.7 s) on a thread while Whisper
            # works: they use the core Whisper leaves idle (it averages 1.3 of 2).
            threading.Thread(target=importlib.import_module, args=("app.organizer",), daemon=True).start()
        self.transcribe_pending()
        from app.organizer import Organizer

        self._write(Organizer(self.db, self._embedder).organize_new)
        return self.report

    def close(self) -> None:
        self.db.conn.close()

    def __enter__(self) -> "Importer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- stages -------------------------------------------------------------------------------

    def register(self, path: Path) -> int | None:
        """identify + probe + store one file; returns the memo id, or None if skipped or failed."""
        shown = shown_path(path)
        reason = not_a_regular_file(path)  # a FIFO swapped in after the scan would block the hashing
        if reason:
            return self._problem(path, reason)
        try:
            content_hash = hash_file(path)
        except FileNotFoundError:
            return self._problem(path, "the file vanished before it could be read")
        except OSError as error:
            return self._problem(path, f"cannot read the file ({error.strerror})")
        existing = store.find_by_hash(self.db, content_hash)
        if existing is not None:
            self.memo_of[Path(path)] = existing.id
        if existing is not None and existing.deleted_at is not None:
            self._emit(ImportEvent("skipped", shown, f"memo {existing.id}, in the trash (musings restore "
                                                     f"{existing.id})", existing.id))
            return None
        if existing is not None and existing.status != store.FAILED:
            self._emit(ImportEvent("skipped", shown, f"already imported as memo {existing.id}", existing.id))
            return None
        try:
            info = probe(path)
        except AudioError as error:
            return self._problem(path, str(error))
        if existing is not None:  # failed before: try again, perhaps with another model
            self._write(store.requeue_failed, self.db, existing.id)
            return existing.id
        # the metadata's time, else the file name's (Recording_20240915_231200.m4a), else the mtime
        recorded_at, recorded_at_source = recorded_time(info.recorded_at, path.name, file_mtime(path))
        relative = library_path_for(content_hash, path.suffix)
        self._write(copy_into_library, self.data_dir, path, relative)
        full_path = path.resolve()
        exact = os.fsencode(full_path)
        memo = store.NewMemo(
            content_hash=content_hash,
            original_name=shown_path(path.name),
            original_path=shown_path(full_path),
            library_path=relative,
            recorded_at=utc_text(recorded_at),
            recorded_at_source=recorded_at_source,
            duration=round(info.duration, 3),
            original_path_bytes=None if _is_utf8(exact) else exact,
        )
        memo_id = self._write(store.add_memo, self.db, memo)
        if memo_id is None:  # another import (or a recording) added the same recording meanwhile
            existing = store.find_by_hash(self.db, content_hash)
            self._emit(ImportEvent("skipped", shown, f"already imported as memo {existing.id}", existing.id))
            return None
        self._emit(ImportEvent("queued", shown, None, memo_id, info.duration))
        return memo_id

    def transcribe_pending(self) -> None:
        """Transcribe the queue: pending memos and any a killed run left `transcribing`."""
        queue = store.memos_to_transcribe(self.db)
        self.progress = ImportProgress(files_total=len(queue), seconds_total=sum(m.duration or 0 for m in queue))
        if not queue:
            return
        self.transcriber  # a wrong model choice stops here, before any memo is touched
        # Our claims stay ours while this lock is held; if this run dies, the next one takes them over.
        alive = lambda token: owner_alive(self.data_dir, token)  # noqa: E731
        with self._write(OwnerLock, self.data_dir) as owner:
            for memo in queue:
                if self.cancel.is_set():
                    return
                if self._write(store.claim_for_transcription, self.db, memo.id, owner.token, alive):
                    self._transcribe(memo)
                else:  # done meanwhile, or being transcribed by another import right now
                    self.progress.files_total -= 1
                    self.progress.seconds_total -= memo.duration or 0

    def _transcribe(self, memo: store.Memo) -> None:
        path = self.data_dir / memo.library_path
        self._emit(ImportEvent("started", memo.original_name, None, memo.id, memo.duration or 0))
        try:
            given = self._known_segments.pop(memo.id, None)
            segments = given if given is not None else list(self._segments_with_progress(path, memo))
        except AudioError as error:
            self._fail(memo, str(error))
            return
        except (StorageError, KeyboardInterrupt):
            raise
        except Exception as error:  # a bug: log it whole, keep going with the other memos
            log.exception("transcribing memo %s (%s) failed", memo.id, path)
            self._fail(memo, f"internal error: {error!r} (see the log)")
            return
        status = self._write(
            store.save_transcript,
            self.db,
            memo.id,
            segments,
            language=self.transcriber.language or (None if self.settings.language == "auto" else self.settings.language),
            model=self.transcriber.model_name,
        )
        reason = "no speech found" if status == store.EMPTY else None
        self._finish(ImportEvent(status, memo.original_name, reason, memo.id, memo.duration or 0), memo)

    def _segments_with_progress(self, path: Path, memo: store.Memo) -> Iterator:
        base = self.progress.seconds_done
        for segment in self.transcriber.transcribe_file(path):
            self.progress.seconds_done = base + min(segment.end, memo.duration or segment.end)
            yield segment
        self.progress.seconds_done = base

    def _fail(self, memo: store.Memo, reason: str) -> None:
        self._write(store.set_status, self.db, memo.id, store.FAILED, reason)
        self._finish(ImportEvent("failed", memo.original_name, reason, memo.id), memo)

    def _finish(self, event: ImportEvent, memo: store.Memo) -> None:
        self.progress.files_done += 1
        self.progress.seconds_done += memo.duration or 0
        if self._remove_sources and event.kind in (store.DONE, store.EMPTY):
            # The memo is made: its inbox file goes now, not after the organize stage (seconds more).
            for source, memo_id in list(self.memo_of.items()):
                if memo_id == memo.id:
                    source.unlink(missing_ok=True)
        self._emit(event)

    # -- plumbing -----------------------------------------------------------------------------

    def _problem(self, path: Path, reason: str) -> None:
        self._emit(ImportEvent("failed", shown_path(path), reason))
        try:
            store.record_problem(self.db, shown_path(path), reason)
        except sqlite3.Error:
            log.debug("could not record the problem with %s", path, exc_info=True)
        return None

    def _write(self, function, *args, **kwargs):
        """Run a write to the data folder; a full or read-only disk stops the import with a clear reason."""
        try:  # another import or a recording may hold the lock for a moment: wait for it, then write
            return when_unlocked(lambda: function(*args, **kwargs), self.db.conn)
        except (OSError, sqlite3.OperationalError) as error:
            if isinstance(error, OSError) and error.errno not in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
                raise
            raise StorageError(describe_storage_error(error, self.data_dir)) from error

    def _emit(self, event: ImportEvent) -> None:
        self.report.events.append(event)
        self.on_event(event, self.progress)


# -- the reasons in plain words ------------------------------------------------------------------

# (pattern of an ImportEvent reason, the sentence a newcomer reads): the first match wins. The reasons come
# from this module (scan, register, _transcribe) and audio/decode.py (probe, decoding).
_PLAIN_REASONS: list[tuple[re.Pattern, str]] = [(re.compile(pattern), sentence) for pattern, sentence in (
    (r"^not a readable audio file\b", "damaged or not an audio file"),
    (r"^the audio could not be decoded\b", "damaged or not an audio file"),
    (r"^the file holds no decodable audio\b", "damaged or not an audio file"),
    (r"^no audio stream in the file\b", "has no sound in it (no audio track)"),
    (r"^empty file\b", "empty file"),
    (r"^cannot read the file \((?P<why>.+)\)$", "can't be read ({why})"),
    (r"^the file vanished before it could be read\b", "moved or deleted before it could be read"),
    (r"^no such file or folder\b", "not found (no such file or folder)"),
    (r"^already imported as memo (?P<id>\d+)", "already in your library (memo {id})"),
    (r"^memo (?P<id>\d+), in the trash\b", "already in your library, but deleted (memo {id}, in the trash)"),
    (r"^not an audio file \((?P<ext>.+)\)$", "not an audio file ({ext})"),
    (r"^not a regular file \((?P<kind>.+)\)$", "not a regular file ({kind})"),
    (r"^no speech found\b", "no speech found"),
    (r"^internal error\b", "something went wrong while transcribing it (details in the log)"),
)]


def plain_reason(reason: str | None) -> str | None:
    """An import's reason for a file (`ImportEvent.reason`), as a short phrase a newcomer understands:
    "damaged or not an audio file", never FFmpeg's "Invalid data found when processing input". What the CLI
    prints for each problem file and what the window's import summary shows; a reason not known here is
    returned as it is."""
    if not reason:
        return reason
    for pattern, sentence in _PLAIN_REASONS:
        match = pattern.search(reason)
        if match:
            return sentence.format(**{key: value.lower() if key == "why" else value
                                      for key, value in match.groupdict().items()})
    return reason


def scan(paths: Iterable[Path], emit: Callable[[ImportEvent], None]) -> Iterator[Path]:
    """Audio files under `paths` (recursively, sorted, hidden files ignored); the rest reported as skipped."""
    for root in paths:
        root = Path(root)
        if root.is_dir():
            for dirpath, dirnames, filenames in os.walk(root):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    if not name.startswith("."):
                        yield from _audio_or_skip(Path(dirpath) / name, emit)
        elif root.exists():
            yield from _audio_or_skip(root, emit)
        else:
            emit(ImportEvent("failed", shown_path(root), "no such file or folder"))


def _audio_or_skip(path: Path, emit: Callable[[ImportEvent], None]) -> Iterator[Path]:
    reason = not_a_regular_file(path)
    if reason:
        emit(ImportEvent("skipped", shown_path(path), reason))
    elif looks_like_audio(path):
        yield path
    else:
        emit(ImportEvent("skipped", shown_path(path), f"not an audio file ({path.suffix or 'no extension'})"))


_FILE_KINDS = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
               (stat.S_ISBLK, "a device"))


def not_a_regular_file(path: Path) -> str | None:
    """Why `path` is not a regular file (reading a FIFO or a device would block or never end), or None."""
    try:
        mode = os.stat(path).st_mode  # follows symbolic links: a link to a recording is fine
    except OSError:
        return None  # vanished or unreadable: the next stage says so
    if stat.S_ISREG(mode):
        return None
    kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a file")
    return f"not a regular file ({kind})"


def shown_path(path: Path | str) -> str:
    """`path` as text that can always be stored and printed: bytes that are not UTF-8 become \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
