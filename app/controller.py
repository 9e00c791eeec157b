"""The one owner of "are we recording?": hotkey, socket, GUI and CLI all drive this CaptureController.

    idle --start()--> starting --(first sample)--> recording --stop()--> finishing --(memo imported)--> idle
                          `--(no audio, device error)--> idle, `start_failure` says why

The microphone starts the moment `start()` is called, whether or not Whisper has loaded yet (live
transcription waits for the model, then catches up). `start()` returns once the first audio sample
has arrived, and only then plays the start cue: nobody is invited to speak into a microphone that is
not live yet. A microphone that sends nothing within FIRST_SAMPLE_SECONDS is a failed start.
`stop()` turns the microphone off at once and hands the recording to one background "finisher"
thread that transcribes the rest and imports the memo, so a new recording may start while the last
one is still finishing. Recovering recordings a crash left behind runs on the same thread, so it
never races an import.

Qt-free: the callbacks are called from worker threads, and a GUI marshals them to its own thread.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable

from app.capture import (FIRST_SAMPLE_SECONDS, CaptureOutcome, Recording, begin_recording, finish_recording,
                         load_transcriber, recover_unfinished, wait_for_stop)
from app.inbox import IN_USE_SECONDS, unfinished_recordings
from audio.cues import play_cue
from audio.recorder import MIN_LEVEL_DBFS, CaptureError, Recorder
from audio.transcribe import TranscriptionSettings
from storage import memos as store
from storage.db import open_database

log = logging.getLogger(__name__)

IDLE, STARTING, RECORDING, FINISHING = "idle", "starting", "recording", "finishing"


class CaptureController:
    """Start, stop and toggle recordings; every finished recording becomes a memo.

    `night_mode` plays a soft cue on start and a different one on stop (see audio.cues) and shows
    nothing. `stop_on_silence` stops a recording after that many seconds of quiet.
    `keep_input_open` keeps the microphone stream running while idle (audio discarded), so a start
    takes milliseconds instead of the device's wake-up time; the price is a microphone that is
    always open as far as the desktop is concerned. `recorder` is a Recorder made (and perhaps
    prepared) beforehand, e.g. opened before the heavy imports when a toggle started the process.
    `cues` plays the start/stop cues without night mode (a listener with nothing on screen).
    Errors the user can fix (no microphone, disk full, model missing) go to `on_error` as one line;
    the reason the last start failed is also kept in `start_failure`.
    """

    def __init__(
        self,
        data_dir: Path,
        settings: TranscriptionSettings,
        *,
        device: int | str | None = None,
        night_mode: bool = False,
        stop_on_silence: float | None = None,
        on_state: Callable[[str], None] | None = None,
        on_memo: Callable[[CaptureOutcome], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        keep_input_open: bool = False,
        recorder: Recorder | None = None,
        cues: bool = False,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.settings = settings
        self.device = device
        self.night_mode = night_mode
        self.stop_on_silence = stop_on_silence
        self.keep_input_open = keep_input_open
        self.cues = cues or night_mode
        self.cues_played: list[str] = []  # "start"/"stop", in order (night mode)
        self.start_failure: str | None = None
        self._on_state = on_state
        self._on_memo = on_memo
        self._on_error = on_error
        self._lock = threading.RLock()
        self._state = IDLE
        self._recorder: Recorder | None = recorder  # kept between recordings
        self._recording: Recording | None = None
        self._stop_event = threading.Event()
        self._started_at = 0.0
        self._unfinished = 0  # recordings stopped but not yet imported
        self._own_paths: set[Path] = set()  # inbox files this controller is recording or finishing
        self._model: Future | None = None
        self._finisher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="capture-finisher")
        self._closed = False

    # -- state ------------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def level(self) -> float:
        """dBFS of the last ~50 ms while recording, MIN_LEVEL_DBFS (-100) otherwise."""
        recording = self._recording
        return recording.recorder.level if recording else MIN_LEVEL_DBFS

    @property
    def elapsed(self) -> float:
        """Seconds of audio captured in the current recording (0 when not recording)."""
        recording = self._recording
        return recording.recorder.elapsed_seconds if recording else 0.0

    @property
    def start_latency(self) -> float | None:
        """Seconds from the last `start()` call to its first captured sample; None until it arrived."""
        recording = self._recording
        if recording is None or recording.recorder.first_sample_at is None:
            return None
        return recording.recorder.first_sample_at - self._started_at

    # -- commands ---------------------------------------------------------------------------------

    def preload(self) -> None:
        """Get ready without blocking: load Whisper in the background, then import any recording a
        crash left in the inbox; open the microphone now if `keep_input_open`."""
        self._ensure_model()
        self._finisher.submit(self._recover)
        if self.keep_input_open:
            try:
                self._ensure_recorder()
            except CaptureError as error:
                self._report_error(str(error))

    def start(self) -> str | None:
        """Start recording and return once the microphone is live (no-op if already recording).

        Returns None, or the reason recording could not start (also sent to `on_error`).
        """
        with self._lock:
            if self._recording is not None or self._closed:
                return None
            self.start_failure = None
            self._started_at = time.perf_counter()
            try:
                recording = begin_recording(self.data_dir, self._ensure_recorder(), self._ensure_model())
            except CaptureError as error:
                return self._start_failed(str(error))
            self._state = STARTING
            if not recording.recorder.wait_for_first_sample(FIRST_SAMPLE_SECONDS):
                return self._start_failed(self._abandon(recording))
            self._recording = recording
            self._own_paths.add(recording.path)
            self._stop_event = threading.Event()
            self._state = RECORDING
        log.info("recording started: %s (first sample after %.0f ms)", recording.path.name,
                 1000 * (recording.recorder.first_sample_at - self._started_at))
        threading.Thread(target=self._watch, args=(recording, self._stop_event), name="capture-watch",
                         daemon=True).start()
        self._cue("start")
        self._emit_state(RECORDING)
        return None

    def stop(self) -> None:
        """Stop recording now (no-op if not recording); the memo is made in the background."""
        with self._lock:
            recording, self._recording = self._recording, None
            if recording is None:
                return
            self._stop_event.set()
            recording.stop()
            recording.recorder.remove_listener(recording.live)
            if not self.keep_input_open and recording.recorder.is_prepared:
                recording.recorder.close()  # opened early for this one recording: release the microphone
            self._unfinished += 1
            self._state = FINISHING
        log.info("recording stopped: %s (%.1f s)", recording.path.name, recording.result.duration_seconds)
        self._cue("stop")
        self._emit_state(FINISHING)
        self._finisher.submit(self._finish, recording)

    def toggle(self) -> str:
        """Stop if recording, otherwise start; returns the new state (not "recording" if the start failed)."""
        with self._lock:
            if self._recording is not None:
                self.stop()
            else:
                self.start()
            return self._state

    def close(self, timeout: float | None = None) -> None:
        """Stop any recording, wait until every memo is made, release the microphone."""
        self.stop()
        with self._lock:
            self._closed = True
        self._finisher.shutdown(wait=True)
        if self._recorder is not None:
            self._recorder.close()

    # -- internals --------------------------------------------------------------------------------

    def _ensure_model(self) -> Future:
        with self._lock:
            if self._model is None or (self._model.done() and self._model.exception() is not None):
                self._model = load_transcriber(self.settings)
            return self._model

    def _ensure_recorder(self) -> Recorder:
        with self._lock:
            if self._recorder is None:
                self._recorder = Recorder(self.device)
            if self.keep_input_open:
                self._recorder.prepare()
            return self._recorder

    def _abandon(self, recording: Recording) -> str:
        """End a recording whose microphone never sent audio; the reason, for the user."""
        result = recording.stop()
        recording.recorder.remove_listener(recording.live)
        recording.live.finish()
        recording.path.unlink(missing_ok=True)  # it holds the Opus headers and no audio
        return result.error or (f"The microphone '{recording.recorder.device.name}' sent no audio within "
                                f"{FIRST_SAMPLE_SECONDS:g} s, so nothing is being recorded.")

    def _start_failed(self, reason: str) -> str:
        if self._recorder is not None:
            self._recorder.close()
        self._recorder = None  # find the device again next time (it may have been unplugged)
        self._state = IDLE if self._unfinished == 0 else FINISHING
        self.start_failure = reason
        self._report_error(reason)
        return reason

    def _watch(self, recording: Recording, stopped: threading.Event) -> None:
        """Stop on silence or on a capture error (device unplugged, disk full) without being asked."""
        wait_for_stop(recording.recorder, None, self.stop_on_silence, stopped, None)
        if not stopped.is_set():
            with self._lock:
                mine = self._recording is recording
            if mine:
                log.info("recording stopped by itself (silence or a capture error)")
                self.stop()

    def _finish(self, recording: Recording) -> None:
        try:
            outcome = finish_recording(self.data_dir, self.settings, recording, self._ensure_model())
        except Exception as error:  # ModelError, StorageError; the file stays in the inbox for recovery
            log.exception("making a memo of %s failed", recording.path)
            self._report_error(f"The recording was kept in {recording.path.parent} but could not be made "
                               f"a memo: {error}")
        else:
            if outcome.error:
                self._report_error(outcome.error)
            if outcome.memo_id is not None and self._on_memo is not None:
                self._on_memo(outcome)
        finally:
            with self._lock:
                self._own_paths.discard(recording.path)
                self._unfinished -= 1
                idle = self._unfinished == 0 and self._recording is None
                if idle:
                    self._state = IDLE
            if idle:
                self._emit_state(IDLE)

    def _recover(self) -> None:
        try:
            model = self._ensure_model().result()
            with self._lock:
                own = set(self._own_paths)
            memo_ids = recover_unfinished(self.data_dir, self.settings, transcriber=model, skip=own)
        except Exception as error:
            log.exception("recovering unfinished recordings failed")
            self._report_error(f"Unfinished recordings could not be recovered: {error}")
            return
        for memo_id in memo_ids:
            if self._on_memo is not None:
                self._on_memo(_outcome_of(self.data_dir, memo_id))
        # A file still being recorded (by another process, or just created) is left alone: look again soon.
        with self._lock:
            own = set(self._own_paths)
        young = [found.path for found in unfinished_recordings(self.data_dir)
                 if found.in_use and found.path not in own]
        if young and not self._closed:
            retry = threading.Timer(IN_USE_SECONDS, lambda: self._closed or self._finisher.submit(self._recover))
            retry.daemon = True
            retry.start()

    def _cue(self, kind: str) -> None:
        if self.cues:
            self.cues_played.append(kind)
            play_cue(kind)

    def _emit_state(self, state: str) -> None:
        if self._on_state is not None:
            self._on_state(state)

    def _report_error(self, message: str) -> None:
        log.warning("%s", message)
        if self._on_error is not None:
            self._on_error(message)


def _outcome_of(data_dir: Path, memo_id: int) -> CaptureOutcome:
    """A recovered memo as a CaptureOutcome (its transcript was made from the file)."""
    db = open_database(data_dir)
    try:
        memo = store.get_memo(db, memo_id)
    finally:
        db.conn.close()
    return CaptureOutcome(memo_id, (memo.transcript or "") if memo else "", (memo.duration or 0.0) if memo else 0.0)
