"""Spoken to-dos: found with their text and due day, relative to the recording time; ideas left alone."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone

import pytest

from organize.todos import find_todos
from tests.conftest import ROOT, require

TUESDAY_NIGHT = datetime(2026, 12, 1, 23, 10)  # Tue 1 December 2026, 23:10


def only_todo(text: str, recorded_at: datetime = TUESDAY_NIGHT):
    todos = find_todos(text, recorded_at)
    assert len(todos) == 1, f"{text!r}: {todos}"
    return todos[0]


def test_the_landlord_tomorrow():
    text = "remind me to call the landlord about the heating tomorrow"
    todo = only_todo(text)
    assert todo.text == "Call the landlord about the heating"
    assert todo.due == date(2026, 12, 2)
    assert (todo.start, todo.end) == (0, len(text))


@pytest.mark.parametrize("said, due", [
    ("I have to send the invoice by Friday.", date(2026, 12, 4)),  # the coming Friday
    ("I need to return the library books on the fifteenth.", date(2026, 12, 15)),
    ("Note to self, renew the car insurance next week.", date(2026, 12, 7)),  # Monday of next week
    ("Don't forget to bring the plants in tonight.", date(2026, 12, 1)),
    ("I must pay the parking ticket in two days.", date(2026, 12, 3)),
    ("I have to finish the slides by Monday.", date(2026, 12, 7)),
    ("Make sure to book the dentist this weekend.", date(2026, 12, 5)),
    ("Remind me on December 24th to call grandma.", date(2026, 12, 24)),
    ("To do: file the tax return by March 3rd.", date(2027, 3, 3)),
    ("I should order the new glasses the day after tomorrow.", date(2026, 12, 3)),
    ("I need to pay the rent by the end of the month.", date(2026, 12, 31)),
    ("I've got to call the bank.", None),
])
def test_due_days_are_read_from_the_recording_day(said, due):
    assert only_todo(said).due == due


def test_a_weekday_said_on_that_weekday_is_next_week():
    friday = datetime(2026, 12, 4, 9, 0)
    assert only_todo("I need to call the plumber on Friday", friday).due == date(2026, 12, 11)


def test_a_day_of_the_month_already_past_is_next_month():
    after_the_fifteenth = datetime(2026, 12, 20, 8, 0)
    assert only_todo("remind me to pay the gas bill on the fifteenth", after_the_fifteenth).due == date(2027, 1, 15)
    # November has no 31st: the next month that has one
    assert only_todo("I have to renew the permit on the 31st", datetime(2026, 11, 5, 12, 0)).due == date(2026, 12, 31)


def test_the_recording_day_is_taken_in_the_recording_time_zone():
    late_in_new_york = datetime(2026, 12, 1, 23, 10, tzinfo=timezone(timedelta(hours=-5)))  # 04:10 UTC on the 2nd
    assert only_todo("remind me to water the tomatoes tomorrow", late_in_new_york).due == date(2026, 12, 2)


@pytest.mark.parametrize("said, text", [
    ("I need to return the library books", "Return the library books"),
    ("don't forget to pick up the dry cleaning", "Pick up the dry cleaning"),
    ("note to self, email the draft to Maria", "Email the draft to Maria"),
    ("To do: renew the car insurance.", "Renew the car insurance"),
    ("I have to send the invoice to the agency by Monday", "Send the invoice to the agency"),
    ("I must sign the lease", "Sign the lease"),
    ("I should remember to back up the laptop", "Back up the laptop"),
    ("make sure to print the boarding passes", "Print the boarding passes"),
    ("I gotta fix the leaking tap in the bathroom", "Fix the leaking tap in the bathroom"),
    ("add mopping to my to do list", "Mopping"),
    ("can you set a reminder for me to put the clothes in the dryer", "Put the clothes in the dryer"),
    ("I lost my card and need to report it", "Report it"),
    ("I have a meeting with Sean at four on Wednesday, can you remind me?", "A meeting with Sean at four"),
])
def test_intentions_are_found_with_their_action(said, text):
    assert only_todo(said).text == text


@pytest.mark.parametrize("idea", [
    "The robot hand needs softer fingertips.",
    "We should think about consciousness.",
    "I need a better theory of love.",
    "I need to think about whether the story needs a second act.",
    "I should be more patient with myself.",
    "The app should remind people of their old ideas.",
    "I have to admit the second version is better.",
    "What do I need to make lasagna?",
    "I don't need to solve the whole thing tonight.",
    "The question I need to answer is what the memo is for.",
    "I should have been an architect, maybe.",
    "Don't forget that every character wants something.",
    "Maybe I should move to the coast someday.",
    "I should build a small robot that waters the plants when I'm away.",
    "I keep a to do list but the ideas never go on it.",
    "She has to call her brother before the end of the chapter.",
])
def test_ideas_that_say_need_or_should_are_not_todos(idea):
    assert find_todos(idea, TUESDAY_NIGHT) == []


def test_fillers_are_cleaned_from_the_text():
    todo = only_todo("um so remind me to, uh, call the, um, landlord about the heating tomorrow")
    assert todo.text == "Call the landlord about the heating"
    assert todo.due == date(2026, 12, 2)


def test_a_run_on_memo_gives_each_todo_its_own_span():
    memo = ("so um I was thinking about the garden and uh the tomatoes need more sun I think and I need to buy "
            "tomato stakes in two days because the wind is bad and oh don't forget to call mum on Sunday "
            "anyway the robot idea is still good")
    todos = find_todos(memo, TUESDAY_NIGHT)
    assert [(t.text, t.due) for t in todos] == [("Buy tomato stakes", date(2026, 12, 3)),
                                                  ("Call mum", date(2026, 12, 6))]
    assert memo[todos[0].start:todos[0].end] == "I need to buy tomato stakes in two days"
    assert memo[todos[1].start:todos[1].end] == "don't forget to call mum on Sunday"


def test_offsets_map_to_the_segment_that_said_it():
    segments = [(0.0, 4.2, " So the first idea is about bridges."), (4.2, 7.9, " Um, remind me to email the"),
                (7.9, 10.5, " photos to Grandma tomorrow.")]
    transcript, starts = "", []
    for _, _, said in segments:
        starts.append(len(transcript))
        transcript += said
    todo = only_todo(transcript)
    first = max(i for i, s in enumerate(starts) if s <= todo.start)
    last = max(i for i, s in enumerate(starts) if s < todo.end)
    assert (segments[first][0], segments[last][1]) == (4.2, 10.5)
    assert todo.text == "Email the photos to Grandma"


def test_a_spoken_todo_transcribed_by_whisper(tmp_path, transcriber):
    """Real speech (espeak-ng) through the app's transcriber, then find_todos on the transcript."""
    require(shutil.which("espeak-ng") is not None, "espeak-ng is not installed (scripts/bootstrap.sh installs it)")
    wav = tmp_path / "todo.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "remind me to buy more coffee beans on friday. "
                    "the robot hand needs softer fingertips."], check=True, capture_output=True)
    transcript = " ".join(segment.text.strip() for segment in transcriber.transcribe_file(wav))
    todos = find_todos(transcript, TUESDAY_NIGHT)
    assert len(todos) == 1, transcript
    assert "coffee beans" in todos[0].text.lower(), transcript
    assert todos[0].due == date(2026, 12, 4), transcript


def test_reading_a_day_makes_no_network_call(tmp_path):
    """dateparser loads only what it ships: no connection, no download, at import or while parsing."""
    require(shutil.which("strace") is not None, "strace is not installed (scripts/bootstrap.sh installs it)")
    trace = tmp_path / "trace"
    code = ("from datetime import datetime; from organize.todos import find_todos; "
            "print(find_todos('remind me to call the bank in two days', datetime(2026, 12, 1))[0].due)")
    result = subprocess.run(["strace", "-f", "-qq", "-o", str(trace), "-e", "trace=connect,sendto,sendmsg",
                             sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "2026-12-03"
    calls = [line for line in trace.read_text().splitlines() if "AF_UNIX" not in line and "(" in line]
    assert not calls, "\n".join(calls)
