"""Microphones: list the input devices PortAudio sees and pick one by index or name."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from musings_errors import UserError

logger = logging.getLogger(__name__)


class CaptureError(UserError):
    """A recording problem the user can fix (no microphone, unplugged, disk full, no permission).

    The message is meant to be shown to the user as is.
    """


@dataclass(frozen=True)
class InputDevice:
    """One input device as PortAudio reports it."""

    index: int
    name: str
    default_samplerate: float
    channels: int
    is_default: bool


def load_sounddevice():
    """The sounddevice module, or CaptureError when the PortAudio library is missing."""
    # Imported lazily so that a missing PortAudio library becomes a CaptureError, not an ImportError
    # at application start-up.
    try:
        import sounddevice
    except OSError as exc:  # sounddevice raises OSError when libportaudio is missing
        raise CaptureError(f"Audio recording is unavailable: the PortAudio library could not be loaded ({exc}).") from exc
    return sounddevice


def list_input_devices() -> list[InputDevice]:
    """Every device that can record, in PortAudio's order, with the system default marked."""
    sd = load_sounddevice()
    try:
        raw_devices = sd.query_devices()
        default_input = sd.default.device[0]
        if default_input is None or default_input < 0:
            default_input = sd.query_hostapis(0)["default_input_device"] if raw_devices else -1
    except sd.PortAudioError as exc:
        raise CaptureError(f"Could not list microphones: {exc}") from exc
    return [
        InputDevice(
            index=info["index"],
            name=info["name"],
            default_samplerate=float(info["default_samplerate"]),
            channels=int(info["max_input_channels"]),
            is_default=info["index"] == default_input,
        )
        for info in raw_devices
        if info["max_input_channels"] > 0
    ]


def find_input_device(device: int | str | None = None) -> InputDevice:
    """The input device for `device`: an index, a case-insensitive name substring, or None for the default.

    Raises CaptureError with a message naming the available devices when nothing matches.
    """
    devices = list_input_devices()
    if not devices:
        raise CaptureError("No microphone was found. Connect one and try again.")
    available = ", ".join(f"{d.index}: {d.name}" for d in devices)
    if device is None:
        for candidate in devices:
            if candidate.is_default:
                return candidate
        logger.info("no default input device reported; using %s", devices[0].name)
        return devices[0]
    if isinstance(device, int):
        for candidate in devices:
            if candidate.index == device:
                return candidate
        raise CaptureError(f"There is no microphone with number {device}. Available: {available}.")
    wanted = device.casefold()
    matches = [d for d in devices if wanted in d.name.casefold()]
    exact = [d for d in matches if d.name.casefold() == wanted]
    if exact:
        return exact[0]
    if matches:
        return matches[0]
    raise CaptureError(f"No microphone called '{device}' was found. Available: {available}.")
