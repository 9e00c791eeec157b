"""Memo-like labelled sets for spoken to-dos, built from public intent sets and sentences written here.

Sources
- clinc150 (test, 4,500 utterances, CC BY 3.0) and hwu64 (KFold_1 test, 1,076, CC BY 4.0), in
  ../shared/data/topics (tests/data/topics for the hwu64/clinc150 5-per-intent copies does not have enough).
- `todo_labels.tsv`: every utterance of the to-do-like intents (reminder, reminder_update, todo_list,
  todo_list_update, shopping_list(_update), calendar(_update), meeting_schedule, alarm; hwu64 calendar_*,
  lists_*, alarm_set) and every other utterance saying remind/forget/remember/note/to do/need to/have to/must/
  should/make sure, labelled one by one (811 utterances). All other utterances are labelled "not": they
  carry no intention marker.
- `todo_written.tsv`: 81 spoken to-dos and 150 idea sentences that say need/should/have to/must/remember/
  forget/note/to do without being to-dos, written for this benchmark before the detector was; and 40 to-dos
  and 80 idea sentences written after the first round of tuning, when the development part no longer showed
  errors (`part` = development: they never go to the held-out part).
- Due-date memos: to-do templates with a spoken day and a recording time, the expected day computed here.

Labelling rule. An utterance is a to-do when, said into one's own recorder, it states a concrete action of the
speaker's to be done later, with an intention marker:
 1. it asks to be reminded of, or not to forget, a named action or event ("remind me to put gas in my car",
    "set a reminder for me to let the plumber in tomorrow", "can you remind me about my meeting tomorrow");
 2. it puts a named item on a to-do or chores list ("add mopping to the to do list");
 3. the speaker says (first person singular) they need/have/must/should/gotta do a concrete action, one that
    can be done and ticked off ("i need to call my dad", "i have to cancel my reservation after all", "must call
    my bank about my travel plans"), or to make sure to do one ("make sure to put eggs on the grocery list").
Not a to-do: questions ("when should i change my oil", "what's on my todo list"), reading, removing or
clearing lists and calendars, requests for information ("i need to know my credit score"), requests
without an action ("please set up a reminder for me", "i would like you to remind me to do something"),
bare commands with no marker ("pay my cable bill", "set an alarm for 6 am"), statements about others or
things ("my electric bill should be paid today" is unclear, "the table should be reserved at 8pm" is not).
Unclear, left out of every set (54): bare shopping-list additions ("put milk on my shopping list"), device
actions stated as needs ("i need to start a timer"), information-seeking actions ("i need to find my
credit score", "i need to track my order"), contentless or vague ones ("i need to make a call").

Memos (seeded): each positive utterance is used once, embedded among 1-6 non-to-do utterances (clinc150 and
hwu64 "not" utterances, a third of them ones that say need/should/have to…, and the idea sentences) to
20-80 words; negative memos are the same mixture without a to-do; every memo is written in one of three
Whisper-like styles (capitalised sentences with full stops; lower case without punctuation joined by
"and"/"so"; lower case with commas), with "uh"/"um"/"you know" dropped in. Every source sentence goes to one
part only: `development` (the detector was tuned on it) or `held_out` (seen only for the report).
A third part, `fresh_banking77`, is banking77's test set (CC BY 4.0) labelled by the same rule after the
detector was frozen: the clinc/hwu pool was labelled whole before it was split, so its author knew the
held-out sentences; banking77's were read for the first time when labelling them, and never tuned on.
"""
from __future__ import annotations

import csv
import calendar
import json
import random
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
TOPICS = HERE.parent.parent / "shared" / "data" / "topics"
MIN_WORDS, MAX_WORDS = 20, 80
PARTS = ("development", "held_out", "fresh_banking77")


@dataclass
class GoldTodo:
    start: int
    end: int
    action: str
    due: date | None = None
    due_known: bool = False  # the expected due day (or that none was said) is known


@dataclass
class Memo:
    text: str
    recorded_at: datetime
    todos: list[GoldTodo] = field(default_factory=list)
    kind: str = ""  # "clinc", "written", "dated", "negative"


# --- what the memos are made of -----------------------------------------------------------------------

def _tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


_MARKER_WORDS = re.compile(r"\b(need|needs|have to|has to|must|should|remind|reminder|forget|remember|to do|todo|"
                           r"make sure|note)\b")
_DATE_WORDS = re.compile(r"\b(today|tonight|tomorrow|weekend|week|month|monday|tuesday|wednesday|thursday|friday|"
                         r"saturday|sunday|january|february|march|april|may|june|july|august|september|october|"
                         r"november|december|\d)\b")


def sources(topics: Path = TOPICS) -> dict[str, list]:
    """The labelled sentences: to-dos (text, action, said date?), negatives (text, says a marker word?)."""
    labelled = {row["text"]: row for row in _tsv(HERE / "todo_labels.tsv")}
    utterances = [r["text"].strip() for r in _jsonl(topics / "clinc150" / "clinc150_test.jsonl")]
    utterances += [r["text"].strip() for r in _jsonl(topics / "hwu64" / "hwu64_kfold1_test.jsonl")]
    todos, negatives = [], []
    for text in dict.fromkeys(utterances):
        label = labelled.get(text, {"label": "not"})["label"]
        if label == "todo":
            todos.append(("clinc", text, labelled[text]["action"]))
        elif label == "not":
            negatives.append(("public", text))
    written = _tsv(HERE / "todo_written.tsv")
    extra: dict[str, list] = {"todos": [], "negatives": []}  # written later, for development only
    for row in written:
        item = ("written", row["text"], row["action"]) if row["kind"] == "todo" else ("idea", row["text"])
        (extra if row["part"] == "development" else {"todos": todos, "negatives": negatives})[
            "todos" if row["kind"] == "todo" else "negatives"].append(item)
    return {"todos": todos, "negatives": negatives, "development_todos": extra["todos"],
            "development_negatives": extra["negatives"]}


# Errands for the due-date memos (none says a day), the frames that carry them, and the days said.
DATED_ACTIONS = """
call the dentist to move the appointment | pick up the parcel from the post office | send the rent to the landlord |
buy a present for lucy | book the car in for its service | renew my library card | pay the council tax |
email the photos to grandma | return the blue jacket to the shop | bring the chairs back to the hall |
order more printer ink | ring the school about the trip | water the plants at the studio |
collect the keys from the agent | fill in the insurance claim | print the concert tickets |
check the tyre pressure | clean the barbecue | cancel the magazine subscription | text marco the new address |
take the cat to the vet | buy flowers for the neighbours | reply to the council letter | post the signed contract |
top up the travel card | defrost the freezer | get the passport photos done | change the bed sheets |
sort the recycling | book a haircut | pay back sophie for the tickets | send the minutes to the committee |
buy batteries for the smoke alarm | call the bank about the overdraft | confirm the table for saturday's dinner |
pick up the suit from the tailor | drop the books at the charity shop | mow the front lawn | fix the bike light |
renew the parking permit | buy a birthday card for dad | charge the power bank | wash the car |
send the invoice to the client | ask the landlord about the boiler | buy cat food | cancel the dentist |
""".replace("\n", " ").split("|")
DATED_ACTIONS = [a.strip() for a in DATED_ACTIONS if a.strip()]

FRAMES = (
    "remind me to {a} {d}", "{d} i need to {a}", "i have to {a} {d}", "don't forget to {a} {d}",
    "note to self, {a} {d}", "i need to {a} {d}", "make sure to {a} {d}", "i must {a} {d}", "remind me {d} to {a}",
    "to do: {a} {d}", "i should {a} {d}", "i've got to {a} {d}", "{d}, i have to {a}", "i gotta {a} {d}",
    "oh and i need to {a} {d}", "i really need to {a} {d}", "and i have to remember to {a} {d}",
)

# (what is said, how the expected day follows from the recording day)
DAYS_SAID = (
    ("tomorrow", ("offset", 1)), ("tomorrow morning", ("offset", 1)), ("tomorrow night", ("offset", 1)),
    ("tonight", ("offset", 0)), ("today", ("offset", 0)), ("this evening", ("offset", 0)),
    ("later today", ("offset", 0)), ("the day after tomorrow", ("offset", 2)), ("in two days", ("offset", 2)),
    ("in 2 days", ("offset", 2)), ("in three days", ("offset", 3)), ("in a week", ("offset", 7)),
    ("in two weeks", ("offset", 14)), ("in a couple of days", ("offset", 2)),
    ("by friday", ("weekday", 4)), ("on friday", ("weekday", 4)), ("friday", ("weekday", 4)),
    ("by monday", ("weekday", 0)), ("on monday", ("weekday", 0)), ("on tuesday", ("weekday", 1)),
    ("by wednesday", ("weekday", 2)), ("on thursday", ("weekday", 3)), ("on saturday", ("weekday", 5)),
    ("on sunday", ("weekday", 6)), ("this friday", ("weekday", 4)), ("before thursday", ("weekday", 3)),
    ("on the fifteenth", ("day", 15)), ("on the 15th", ("day", 15)), ("by the 3rd", ("day", 3)),
    ("on the twenty first", ("day", 21)), ("on the 21st", ("day", 21)), ("by the first", ("day", 1)),
    ("on the tenth", ("day", 10)), ("on the 28th", ("day", 28)), ("on the thirtieth", ("day", 30)),
    ("next week", ("next_monday", None)), ("by next week", ("next_monday", None)),
    ("this weekend", ("weekend", None)), ("on the weekend", ("weekend", None)),
    ("by the end of the week", ("end_of_week", None)), ("by the end of the month", ("end_of_month", None)),
    ("next month", ("next_month", None)),
    ("on december 3rd", ("month_day", (12, 3))), ("on march 10", ("month_day", (3, 10))),
    ("by january the 5th", ("month_day", (1, 5))), ("on the 5th of may", ("month_day", (5, 5))),
    ("on june 21st", ("month_day", (6, 21))), ("on november 30th", ("month_day", (11, 30))),
)


def expected_day(rule: tuple, today: date) -> date:
    """The day the benchmark expects for a spoken day (the conventions in organize/todos.py's docstring)."""
    kind, arg = rule
    if kind == "offset":
        return today + timedelta(days=arg)
    if kind == "weekday":  # the first such weekday after the recording day
        return today + timedelta(days=(arg - today.weekday() - 1) % 7 + 1)
    if kind == "day":  # this month's, else the next month that has that day
        year, month = today.year, today.month
        while True:
            if arg <= calendar.monthrange(year, month)[1] and date(year, month, arg) >= today:
                return date(year, month, arg)
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    if kind == "next_monday":
        return today + timedelta(days=7 - today.weekday())
    if kind == "weekend":
        return today if today.weekday() >= 5 else today + timedelta(days=5 - today.weekday())
    if kind == "end_of_week":
        return today + timedelta(days=(4 - today.weekday()) % 7)
    if kind == "end_of_month":
        return date(today.year, today.month, calendar.monthrange(today.year, today.month)[1])
    if kind == "next_month":
        return date(today.year + (today.month == 12), today.month % 12 + 1, 1)
    if kind == "month_day":
        month, day = arg
        this_year = date(today.year, month, day)
        return this_year if this_year >= today else date(today.year + 1, month, day)
    raise ValueError(kind)


# --- making memos -------------------------------------------------------------------------------------

FILLERS = ("uh", "um", "uh", "um", "you know", "like")


class _Writer:
    """Joins utterances into one memo in one spoken style, keeping where each one landed."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.style = rng.choice(("whisper", "run_on", "commas"))
        self.text = ""

    def _styled(self, utterance: str, first: bool) -> str:
        words = utterance.split()
        rng = self.rng
        out = []
        for i, word in enumerate(words):
            out.append(word)
            if i < len(words) - 1 and rng.random() < 0.06:
                filler = rng.choice(FILLERS)
                out.append(f"{filler}," if self.style != "run_on" and rng.random() < 0.5 else filler)
        text = " ".join(out)
        if self.style == "whisper":
            text = text[:1].upper() + text[1:]
            text = re.sub(r"\bi\b", "I", text)
            text = re.sub(r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|"
                          r"april|june|july|august|september|october|november|december)\b",
                          lambda m: m.group().capitalize(), text)
            text = text.rstrip(".?!") + ("?" if utterance.split()[0] in ("what", "when", "how", "is", "do", "can")
                                         else ".")
        return text

    def add(self, utterance: str) -> tuple[int, int]:
        rng = self.rng
        first = not self.text
        styled = self._styled(utterance, first)
        if not first:
            if self.style == "whisper":
                joint = " " if rng.random() < 0.8 else " Um, "
            elif self.style == "run_on":
                joint = rng.choice((" ", " ", " and ", " so ", " um ", " uh and "))
            else:
                joint = rng.choice((", ", ", ", ", and ", ", so, ", ", um, "))
            self.text += joint
            if joint.endswith(", ") and self.style == "whisper":
                styled = styled[:1].lower() + styled[1:]
        start = len(self.text)
        self.text += styled
        end = len(self.text) - (1 if self.style == "whisper" else 0)
        return start, end


def _recording_time(rng: random.Random) -> datetime:
    day = date(2026, 1, 1) + timedelta(days=rng.randrange(730))
    return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(60))


def _memo(rng: random.Random, todos: list[tuple[str, str, GoldTodo | None]], negatives: list[tuple[str, str]],
          kind: str) -> Memo:
    """`todos`: (utterance, action, gold with its due) placed among negatives drawn from `negatives`."""
    target = rng.randint(MIN_WORDS, MAX_WORDS)
    words = sum(len(t.split()) for t, _, _ in todos)
    chosen: list[tuple[str, object]] = [(t, (a, g)) for t, a, g in todos]
    markered = [n for n in negatives if n[0] == "idea" or _MARKER_WORDS.search(n[1])]
    while words < target:
        source = markered if rng.random() < 0.5 else negatives
        text = rng.choice(source)[1]
        if words + len(text.split()) > MAX_WORDS:
            if words >= MIN_WORDS:
                break
            continue
        chosen.append((text, None))
        words += len(text.split())
    rng.shuffle(chosen)
    for _ in range(20):  # fillers and joints add words: drop a negative until the memo fits
        memo = _written(rng, chosen, kind)
        if len(memo.text.split()) <= MAX_WORDS or len(chosen) == len(todos):
            return memo
        chosen.remove(next(c for c in reversed(chosen) if c[1] is None))
    return memo


def _written(rng: random.Random, chosen: list[tuple[str, object]], kind: str) -> Memo:
    writer = _Writer(rng)
    memo = Memo("", _recording_time(rng), kind=kind)
    for text, gold in chosen:
        start, end = writer.add(text)
        if gold is not None:
            action, template = gold
            due = expected_day(template.due, memo.recorded_at.date()) if template and template.due else None
            memo.todos.append(GoldTodo(start, end, action, due, due_known=template is not None))
    memo.text = writer.text
    return memo


def _banking77(topics: Path) -> tuple[list, list]:
    """banking77's test utterances, labelled after the detector was frozen (todo_labels_banking77.tsv: every
    utterance that says need to/have to/must/should/remember/forget/make sure/note; the rest are "not")."""
    labelled = {row["text"]: row for row in _tsv(HERE / "todo_labels_banking77.tsv")}
    with open(topics / "banking77" / "test.csv", encoding="utf-8", newline="") as handle:
        texts = [row["text"].strip().replace("\n", " ") for row in csv.DictReader(handle)]
    todos, negatives = [], []
    for text in dict.fromkeys(texts):
        label = labelled.get(text, {"label": "not"})["label"]
        if label == "todo":
            todos.append(("banking77", text, labelled[text]["action"]))
        elif label == "not":
            negatives.append(("public", text))
    return todos, negatives


def _split(items: list, seed: str) -> dict[str, list]:
    items = sorted(items)
    random.Random(seed).shuffle(items)
    half = len(items) // 2
    return {"development": items[:half], "held_out": items[half:]}


def memo_sets(topics: Path = TOPICS, seed: int = 0) -> dict[str, list[Memo]]:
    """The development and held-out memo sets."""
    found = sources(topics)
    todos = _split(found["todos"], f"todos-{seed}")
    negatives = _split(found["negatives"], f"negatives-{seed}")
    todos["development"] += found["development_todos"]
    negatives["development"] += found["development_negatives"]
    todos["fresh_banking77"], negatives["fresh_banking77"] = _banking77(topics)
    actions = _split(DATED_ACTIONS, f"actions-{seed}")
    sets = {}
    for part in PARTS:
        rng = random.Random(f"memos-{part}-{seed}")
        memos = []
        pool = todos[part]
        for index, (source, text, action) in enumerate(pool):
            items = [(text, action, _Template(None) if source == "written" and not _DATE_WORDS.search(text)
                      else None)]
            if rng.random() < 0.2:  # now and then two to-dos in one memo
                other = pool[(index + 1 + rng.randrange(len(pool) - 1)) % len(pool)]
                items.append((other[1], other[2], None))
            memos.append(_memo(rng, items, negatives[part], source))
        for _ in range(len(actions.get(part, [])) * 4):
            action = rng.choice(actions[part])
            said, rule = rng.choice(DAYS_SAID)
            utterance = rng.choice(FRAMES).format(a=action, d=said).strip()
            memos.append(_memo(rng, [(utterance, action, _Template(rule))], negatives[part], "dated"))
        for _ in range(len(memos)):
            memos.append(_memo(rng, [], negatives[part], "negative"))
        rng.shuffle(memos)
        sets[part] = memos
    return sets


@dataclass(frozen=True)
class _Template:
    due: tuple | None  # how the expected day follows from the recording day; None: no day said


if __name__ == "__main__":
    for part, memos in memo_sets().items():
        lengths = sorted(len(m.text.split()) for m in memos)
        kinds = {k: sum(m.kind == k for m in memos) for k in ("clinc", "written", "dated", "banking77", "negative")}
        print(part, len(memos), kinds, "words", lengths[0], lengths[len(lengths) // 2], lengths[-1])
        for memo in memos[:4]:
            print("  ", memo.recorded_at, memo.text)
            for todo in memo.todos:
                print("     ->", repr(memo.text[todo.start:todo.end]), todo.action, todo.due)
