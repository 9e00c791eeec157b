"""Split recordings: consecutive files of one recording offered as one memo, and joined into one.

Voice recorders split a long recording into files of a fixed size or length (`ZOOM0001.WAV`, `ZOOM0002.WAV`;
`Recording_20240915_231200.m4a`, `..._233200.m4a`). Such files come from one folder (of a recorder's volume or
anywhere), and each starts where the one before ended.

    suggest   `suggest_joins`: pure, over memos — groups of >= 2 memos from one folder, in time order, each
              ending within CONTIGUOUS_SECONDS of the next one's start (a chain A→B→C is one group)
    join      `join_memos`: the originals' library audio decoded (16 kHz mono, audio.decode) and encoded as one
              Ogg/Opus file, written atomically in a private temporary folder of the data folder, with the first
              original's time as its `creation_time` tag; imported like any recording (content hash, library
              copy, Whisper over the whole file, title, theme); then the originals go to the trash.

`Musings.join_suggestions` and `Musings.join` (app/core.py) are the use cases; `musings join` the command.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from atomic_files import atomic_file
from musings_errors import NotFound, Refused, UserError
from privacy import PRIVATE_FILE_MODE, make_private_dir
from storage import memos as store
from storage import trash

log = logging.getLogger(__name__)

# One file "ends within" this many seconds of the next one's start (either side: file-name times have whole
# seconds, and a recorder's clock rounds) for the two to be offered as one recording.
CONTIGUOUS_SECONDS = 2.0
# Where a join writes its one file before importing it (inside the data folder, so private and on its disk).
JOINING_DIR = "joining"
# A joining folder left by a killed join is removed by a later join once it is this old.
LEFTOVER_SECONDS = 24 * 3600
# The joined file: Opus at 16 kHz mono, what Whisper hears anyway; 32 kbps (the recorder's rate) is clear speech.
JOINED_SAMPLE_RATE = 16_000
JOINED_BITRATE = 32_000
_JOINABLE = (store.DONE, store.EMPTY)
_NAME_CHARS = 80  # of the first original's name kept in the joined file's name


def _start(memo) -> dt.datetime | None:
    try:
        when = dt.datetime.fromisoformat(memo.recorded_at)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.astimezone()


def source_folder(memo) -> str:
    """The folder the memo's recording was imported from (of a volume or anywhere)."""
    return os.path.dirname(memo.original_path or "")


def suggest_joins(memos: Iterable, *, within: float = CONTIGUOUS_SECONDS) -> list[list[int]]:
    """Groups of memo ids (>= 2 each, in time order; groups by their first recording's time) that look like
    one recording split into consecutive files: memos not in the trash, transcribed (done or empty), from one
    folder, each ending (recorded_at + duration) within `within` seconds of the next one's recorded_at."""
    by_folder: dict[str, list[tuple[dt.datetime, object]]] = {}
    for memo in memos:
        start = _start(memo)
        if (memo.deleted_at is not None or memo.status not in _JOINABLE or start is None
                or not memo.duration or memo.duration <= 0 or not source_folder(memo)):
            continue
        by_folder.setdefault(source_folder(memo), []).append((start, memo))
    groups: list[tuple[dt.datetime, list[int]]] = []
    for timed in by_folder.values():
        timed.sort(key=lambda pair: (pair[0], pair[1].id))
        chain: list[tuple[dt.datetime, object]] = []
        for start, memo in timed:
            if chain:
                previous_start, previous = chain[-1]
                end = previous_start + dt.timedelta(seconds=previous.duration)
                if abs((start - end).total_seconds()) > within:
                    _close_chain(chain, groups)
                    chain = []
            chain.append((start, memo))
        _close_chain(chain, groups)
    groups.sort(key=lambda group: group[0])
    return [ids for _, ids in groups]


def _close_chain(chain: list, groups: list) -> None:
    if len(chain) >= 2:
        groups.append((chain[0][0], [memo.id for _, memo in chain]))


def joined_name(memos: Sequence) -> str:
    """The joined recording's file name (its memo's original name): "<first name> + 2 more.ogg"."""
    stem = Path(memos[0].original_name or f"memo {memos[0].id}").stem.replace(os.sep, "_").strip() or "recording"
    if stem.startswith("."):  # never a hidden file
        stem = "_" + stem[1:]
    return f"{stem[:_NAME_CHARS]} + {len(memos) - 1} more.ogg"


def validate(memos_by_id: Callable[[int], object], memo_ids: Iterable[int]) -> list:
    """The memos to join, in time order; Refused / NotFound (one line) for anything else."""
    memo_ids = list(dict.fromkeys(memo_ids))
    if len(memo_ids) < 2:
        raise Refused("joining needs at least two different memos, e.g. musings join 12 13")
    memos = [memos_by_id(memo_id) for memo_id in memo_ids]  # NotFound, or in the trash, says so
    return sorted(memos, key=lambda memo: (memo.recorded_at, memo.id))


def write_joined(paths: Sequence[Path], target: Path, recorded_at: str) -> None:
    """Decode `paths` in turn (16 kHz mono) and encode them as one Ogg/Opus file at `target`, atomically
    (a failure leaves no file), with `recorded_at` as its creation_time (what audio.decode.probe reads)."""
    import av
    import numpy as np

    from audio.decode import SAMPLE_RATE, iter_chunks

    with atomic_file(target, PRIVATE_FILE_MODE) as out:
        container = av.open(out, "w", format="ogg")
        try:
            container.metadata["creation_time"] = recorded_at  # written as an Opus comment of the stream
            stream = container.add_stream("libopus", rate=JOINED_SAMPLE_RATE, layout="mono")
            stream.bit_rate = JOINED_BITRATE
            resampler = av.AudioResampler(format="s16", layout="mono", rate=JOINED_SAMPLE_RATE)

            def encode(frames) -> None:
                for frame in frames:
                    for packet in stream.encode(frame):
                        container.mux(packet)

            for path in paths:
                for _, samples in iter_chunks(path, chunk_seconds=60.0):
                    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).astype(np.int16).reshape(1, -1)
                    frame = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
                    frame.sample_rate = SAMPLE_RATE
                    encode(resampler.resample(frame))
            encode(resampler.resample(None))
            encode([None])
        finally:
            container.close()


def remove_leftovers(data_dir: Path, older_than: float = LEFTOVER_SECONDS) -> None:
    """Joining folders a killed join left behind (a running join's folder is younger)."""
    folder = Path(data_dir) / JOINING_DIR
    if not folder.is_dir():
        return
    for leftover in folder.iterdir():
        with contextlib.suppress(OSError):
            if time.time() - leftover.lstat().st_mtime > older_than:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()


def join_memos(data_dir: Path, db, memos: Sequence, settings, *, transcriber=None, load_transcriber=None,
               embedder=None, on_event=None) -> int:
    """Join `memos` (validated, in time order) into one new memo; returns its id.

    The joined memo is imported like any recording: its own content hash and library copy, Whisper over the
    whole file ("transcribes as one"), its title and theme; its recorded_at is the first original's (the
    file's creation_time tag), its original name "<first name> + N more.ogg". Then the originals go to the
    trash: they leave every view, and their audio, transcripts and edits stay in the library until the trash
    is emptied (or core.TRASH_DAYS pass), so `musings restore` gives each back. A failure anywhere leaves the
    originals as they were (a joined memo already made then goes to the trash instead)."""
    from app.importer import Importer

    data_dir = Path(data_dir)
    paths = []
    for memo in memos:
        path = data_dir / memo.library_path
        if not path.is_file():
            raise NotFound(f"memo {memo.id}'s audio is missing from the library ({memo.library_path})")
        paths.append(path)
    remove_leftovers(data_dir)
    make_private_dir(data_dir / JOINING_DIR)
    folder = Path(tempfile.mkdtemp(dir=data_dir / JOINING_DIR))  # 0700, unique: joins never share a file
    joined_id = made = None
    try:
        target = folder / joined_name(memos)
        write_joined(paths, target, memos[0].recorded_at)
        with Importer(data_dir, settings, on_event=on_event, transcriber=transcriber,
                      load_transcriber=load_transcriber, embedder=embedder) as importer:
            importer.run([target])
            joined_id = importer.memo_of.get(target)
            made = any(event.kind == "queued" and event.memo_id == joined_id for event in importer.report.events)
            failure = next((event.reason for event in importer.report.of_kind("failed")
                            if event.memo_id in (joined_id, None)), None)
        joined = store.get_memo(db, joined_id) if joined_id is not None else None
        if joined is None or joined.deleted_at is not None or joined.status not in _JOINABLE:
            reason = (joined.error if joined is not None else None) or failure or "it could not be imported"
            raise UserError(f"the joined recording was not made ({' '.join(str(reason).split())}); "
                            "the originals are unchanged")
        trash.move_to_trash(db, [memo.id for memo in memos])
        return joined_id
    except BaseException:
        if made:  # this join's memo, not one that had the same bytes already
            with contextlib.suppress(Exception):
                trash.move_to_trash(db, [joined_id])
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
