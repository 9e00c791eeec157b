"""The export use case: the library as a Markdown vault (see app.export for the files it writes)."""
from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator
from pathlib import Path

import sqlite_utils

from app.organizer import RELATED_MIN_SCORE, RELATED_PER_MEMO, Organizer  # the window's and the CLI's rule
from app.display import local_day, said_times
from app.export import (TAG_ROOT, ExportDigest, ExportMemo, ExportResult, ExportSegment, ExportTheme, export_vault,
                        theme_tags)
from organize import related as related_memos
from storage import ideas as stored_ideas
from storage import memos as store
from storage import themes as org
from storage import todos as stored_todos


def export_library(db: sqlite_utils.Database, data_dir: Path, target: Path, digest=None) -> ExportResult:
    """Write (or update) a vault in `target` with every transcribed memo, its theme and related memos.

    A note per theme at each level of the tree; a memo is listed in its most specific theme's note and tagged
    with that theme's nested tag (`musings/<broad theme>/<sub-theme>`)."""
    with _collector_paused():
        return _export_library(db, data_dir, target, digest)


def export_digest(digest) -> ExportDigest:
    """app.digest.Digest as the export writes it (memo ids, the spoken days in words)."""
    period = digest.period
    last = period.last
    return ExportDigest(
        label=period.label, span=f"{period.start.day} {period.start:%b} – {last.day} {last:%b %Y}",
        new=[(name, [m.id for m in memos]) for name, memos in digest.new_by_theme],
        recurring=[[m.id for m in chain] for chain in digest.recurring],
        said=[said_times(chain) for chain in digest.recurring],
        grew=list(digest.grew), quiet=list(digest.quiet),
        todos=[(t.text, t.due, t.memo_id) for t in digest.todos],
        brought_back=digest.brought_back.id if digest.brought_back is not None else None)


def _export_library(db: sqlite_utils.Database, data_dir: Path, target: Path, digest=None) -> ExportResult:
    themes = {t.id: t for t in org.list_themes(db)}
    done = store.list_memos(db, status=store.DONE)
    members: dict[int, list[int]] = {}  # theme id -> the memos directly in it
    for memo in done:
        members.setdefault(memo.theme_id, []).append(memo.id)
    export_themes = [ExportTheme(t.id, t.name, members.get(t.id, []), t.parent_id) for t in themes.values()]
    tag_of_theme = theme_tags(export_themes)
    related_of = Organizer(db).related_lists(RELATED_PER_MEMO)  # kept up to date: no all-pairs product
    segments_of = store.segments_of_all(db)
    is_near_duplicate = related_memos.is_near_duplicate
    todos_of: dict[int, list[tuple[str, str | None, str | None]]] = {}  # as last read (Musings.todos reads them)
    if "todos" in db.table_names():
        for todo in stored_todos.todos(db, include_done=True):
            ticked = local_day(todo.done_at) if todo.done_at else None
            todos_of.setdefault(todo.memo_id, []).append((todo.text, todo.due, ticked and ticked.isoformat()))
    ideas_of = stored_ideas.all_ideas(db)  # as last split (Musings.export splits changed memos first)
    days = {memo.id: local_day(memo.recorded_at) for memo in done}
    chains = related_memos.chains_from_lists(related_of, days)  # ideas said on several days
    by_id = {memo.id: memo for memo in done}
    said: dict[tuple[int, ...], str] = {}

    def said_of(chain: list[int]) -> str:  # once per chain, not once per memo in it (2,600 at 20,000 memos)
        key = tuple(chain)
        if key not in said:
            said[key] = said_times([by_id[i] for i in chain])
        return said[key]

    memos = []
    for memo in done:
        chain = chains.get(memo.id, [])
        related = [(other, score) for other, score in related_of.get(memo.id, ())  # as the window names them
                   if score >= RELATED_MIN_SCORE]
        theme = themes.get(memo.theme_id)
        tag = tag_of_theme.get(memo.theme_id)
        memos.append(ExportMemo(
            id=memo.id,
            title=memo.title or memo.original_name,
            recorded_at=memo.recorded_at,
            duration=memo.duration,
            theme=theme.name if theme else None,
            tags=[TAG_ROOT, tag] if tag is not None else [TAG_ROOT],
            segments=[ExportSegment(s.start, s.end, s.shown_text) for s in segments_of.get(memo.id, ())],
            audio_path=data_dir / memo.library_path,
            content_hash=memo.content_hash,
            related=related,
            near_duplicates=[other for other, score in related if is_near_duplicate(score)],
            todos=sorted(todos_of.get(memo.id, []), key=lambda todo: todo[2] is not None),
            said=said_of(chain) if chain else None,
            said_with=[i for i in chain if i != memo.id],
            ideas=[(idea.start, idea.end, idea.title, idea.theme_id if idea.theme_id in themes else None)
                   for idea in ideas_of.get(memo.id, ())] if len(ideas_of.get(memo.id, ())) > 1 else [],
        ))
    worth_writing = digest is not None and (digest.new_count or digest.todos or digest.recurring or digest.grew
                                            or digest.quiet or digest.brought_back is not None)
    return export_vault(Path(target), memos, export_themes, digest=export_digest(digest) if worth_writing else None)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while the export builds its objects: 20,000 memos are a million objects
    that live to the end, and the collector went over them again and again (0.4 s of a 3.4 s re-run). The
    export makes no cycles worth collecting; the collector runs again afterwards as before."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
