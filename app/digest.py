"""The digest (issue 16): what a week or a month of memos held, Qt-free (Musings.digest builds it, the CLI prints
it, the export writes it as "Digest 2026-W49.md").

Sections: the new ideas by broad theme; the ideas said again (a memo of the period in a chain across days,
Musings.recurrence); the themes that grew (more memos than in the period before) and those that went quiet (memos
in the three periods before, none now); the open to-dos; one older kept idea brought back (a starred memo from
before the period, a different one each period).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from app.display import local_day

QUIET_PERIODS = 3  # a theme with memos in these periods before and none now went quiet


@dataclass
class Period:
    kind: str  # "week" or "month"
    start: dt.date  # first day
    end: dt.date  # the day after the last

    @property
    def last(self) -> dt.date:
        """Its last day."""
        return self.end - dt.timedelta(days=1)

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        return f"{self.start:%Y-%m}"

    def before(self) -> "Period":
        if self.kind == "week":
            return Period("week", self.start - dt.timedelta(days=7), self.start)
        first = (self.start - dt.timedelta(days=1)).replace(day=1)
        return Period("month", first, self.start)

    def holds(self, day: dt.date | None) -> bool:
        return day is not None and self.start <= day < self.end


def period_of(day: dt.date, kind: str = "week") -> Period:
    """The ISO week (Monday to Sunday) or the calendar month holding `day`."""
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period("week", start, start + dt.timedelta(days=7))
    start = day.replace(day=1)
    following = (start + dt.timedelta(days=32)).replace(day=1)
    return Period("month", start, following)


@dataclass
class Digest:
    period: Period
    new_by_theme: list[tuple[str, list]] = field(default_factory=list)  # (broad theme name or "Unsorted", memos)
    recurring: list[list] = field(default_factory=list)  # each: one idea's memos, oldest first
    grew: list[tuple[str, int, int]] = field(default_factory=list)  # (theme, memos now, memos the period before)
    quiet: list[str] = field(default_factory=list)
    todos: list = field(default_factory=list)  # storage.todos.StoredTodo, open
    brought_back: object | None = None  # a kept memo from before

    @property
    def new_count(self) -> int:
        return sum(len(memos) for _, memos in self.new_by_theme)


def build_digest(period: Period, memos: list, broad_name: dict[int | None, str], recurrence, todos: list) -> Digest:
    """`memos`: the library's (not trashed), newest first; `broad_name`: a memo's theme id -> its broad theme's name
    (None -> "Unsorted"); `recurrence(memo_id)`: that memo's chain; `todos`: the open ones."""
    days = {memo.id: local_day(memo.recorded_at) for memo in memos}
    digest = Digest(period, todos=list(todos))
    now = [memo for memo in memos if period.holds(days[memo.id])]
    groups: dict[str, list] = {}
    for memo in now:
        groups.setdefault(broad_name.get(memo.theme_id, "Unsorted"), []).append(memo)
    digest.new_by_theme = sorted(groups.items(), key=lambda item: (item[0] == "Unsorted", -len(item[1]), item[0]))
    seen: set[int] = set()
    for memo in now:
        if memo.id in seen:
            continue
        chain = recurrence(memo.id)
        if chain:
            seen.update(m.id for m in chain)
            digest.recurring.append(chain)
    counts = _counts(memos, days, broad_name, period)
    earlier, periods = period.before(), []
    for _ in range(QUIET_PERIODS):
        periods.append(_counts(memos, days, broad_name, earlier))
        earlier = earlier.before()
    digest.grew = sorted(((name, n, periods[0].get(name, 0)) for name, n in counts.items()
                          if name != "Unsorted" and n > periods[0].get(name, 0) and n >= 2),
                         key=lambda item: (-(item[1] - item[2]), item[0]))
    digest.quiet = sorted(name for name in set().union(*periods) - set(counts)
                          if name != "Unsorted" and all(name in p for p in periods))
    kept = [memo for memo in memos if memo.review_state == "kept" and days[memo.id] is not None
            and days[memo.id] < period.start]
    if kept:  # a different one each period, the same one all through it
        digest.brought_back = sorted(kept, key=lambda m: m.id)[period.start.toordinal() // 7 % len(kept)]
    return digest


def _counts(memos: list, days: dict, broad_name: dict, period: Period) -> dict[str, int]:
    counts: dict[str, int] = {}
    for memo in memos:
        if period.holds(days[memo.id]):
            name = broad_name.get(memo.theme_id, "Unsorted")
            counts[name] = counts.get(name, 0) + 1
    return counts
