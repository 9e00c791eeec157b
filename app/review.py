"""Coming back to ideas: the review queue (app.core.Musings.review_queue), Qt-free.

The queue holds the memos still "new": grouped by theme, the theme with the newest memo first and, inside a
theme, the ideas said on several days first, then newest first (Unsorted last), so that one sitting goes through
one interest at a time.
"""
from __future__ import annotations

from dataclasses import dataclass

from storage.memos import Memo


@dataclass
class ReviewItem:
    memo: Memo
    theme_path: list[str]  # names from the top; [] = Unsorted


def review_order(memos: list[Memo], theme_of: dict[int | None, int | None],
                 recurring: set[int] = frozenset()) -> list[Memo]:
    """`memos` newest first; `theme_of`: a memo's theme id -> the group it is reviewed in (its broad theme);
    `recurring`: memos of an idea said on several days, which come first in their group (coming back to an
    idea is a sign it matters)."""
    groups: dict[int | None, list[Memo]] = {}  # in the order of their newest memo (dicts keep insertion order)
    for memo in memos:  # newest first, so a group's first memo is its newest
        groups.setdefault(theme_of.get(memo.theme_id, memo.theme_id), []).append(memo)
    order = sorted(groups, key=lambda key: key is None)  # stable: Unsorted last, the rest as they came
    return [memo for key in order for memo in sorted(groups[key], key=lambda m: m.id not in recurring)]
