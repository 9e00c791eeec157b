"""Soft audible cues for recording without looking: a rising pair of tones on start, a falling pair on stop,
a low pair when a recording could not start.

Gentle on purpose (night capture, next to someone asleep): sine tones at about -26 dBFS with 20 ms
fades, so there is no click, ~0.3 s in all. Played through the default output without blocking.
"""
from __future__ import annotations

import logging
import threading

import numpy as np

from audio.devices import CaptureError, load_sounddevice

log = logging.getLogger(__name__)

CUE_SAMPLE_RATE = 48_000
CUE_AMPLITUDE = 0.05  # about -26 dBFS: audible in a quiet room, not startling
# Two notes each (Hz): up a fifth to say "listening", down a fifth to say "done", and two low notes a
# tritone apart to say "that did not work" (nothing is recording).
CUE_NOTES = {"start": (587.33, 880.0), "stop": (880.0, 587.33), "failure": (311.13, 220.0)}
NOTE_SECONDS = 0.12
GAP_SECONDS = 0.04
FADE_SECONDS = 0.02


def make_cue(kind: str, sample_rate: int = CUE_SAMPLE_RATE) -> np.ndarray:
    """The float32 mono samples of cue `kind` ("start", "stop" or "failure")."""
    notes = CUE_NOTES[kind]
    length = int(NOTE_SECONDS * sample_rate)
    fade = int(FADE_SECONDS * sample_rate)
    envelope = np.ones(length, dtype=np.float32)
    envelope[:fade] = np.linspace(0.0, 1.0, fade, dtype=np.float32)
    envelope[-fade:] = np.linspace(1.0, 0.0, fade, dtype=np.float32)
    t = np.arange(length, dtype=np.float32) / sample_rate
    gap = np.zeros(int(GAP_SECONDS * sample_rate), dtype=np.float32)
    parts = []
    for frequency in notes:
        parts += [CUE_AMPLITUDE * envelope * np.sin(2 * np.pi * frequency * t).astype(np.float32), gap]
    return np.concatenate(parts[:-1])


def play_cue(kind: str) -> threading.Thread:
    """Start playing cue `kind` on the default output and return at once (the thread that plays it).

    A cue that can't play (no output device) is not worth stopping a recording for: it is logged.
    """
    samples = make_cue(kind)
    player = threading.Thread(target=_play, args=(kind, samples), name=f"cue-{kind}", daemon=True)
    player.start()
    return player


def _play(kind: str, samples: np.ndarray) -> None:
    try:
        sd = load_sounddevice()
        # A stream of its own, not sd.play(), which shares one global stream with every other caller.
        with sd.OutputStream(samplerate=CUE_SAMPLE_RATE, channels=1, dtype="float32") as stream:
            stream.write(samples.reshape(-1, 1))
    except (CaptureError, *_sd_errors()) as error:
        log.warning("could not play the %s cue: %s", kind, error)
        return
    log.info("played the %s cue", kind)


def _sd_errors() -> tuple[type[BaseException], ...]:
    try:
        return (load_sounddevice().PortAudioError, OSError)
    except CaptureError:
        return (OSError,)
