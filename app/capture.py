"""The record use case: microphone -> recording in the inbox -> memo, transcribed while recording.

    record    Recorder writes <inbox>/<UTC time>.ogg; LiveTranscriber transcribes it as it comes in
              (`begin_recording`; the microphone starts at once, even while Whisper is still loading:
              live transcription waits for the model and then catches up); "Recording" is said only
              once the first sample has arrived
    stop      after `seconds`, `stop_on_silence` seconds of quiet, `stop_event`, Ctrl-C or a capture error
    recover   finish and import any recording a crash left in the inbox (<data_dir>/recordings,
              app.inbox): `record`, `listen`, the window and `musings import` all do (`repair_unfinished`)
    import    the Importer adds the file like any other recording, reusing the live transcript
              (Whisper runs on the file again only if live transcription failed) (`finish_recording`)

A recording leaves the inbox once it is a memo, so whatever is still there was interrupted.
`record_memo` is the three steps in one call; `app.controller.CaptureController` drives them for
toggled recordings.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from app.importer import Importer
from app.inbox import inbox_dir, unfinished_recordings
from audio.live import LiveTranscriber
from audio.models import ModelError
from audio.recorder import CaptureError, Recorder, RecordingResult, recover_recording
from audio.transcribe import Segment, Transcriber, TranscriptionSettings
from storage import memos as store
from storage.db import StorageError, open_database
from storage.data_folder import hash_file

log = logging.getLogger(__name__)

# A woken PulseAudio source can take ~2 s to send its first block; past this the microphone is broken.
FIRST_SAMPLE_SECONDS = 5.0


@dataclass
class CaptureOutcome:
    """What one recording became. `error` is the user-readable reason it ended early, or None."""

    memo_id: int | None
    transcript: str
    duration: float
    error: str | None = None
    live_transcript_used: bool = False


@dataclass
class Recording:
    """A recording in progress: the running recorder, its file in the inbox and its live transcription."""

    recorder: Recorder
    path: Path
    live: LiveTranscriber
    result: RecordingResult | None = None

    def stop(self) -> RecordingResult:
        """Stop the microphone (once; later calls return the same result)."""
        if self.result is None:
            self.result = self.recorder.stop()
        return self.result


def load_transcriber(settings: TranscriptionSettings) -> Future:
    """Load Whisper on a background thread; the Future's result is the Transcriber (or ModelError)."""
    future: Future = Future()

    def load() -> None:
        try:
            future.set_result(Transcriber(settings))
        except BaseException as error:  # handed to whoever waits for the model
            future.set_exception(error)

    threading.Thread(target=load, name="whisper-loader", daemon=True).start()
    return future


def begin_recording(data_dir: Path, recorder: Recorder, transcriber: Transcriber | Future) -> Recording:
    """Start `recorder` on a new file in the inbox, transcribed live; raises CaptureError if it can't start.

    `transcriber` may still be loading (a Future): the recording starts anyway.
    """
    live = LiveTranscriber(transcriber)
    recorder.add_listener(live)
    path = inbox_dir(data_dir) / f"{dt.datetime.now(dt.timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')}.ogg"
    try:
        recorder.start(path)
    except CaptureError:
        recorder.remove_listener(live)
        live.finish()
        try:
            if path.exists() and recover_recording(path) is None:
                path.unlink()
        except CaptureError as repair_error:  # kept for `musings import`; the start's failure is the news
            log.warning("%s", repair_error)
        raise
    return Recording(recorder, path, live)


def finish_recording(data_dir: Path, settings: TranscriptionSettings, recording: Recording,
                     transcriber: Transcriber | Future) -> CaptureOutcome:
    """Stop the recording (if still running), wait for its transcript and make it a memo.

    Raises ModelError when Whisper can't load; the recording then stays in the inbox for recovery.
    """
    recorder, path, live = recording.recorder, recording.path, recording.live
    result = recording.stop()
    recorder.remove_listener(live)
    segments = live.finish()
    error = result.error
    if error:
        log.warning("recording ended early: %s", error)
    try:
        readable = recover_recording(path)
    except CaptureError as repair_error:  # a full disk: the recording stays in the inbox as it is
        where = error if error and str(path) in error else f"{error or ''} {repair_error}".strip()
        return CaptureOutcome(None, "", result.duration_seconds,
                              f"{where} `musings import` makes it a memo once there is room again.")
    if readable is None:  # nothing decodable, e.g. the device failed at once
        path.unlink(missing_ok=True)
        return CaptureOutcome(None, "", 0.0, error or "Nothing was recorded.")
    model = transcriber.result() if isinstance(transcriber, Future) else transcriber
    reuse = live.failed is None
    if not reuse:
        log.warning("%s; transcribing the recording again", live.failed)
    memo_id = _import_recordings(data_dir, settings, model, [path], {path: segments} if reuse else {})
    transcript = _join(segments) if reuse else _stored_transcript(data_dir, memo_id)
    return CaptureOutcome(memo_id, transcript, result.duration_seconds, error, reuse)


def record_memo(
    data_dir: Path,
    settings: TranscriptionSettings | None = None,
    *,
    device: int | str | None = None,
    seconds: float | None = None,
    stop_on_silence: float | None = None,
    stop_event: threading.Event | None = None,
    on_level: Callable[[float], None] | None = None,
    on_start: Callable[[Path], None] | None = None,
    transcriber: Transcriber | Future | None = None,
) -> CaptureOutcome:
    """Record one memo from `device` and import it; blocks until the recording stopped and is imported.

    `on_start(path)` is called once the microphone is recording. Raises CaptureError when recording cannot start (no or unknown microphone); a failure while
    recording ends it early, keeps and imports what was recorded, and is reported in `error`.
    """
    data_dir = Path(data_dir)
    settings = settings or TranscriptionSettings()
    recorder = Recorder(device)  # an unknown device fails here, before the model is loaded
    # Loaded first here: loading while recording competes for the GIL with the audio callback.
    transcriber = transcriber or Transcriber(settings)
    recover_unfinished(data_dir, settings, transcriber=transcriber)
    recording = begin_recording(data_dir, recorder, transcriber)
    if not recorder.wait_for_first_sample(FIRST_SAMPLE_SECONDS):  # say "Recording" only once it is
        result = recording.stop()
        recorder.remove_listener(recording.live)
        recording.live.finish()
        recording.path.unlink(missing_ok=True)  # the Opus headers, no audio
        raise CaptureError(result.error or f"The microphone '{recorder.device.name}' sent no audio.")
    if on_start is not None:
        on_start(recording.path)
    try:
        wait_for_stop(recorder, seconds, stop_on_silence, stop_event, on_level)
    except KeyboardInterrupt:  # Ctrl-C is how a terminal user stops recording
        log.info("recording stopped by Ctrl-C")
    finally:
        recording.stop()
    try:
        return finish_recording(data_dir, settings, recording, transcriber)
    except (StorageError, ModelError) as error:  # e.g. the disk filled: the recording itself is safe
        if not recording.path.exists():
            raise
        kind = StorageError if isinstance(error, StorageError) else ModelError
        raise kind(f"{error} The recording was kept in {recording.path}; `musings import` makes it "
                   "a memo once that is fixed.") from error


def recover_unfinished(
    data_dir: Path, settings: TranscriptionSettings | None = None, *, transcriber: Transcriber | None = None,
    skip: Iterable[Path] = (),
) -> list[int]:
    """Repair and import the recordings an interrupted `record_memo` left in the inbox; returns their memo ids.

    Files in `skip` (recordings of this process) and files written to in the last few seconds
    (perhaps recorded by another process) are left alone.
    """
    recovered = repair_unfinished(data_dir, skip=skip)
    if not recovered:
        return []
    log.info("importing %d unfinished recording(s) from %s", len(recovered), inbox_dir(data_dir))
    memo_ids = [_import_recordings(data_dir, settings or TranscriptionSettings(), transcriber, [path], {})
                for path in recovered]
    return [memo_id for memo_id in memo_ids if memo_id is not None]


def repair_unfinished(data_dir: Path, *, skip: Iterable[Path] = ()) -> list[Path]:
    """Make the inbox's interrupted recordings clean files, ready to import; returns their paths.

    A file holding no readable audio is renamed *.damaged (kept, never imported); files in `skip` and
    files still being written to are left alone.
    """
    skip = {Path(path).resolve() for path in skip}
    ready = []
    for unfinished in unfinished_recordings(data_dir):
        path = unfinished.path
        if path.resolve() in skip or unfinished.in_use:
            continue
        try:
            readable = recover_recording(path)
        except CaptureError as error:  # e.g. a full disk: try again next time
            log.warning("%s", error)
            continue
        if readable is None:
            log.warning("%s holds no readable audio; kept as %s.damaged", path, path.name)
            path.rename(path.with_name(path.name + ".damaged"))
            continue
        ready.append(path)
    return ready


def leave_inbox(db, paths: Iterable[Path]) -> None:
    """Remove the inbox recordings in `paths` that are memos now (the library holds their copy)."""
    for path in paths:
        if path.exists() and store.find_by_hash(db, hash_file(path)) is not None:
            path.unlink(missing_ok=True)


# -- import ---------------------------------------------------------------------------------------

def _import_recordings(data_dir: Path, settings: TranscriptionSettings, transcriber: Transcriber | None,
                       paths: list[Path], live_segments: dict[Path, list[Segment]]) -> int | None:
    """Import `paths` (one recording, in practice) with their live transcripts; each leaves the inbox once it
    is a memo. Returns the memo of the first."""
    with Importer(data_dir, settings, transcriber=transcriber) as importer:
        importer.run(paths, transcripts=live_segments, remove_sources=True)
        return importer.memo_of.get(Path(paths[0])) if paths else None


def _stored_transcript(data_dir: Path, memo_id: int | None) -> str:
    if memo_id is None:
        return ""
    db = open_database(data_dir)
    try:
        memo = store.get_memo(db, memo_id)
    finally:
        db.conn.close()
    return (memo.transcript or "") if memo else ""


def _join(segments: list[Segment]) -> str:
    return " ".join(segment.text.strip() for segment in segments).strip()


# -- stopping -------------------------------------------------------------------------------------

def wait_for_stop(recorder: Recorder, seconds: float | None, stop_on_silence: float | None,
                   stop_event: threading.Event | None, on_level: Callable[[float], None] | None) -> None:
    while True:
        if on_level is not None:
            on_level(recorder.level)
        if recorder.error is not None:
            return
        if seconds is not None and recorder.elapsed_seconds >= seconds:
            return
        if stop_on_silence is not None and recorder.silence_seconds >= stop_on_silence:
            return
        if stop_event is not None and stop_event.wait(0.05):
            return
        if stop_event is None:
            time.sleep(0.05)
