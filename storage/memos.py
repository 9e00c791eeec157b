"""Queries over memos and their transcripts. Takes and returns plain dataclasses.

A segment keeps what Whisper heard in `text`, never changed, and the user's wording in `edited_text`
(NULL = not edited). `memos.transcript`, which full-text search indexes, is made of the shown texts.
"""
from __future__ import annotations

import operator
import sqlite3
from dataclasses import dataclass, field
from typing import Callable, Iterable, Protocol, Sequence

import sqlite_utils

from storage.fts import to_fts_query
from storage.timestamps import now_text, to_utc_text

PENDING, TRANSCRIBING, DONE, EMPTY, FAILED = "pending", "transcribing", "done", "empty", "failed"
STATUSES = (PENDING, TRANSCRIBING, DONE, EMPTY, FAILED)
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"


class WordLike(Protocol):
    start: float
    end: float
    word: str
    probability: float


class SegmentLike(Protocol):
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: Sequence[WordLike]


@dataclass
class NewMemo:
    content_hash: str
    original_name: str
    original_path: str
    library_path: str
    recorded_at: str
    recorded_at_source: str
    duration: float | None
    # The exact bytes of the original path when they are not valid UTF-8; `original_path` is then readable.
    original_path_bytes: bytes | None = None


@dataclass
class Memo:
    id: int
    content_hash: str
    original_name: str
    original_path: str
    library_path: str
    recorded_at: str
    imported_at: str
    duration: float | None
    status: str
    error: str | None
    language: str | None
    model: str | None
    transcript: str | None
    title: str | None = None
    title_edited: int = 0
    theme_id: int | None = None
    theme_pinned: int = 0
    deleted_at: str | None = None  # UTC; set = in the trash (storage.trash)
    recorded_at_source: str | None = None  # "metadata", "filename" or "mtime": where recorded_at came from
    review_state: str | None = "new"  # new / kept / done / archived (storage.review)
    review_changed_at: str | None = None  # UTC


@dataclass
class StoredWord:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class StoredSegment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float
    words: list[StoredWord] = field(default_factory=list)
    edited_text: str | None = None  # the user's wording; None = as transcribed

    @property
    def shown_text(self) -> str:
        """What the user sees: their edit if there is one, else the transcription."""
        return self.edited_text if self.edited_text is not None else self.text


@dataclass
class SearchHit:
    memo: Memo
    snippet: str  # highlighted terms are wrapped in HIGHLIGHT_START / HIGHLIGHT_END
    rank: float



def _memo(row: dict) -> Memo:
    return Memo(**{name: row.get(name) for name in Memo.__dataclass_fields__})


def find_by_hash(db: sqlite_utils.Database, content_hash: str) -> Memo | None:
    rows = list(db["memos"].rows_where("content_hash = ?", [content_hash], limit=1))
    return _memo(rows[0]) if rows else None


def add_memo(db: sqlite_utils.Database, memo: NewMemo) -> int | None:
    """Insert a pending memo and return its id; None if a memo with this hash exists (another import's)."""
    record = {**memo.__dict__, "status": PENDING, "imported_at": now_text(),
              "recorded_at": to_utc_text(memo.recorded_at) or memo.recorded_at}  # UTC, whatever the caller gave
    with db.atomic():
        # One statement: of two imports adding the same recording at once, one adds it, the other gets None.
        cursor = db.execute(
            f"INSERT INTO memos ({', '.join(record)}) VALUES ({', '.join('?' * len(record))}) "
            "ON CONFLICT (content_hash) DO NOTHING",
            list(record.values()),
        )
        if cursor.rowcount != 1:
            return None
        memo_id = cursor.lastrowid
        db["import_problems"].delete_where("path = ?", [memo.original_path])
    return memo_id


def original_path_bytes(db: sqlite_utils.Database, memo_id: int) -> bytes | None:
    """The exact original path, as bytes (for names that are not valid UTF-8, which `original_path` escapes)."""
    row = db.execute("SELECT original_path, original_path_bytes FROM memos WHERE id = ?", [memo_id]).fetchone()
    if row is None:
        return None
    return row[1] if row[1] is not None else row[0].encode("utf-8")


def get_memo(db: sqlite_utils.Database, memo_id: int) -> Memo | None:
    rows = list(db["memos"].rows_where("id = ?", [memo_id], limit=1))
    return _memo(rows[0]) if rows else None


def set_status(db: sqlite_utils.Database, memo_id: int, status: str, error: str | None = None) -> None:
    assert status in STATUSES, status
    with db.atomic():
        db["memos"].update(memo_id, {"status": status, "error": error})


def requeue_failed(db: sqlite_utils.Database, memo_id: int) -> None:
    """A failed memo back to pending (to try again), unless another import already took it up."""
    with db.atomic():
        db.execute("UPDATE memos SET status = ?, error = NULL WHERE id = ? AND status = ?", [PENDING, memo_id, FAILED])


def claim_for_transcription(
    db: sqlite_utils.Database, memo_id: int, owner: str, owner_alive: Callable[[str | None], bool]
) -> bool:
    """Mark the memo `transcribing` by `owner`; False if it is done, or being transcribed by a live owner.

    A memo left `transcribing` by an owner that is gone (a killed run) is taken over.
    """
    row = db.execute("SELECT status, claimed_by FROM memos WHERE id = ?", [memo_id]).fetchone()
    if row is None:
        return False
    status, claimed_by = row
    if status not in (PENDING, TRANSCRIBING) or (status == TRANSCRIBING and owner_alive(claimed_by)):
        return False
    with db.atomic():
        # Compare and set in one statement: of two importers racing for the memo, exactly one gets it.
        cursor = db.execute(
            "UPDATE memos SET status = ?, error = NULL, claimed_by = ? WHERE id = ? AND status = ? AND claimed_by IS ?",
            [TRANSCRIBING, owner, memo_id, status, claimed_by],
        )
    return cursor.rowcount == 1


def memos_to_transcribe(db: sqlite_utils.Database) -> list[Memo]:
    """The transcription queue: memos not yet finished, including ones a killed run left mid-way."""
    return [
        _memo(row)
        for row in db["memos"].rows_where("status in (?, ?) AND deleted_at IS NULL", [PENDING, TRANSCRIBING], order_by="id")
    ]


def save_transcript(
    db: sqlite_utils.Database,
    memo_id: int,
    segments: Iterable[SegmentLike],
    *,
    language: str | None,
    model: str,
) -> str:
    """Replace the memo's transcript in one transaction; the memo becomes `done`, or `empty` with no speech.

    Re-transcribing replaces the segments, so the user's edits to them (`edit_segment`) are lost then.
    """
    segments = list(segments)
    with db.atomic():
        _delete_transcript(db, memo_id)
        for position, segment in enumerate(segments):
            segment_id = (
                db["segments"]
                .insert(
                    {
                        "memo_id": memo_id,
                        "position": position,
                        "start": segment.start,
                        "end": segment.end,
                        "text": segment.text,
                        "avg_logprob": segment.avg_logprob,
                        "no_speech_prob": segment.no_speech_prob,
                    }
                )
                .last_pk
            )
            db["words"].insert_all(
                {
                    "segment_id": segment_id,
                    "position": index,
                    "start": word.start,
                    "end": word.end,
                    "word": word.word,
                    "probability": word.probability,
                }
                for index, word in enumerate(segment.words or ())
            )
        transcript = " ".join(segment.text.strip() for segment in segments).strip()
        status = DONE if transcript else EMPTY
        db["memos"].update(
            memo_id,
            {"transcript": transcript, "status": status, "error": None, "language": language, "model": model},
        )
    return status


def _delete_transcript(db: sqlite_utils.Database, memo_id: int) -> None:
    db.execute("DELETE FROM words WHERE segment_id IN (SELECT id FROM segments WHERE memo_id = ?)", [memo_id])
    db.execute("DELETE FROM segments WHERE memo_id = ?", [memo_id])


def get_segments(db: sqlite_utils.Database, memo_id: int) -> list[StoredSegment]:
    segments: list[StoredSegment] = []
    ids: list[int] = []
    for row in db["segments"].rows_where("memo_id = ?", [memo_id], order_by="position"):
        ids.append(row["id"])
        segments.append(
            StoredSegment(row["start"], row["end"], row["text"], row["avg_logprob"], row["no_speech_prob"],
                          edited_text=row["edited_text"])
        )
    by_id = dict(zip(ids, segments))
    if ids:
        marks = ",".join("?" * len(ids))
        for row in db.query(
            f"SELECT * FROM words WHERE segment_id IN ({marks}) ORDER BY segment_id, position", ids
        ):
            by_id[row["segment_id"]].words.append(
                StoredWord(row["start"], row["end"], row["word"], row["probability"])
            )
    return segments


def segments_of_all(db: sqlite_utils.Database) -> dict[int, list[StoredSegment]]:
    """Every memo's segments without their words (what an export writes), in one query."""
    by_memo: dict[int, list[StoredSegment]] = {}
    for row in db.execute("SELECT memo_id, start, end, text, avg_logprob, no_speech_prob, edited_text "
                          "FROM segments ORDER BY memo_id, position"):
        by_memo.setdefault(row[0], []).append(StoredSegment(*row[1:6], edited_text=row[6]))
    return by_memo


def edit_segment(db: sqlite_utils.Database, memo_id: int, position: int, new_text: str | None) -> None:
    """Set the user's wording of one segment, keeping the original; `None` or the original text restores it.

    The memo's full text (what search finds) is rebuilt from the shown texts in the same transaction.
    """
    with db.atomic():
        rows = list(db["segments"].rows_where("memo_id = ? AND position = ?", [memo_id, position], limit=1))
        if not rows:
            raise KeyError(f"memo {memo_id} has no segment {position}")
        edited = None if new_text is None or new_text.strip() == rows[0]["text"].strip() else new_text.strip()
        db["segments"].update(rows[0]["id"], {"edited_text": edited})
        shown = db.execute(
            "SELECT coalesce(edited_text, text) FROM segments WHERE memo_id = ? ORDER BY position", [memo_id]
        ).fetchall()
        db["memos"].update(memo_id, {"transcript": " ".join(text.strip() for (text,) in shown).strip()})


def list_memos(db: sqlite_utils.Database, *, status: str | None = None, limit: int | None = None,
               archived: bool = True) -> list[Memo]:
    """Memos not in the trash, newest first (`archived=False`: not the archived ones either)."""
    where, params = ("status = ? AND deleted_at IS NULL", [status]) if status else ("deleted_at IS NULL", [])
    if not archived and "review_state" in db["memos"].columns_dict:  # (a read-only library from before m013)
        where += " AND review_state != 'archived'"
    sql = f"SELECT * FROM memos WHERE {where} ORDER BY recorded_at desc, id desc"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return _memos(db.execute(sql, params))


def recorded_times(db: sqlite_utils.Database) -> dict[int, str]:
    """When each transcribed memo not in the trash was recorded (UTC text), by id: one narrow query."""
    return dict(db.execute("SELECT id, recorded_at FROM memos WHERE status = 'done' AND deleted_at IS NULL"))


def memo_headers(db: sqlite_utils.Database) -> list[Memo]:
    """Every memo as `list_memos` gives it, but with only the start of its transcript (HEADER_CHARS, leading
    space dropped): enough to title it; 20,000 whole transcripts are tens of MB a map or a count does not need."""
    columns = ", ".join(f"substr(ltrim(transcript), 1, {HEADER_CHARS}) AS transcript" if name == "transcript"
                        else name for name in Memo.__dataclass_fields__)
    try:
        return _memos(db.execute(f"SELECT {columns} FROM memos WHERE deleted_at IS NULL "
                                 "ORDER BY recorded_at desc, id desc"))
    except sqlite3.OperationalError:  # a database from before a migration added a column
        return list_memos(db)


HEADER_CHARS = 40


def _memos(cursor) -> list[Memo]:
    """What `_memo` makes of each row, from plain tuples (20,000 memos: no dict per row)."""
    columns = {description[0]: at for at, description in enumerate(cursor.description)}
    fields = list(Memo.__dataclass_fields__)
    if not all(name in columns for name in fields):  # a database from before a migration added a column
        return [_memo(dict(zip(columns, row))) for row in cursor]
    values = operator.itemgetter(*(columns[name] for name in fields))
    return [Memo(*values(row)) for row in cursor]


def search(db: sqlite_utils.Database, query: str, *, limit: int = 20, theme_id: int | None = None) -> list[SearchHit]:
    """Full-text search over transcripts (only in a theme and its sub-themes, with `theme_id`); any text a user
    types is safe (see storage.fts)."""
    fts_query = to_fts_query(query)
    if not fts_query:
        return []
    in_theme, params = "", [fts_query]
    if theme_id is not None:
        in_theme = " AND (memos.theme_id = ? OR memos.theme_id IN (SELECT id FROM themes WHERE parent_id = ?))"
        params += [theme_id, theme_id]
    rows = db.query(
        f"""
        SELECT memos.*, snippet(memos_fts, 0, '{HIGHLIGHT_START}', '{HIGHLIGHT_END}', '…', 16) AS snippet,
               bm25(memos_fts) AS rank
        FROM memos_fts JOIN memos ON memos.rowid = memos_fts.rowid
        WHERE memos_fts MATCH ? AND memos.deleted_at IS NULL{in_theme}
        ORDER BY rank LIMIT ?
        """,
        params + [limit],
    )
    return [SearchHit(_memo(row), row["snippet"], row["rank"]) for row in rows]


def status_counts(db: sqlite_utils.Database) -> dict[str, int]:
    counts = {status: 0 for status in STATUSES}
    for row in db.query("SELECT status, count(*) AS n FROM memos WHERE deleted_at IS NULL GROUP BY status"):
        counts[row["status"]] = row["n"]
    return counts


def total_duration(db: sqlite_utils.Database) -> float:
    return next(db.query("SELECT coalesce(sum(duration), 0) AS total FROM memos WHERE deleted_at IS NULL"))["total"]


def record_problem(db: sqlite_utils.Database, path: str, reason: str) -> None:
    """Remember a file an import could not use, and why."""
    with db.atomic():
        db["import_problems"].upsert({"path": path, "reason": reason, "seen_at": now_text()}, pk="path")


def list_problems(db: sqlite_utils.Database) -> list[tuple[str, str]]:
    return [(row["path"], row["reason"]) for row in db["import_problems"].rows_where(order_by="seen_at desc")]
