"""Spoken to-dos kept up to date with the transcripts (for app.core.Musings.todos), Qt-free.

`organize.todos.find_todos` reads a transcript; this finds which memos' transcripts changed since their to-dos
were last read (a digest per memo), reads those again against the recording's local day, and maps each to-do
to the second where it is said (from the segments the transcript is made of)."""
from __future__ import annotations

import hashlib

from app.display import local_time
from storage import memos as store
from storage import todos as stored


def digest(transcript: str) -> str:
    return hashlib.sha256(transcript.encode()).hexdigest()[:16]


def refresh(db) -> int:
    """Read the to-dos of every memo whose transcript changed since; returns how many memos were read."""
    from organize.todos import find_todos

    known = stored.sources(db)
    changed = [(memo_id, transcript or "", recorded_at) for memo_id, transcript, recorded_at in db.execute(
        "SELECT id, transcript, recorded_at FROM memos WHERE status = 'done' AND deleted_at IS NULL")
        if known.get(memo_id) != digest(transcript or "")]
    for memo_id, transcript, recorded_at in changed:
        when = local_time(recorded_at)
        found = find_todos(transcript, when.replace(tzinfo=None)) if when is not None and transcript.strip() else []
        starts = _segment_starts(db, memo_id)
        stored.replace_for_memo(db, memo_id, digest(transcript),
                                [(todo.text, todo.due.isoformat() if todo.due else None, _second(starts, todo.start))
                                 for todo in found])
    return len(changed)


def _segment_starts(db, memo_id: int) -> list[tuple[int, float]]:
    """(character offset in the transcript, start second) of each segment: the transcript is their shown texts
    joined by spaces (storage.memos.edit_segment, save_transcript)."""
    offsets, at = [], 0
    for segment in store.get_segments(db, memo_id):
        text = segment.shown_text.strip()
        if text:
            offsets.append((at, segment.start))
            at += len(text) + 1
    return offsets


def _second(starts: list[tuple[int, float]], offset: int) -> float | None:
    second = None
    for at, start in starts:
        if at > offset:
            break
        second = start
    return second
