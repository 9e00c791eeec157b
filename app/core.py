"""The application core: one `Musings` object per open library, every use case on it, Qt-free.

The CLI (`app/cli.py`) and the window (`app/gui/`) only adapt it: parse a command line or a click, call a
method here, print or paint what comes back. Each use case, and its validation, lives here once; a request
the library will not carry out raises a `musings_errors.UserError` subclass whose message is one sentence
for the user. Modelled on Anki's `Collection` (pylib), which `aqt` only adapts to widgets.

Threads: each thread gets its own SQLite connection (`db()`), opened on first use; the models (the embedding
process, a Whisper model) are loaded once, lazily, and shared.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from app.organizer import RELATED_MIN_SCORE, RELATED_PER_MEMO  # every front end's rule (exporting imports it here)
from musings_errors import Cancelled, NotFound, Refused
from storage.db import StorageError
from storage import memos as store
from storage import themes as org
from storage import trash
from storage import undo as undo_store

log = logging.getLogger(__name__)

# A memo in the trash is deleted for good, audio and all, this long after it was put there.
TRASH_DAYS = 30


@dataclass
class ImportSummary:
    """What an import did, counted once for every front end."""

    report: object  # app.importer.ImportReport
    cancelled: bool = False
    still_recording: list[Path] = field(default_factory=list)  # inbox recordings left for later

    def count(self, kind: str) -> int:
        return len(self.report.of_kind(kind))

    @property
    def counts(self) -> dict[str, int]:
        return {kind: self.count(kind) for kind in ("done", "empty", "skipped", "failed")}

    def sentence(self) -> str:
        c = self.counts
        return (f"{c['done']} transcribed, {c['empty']} without speech, {c['skipped']} skipped, "
                f"{c['failed']} failed")


@dataclass
class Status:
    data_dir: Path
    counts: dict[str, int]
    audio_seconds: float
    problems: list[tuple[str, str]]
    unfinished: list  # app.inbox.UnfinishedRecording
    in_trash: int
    watched: list = field(default_factory=list)  # WatchedFolderStatus, one per watched folder
    watcher_pid: int | None = None  # the process watching the folders now (None: none is)
    volumes: list = field(default_factory=list)  # VolumeStatus, one per voice recorder seen


@dataclass
class VolumeStatus:
    key: str  # "uuid:…", "label:…" or "path:…"
    name: str  # what the volume calls itself (its label), else its key
    marked: bool  # the user said it is a recorder
    last_seen: str | None  # UTC: when it was last mounted here
    last_activity: str | None  # UTC: the last of its files imported or refused
    counts: dict[str, int] = field(default_factory=dict)  # its files by outcome (imported, skipped, refused …)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path on the volume, reason)


@dataclass
class WatchedFolderStatus:
    path: str
    recursive: bool
    last_activity: str | None  # UTC: the last file imported or refused there
    problem: str | None  # why it isn't watched now (missing: unmounted?), or None
    waiting: list[str] = field(default_factory=list)  # files noticed, waiting to settle
    refused: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) from the import problems


@dataclass(frozen=True)
class UndoPoint:
    description: str  # what the change did, for "Moved to Robot hand · Undo"
    snapshot: undo_store.Snapshot


class Musings:
    """One open library (a data folder): its database, its models, every use case.

    `read_only`: the reading commands open the database read-only (a library on a read-only disk still
    reads). The embedding model (onnxruntime, ~0.4 s to load) is loaded in this process when first needed."""

    def __init__(self, data_dir: Path, *, read_only: bool = False):
        self.data_dir = Path(data_dir)
        self.read_only = read_only
        self._local = threading.local()
        self._lock = threading.Lock()
        self._embedder = None
        self._shut_down = False
        self._transcribers: dict[tuple, object] = {}

    # -- the database: one connection per thread ---------------------------------------------------

    def db(self):
        """This thread's connection to the database (opened, and migrated, on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            from storage.db import open_database

            db = open_database(self.data_dir, read_only=self.read_only)
            self._local.db = db
        return db

    def close(self) -> None:
        """Close the calling thread's connection. A background job may still be using its own: closing
        that from here crashes SQLite, so it is left to its thread (released when the thread ends)."""
        db = getattr(self._local, "db", None)
        self._local.db = None
        if db is not None:
            db.conn.close()

    def shutdown(self) -> None:
        """The library is being closed: no job may load a model any more; close this thread's connection."""
        with self._lock:
            self._embedder, self._shut_down = None, True
        self.close()

    # -- models: loaded when first needed, shared by imports and search -------------------------------

    def embedder(self):
        """The embedding model, loaded on the first call (onnxruntime: ~0.4 s; it runs outside the GIL)."""
        from organize.embeddings import Embedder

        with self._lock:
            if self._shut_down:  # a job finishing after the window closed must not load it again
                raise Cancelled("the library is closing")
            if self._embedder is None:
                self._embedder = Embedder()
            return self._embedder

    def prepare_search(self) -> None:
        """What a search by meaning needs, made ready before the first query (as the user heads for the search
        box): the model, its first run (onnxruntime sets up its buffers then), and the library's vectors (read once
        and kept while the library is unchanged: ~0.1 s at 20,000 memos)."""
        from organize.embeddings import MODEL_NAME

        self.embedder().embed(["ready"])
        org.load_embeddings(self.db(), MODEL_NAME)

    @property
    def started_embedder(self):
        """The embedder if it was loaded, else None: never loads it."""
        return self._embedder

    def embedder_ready(self) -> bool:
        """Whether search by meaning can answer without loading the model first."""
        return self._embedder is not None

    def transcriber(self, settings):
        """A Whisper model for `settings`, loaded once per distinct model/language/vocabulary/device."""
        from audio.transcribe import Transcriber

        key = (settings.model, settings.language, tuple(settings.vocabulary), settings.device)
        with self._lock:
            cached = self._transcribers.get(key)
        if cached is None:
            cached = Transcriber(settings)
            with self._lock:
                self._transcribers = {key: cached}  # keep one model in memory
        return cached

    def organizer(self):
        """The organize use cases (app.organizer) on this thread's connection."""
        from app.organizer import Organizer

        return Organizer(self.db(), self.embedder)

    # -- reading ------------------------------------------------------------------------------------

    def memos(self, *, status: str | None = None, limit: int | None = None,
              archived: bool = True) -> list[store.Memo]:
        """Memos, newest first (never those in the trash; not the archived ones, with `archived=False`)."""
        return store.list_memos(self.db(), status=status, limit=limit, archived=archived)

    def theme_listing(self, theme_id: int, *, archived: bool = False) -> list[tuple[store.Memo, tuple | None]]:
        """The memos under a theme (and its sub-themes), newest first, each with None if it is there itself, or
        (n, idea) when it is there by its n-th idea only ("the 3rd idea of the walk on 3 March")."""
        from app.ideas import listed_by_idea

        if org.get_theme(self.db(), theme_id) is None:
            raise NotFound(f"no theme {theme_id}")
        subtree = set(org.subtree_ids(self.db(), theme_id))
        split = self.split_memos_ideas()
        listed = []
        for memo in self.memos(status=store.DONE, archived=archived):
            why = listed_by_idea(memo, split, subtree)
            if memo.theme_id in subtree or why is not None:
                listed.append((memo, why))
        return listed

    def memo(self, memo_id: int, *, include_trash: bool = False) -> store.Memo:
        """One memo; NotFound if there is none (or it is in the trash, unless `include_trash`)."""
        memo = store.get_memo(self.db(), memo_id)
        if memo is None or (memo.deleted_at is not None and not include_trash):
            raise NotFound(f"no memo {memo_id}" + (" (it is in the trash: musings restore "
                                                             f"{memo_id})" if memo is not None else ""))
        return memo

    def segments(self, memo_id: int, *, include_trash: bool = False) -> list[store.StoredSegment]:
        return store.get_segments(self.db(), self.memo(memo_id, include_trash=include_trash).id)

    def themes(self) -> list[org.ThemeRecord]:
        """Every theme, broad and sub-themes alike, largest first."""
        return org.list_themes(self.db())

    def theme(self, theme_id: int) -> org.ThemeRecord:
        theme = org.get_theme(self.db(), theme_id)
        if theme is None:
            raise NotFound(f"no theme {theme_id}")
        return theme

    def theme_tree(self) -> list[tuple[org.ThemeRecord, list[org.ThemeRecord]]]:
        return org.theme_tree(self.db())

    def theme_path(self, theme_id: int | None, themes: list[org.ThemeRecord] | None = None) -> list[str]:
        return org.theme_path(self.themes() if themes is None else themes, theme_id)

    def unsorted_count(self) -> int:
        return len(org.memos_of_theme(self.db(), None))

    def search(self, query: str, *, mode: str = "hybrid", limit: int = 20, theme_id: int | None = None) -> list:
        """Memos matching `query` by words and meaning (`mode` "keyword" or "semantic" for one of them); with
        `theme_id`, only in that theme and its sub-themes."""
        if mode not in ("hybrid", "keyword", "semantic"):
            raise Refused(f"unknown search mode {mode!r}: hybrid, keyword or semantic")
        if theme_id is not None:
            self.theme(theme_id)  # NotFound: "no theme 7"
        return self.organizer().search(query, mode=mode, limit=limit, theme_id=theme_id)

    def related(self, memo_id: int, *, limit: int = RELATED_PER_MEMO) -> list:
        """The memos most like this one, best first, none below RELATED_MIN_SCORE."""
        self.memo(memo_id)
        return self.organizer().related(memo_id, k=limit, min_score=RELATED_MIN_SCORE)

    def recurrence(self, memo_id: int) -> list[store.Memo]:
        """The same idea said on other days: this memo's chain (organize.related.chain: memos at least "very
        close", and theirs), oldest first; [] unless it spans two days or more."""
        self.memo(memo_id)
        return self._chains_among()(memo_id)

    def _chains_among(self, memos: list[store.Memo] | None = None):
        """memo id -> its chain (Musings.recurrence) among `memos` (None: read each chain's memos from the
        library), the vectors read once for every call."""
        from app.display import local_day
        from organize.embeddings import MODEL_NAME
        from organize.related import chain

        ids, vectors = org.load_embeddings(self.db(), MODEL_NAME)
        row_of = {memo_id: row for row, memo_id in enumerate(ids)}
        by_id = None if memos is None else {memo.id: memo for memo in memos}

        def live(memo_id: int) -> store.Memo | None:
            if by_id is not None:
                return by_id.get(memo_id)
            memo = store.get_memo(self.db(), memo_id)
            return memo if memo is not None and memo.deleted_at is None and memo.status == store.DONE else None

        def chain_of(memo_id: int) -> list[store.Memo]:
            if memo_id not in row_of:
                return []
            members = (live(ids[row]) for row in chain(vectors, row_of[memo_id]))
            found = sorted((m for m in members if m is not None), key=lambda m: (m.recorded_at or "", m.id))
            return found if len({local_day(m.recorded_at) for m in found}) >= 2 else []

        return chain_of

    def recurring_ideas(self) -> dict[int, list[int]]:
        """Every memo of an idea said on several days -> its chain's memo ids, oldest first, from the stored
        related lists (organize.related.chains_from_lists: no all-pairs product)."""
        from app.display import local_day
        from organize.related import chains_from_lists
        from storage import related as stored_related

        db = self.db()
        if "related" not in db.table_names():
            return {}
        days = {memo_id: local_day(when) for memo_id, when in store.recorded_times(db).items()}
        return chains_from_lists(stored_related.related_lists(db), days)

    def map_points(self):
        """Every embedded memo placed on the theme map (app.map_layout: the stored layout, kept across launches)."""
        from app.map_layout import load_map_points

        return load_map_points(self.db(), self.data_dir)

    def status(self) -> Status:
        from app.inbox import unfinished_recordings

        from app.intake import WatchLock

        db = self.db()
        return Status(self.data_dir, store.status_counts(db), store.total_duration(db), store.list_problems(db),
                      unfinished_recordings(self.data_dir), len(trash.trashed(db)), self.watched_status(),
                      WatchLock(self.data_dir).holder(), self.volumes_status())

    def volumes_status(self) -> list[VolumeStatus]:
        """Every voice recorder seen (app/volumes.py): when it was last here and what came of its files."""
        from storage import volumes as known

        found = []
        for volume in known.list_volumes(self.db()):
            counts, last, refused = known.volume_activity(self.db(), volume.key)
            found.append(VolumeStatus(volume.key, volume.name or volume.label or volume.key, volume.marked,
                                      volume.last_seen, last, counts, refused))
        return found

    # -- changing memos ------------------------------------------------------------------------------

    def set_title(self, memo_id: int, title: str) -> None:
        """The user's title for a memo (kept through every re-titling)."""
        title = " ".join(title.split())
        if not title:
            raise Refused("a memo's title can't be empty")
        self.memo(memo_id)
        org.set_title(self.db(), memo_id, title, by_user=True)

    def edit_segment(self, memo_id: int, position: int, text: str | None) -> None:
        """The user's wording of one transcript segment (None, or the transcribed words again: back to what
        was transcribed)."""
        segments = self.segments(memo_id)
        if not 0 <= position < len(segments):
            raise NotFound(f"memo {memo_id} has no segment {position}")
        if text is not None:
            text = " ".join(text.split())
            if not text:
                raise Refused("a segment can't be empty: restore the transcription instead")
        store.edit_segment(self.db(), memo_id, position, text)  # the transcribed words again restore them
        self._refresh_ideas([memo_id])  # the changed words split again now (the user's splits and joins kept)

    def move(self, memo_ids: Iterable[int], theme_id: int | None) -> None:
        """Put memos into a theme (None: Unsorted), by hand: re-clustering keeps them there."""
        memo_ids = list(memo_ids)
        for memo_id in memo_ids:
            self.memo(memo_id)
        if theme_id is not None:
            self.theme(theme_id)
        db = self.db()
        with org.write_transaction(db):
            for memo_id in memo_ids:
                org.place_memo(db, memo_id, theme_id, by_user=True)

    def move_to(self, memo_id: int, theme: str) -> int | None:
        """`musings move`: `theme` is a theme's id, its name (any case), "unsorted", or a new theme's name.
        Returns the theme the memo is now in."""
        theme = " ".join(theme.split())
        found, theme_id = self._theme_said(theme)
        if not found:
            return self.new_theme(theme, [memo_id])
        self.move([memo_id], theme_id)
        return theme_id

    def _theme_said(self, theme: str) -> tuple[bool, int | None]:
        """A theme as the user gave it (its id, its name in any case, or "unsorted"): (True, its id, None for
        Unsorted), or (False, None) when no theme has that name (the caller makes it)."""
        if not theme:
            raise Refused("say which theme: its id, its name, or unsorted")
        if theme.lower() == "unsorted":
            return True, None
        if theme.isdigit() and org.get_theme(self.db(), int(theme)) is not None:
            return True, int(theme)
        named = [t for t in self.themes() if t.name.lower() == theme.lower()]
        return (True, named[0].id) if named else (False, None)

    def new_theme(self, name: str, memo_ids: Iterable[int], parent_id: int | None = None) -> int:
        """A theme the user named, holding these memos, under `parent_id` if given; one transaction (a
        re-clustering committing in between would remove the still-empty theme). Returns its id."""
        name = self._theme_name(name)
        memo_ids = list(memo_ids)
        if not memo_ids:
            raise Refused("a new theme needs at least one memo in it")
        for memo_id in memo_ids:
            self.memo(memo_id)
        if parent_id is not None:
            self.theme(parent_id)
        db = self.db()
        with org.write_transaction(db):
            theme_id = org.create_theme(db, name)
            for memo_id in memo_ids:
                org.place_memo(db, memo_id, theme_id, by_user=True)
            if parent_id is not None:
                org.set_parent(db, theme_id, parent_id)
        return theme_id

    # -- changing themes -----------------------------------------------------------------------------

    def rename_theme(self, theme_id: int, name: str) -> None:
        name = self._theme_name(name)
        self.theme(theme_id)
        org.rename_theme(self.db(), theme_id, name)

    def merge_themes(self, source_id: int, target_id: int) -> None:
        """Move every memo (and sub-theme) of `source` into `target`; kept through re-clustering."""
        if source_id == target_id:
            raise Refused(f"a theme can't be merged into itself ({self._label(source_id)})")
        source, target = self.theme(source_id), self.theme(target_id)
        org.merge_themes(self.db(), source.id, target.id)

    def nest_theme(self, theme_id: int, parent_id: int | None) -> str:
        """Nest a theme under a broad theme, or make it broad again (None). Returns what changed, as a
        sentence. Two levels only: the refusal says why."""
        theme = self.theme(theme_id)
        if parent_id is None:
            if theme.parent_id is None:
                return f"{self._label(theme_id)} is already a broad theme"
        else:
            if parent_id == theme_id:
                raise Refused(f"a theme can't be nested in itself ({self._label(theme_id)})")
            parent = self.theme(parent_id)
            if parent.parent_id is not None:
                raise Refused(f"{self._label(parent_id)} is itself a sub-theme: themes nest two levels deep")
            if any(t.parent_id == theme_id for t in self.themes()):
                raise Refused(f"{self._label(theme_id)} has sub-themes of its own: un-nest them first")
        before, old_parent = self._label(theme_id), theme.parent_id
        org.set_parent(self.db(), theme_id, parent_id)
        said = (f"{before} is now a broad theme" if parent_id is None
                else f"{before} is now a sub-theme of {self._label(parent_id)}")
        if old_parent is not None and old_parent != parent_id and org.get_theme(self.db(), old_parent) is None:
            said += f"; theme {old_parent}, left with no memos, was removed"
        return said

    def rebuild_themes(self) -> int:
        """Group every memo again, a memo of several ideas as its ideas (keeping the user's names, moves, merges
        and nesting). Returns the count."""
        self._refresh_ideas(None)  # the ideas as the transcripts and the user's splits are now
        return self.organizer().recluster()

    # -- review: ideas come back ---------------------------------------------------------------------

    def review_queue(self, *, limit: int | None = None) -> list:
        """The memos still to review ("new"), grouped by broad theme, newest first (app.review)."""
        from app.review import ReviewItem, review_order
        from storage import review

        themes = self.themes()
        broad = org.broad_of(themes)
        queue = review_order(review.memos_in_state(self.db(), "new"), broad, set(self.recurring_ideas()))[:limit]
        paths = {t.id: self.theme_path(t.id, themes) for t in themes}  # once per theme, not per memo
        return [ReviewItem(memo, list(paths.get(memo.theme_id, []))) for memo in queue]

    def set_review(self, memo_ids: Iterable[int], state: str) -> None:
        """Keep (star), mark done, archive, or make new again: archived memos leave the default lists and stay
        searchable."""
        from storage import review

        if state not in review.STATES:
            raise Refused(f"unknown review state {state!r}: {', '.join(review.STATES)}")
        memo_ids = list(dict.fromkeys(memo_ids))
        for memo_id in memo_ids:
            self.memo(memo_id)
        review.set_state(self.db(), memo_ids, state)

    def review_counts(self) -> dict[str, int]:
        from storage import review

        return review.counts(self.db())

    def digest(self, kind: str = "week", day=None):
        """What the week (ISO, Monday to Sunday) or month holding `day` (default: today) held: app.digest."""
        from app.digest import build_digest, period_of

        if kind not in ("week", "month"):
            raise Refused(f"a digest is of a week or a month, not {kind!r}")
        themes = self.themes()
        names = {t.id: t.name for t in themes}
        broad_name = {theme_id: names[broad] for theme_id, broad in org.broad_of(themes).items()}
        period = period_of(day or dt.date.today(), kind)
        memos = store.list_memos(self.db(), status=store.DONE)
        return build_digest(period, memos, broad_name, self._chains_among(memos), self.todos())

    def timeline(self):
        """Memos per broad theme per ISO week, from the first memo's week to the last's (app.timeline)."""
        from app.timeline import timeline

        return timeline(store.list_memos(self.db(), status=store.DONE), self.themes())

    # -- spoken to-dos --------------------------------------------------------------------------------

    def todos(self, *, include_done: bool = False) -> list:
        """What the memos say to do ("remind me to…", "I need to… by Friday"), open ones first by due day;
        read again from every transcript that changed since (app.todos; a library that can't be written lists
        what it last read)."""
        import sqlite3

        from app import todos as spoken
        from storage import todos as stored

        try:
            spoken.refresh(self.db())
        except (sqlite3.OperationalError, StorageError) as error:  # read-only: what was read before
            log.info("to-dos not read again: %s", error)
        return stored.todos(self.db(), include_done=include_done)

    def set_todo_done(self, todo_id: int, done: bool = True) -> None:
        from storage import todos as stored

        if stored.get(self.db(), todo_id) is None:
            raise NotFound(f"no to-do {todo_id}")
        stored.set_done(self.db(), todo_id, done)

    # -- ideas: the topics a recording holds -----------------------------------------------------------

    def ideas(self, memo_id: int) -> list:
        """This memo's ideas in order (storage.ideas.StoredIdea: start, end, title, theme), split again first
        if its transcript or the user's splits and joins changed since (app.ideas); a read-only library gives
        them as last split (a memo never split: one idea, the whole memo, id None)."""
        from app import ideas as kept

        memo = self.memo(memo_id)
        if self.read_only:  # a reading command: what was split (at import, an edit, an export), nothing computed
            return kept.current(self.db(), memo, None)
        self._refresh_ideas([memo_id])
        return kept.current(self.db(), memo, lambda texts: self.embedder().embed(texts))

    def all_ideas(self) -> dict[int, list]:
        """Every memo's ideas, by memo id (memos split again where they changed)."""
        from storage import ideas as stored

        self._refresh_ideas(None)
        return stored.all_ideas(self.db())

    def split_memos_ideas(self, memo_ids: Iterable[int] | None = None) -> dict[int, list]:
        """The ideas of those of these memos (None: of all) that hold several (as last split), by memo id, in
        order: a memo of several ideas is listed under each of their themes."""
        from storage import ideas as stored

        return {memo_id: [idea for idea, _ in ideas] for memo_id, ideas in
                stored.spans_with_vectors(self.db(), None if memo_ids is None else list(memo_ids)).items()}

    def ideas_of_todos(self, todos: list) -> dict[int, object]:
        """For each to-do said in a memo of several ideas, the idea it is said in (by to-do id)."""
        from app.ideas import idea_row
        from storage import ideas as stored

        split = stored.spans_with_vectors(self.db(), sorted({t.memo_id for t in todos if t.start is not None}))
        found = {}
        for todo in todos:
            ideas = [idea for idea, _ in split.get(todo.memo_id, ())]
            if ideas and todo.start is not None:
                found[todo.id] = ideas[idea_row([i.start for i in ideas], todo.start, todo.start)]
        return found

    def idea_counts(self) -> dict[int, int]:
        """How many ideas each split memo holds (a memo not in it: one, or not transcribed)."""
        from storage import ideas as stored

        return stored.counts(self.db())

    def split_idea(self, memo_id: int, seconds: float) -> list:
        """A new idea starts at the passage nearest `seconds` (kept through every re-split); the memo's ideas."""
        import math

        from app import ideas as kept
        from storage import ideas as stored

        self.memo(memo_id)
        segments = kept.segments_of(self.db(), memo_id)
        if not math.isfinite(seconds) or not segments or not segments[0][0] <= seconds <= segments[-1][1]:
            end = segments[-1][1] if segments else 0.0
            raise Refused(f"memo {memo_id} has nothing to split at {seconds:g} s (its words run 0-{end:.0f} s)")
        cut = kept.nearest_segment_start(segments, seconds)
        if cut is None:
            raise Refused(f"memo {memo_id} is one passage: nothing to split")
        if any(abs(idea.start - cut) < 1e-6 for idea in self.ideas(memo_id)):
            raise Refused(f"an idea of memo {memo_id} already starts at {cut:.1f} s (the passage nearest {seconds:g} s)")
        stored.add_edit(self.db(), memo_id, stored.SPLIT, cut)
        return self.ideas(memo_id)

    def join_ideas(self, first_id: int, second_id: int) -> list:
        """Two neighbouring ideas of one memo become one (kept through every re-split); the memo's ideas."""
        from storage import ideas as stored

        ideas = [stored.get(self.db(), idea_id) for idea_id in (first_id, second_id)]
        for idea_id, idea in zip((first_id, second_id), ideas):
            if idea is None:
                raise NotFound(f"no idea {idea_id}")
        first, second = sorted(ideas, key=lambda idea: (idea.memo_id, idea.position))
        if first.memo_id != second.memo_id or second.position != first.position + 1:
            raise Refused(f"ideas {first_id} and {second_id} are not neighbours in one memo: only those join")
        stored.add_edit(self.db(), first.memo_id, stored.JOIN, second.start)
        return self.ideas(first.memo_id)

    def _idea(self, idea_id: int):
        """An idea of a memo not in the trash, as stored now; NotFound if none (its memo may have been split
        again since: `musings show MEMO --json` gives the ideas' ids)."""
        from storage import ideas as stored

        idea = stored.get(self.db(), idea_id)
        if idea is None:
            raise NotFound(f"no idea {idea_id} (musings show MEMO lists a memo's ideas with their ids)")
        self.memo(idea.memo_id)
        return idea

    def title_idea(self, idea_id: int, title: str) -> list:
        """The user's title for an idea, kept with the idea starting at that passage through every re-split (a
        memo of one idea: the memo's title); the memo's ideas."""
        from storage import ideas as stored

        title = " ".join(title.split())
        if not title:
            raise Refused("an idea's title can't be empty")
        idea = self._idea(idea_id)
        if len(self.ideas(idea.memo_id)) == 1:
            self.set_title(idea.memo_id, title)
        else:
            stored.set_title(self.db(), idea_id, title)
        return self.ideas(idea.memo_id)

    def move_idea(self, idea_id: int, theme: str) -> list:
        """`musings idea move`: the idea into a theme (its id, its name, "unsorted", or a new theme's name), kept
        through re-splits and re-clusterings (a memo of one idea: the memo moves); the memo's ideas."""
        from storage import ideas as stored

        idea = self._idea(idea_id)
        if len(self.ideas(idea.memo_id)) == 1:
            self.move_to(idea.memo_id, theme)
            return self.ideas(idea.memo_id)
        theme = " ".join(theme.split())
        found, theme_id = self._theme_said(theme)
        db = self.db()
        if found:
            stored.set_theme(db, idea_id, theme_id)
        else:
            with org.write_transaction(db):  # a re-clustering committing in between would remove the empty theme
                stored.set_theme(db, idea_id, org.create_theme(db, self._theme_name(theme)))
        return self.ideas(idea.memo_id)

    def _refresh_ideas(self, memo_ids) -> None:
        import sqlite3

        from app import ideas as kept

        try:
            kept.refresh(self.db(), lambda texts: self.embedder().embed(texts), memo_ids)
        except (sqlite3.OperationalError, StorageError) as error:  # read-only: the ideas as last split
            log.info("ideas not split again: %s", error)

    # -- undo ----------------------------------------------------------------------------------------

    def undo_point(self, description: str, memo_ids: Iterable[int] = ()) -> UndoPoint:
        """How things are before a change (to the themes, where memos are, and these memos' titles, trash and
        passages), to put back with `undo`: take it, make the change, offer "<description> · Undo"."""
        return UndoPoint(description, undo_store.take(self.db(), memo_ids))

    def undo(self, point: UndoPoint) -> None:
        """Put back what `point` holds: a move, merge, rename, nesting, title or passage edit, or a delete, undone
        exactly; what happened to other memos since (an import) is kept."""
        undo_store.restore(self.db(), point.snapshot)

    # -- the trash -----------------------------------------------------------------------------------

    def delete(self, memo_ids: Iterable[int]) -> list[int]:
        """Put memos in the trash: they leave every list, search, theme and export at once; their audio stays
        until the trash is emptied or TRASH_DAYS pass. Returns the ids put there."""
        memo_ids = list(dict.fromkeys(memo_ids))
        for memo_id in memo_ids:
            self.memo(memo_id)
        trash.move_to_trash(self.db(), memo_ids)
        return memo_ids

    def trash(self) -> list[store.Memo]:
        """The memos in the trash, most recently deleted first."""
        return trash.trashed(self.db())

    def restore(self, memo_id: int) -> store.Memo:
        """Take a memo out of the trash; it is embedded and placed into a theme again."""
        memo = store.get_memo(self.db(), memo_id)
        if memo is None:
            raise NotFound(f"no memo {memo_id}")
        if memo.deleted_at is None:
            raise Refused(f"memo {memo_id} is not in the trash")
        trash.restore(self.db(), memo_id)
        if memo.status == store.DONE:
            try:
                self.organizer().organize_new()
            except Exception:  # restored all the same; the next import or rebuild places it
                log.exception("placing restored memo %s", memo_id)
        return self.memo(memo_id)

    def empty_trash(self, *, older_than_days: float | None = None) -> int:
        """Delete for good the memos in the trash (only those there longer than `older_than_days`, if
        given), with their audio. Returns how many."""
        cutoff = None
        if older_than_days is not None:
            cutoff = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=older_than_days)
        removed = trash.empty(self.db(), before=cutoff)
        for relative in removed:
            (self.data_dir / relative).unlink(missing_ok=True)
        return len(removed)

    def forget_old_trash(self) -> int:
        """What the trash promises: memos deleted over TRASH_DAYS ago go for good (run at import and launch)."""
        if self.read_only:
            return 0
        return self.empty_trash(older_than_days=TRASH_DAYS)

    # -- split recordings --------------------------------------------------------------------------

    def join_suggestions(self) -> list[list[store.Memo]]:
        """Memos that look like one recording a recorder split into consecutive files (one folder, each
        ending within app.joining.CONTIGUOUS_SECONDS of the next one's start), in time order, >= 2 a group."""
        from app.joining import suggest_joins

        memos = {memo.id: memo for memo in self.memos()}
        return [[memos[memo_id] for memo_id in group] for group in suggest_joins(memos.values())]

    def join(self, memo_ids: Iterable[int], settings=None, *, transcriber=None, shared_models: bool = False,
             on_event: Callable | None = None) -> store.Memo:
        """Join memos (>= 2, not in the trash; taken in recorded order) into one new memo that plays and is
        transcribed as one recording, dated at the first one's time (app.joining.join_memos). The originals go
        to the trash, their audio kept there until it is emptied or TRASH_DAYS pass; a failure leaves them as
        they were. `transcriber`: a loaded Whisper model to use; `shared_models`: this library's (the window)."""
        from app.joining import join_memos, validate
        from audio.transcribe import TranscriptionSettings

        if self.read_only:
            raise Refused("the library is open read-only: memos can't be joined")
        memos = validate(self.memo, memo_ids)
        settings = settings or TranscriptionSettings()
        load = (lambda: self.transcriber(settings)) if shared_models else None
        joined_id = join_memos(self.data_dir, self.db(), memos, settings, transcriber=transcriber,
                               load_transcriber=load, embedder=self.embedder if shared_models else None,
                               on_event=on_event)
        return self.memo(joined_id)

    # -- import and export ---------------------------------------------------------------------------

    def import_recordings(self, paths: Iterable[Path], settings, *, on_event: Callable | None = None,
                          cancel: threading.Event | None = None, shared_models: bool = False,
                          recover_inbox: bool = True) -> ImportSummary:
        """Import recordings (files and folders), with any a crash left in the inbox (`recover_inbox`; the
        window's recording controller recovers those on its own thread instead), then transcribe and
        organize everything pending. `cancel`: set it to stop between two files (what is copied stays
        queued for the next import). `shared_models`: use this library's loaded Whisper model and embedder
        (the window) instead of loading them for this import alone."""
        from app.capture import leave_inbox, repair_unfinished
        from app.importer import Importer
        from app.inbox import JUST_CREATED_SECONDS, unfinished_recordings
        from audio.models import resolve_model

        resolve_model(settings.model, allow_download=settings.allow_download)  # a wrong model fails first
        if recover_inbox and any(r.in_use for r in unfinished_recordings(self.data_dir)):
            # Written to this very second: a recorder that just stopped (or one just starting, which holds the
            # file's lock by then). Wait out that moment rather than leave a finished recording for later.
            time.sleep(JUST_CREATED_SECONDS)
        unfinished = repair_unfinished(self.data_dir) if recover_inbox else []
        waiting = [r.path for r in unfinished_recordings(self.data_dir) if r.in_use] if recover_inbox else []
        load = (lambda: self.transcriber(settings)) if shared_models else None
        embedder = self.embedder if shared_models else None
        with Importer(self.data_dir, settings, on_event=on_event, embedder=embedder, load_transcriber=load,
                      cancel=cancel) as importer:
            report = importer.run([*unfinished, *paths])
            leave_inbox(importer.db, unfinished)
        try:
            self.forget_old_trash()
        except Exception:
            log.exception("emptying the trash of memos deleted over %d days ago", TRASH_DAYS)
        return ImportSummary(report, cancelled=bool(cancel and cancel.is_set()), still_recording=waiting)

    def export(self, folder: Path):
        """Write (or update) the Markdown vault in `folder`; returns app.export.ExportResult."""
        from app.exporting import export_library

        # the to-dos read again where transcripts changed (a library that can't be written: as last read), and
        # this week's digest, written as "Digest 2026-W49" (earlier weeks' stay); the memos split into their ideas
        # where a transcript or the user's splits changed
        self._refresh_ideas(None)
        return export_library(self.db(), self.data_dir, Path(folder), digest=self.digest())

    # -- watched folders ---------------------------------------------------------------------------

    def watched_folders(self) -> list:
        """The folders whose new recordings are imported by themselves (storage.intake.WatchedFolder)."""
        from storage import intake

        return intake.list_folders(self.db())

    def add_watched_folder(self, folder: Path, *, recursive: bool = True):
        """Watch `folder` (with its subfolders unless not `recursive`); adding it again changes only
        `recursive`. NotFound for a folder that isn't there, Refused for a file or the data folder."""
        from storage import intake

        given = Path(folder).expanduser()
        path = given.resolve()
        data_dir = self.data_dir.resolve()
        if path == data_dir or data_dir in path.parents:
            raise Refused(f"{given} is Musings' own data folder{'' if path == data_dir else ' (or inside it)'}: "
                          "watch the folder your recordings arrive in")
        if not path.exists():
            raise NotFound(f"no folder {given}")
        if not path.is_dir():
            raise Refused(f"{given} is a file, not a folder: watch the folder it is in")
        return intake.add_folder(self.db(), str(path), recursive)

    def remove_watched_folder(self, folder: Path):
        """Stop watching `folder` (its memos stay). NotFound if it is not watched."""
        from storage import intake

        given = Path(folder).expanduser()
        for candidate in dict.fromkeys([str(given.resolve()), str(given.absolute())]):
            if intake.remove_folder(self.db(), candidate):
                return candidate
        raise NotFound(f"{given} is not a watched folder (see `musings watch list`)")

    def watched_status(self) -> list[WatchedFolderStatus]:
        """Each watched folder with its last activity, its files waiting to settle and those refused."""
        import os

        from storage import intake

        db = self.db()
        waiting: dict[str, list[str]] = {}
        for seen in intake.seen_files(db).values():
            if seen.outcome == intake.WAITING:
                waiting.setdefault(seen.folder, []).append(seen.path)
        result = []
        for folder in intake.list_folders(db):
            problem = folder.last_error
            if not os.path.isdir(folder.path):
                problem = "the folder is missing (unmounted or removed?)"
            result.append(WatchedFolderStatus(folder.path, folder.recursive, folder.last_activity, problem,
                                              sorted(waiting.get(folder.path, [])),
                                              intake.problems_under(db, folder.path)))
        return result

    def folder_watcher(self, settings, **options):
        """An app.intake.FolderWatcher for this library (not started: call `start()`)."""
        from app.intake import FolderWatcher

        return FolderWatcher(self, settings, **options)

    # -- recorders on USB --------------------------------------------------------------------------

    def volumes(self, roots: Iterable[Path] | None = None) -> list:
        """The removable volumes mounted now (app.volumes.VolumeStatus): recorder or not and why, identity,
        how many recordings and how many not imported yet. `roots`: where to look (default: /media,
        /run/media/<user>, $MUSINGS_VOLUME_ROOTS)."""
        from app.volumes import volume_statuses

        return volume_statuses(self.db(), roots)

    def volume(self, path: Path):
        """The volume (app.volumes.Volume) mounted at `path`, or the folder `path` taken as one."""
        from app.volumes import volume_at

        return volume_at(Path(path))

    def recognise_volume(self, volume):
        """The app.volumes.Recorder on `volume` (its layout, or marked by the user), or None. Thread-safe
        (this thread's connection): what a VolumeMonitor on its own thread calls."""
        from app.volumes import recognise_in

        return recognise_in(self.db(), volume)

    def mark_volume(self, path: Path, marked: bool = True):
        """Remember the volume at `path` as a recorder whatever its layout (or forget that: not `marked`);
        returns its Recorder (None once unmarked and not a recorder by its layout)."""
        from app.volumes import mark

        return mark(self.db(), self.volume(path), marked)

    def import_from_volume(self, volume, settings, *, clear_after: bool = False, on_event: Callable | None = None,
                           on_progress: Callable | None = None, cancel: threading.Event | None = None,
                           shared_models: bool = False):
        """Import the new recordings of the recorder on `volume` (an app.volumes.Volume or a path); returns
        app.volumes.VolumeImport. `clear_after`: delete from the device the recordings verified by hash in the
        library, nothing else. Refused if it is not a recorder."""
        from app.volumes import Volume, import_from_volume

        if not isinstance(volume, Volume):
            volume = self.volume(volume)
        return import_from_volume(self, volume, settings, clear_after=clear_after, on_event=on_event,
                                  on_progress=on_progress, cancel=cancel, shared_models=shared_models)

    def volume_monitor(self, on_recorder: Callable, **options):
        """An app.volumes.VolumeMonitor recognising with this library's memory (not started: call `start()`)."""
        from app.volumes import VolumeMonitor

        return VolumeMonitor(on_recorder, recognise=self.recognise_volume, **options)

    # -- helpers -------------------------------------------------------------------------------------

    @staticmethod
    def _theme_name(name: str) -> str:
        name = " ".join((name or "").split())
        if not name:
            raise Refused("a theme's name can't be empty")
        return name

    def _label(self, theme_id: int) -> str:
        theme = org.get_theme(self.db(), theme_id)
        return f"theme {theme_id}" + (f" ({' '.join(theme.name.split())})" if theme else "")

