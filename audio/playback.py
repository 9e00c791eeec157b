"""Playing a memo's audio on the default output, from a terminal (`musings review`'s "play"); the window plays
through QtMultimedia instead. Decoded as transcription decodes it (16 kHz mono), written in small blocks so that
`stop()` takes effect at once."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

import numpy as np

from audio.decode import SAMPLE_RATE, AudioError, iter_chunks
from audio.devices import CaptureError, load_sounddevice

log = logging.getLogger(__name__)

BLOCK = SAMPLE_RATE // 10  # 0.1 s per write: a stop waits at most this long


class Playback:
    def __init__(self, path: Path):
        self._stop = threading.Event()
        self.error: str | None = None
        self._thread = threading.Thread(target=self._run, args=(Path(path),), name="playback", daemon=True)
        self._thread.start()

    def _run(self, path: Path) -> None:
        try:
            sd = load_sounddevice()
            with sd.OutputStream(samplerate=SAMPLE_RATE, channels=1, dtype="float32") as stream:
                for _, samples in iter_chunks(path, chunk_seconds=30.0):
                    samples = np.asarray(samples, dtype=np.float32).reshape(-1, 1)
                    for start in range(0, len(samples), BLOCK):
                        if self._stop.is_set():
                            return
                        stream.write(samples[start:start + BLOCK])
        except (AudioError, CaptureError, OSError) as error:
            self.error = str(error)
            log.warning("could not play %s: %s", path, error)
        except Exception as error:  # a PortAudio error (no output device): said, not raised
            self.error = str(error)
            log.exception("could not play %s", path)

    def playing(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


def play_file(path: Path) -> Playback:
    """Start playing `path`; raises AudioError when the file is not there."""
    if not Path(path).is_file():
        raise AudioError(f"the audio file is missing: {path}")
    return Playback(path)
