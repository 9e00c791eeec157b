"""Days said in speech ("tomorrow", "by Friday", "on the fifteenth", "in two days") resolved against the day
a memo was recorded. Text in: lower case, one space between words (organize.todos' compact transcript).

`dateparser` resolves weekdays, month days and "in N days"; the rest are these conventions:
"today", "tonight", "this evening" → the recording day; "tomorrow" → the next day; "(by|on|next) Friday" →
the first Friday after the recording day (said on a Friday: a week later); "on the fifteenth" → the 15th of
this month, or of the next month that has one if it has passed; "December 3rd" → that day this year, else
next year; "next week" → Monday of next week; "this week", "end of the week" → Friday (of next week once
this one's has passed); "this weekend" → the coming Saturday (the day itself on a weekend); "next weekend" →
the Saturday after that; "end of the month" → its last day; "next month" → its first day; a range ("from May
8th to May 25th") → its first day. Not a day: a clock time alone, "about Saturday" (what it is about),
"on the second floor".
"""

from __future__ import annotations

import calendar
import logging
import re
from datetime import date, datetime, timedelta
from functools import lru_cache

log = logging.getLogger(__name__)


# --- words -------------------------------------------------------------------------------------------

_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_UNITS = ("one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
          "seventeen eighteen nineteen").split()
_ORDINAL_UNITS = ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth "
                  "fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth").split()


def _number_words() -> tuple[dict[str, int], dict[str, int]]:
    cardinals = {word: n for n, word in enumerate(_UNITS, 1)} | {"a": 1, "an": 1, "a couple of": 2}
    ordinals = {word: n for n, word in enumerate(_ORDINAL_UNITS, 1)} | {"twentieth": 20, "thirtieth": 30}
    for tens, value in (("twenty", 20), ("thirty", 30)):
        cardinals[tens] = value
        for n in range(1, 10 if tens == "twenty" else 2):
            for joiner in (" ", "-"):
                cardinals[f"{tens}{joiner}{_UNITS[n - 1]}"] = value + n
                ordinals[f"{tens}{joiner}{_ORDINAL_UNITS[n - 1]}"] = value + n
    return cardinals, ordinals


_CARDINALS, _ORDINALS = _number_words()


def _alternatives(words) -> str:
    return "|".join(sorted((re.escape(w) for w in words), key=len, reverse=True))


_WEEKDAY = f"(?:{_alternatives(_WEEKDAYS)})"
_MONTH = f"(?:{_alternatives(_MONTHS)})"
_ORDINAL = rf"(?:{_alternatives(_ORDINALS)}|\d{{1,2}}(?:st|nd|rd|th))"
_DAY_NUMBER = rf"(?:{_ORDINAL}|\d{{1,2}})"
_AMOUNT = rf"(?:{_alternatives(_CARDINALS)}|\d+)"
_PREPOSITIONS = r"(?:(?:on|by|before|until|till|for|due|from|latest by|no later than|sometime|at the latest on)\s+)?"

# Each: (kind, pattern). Searched together; at one position the first alternative that matches wins.
DATE_PATTERNS = (
    ("day_after", r"(?:the\s+)?day after tomorrow"),
    ("amount", rf"in\s+(?:about\s+)?(?P<amount>{_AMOUNT})\s+(?P<unit>days?|weeks?|months?)"),
    ("amount_from_now", rf"(?P<amount2>{_AMOUNT})\s+(?P<unit2>days?|weeks?|months?)\s+from\s+(?:today|now)"),
    ("weekday_day", rf"{_WEEKDAY},?\s+the\s+(?P<wd_day>{_ORDINAL})"),
    ("month_day", rf"(?P<md_month>{_MONTH})\s+(?:the\s+)?(?P<md_day>{_DAY_NUMBER})(?![\w:])"),
    ("day_month", rf"(?:the\s+)?(?P<dm_day>{_ORDINAL})\s+of\s+(?P<dm_month>{_MONTH})"),
    ("next_unit", r"(?:next|the following)\s+(?P<next_unit>week|month|year)"),
    ("weekend", r"(?P<weekend>this coming|this|the|next|over the|on the)\s+weekend"),
    ("end_of", r"(?:the\s+)?end of (?:the\s+|this\s+)?(?P<end_of>week|month|day)|(?P<this_week>this|within the) week"),
    ("tomorrow", r"(?:tomorrow|tomorow|tmrw)(?: (?:morning|afternoon|evening|night))?"),
    ("today", r"tonight|today|this (?:morning|afternoon|evening)|later (?:today|tonight)"),
    ("weekday", rf"(?:(?:this coming|this|next|coming)\s+)?(?P<weekday>{_WEEKDAY})"
                r"(?: (?:morning|afternoon|evening|night))?"),
    ("day_of_month", rf"(?:on|by|before|until|till|for)\s+the\s+(?P<dom>{_ORDINAL})"
                     r"(?:\s+of\s+(?P<dom_next>this|the|next)\s+month)?"),
)
DATE = re.compile(
    rf"(?<![\w'])(?<!about )(?<!talk about )(?<!what about ){_PREPOSITIONS}"
    rf"(?:{'|'.join(f'(?P<k_{kind}>{pattern})' for kind, pattern in DATE_PATTERNS)})"
    r"(?![\w'])")
# After "on the second", a noun means it was no date ("on the second floor").
_AFTER_DAY_OF_MONTH_OK = frozenset(
    "and or so but at in please then because i we to if okay ok of is at latest before after".split())


# --- resolving ---------------------------------------------------------------------------------------

def day_in(text: str, start: int, end: int, today: date) -> tuple[date | None, tuple[int, int] | None]:
    """The first day said between `start` and `end`, and where it was said (with a range's end: "from May 8th
    to May 25th")."""
    for match in DATE.finditer(text, start, end):
        if match.group("k_day_of_month"):
            following = re.match(r"\s*([\w']+)", text[match.end():end])
            if following and following.group(1) not in _AFTER_DAY_OF_MONTH_OK | set(_WEEKDAYS):
                continue  # "on the second floor"
        due = _resolve(match, today)
        if due is None:
            continue
        span_end = match.end()
        to = re.match(r"(?: to| through| until| till| -) ", text[span_end:end])
        if to:
            second = DATE.match(text, span_end + to.end())
            if second:
                span_end = second.end()
        return due, (match.start(), span_end)
    return None, None


def day_just_before(text: str, sentence_start: int, position: int, today: date
                     ) -> tuple[date | None, tuple[int, int] | None]:
    """A day said right before a marker, with only a comma or a connector between ("by Friday, I have to")."""
    window_start = max(sentence_start, position - 60)
    last = None
    for match in DATE.finditer(text, window_start, position):
        last = match
    between = text[last.end():position] if last else ""
    allowed = {"so", "then", "oh", "okay", "ok"} | (set() if "," in between else {"and"})
    if last is None or set(re.findall(r"[\w']+", between)) - allowed:
        return None, None
    due = _resolve(last, today)
    return (due, (last.start(), last.end())) if due else (None, None)


def _day_number(word: str) -> int | None:
    word = re.sub(r"\s+", " ", word.strip())
    if word in _ORDINALS:
        return _ORDINALS[word]
    digits = re.match(r"\d{1,2}", word)
    return int(digits.group()) if digits else None


def _resolve(match: re.Match, today: date) -> date | None:
    kind = next(k for k, _ in DATE_PATTERNS if match.group(f"k_{k}") is not None)
    group = match.group
    if kind == "today":
        return today
    if kind == "tomorrow":
        return today + timedelta(days=1)
    if kind == "day_after":
        return today + timedelta(days=2)
    if kind in ("amount", "amount_from_now"):
        amount = group("amount") or group("amount2")
        unit = group("unit") or group("unit2")
        number = _CARDINALS.get(re.sub(r"\s+", " ", amount), None) if not amount.isdigit() else int(amount)
        return _parsed(f"in {number} {unit if number != 1 else unit.rstrip('s')}", today)
    if kind == "weekday":
        return _parsed(group("weekday"), today)
    if kind == "weekday_day":
        return _day_of_month(_day_number(group("wd_day")), today)
    if kind == "month_day":
        return _on_month_day(group("md_month"), _day_number(group("md_day")), today)
    if kind == "day_month":
        return _on_month_day(group("dm_month"), _day_number(group("dm_day")), today)
    if kind == "day_of_month":
        if group("dom_next") == "next":
            return _day_of_month(_day_number(group("dom")), _first_of_next_month(today))
        return _day_of_month(_day_number(group("dom")), today)
    if kind == "next_unit":
        unit = group("next_unit")
        if unit == "week":
            return today + timedelta(days=7 - today.weekday())
        if unit == "month":
            return _first_of_next_month(today)
        return date(today.year + 1, 1, 1)
    if kind == "weekend":
        saturday = today + timedelta(days=(5 - today.weekday()) % 7) if today.weekday() < 5 else today
        return saturday + timedelta(days=7) if group("weekend") == "next" else saturday
    if kind == "end_of":
        unit = group("end_of") or "week"
        if unit == "day":
            return today
        if unit == "week":
            return today + timedelta(days=(4 - today.weekday()) % 7)
        return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    return None


def _first_of_next_month(today: date) -> date:
    return date(today.year + today.month // 12, today.month % 12 + 1, 1)


def _day_of_month(day: int | None, today: date) -> date | None:
    """Day `day` of this month if it has not passed, else of the next month that has it."""
    if not day or not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        if day <= calendar.monthrange(year, month)[1]:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        year, month = year + month // 12, month % 12 + 1
    return None


def _on_month_day(month_name: str, day: int | None, today: date) -> date | None:
    if not day or not 1 <= day <= 31:
        return None
    month = _MONTHS.index(month_name) + 1
    if day > calendar.monthrange(today.year, month)[1] and not (month == 2 and day == 29):
        return None
    if (today.month, today.day) == (month, day):
        return today  # "on December 4th" said on December 4th: today, not next year
    return _parsed(f"{month_name} {day}", today)


def _parsed(phrase: str, today: date) -> date | None:
    """`phrase` resolved by dateparser, towards the future, from noon of `today`."""
    return _parse(phrase, today.isoformat())


@lru_cache(maxsize=4096)
def _parse(phrase: str, today_iso: str) -> date | None:
    import dateparser  # ~0.05 s to import and 0.08 s to load English on first use: only when a day was said

    base = datetime.fromisoformat(today_iso).replace(hour=12)
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "RETURN_AS_TIMEZONE_AWARE": False,
                "PREFER_DAY_OF_MONTH": "first", "REQUIRE_PARTS": []}
    parsed = dateparser.parse(phrase, languages=["en"], settings=settings)
    if parsed is None:
        log.debug("no date in %r", phrase)
        return None
    return parsed.date()


def day_end(text: str, action_end: int) -> int:
    """`action_end`, or the end of a day said right there."""
    following = DATE.match(text, action_end + 1) if text[action_end:action_end + 1] == " " else None
    return following.end() if following else action_end
