"""What undoing a change takes: the state a change may alter, read before it, and written back after.

A snapshot holds every theme (its whole row), where every memo is (theme, pinned) and every idea of a split memo,
and, for the memos the change is about, their title, review state, whether they were in the trash, each passage's
wording and the user's splits and joins of their ideas. Writing it back
restores exactly that: themes a merge removed come back with their ids, names and parents, memos return to their
places, titles, states and wordings to what they were.
Whatever the snapshot does not hold — a memo imported since — is left as it is. Reading it at 20,000 memos is one
query of three small columns; writing it back touches only the rows that differ.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import sqlite_utils

from storage import memos as store
from storage.themes import SPLIT_IDEAS, write_transaction


MEMO_FIELDS = ("title", "title_edited", "deleted_at", "trashed_theme_id", "trashed_theme_pinned", "review_state",
               "review_changed_at")


@dataclass
class Snapshot:
    themes: dict[int, dict]  # id -> the theme's row
    places: dict[int, tuple[int | None, int]]  # memo id -> (theme id, pinned)
    fields: dict[int, dict] = field(default_factory=dict)  # memo id -> its MEMO_FIELDS
    wordings: dict[tuple[int, int], str | None] = field(default_factory=dict)  # (memo, position) -> edited_text
    idea_places: dict[int, int | None] = field(default_factory=dict)  # idea id -> theme (memos of several ideas)
    idea_edits: dict[int, list[tuple]] = field(default_factory=dict)  # memo id -> its splits and joins (id, kind, at)


def take(db: sqlite_utils.Database, memo_ids=()) -> Snapshot:
    memo_ids = list(memo_ids)
    themes = {row["id"]: row for row in db.query("SELECT * FROM themes")}
    places = {memo_id: (theme_id, pinned) for memo_id, theme_id, pinned in
              db.execute("SELECT id, theme_id, theme_pinned FROM memos")}
    fields, wordings = {}, {}
    if memo_ids:
        marks = ",".join("?" * len(memo_ids))
        fields = {row[0]: dict(zip(MEMO_FIELDS, row[1:])) for row in
                  db.execute(f"SELECT id, {', '.join(MEMO_FIELDS)} FROM memos WHERE id IN ({marks})", memo_ids)}
        wordings = {(memo_id, position): text for memo_id, position, text in
                    db.execute(f"SELECT memo_id, position, edited_text FROM segments WHERE memo_id IN ({marks})",
                               memo_ids)}
    idea_places, idea_edits = {}, {}
    if "ideas" in db.table_names():
        idea_places = dict(db.execute(f"SELECT id, theme_id FROM ideas WHERE {SPLIT_IDEAS}").fetchall())
        if memo_ids:
            idea_edits = {memo_id: [] for memo_id in fields}
            for row in db.execute(f"SELECT memo_id, id, kind, at FROM idea_edits WHERE memo_id IN ({marks}) ORDER BY id",
                                  memo_ids):
                idea_edits.setdefault(row[0], []).append(tuple(row[1:]))
    return Snapshot(themes, places, fields, wordings, idea_places, idea_edits)


def restore(db: sqlite_utils.Database, snapshot: Snapshot) -> None:
    """Write the snapshot back, in one transaction."""
    with write_transaction(db):
        now = {row["id"]: row for row in db.query("SELECT * FROM themes")}
        # Themes first (a memo may only name a theme that exists), without their parents, then the parents.
        for theme_id, row in snapshot.themes.items():
            if theme_id not in now:
                db["themes"].insert({**row, "parent_id": None})
        for theme_id, row in snapshot.themes.items():
            if now.get(theme_id) != row:
                db["themes"].update(theme_id, row)
        current = {memo_id: (theme_id, pinned) for memo_id, theme_id, pinned in
                   db.execute("SELECT id, theme_id, theme_pinned FROM memos")}
        for memo_id, place in snapshot.places.items():
            if memo_id in current and current[memo_id] != place:
                db.execute("UPDATE memos SET theme_id = ?, theme_pinned = ? WHERE id = ?", [*place, memo_id])
        if snapshot.idea_places:  # an idea a merge moved returns (an idea split since is left as it is)
            ideas_now = dict(db.execute("SELECT id, theme_id FROM ideas").fetchall())
            for idea_id, theme_id in snapshot.idea_places.items():
                if idea_id in ideas_now and ideas_now[idea_id] != theme_id:
                    db.execute("UPDATE ideas SET theme_id = ? WHERE id = ?", [theme_id, idea_id])
        for memo_id, edits in snapshot.idea_edits.items():  # the user's splits and joins as they were (the
            now_edits = {row[0]: tuple(row) for row in db.execute(  # ideas are split again when next read)
                "SELECT id, kind, at FROM idea_edits WHERE memo_id = ?", [memo_id])}
            for edit_id in set(now_edits) - {edit[0] for edit in edits}:
                db.execute("DELETE FROM idea_edits WHERE id = ?", [edit_id])
            for edit_id, kind, at in edits:
                if edit_id not in now_edits:
                    db["idea_edits"].insert({"id": edit_id, "memo_id": memo_id, "kind": kind, "at": at})
        for memo_id, values in snapshot.fields.items():  # a memo deleted since comes out of the trash here
            if memo_id in current:  # (one deleted for good since stays gone)
                db["memos"].update(memo_id, values)
        shown = {(memo_id, position): text for memo_id, position, text in db.execute(
            "SELECT memo_id, position, edited_text FROM segments WHERE memo_id IN "
            f"({','.join('?' * len(snapshot.fields))})", list(snapshot.fields))} if snapshot.fields else {}
        for (memo_id, position), text in snapshot.wordings.items():
            if shown.get((memo_id, position), text) != text:
                store.edit_segment(db, memo_id, position, text)
        # Themes made since (a new theme a move created) go when nothing is in them any more.
        for theme_id in set(now) - set(snapshot.themes):
            ideas = f" UNION SELECT 1 FROM ideas WHERE theme_id = {int(theme_id)} AND {SPLIT_IDEAS}" \
                if snapshot.idea_places else ""
            if not db.execute("SELECT 1 FROM memos WHERE theme_id = ? UNION SELECT 1 FROM themes WHERE parent_id = ?"
                              + ideas, [theme_id, theme_id]).fetchone():
                db["themes"].delete(theme_id)
