"""Reading recordings with PyAV (bundled with faster-whisper): probing and streamed decoding.

Decoding is streamed in bounded chunks so a two-hour file never sits in memory whole.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import av
import numpy as np

from musings_errors import UserError

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
AUDIO_EXTENSIONS = frozenset(
    {".wav", ".mp3", ".m4a", ".aac", ".mp4", ".ogg", ".oga", ".opus", ".webm", ".flac", ".wma", ".amr", ".3gp", ".aiff", ".aif"}
)


class AudioError(UserError):
    """A recording that can't be used, with a one-line reason a user understands."""


@dataclass(frozen=True)
class AudioInfo:
    duration: float  # seconds
    sample_rate: int
    channels: int
    codec: str
    recorded_at: dt.datetime | None  # from the file's metadata (creation_time / date), if any; always aware


def looks_like_audio(path: Path) -> bool:
    """Cheap first filter by extension; the real check is `probe`."""
    return path.suffix.lower() in AUDIO_EXTENSIONS


def probe(path: Path) -> AudioInfo:
    """Open `path` and read its audio stream's properties without decoding it."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioError("the file vanished before it could be read") from None
    except OSError as error:
        raise AudioError(f"cannot read the file ({error.strerror})") from None
    if size == 0:
        raise AudioError("empty file (0 bytes)")
    try:
        with av.open(str(path), metadata_errors="ignore") as container:
            if not container.streams.audio:
                raise AudioError("no audio stream in the file")
            stream = container.streams.audio[0]
            duration = _duration(container, stream)
            return AudioInfo(
                duration=duration,
                sample_rate=stream.codec_context.sample_rate or 0,
                channels=stream.codec_context.channels or 0,
                codec=stream.codec_context.name,
                recorded_at=_recorded_at({**container.metadata, **stream.metadata}),
            )
    except AudioError:
        raise
    except FileNotFoundError:
        raise AudioError("the file vanished before it could be read") from None
    except (av.error.InvalidDataError, av.error.FFmpegError, UnicodeDecodeError) as error:
        raise AudioError(f"not a readable audio file ({_short(error)})") from None


def _duration(container, stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return 0.0


def _recorded_at(metadata: dict) -> dt.datetime | None:
    for key in ("creation_time", "date", "DATE", "com.apple.quicktime.creationdate", "ICRD"):
        value = metadata.get(key)
        if not value:
            continue
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            continue
        if parsed.year < 1990:  # an unset recorder clock; the file's mtime is a better guess
            continue
        return parsed if parsed.tzinfo else parsed.astimezone()  # no zone given: this machine's local time
    return None


def _short(error: BaseException) -> str:
    text = getattr(error, "strerror", None) or str(error)
    return text.split(":")[-1].strip() or type(error).__name__


def iter_chunks(path: Path, chunk_seconds: float = 600.0) -> Iterator[tuple[float, np.ndarray]]:
    """Yield (offset_seconds, mono float32 16 kHz samples) chunks of about `chunk_seconds`.

    Cuts are moved to the quietest 100 ms within the last 10 s of each chunk so words are rarely split.
    Raises AudioError if nothing at all can be decoded; a file truncated part-way yields what it has.
    """
    chunk_len = int(chunk_seconds * SAMPLE_RATE)
    pending: list[np.ndarray] = []
    pending_len = 0
    offset = 0
    for block in _decode_blocks(path):
        pending.append(block)
        pending_len += len(block)
        while pending_len >= chunk_len + 10 * SAMPLE_RATE:
            audio = np.concatenate(pending)
            cut = _quiet_cut(audio, chunk_len)
            yield offset / SAMPLE_RATE, audio[:cut]
            offset += cut
            pending, pending_len = [audio[cut:]], len(audio) - cut
    if pending_len:
        yield offset / SAMPLE_RATE, np.concatenate(pending)


def _quiet_cut(audio: np.ndarray, around: int) -> int:
    window = audio[around - 10 * SAMPLE_RATE : around]
    hop = SAMPLE_RATE // 10
    frames = window[: len(window) // hop * hop].reshape(-1, hop)
    quietest = int(np.argmin((frames**2).mean(axis=1)))
    return around - 10 * SAMPLE_RATE + quietest * hop + hop // 2


def _decode_blocks(path: Path) -> Iterator[np.ndarray]:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    decoded_any = False
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except FileNotFoundError:
        raise AudioError("the file vanished before it could be read") from None
    except (av.error.FFmpegError, UnicodeDecodeError) as error:
        raise AudioError(f"not a readable audio file ({_short(error)})") from None
    with container:
        try:
            stream = container.streams.audio[0]
        except IndexError:
            raise AudioError("no audio stream in the file") from None
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    decoded_any = True
                    yield _to_float(out)
        except (av.error.InvalidDataError, av.error.EOFError, av.error.FFmpegError) as error:
            # A truncated or damaged tail: keep what decoded, like a player would.
            if not decoded_any:
                raise AudioError(f"the audio could not be decoded ({_short(error)})") from None
            log.warning("%s: decoding stopped early (%s); keeping the audio before it", path, _short(error))
        for out in resampler.resample(None):
            decoded_any = True
            yield _to_float(out)
    if not decoded_any:
        raise AudioError("the file holds no decodable audio")


def _to_float(frame) -> np.ndarray:
    return frame.to_ndarray().reshape(-1).astype(np.float32) / 32768.0


def file_mtime(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(os.stat(path).st_mtime, tz=dt.timezone.utc)
