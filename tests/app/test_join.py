"""Split recordings (app/joining.py): consecutive files from one folder are suggested as one memo and joined
into one that plays and transcribes as one, dated at the first; the originals go to the trash, audio kept.

Real audio: the 17 s memo-like note cut in two at its quietest moment near 13 s (as a recorder splitting a
long recording would), written as two WAV files named with their start times; real tiny.en, real SQLite."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil

import numpy as np
import pytest

from app.core import Musings
from app.importer import Importer
from app.joining import CONTIGUOUS_SECONDS, JOINING_DIR, suggest_joins
from audio.decode import SAMPLE_RATE, iter_chunks, probe
from musings_errors import NotFound, Refused, UserError
from storage import memos as store
from tests.conftest import DATA, run_musings

NOTE = DATA / "speech/local_whisper/test_audio.wav"  # "...A bottle is standing on my desk... | In the future..."
START = dt.datetime(2024, 9, 15, 23, 12, 0)  # local time, as a recorder's file name gives it


def _name(when: dt.datetime, suffix: str) -> str:
    return f"Recording_{when:%Y%m%d_%H%M%S}{suffix}"


def _write_wav(path, samples: np.ndarray) -> None:
    import av

    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_s16le", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray((samples * 32767).astype(np.int16).reshape(1, -1), format="s16",
                                           layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)


def _cut_note(folder):
    """The note in two files, A and B, B named to start within 1 s of A's end."""
    audio = np.concatenate([chunk for _, chunk in iter_chunks(NOTE)])
    hop, low, high = SAMPLE_RATE // 10, int(12.5 * SAMPLE_RATE), 14 * SAMPLE_RATE
    frames = audio[low:high][: (high - low) // hop * hop].reshape(-1, hop)
    cut = low + int(np.argmin((frames**2).mean(axis=1))) * hop + hop // 2
    first, second = folder / _name(START, ".wav"), None
    _write_wav(first, audio[:cut])
    second = folder / _name(START + dt.timedelta(seconds=round(cut / SAMPLE_RATE)), ".wav")
    _write_wav(second, audio[cut:])
    return first, second, cut / SAMPLE_RATE


@pytest.fixture
def split_library(tmp_path, transcriber):
    """A, B: the note split in two in the recorder's folder; C: another clip there 10 minutes later; D: a
    clip in another folder starting as B ends. Returns (core, {"A": memo, ...})."""
    recorder, phone = tmp_path / "recorder" / "FOLDER01", tmp_path / "phone"
    recorder.mkdir(parents=True)
    phone.mkdir()
    first, second, first_seconds = _cut_note(recorder)
    b_end = START + dt.timedelta(seconds=round(first_seconds) + probe(second).duration)
    later = recorder / _name(START + dt.timedelta(minutes=10), ".ogg")
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-004.ogg", later)
    elsewhere = phone / _name(b_end.replace(microsecond=0), ".ogg")
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-003.ogg", elsewhere)
    data_dir = tmp_path / "data"
    with Importer(data_dir, transcriber=transcriber, organize=False) as importer:
        importer.run([recorder.parent, phone])
        ids = {key: importer.memo_of[path] for key, path in
               {"A": first, "B": second, "C": later, "D": elsewhere}.items()}
    core = Musings(data_dir)
    memos = {key: core.memo(memo_id) for key, memo_id in ids.items()}
    assert all(memo.status == store.DONE for memo in memos.values())
    gap = (dt.datetime.fromisoformat(memos["B"].recorded_at) - dt.datetime.fromisoformat(memos["A"].recorded_at)
           ).total_seconds() - memos["A"].duration
    assert abs(gap) <= 1.0  # B starts within 1 s of A's end
    yield core, memos
    core.shutdown()


def _memo(memo_id, recorded_at, duration, folder="/rec/FOLDER01", **fields):
    values = {name: None for name in store.Memo.__dataclass_fields__}
    values.update(id=memo_id, recorded_at=recorded_at, duration=duration, status=store.DONE,
                  original_path=f"{folder}/{memo_id}.wav", original_name=f"{memo_id}.wav", title_edited=0,
                  theme_pinned=0)
    return dataclasses.replace(store.Memo(**values), **fields)


def test_suggestions_are_chains_from_one_folder_in_time_order():
    memos = [
        _memo(3, "2024-09-15T21:32:00+00:00", 120.0),  # C: starts 1 s after B ends (either side counts)
        _memo(1, "2024-09-15T21:12:00+00:00", 600.4),  # A: ends 21:22:00.4
        _memo(2, "2024-09-15T21:22:00+00:00", 599.0),  # B: 0.4 s before A's end (whole-second names)
        _memo(4, "2024-09-15T21:44:00+00:00", 60.0),  # 10 minutes after C: alone
        _memo(5, "2024-09-15T21:22:00+00:00", 30.0, folder="/phone"),  # B's time, another folder
        _memo(6, "2024-09-15T21:22:30+00:00", 30.0, folder="/phone"),  # ... so 5 → 6 is a pair there
        _memo(7, "2024-09-15T21:34:00+00:00", 10.0, deleted_at="2024-09-16T00:00:00+00:00"),  # trashed
        _memo(8, "2024-09-15T21:34:00+00:00", 10.0, status=store.FAILED),  # not transcribed
        _memo(9, "2024-09-15T21:45:00+00:00", None),  # no duration
    ]
    assert suggest_joins(memos) == [[1, 2, 3], [5, 6]]
    assert suggest_joins(memos[:2]) == []  # A ends 10 minutes before C starts
    assert suggest_joins([_memo(1, "2024-09-15T21:12:00+00:00", 10.0),
                          _memo(2, f"2024-09-15T21:12:{10 + CONTIGUOUS_SECONDS + 1:02.0f}+00:00", 10.0)]) == []
    assert suggest_joins([]) == []


def test_join_through_the_core(split_library, transcriber):
    core, memos = split_library
    a, b, c, d = (memos[key] for key in "ABCD")
    assert [[m.id for m in group] for group in core.join_suggestions()] == [[a.id, b.id]]

    joined = core.join([b.id, a.id], transcriber=transcriber)  # any order: joined in recorded order

    assert joined.status == store.DONE
    assert abs(joined.duration - (a.duration + b.duration)) <= 0.2
    words = joined.transcript.lower()
    assert "bottle" in words and ("future" in words or "remove" in words)  # both halves, as one transcript
    assert joined.recorded_at == a.recorded_at and joined.recorded_at_source == "metadata"  # creation_time tag
    assert joined.original_name == f"{_name(START, '')} + 1 more.ogg"
    audio = core.data_dir / joined.library_path
    assert audio.is_file() and abs(probe(audio).duration - joined.duration) < 0.01
    assert [hit.memo.id for hit in core.search("bottle", mode="keyword")] == [joined.id]
    assert [hit.memo.id for hit in core.search("future", mode="keyword")] == [joined.id]
    in_trash = {m.id: m for m in core.trash()}
    assert set(in_trash) == {a.id, b.id}
    for original in (a, b):  # kept: restorable, audio and all
        assert (core.data_dir / original.library_path).is_file()
        assert in_trash[original.id].transcript == original.transcript
    assert {m.id for m in core.memos()} == {joined.id, c.id, d.id}
    assert core.join_suggestions() == []
    assert list((core.data_dir / JOINING_DIR).iterdir()) == []  # the temporary file is gone

    # a failure part-way (D's audio can't be decoded) leaves the originals as they were and no new memo
    (core.data_dir / d.library_path).write_bytes(b"OggS" + bytes(200))
    with pytest.raises(UserError):
        core.join([c.id, d.id], transcriber=transcriber)
    assert {m.id for m in core.memos()} == {joined.id, c.id, d.id}
    assert {m.id for m in core.trash()} == {a.id, b.id}
    assert list((core.data_dir / JOINING_DIR).iterdir()) == []


def test_refusals_through_the_core(split_library, transcriber):
    core, memos = split_library
    a = memos["A"]
    for ids, error in (([a.id], Refused), ([a.id, a.id], Refused), ([], Refused), ([a.id, 999], NotFound)):
        with pytest.raises(error):
            core.join(ids, transcriber=transcriber)
    core.delete([memos["B"].id])
    with pytest.raises(NotFound, match="in the trash"):
        core.join([a.id, memos["B"].id], transcriber=transcriber)
    assert {m.id for m in core.memos()} == {a.id, memos["C"].id, memos["D"].id}


def test_join_from_the_command_line(split_library):
    core, memos = split_library
    a, b, c = memos["A"].id, memos["B"].id, memos["C"].id
    data_dir = core.data_dir
    suggested = json.loads(run_musings("join", "--suggest", "--json", data_dir=data_dir, check=True).stdout)
    assert [group["memo_ids"] for group in suggested] == [[a, b]]
    assert suggested[0]["folder"].endswith("FOLDER01")
    listed = run_musings("join", "--suggest", data_dir=data_dir, check=True).stdout.splitlines()
    assert len(listed) == 1 and listed[0].startswith(f"{a} {b}  ")
    for args, message in (((str(a),), "joining needs at least two different memos"),
                          ((str(a), "999"), "no memo 999"),
                          (("--suggest", str(a)), "give either memo ids to join or --suggest")):
        refused = run_musings("join", *args, data_dir=data_dir)
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr.startswith(f"musings: {message}") and refused.stderr.count("\n") == 1
    joined = run_musings("join", str(a), str(b), data_dir=data_dir, check=True)
    memo_id = int(joined.stdout.split(":")[0].removeprefix("memo "))
    assert joined.stdout == f"memo {memo_id}: joined 2 recordings (0:17)\n"
    again = run_musings("join", str(a), str(c), data_dir=data_dir)
    assert again.returncode == 1 and again.stderr == f"musings: no memo {a} (it is in the trash: musings restore {a})\n"
    shown = json.loads(run_musings("show", str(memo_id), "--json", data_dir=data_dir, check=True).stdout)
    assert "bottle" in shown["transcript"].lower()
    assert {m["id"] for m in json.loads(run_musings("trash", "--json", data_dir=data_dir, check=True).stdout)} == {a, b}
