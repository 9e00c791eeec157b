"""Make the README's screenshot (packaging/screenshot-main-window.png) from a realistic library.

Builds a library in a temporary folder — one person's memos over the last six months (MEMOS, written as
Whisper would transcribe them), embedded, titled and clustered into themes by the app's own organize stage:
no title or theme is named here — and one real recording imported through the real Importer and Whisper
(its transcript and word timings are real). Then it opens the real main window on it, selects the recording's
broad theme, plays the recording and grabs the window about 40 % of the way through.

    source scripts/test-services.sh && QT_QPA_PLATFORM=xcb .venv/bin/python packaging/make_screenshot.py

Options: --out PATH (default: packaging/screenshot-main-window.png); --tree (only build the library and print
the theme tree the app made, with each theme's memo titles: to check the names after editing MEMOS); --keep
(leave the temporary folder and print where it is). Nothing of the user's is touched: the data folder, the
window settings and the runtime folder are all in the temporary folder, and the window's background work
(watched folders, the record-toggle socket) is not started.

About 85 memos, eight or more per interest: with fewer (50 to 70 were tried) the clustering, which looks at 20
neighbours per memo and allows max(4, sqrt(n)/2) broad themes, lumped most of the library into one broad
theme with a mixed name. The names are sensitive to the wording: check them with --tree after any edit.

The recording is FLEURS `fleurs-en-003.ogg` (Google FLEURS, CC BY 4.0; tests/data/README.md), said just
after the red cabbage experiment in MEMOS.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SPEECH = ROOT / "tests/data/speech/fleurs_en_opus"
# The real recording, imported through the real Importer: file, days ago, local time of day.
CLIP, CLIP_DAYS_AGO, CLIP_TIME = SPEECH / "fleurs-en-003.ogg", 6, "19:02"  # just after the cabbage experiment
SIZE = (1280, 800)
SPLITTER = (250, 560, 450)  # sidebar, list, open memo
TITLE_SHARE = 0.56  # the Title column's part of the list (as a user drags it)
PLAYED_SHARE = 0.4
WORDS_PER_SECOND = 2.1  # for the typed memos' durations, with a few seconds of pauses
MODEL = "tiny.en"  # the default model

# (days ago, local time of day, what was said): one person, over six months.
MEMOS = [
    # running: the marathon
    (172, "06:41", "So, first week of the new marathon training plan. Eight K, supposed to be gentle, and it felt "
                   "way harder than it should have. I went out too fast again, the watch said five ten pace."),
    (150, "07:05", "Note to self, the slow runs have to be slower. Like, actually conversation pace. I keep running "
                   "them at tempo effort and then the long run on Sunday falls apart."),
    (140, "06:55", "Recovery week of marathon training. Only three short outings, and I feel strangely restless. The "
                   "legs feel great though, the knee hasn't complained once."),
    (133, "08:10", "Long run today, twenty two K along the canal. Uh, the left knee started aching around "
                   "about eighteen, the outside of the knee, so probably the IT band again. Foam roller, and "
                   "maybe new running shoes, these have eight hundred K on them."),
    (120, "18:20", "Interval session at the track. Six by eight hundred metres, ninety seconds jog recovery. "
                   "Splits were three oh five to three ten and the last one was the fastest, so I probably held "
                   "back too much early on."),
    (112, "07:20", "Parkrun this morning, five K in twenty one forty, a personal best by thirty seconds. "
                   "Started in the middle of the pack instead of the front, which helped the pacing."),
    (96, "06:52", "Again, the slow pace thing. I ran it too fast. I need to go slower on the gentle days, honestly. "
                  "Put the watch on heart rate and stay under one forty five."),
    (61, "06:30", "Said it before, but keep the slow days slow. Slower than feels right. The heart rate cap worked "
                  "today, stayed under one forty five the whole way and felt fresh after."),
    (54, "06:40", "Hill repeats on the park hill, eight times up hard, jog down. Horrible, but marathon training has "
                  "felt stronger since I started doing hills every other week."),
    (40, "07:15", "So the marathon is twelve weeks out. Marathon training from here: build the long run up to "
                  "thirty two K, one interval session and one tempo run a week. And practise taking a "
                  "gel every forty minutes."),
    (26, "07:30", "Thirty two K done on Sunday, longest ever. The last five were a shuffle but I kept the "
                  "marathon pace. Gels every forty minutes worked, no stomach problems this time."),
    (9, "06:48", "Good tempo run this morning. Ten K with six at marathon pace, and the knee has been quiet "
                 "since the new running shoes, so that was the right call."),
    # sleep and dreams
    (176, "03:12", "It's three in the morning. Woke up from a dream where the house was flooded, but the water "
                   "was warm and nobody minded. We were just walking through it carrying books. I want to "
                   "remember that dream before it fades."),
    (141, "02:48", "Another water dream, and now I can't sleep. This time the kitchen was full of the sea and I "
                   "was swimming between the chairs. I keep having these flooded house dreams since we started "
                   "talking about moving."),
    (110, "22:40", "Sleep experiment. No coffee after midday for two weeks, and see if I stop waking up at four "
                   "a.m. I'll note every morning what time I was up."),
    (97, "06:20", "Week one of no coffee after noon. I slept through three nights out of seven, which is more "
                  "than usual. Still up at four the other nights, though."),
    (74, "04:05", "Woke up at four again and couldn't get back to sleep. I think it's the evening runs, actually. "
                  "When I train late I sleep worse, so keep the runs in the mornings."),
    (60, "03:50", "Half past three, wide awake again. Not anxious, just awake. Tried the breathing exercise and "
                  "read a bit, uh, asleep again around five I think."),
    (20, "07:02", "I've been writing dreams down the moment I wake up, and I remember so much more of them now. "
                  "Last night I dreamt of climbing stairs that kept going, um, the same dream as in the spring."),
    (8, "06:55", "Slept eight hours straight for the first week in months. No screens after ten, no coffee after "
                 "lunch, and the bedroom is colder. Keep doing exactly this for better sleep."),
    # meditation
    (165, "21:30", "Started the meditation timer again. Counting each breath, up to ten and start "
                   "over. I lost count every single time, but apparently that's the point. The mind wanders, you "
                   "notice and come back to the breath."),
    (128, "07:40", "Sitting for half an hour this morning, my longest meditation yet. The mind was all over the "
                   "place, making lists for the week, but there were a few moments of just breathing."),
    (106, "07:10", "Body scan meditation before work. Feet, legs, all the way up. I fell asleep halfway, which is "
                   "either a failure or a sign I needed the rest."),
    (88, "21:15", "Trying the noting technique from the meditation talk. You label what shows up, memory, "
                  "hearing, planning, and the mind lets go much faster than pushing the thoughts away."),
    (33, "06:10", "Meditation after running today instead of before, and it was so much easier to sit still. The "
                  "body was tired and the breath just slowed down on its own."),
    (5, "21:50", "Thirty days in a row of meditation now, even if some days it was short. The biggest difference: "
                 "I catch myself getting annoyed with the kids a second earlier, and I can take a breath before "
                 "I snap."),
    # the robot hand
    (170, "20:30", "Robot hand idea. Instead of a servo in every finger, run tendons from the forearm like a real "
                   "hand. Fishing line through PTFE tubes, and all the motors sit in the forearm."),
    (142, "21:10", "Ordered parts for the robot hand: five small servos, a servo driver board, PTFE tubing and "
                   "braided fishing line. Should arrive next week."),
    (127, "21:30", "Robot hand budget so far, about a hundred and forty pounds, mostly servos and filament. "
                   "Still cheaper than one finger of a commercial robot hand."),
    (118, "22:05", "Thinking again about tendon driven fingers for the robot hand. Fishing line in PTFE tubing, "
                   "motors in the forearm, it keeps the fingers light. I should just build one finger and test "
                   "it."),
    (104, "19:45", "Printed the first robot finger, three joints. It bends, but the tendon slips on the pulley, it "
                   "needs a groove or a knot and a crimp. Also PLA is too brittle at the hinges, so try PETG "
                   "next."),
    (82, "20:10", "The servos I ordered are too weak for the index finger. It can barely lift a pen. I need a gear "
                  "reduction, or bigger servos, but then the forearm gets heavy."),
    (66, "23:00", "Tactile sensors for the fingertips. Someone cast a barometer chip in silicone as a pressure "
                  "sensor, you press the silicone and the reading changes. Cheap, and it could give the robot "
                  "hand a sense of touch."),
    (58, "21:40", "Rewired the robot hand so each finger servo has its own channel on the driver board. Uh, the "
                  "jitter is gone. Next the calibration, every finger's open and closed position."),
    (45, "21:20", "The robot hand picked up an egg today without breaking it! The pressure sensor in the "
                  "fingertip loosens the grip in time. First time it actually felt something."),
    (24, "20:40", "Next step for the robot hand is the thumb. It has to rotate to oppose the other fingers, "
                  "otherwise it can only do a hook grip. Maybe a second servo at the base of the thumb."),
    (3, "22:15", "The thumb works, sort of. It can pinch now, but only big things. The grip on small objects is "
                 "weak, maybe the fingertips need softer silicone pads."),
    # AI and language models
    (160, "22:30", "Been playing with a small language model on the laptop, completely offline. It's slow, but it "
                   "works, and it's kind of amazing that it fits in a few gigabytes."),
    (125, "12:40", "Idea: a language model to command the robot hand. You say pick up the mug, and the model "
                   "picks a grip from a short list instead of driving the motors directly."),
    (108, "21:50", "Watched a talk where they trained a neural network to control a robot hand in simulation, "
                   "millions of tries, and it learned to spin a cube. Could I train my robot hand like that?"),
    (50, "22:40", "A small vision model on a camera at the wrist could tell the robot hand which grip to use, a "
                  "pinch for a pen, a full grasp for a cup. Train it on photos of my own desk."),
    (145, "22:15", "Read about how speech recognition models like Whisper work. Audio in, text out, trained on "
                   "hundreds of thousands of hours. And it runs on my laptop, no internet."),
    (95, "12:30", "Prompting tip from work: give the language model an example of the answer you want, not just "
                  "the question. The answers got much more consistent."),
    (100, "13:05", "Interesting thing about embeddings. You turn a sentence into a list of numbers, and sentences "
                   "that mean similar things end up close together. That's how search by meaning works."),
    (80, "21:40", "Idea for an app: a language model that reads all my voice notes and finds the ideas I keep "
                  "coming back to. It would have to run locally, I don't want my notes in the cloud."),
    (70, "22:10", "I tried fine tuning a small language model on my own notes, and it just learned to talk like "
                  "me, saying so and uh a lot. Funny but not useful. The lesson: the training data matters more "
                  "than the model."),
    (62, "13:30", "Asked a language model to explain a bug in my code and it invented a function that doesn't "
                  "exist. Confident and wrong. Good reminder to check everything it says."),
    (35, "12:15", "Listened to a podcast on how a language model is trained. Predict the next token on a huge "
                  "pile of text, then fine tuning on instructions. The scale of the training data is hard to "
                  "picture."),
    (18, "22:50", "Local language model news: the new small one answers my questions almost as well as the big "
                  "online ones, on a laptop with no internet."),
    (12, "21:30", "Thinking about why a language model hallucinates. It predicts the next word that sounds right, "
                  "not what's true. So anything with facts in it needs checking against a source."),
    # the novel
    (178, "23:10", "Novel idea. A lighthouse keeper called Mara, on an island where the light has been automatic "
                   "for years, and she stays anyway. The whole novel is about doing a job nobody needs any more."),
    (152, "23:20", "Mara's voice. She's dry, a bit funny, talks to the lighthouse like it's a stubborn old dog. "
                   "Write the novel in first person? Try one chapter both ways."),
    (146, "22:50", "Chapter one of the novel is drafted. The opening is too slow, Mara spends three pages making "
                   "tea in the lighthouse. Maybe start the chapter with the storm instead."),
    (134, "23:00", "Writing the novel is going slowly. Two hundred words a night, but it's every night. Mara "
                   "finally went down to the rocks below the lighthouse and I didn't know what she'd find."),
    (115, "23:30", "The novel needs a second character. Someone who comes to the island, maybe an engineer sent "
                   "to take the lighthouse apart, and Mara has to decide whether to help him or fight him."),
    (102, "22:45", "Research for the novel: how people in lighthouses actually lived. Trimming the wicks, winding "
                   "the clockwork every few hours, the logbooks of every ship that passed. Mara would know it all."),
    (85, "22:20", "Plot problem in chapter five of the novel. The engineer shows up too early, there's no tension "
                  "before he turns up. Move him to chapter seven and give Mara more time alone on the island."),
    (57, "23:40", "A title for the novel, maybe The Salt Year. The story takes one year and everything on Mara's "
                  "island is covered in salt. I like it better than The Keeper."),
    (42, "23:05", "The ending of the novel. I think Mara leaves the island in the end, but by choice, not because "
                  "the engineer wins. She lights the lamp one last time and walks down to the boat."),
    (38, "19:00", "I don't want AI to write the novel for me, but it's good at one thing: asking questions about "
                  "the characters. Like, what does Mara want in this chapter? That actually helped."),
    (28, "22:05", "Wrote a big chunk of the novel tonight, the scene where Mara finds the logbooks of everyone "
                  "who kept the lighthouse before her. I think that's the heart of the book, all those people "
                  "writing down the weather for a hundred years."),
    (10, "23:20", "Halfway through the first draft of the novel, and the middle is sagging. Something has to "
                  "happen to Mara around chapter twelve. Maybe the storm damages the lighthouse."),
    (4, "23:30", "Gave the first three chapters of the novel to Jo for feedback. She says Mara is great but the "
                 "engineer is flat, he has to have a reason of his own to be on the island."),
    # cooking
    (158, "18:30", "Sourdough starter, day five. It doubled by the morning at last, smells like yoghurt and apples. "
                   "Going to bake the first sourdough loaf on Saturday with Ada."),
    (137, "11:20", "Flat, dense sourdough loaf, the first one. I think the dough was underproofed, so next "
                   "time a longer bulk ferment, like six hours in a cold kitchen."),
    (122, "19:00", "Made fresh pasta with the kids. Flour everywhere, the dough was too dry at first, a little more "
                   "egg fixed it. Tagliatelle with butter and sage, a recipe to keep."),
    (116, "18:10", "Kimchi, first attempt. Napa cabbage, salt it for two hours, then the paste with chilli, "
                   "garlic, ginger and fish sauce. It's bubbling on the counter now."),
    (92, "19:10", "Red lentil dal recipe that actually worked. Fry cumin and mustard seeds first, then onion, "
                  "garlic and lots of ginger, then the lentils and a tin of tomatoes. Finish with lemon and "
                  "coriander. The kids ate all of it."),
    (68, "18:30", "Weekly dinner plan to stop the weekday panic: Monday dal, Tuesday pasta, Wednesday soup, "
                  "Thursday stir fry, Friday pizza with the kids. Write the family shopping list from that."),
    (44, "19:20", "Roast squash soup for the week: roast the squash with chilli and garlic, blend it with the stock "
                  "and a tin of coconut milk. Freeze half in jars for the family."),
    (30, "18:40", "Sourdough pizza for the kids on Friday. Use the starter discard, let the dough rise in the "
                  "fridge for two days, and the grill as hot as it goes with the steel on the top shelf."),
    (16, "17:40", "The sourdough loaf is good now. Open crumb, a proper crust. The trick was proving it overnight "
                  "in the fridge and baking in a dutch oven."),
    (6, "18:50", "Kitchen science with Theo, the red cabbage experiment. Boil the cabbage, and the purple water "
                 "turns pink with lemon and green with baking soda. He was amazed, he wants to test "
                 "everything in the fridge now."),
    # family, and the trip to Lisbon
    (179, "20:00", "Family walk up the hill behind the school on Sunday. Ada found a slow worm and carried it "
                   "the whole way. The kids want to go back next weekend."),
    (168, "19:50", "Ada's school play is on the fourteenth. She's a tree and she is very serious about it. We "
                   "need to make the costume out of cardboard and green paper."),
    (155, "20:40", "Parents' evening for Theo. His teacher says he loves science and reads well above his age, "
                   "but won't stop talking in class. So, uh, like me at that age."),
    (130, "20:15", "Idea for mum's seventieth birthday. Rent the cottage by the lake for a weekend and get the "
                   "whole family there, my brother's family too. She hates a fuss, though, so keep it small."),
    (90, "21:00", "Thinking about a family trip to Lisbon in the spring. The kids are old enough now. Trams, the "
                  "castle, the aquarium, and a day trip out to Sintra."),
    (78, "19:45", "Ada asked a science question at dinner, why is the sky blue, and I tried to explain light "
                  "scattering and she gave up on me. Find a better way to say it before she asks again."),
    (65, "20:10", "Theo's football match, they were beaten six nil and he came off the pitch grinning. He said it was "
                  "the best game ever. I love that kid."),
    (48, "20:30", "Booked the family flights to Lisbon for the Easter holidays, five nights. The kids get the "
                  "room with the bunk beds, and we can take the train to Sintra for a day."),
    (36, "21:00", "Family meeting about screen time. The kids proposed their own rules, one hour on school "
                  "days, and honestly their rules are stricter than ours."),
    (22, "19:15", "Planning mum's birthday dinner at the lake cottage. Slow roast lamb, the lemon cake she likes, "
                  "and everyone in the family brings a photo from the seventies."),
    (14, "21:10", "Lisbon list for the kids: tram twenty eight, the aquarium, pastéis de nata in Belém, and the "
                  "Pena Palace in Sintra. Theo wants to walk on the castle walls."),
    (1, "19:30", "Tooth fairy duty tonight. Theo lost his first tooth and put it under the pillow with a note "
                 "asking how old she is. I need to answer that note."),
]
REVIEWED_AFTER_DAYS = 21  # older memos have been looked at (kept or marked done); the newer ones wait in Review


def when(days_ago: int, clock: str, today: dt.date) -> dt.datetime:
    """That day at that local time (so a 3 a.m. dream shows as 03:12 wherever this runs), zone-aware."""
    hour, minute = map(int, clock.split(":"))
    day = today - dt.timedelta(days=days_ago)
    return dt.datetime(day.year, day.month, day.day, hour, minute).astimezone()


def show_tree(library, verbose: bool) -> None:
    """Print the theme tree the app made (with each theme's memo titles when `verbose`)."""
    from app.display import memo_title

    memos = library.memos()
    for top, subs in library.theme_tree():
        print(f"{top.name} · {top.count}")
        for theme in [top] + subs:
            if theme is not top:
                print(f"    {theme.name} · {theme.count}")
            if verbose:
                print("".join(f"{'    ' * (1 + (theme is not top))}- {memo_title(m)}\n"
                              for m in memos if m.theme_id == theme.id), end="")
    print(f"Unsorted · {library.unsorted_count()}")
    if verbose:
        print("".join(f"    - {memo_title(m)}\n" for m in memos if m.theme_id is None), end="")


def build_library(data_dir: Path, incoming: Path, verbose: bool = False) -> int:
    """The library: the clip through the real Importer (Whisper's transcript and word timings), the typed memos
    as the importer leaves them (transcribed, not organised), then the app's organize stage. Returns the clip's
    memo id."""
    from app.core import Musings
    from app.importer import Importer
    from audio.transcribe import Transcriber, TranscriptionSettings
    from storage import memos as store

    today = dt.date.today()
    incoming.mkdir(parents=True)
    recorded = when(CLIP_DAYS_AGO, CLIP_TIME, today)
    copy = incoming / f"Recording_{recorded:%Y%m%d_%H%M%S}.ogg"  # named as a phone's recorder names it
    shutil.copyfile(CLIP, copy)
    os.utime(copy, (recorded.timestamp(), recorded.timestamp()))
    with Importer(data_dir, transcriber=Transcriber(TranscriptionSettings(model=MODEL, language="en")),
                  organize=False) as importer:
        report = importer.run([copy])
        if len(report.of_kind("done")) != 1:
            raise SystemExit(f"the recording was not imported: {report.events}")
        db = importer.db
        clip_id = store.list_memos(db)[0].id
        for days_ago, clock, text in MEMOS:
            at = when(days_ago, clock, today)
            digest = hashlib.sha256(text.encode()).hexdigest()
            duration = round(len(text.split()) / WORDS_PER_SECOND + 3 + int(digest[:2], 16) % 12, 1)
            name = f"Recording_{at:%Y%m%d_%H%M%S}.m4a"
            memo_id = store.add_memo(db, store.NewMemo(digest, name, f"/phone/Recordings/{name}",
                                                       f"library/{digest}.m4a",
                                                       at.astimezone(dt.timezone.utc).isoformat(), "filename",
                                                       duration))
            store.save_transcript(db, memo_id, [store.StoredSegment(0.0, duration, text, -0.2, 0.01)],
                                  language="en", model=MODEL)
    library = Musings(data_dir)
    try:
        library.organizer().organize_new()
        cutoff = when(REVIEWED_AFTER_DAYS, "00:00", today).astimezone(dt.timezone.utc).isoformat()
        older = [m.id for m in library.memos() if m.recorded_at < cutoff]
        library.set_review(older[::3], "kept")
        library.set_review([m for i, m in enumerate(older) if i % 3], "done")
        show_tree(library, verbose)
    finally:
        library.shutdown()
    return clip_id


def take_screenshot(data_dir: Path, clip_id: int, out: Path, settings: Path) -> None:
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication

    from app.gui.main_window import MainWindow
    from app.gui.settings import SettingsStore
    from app.gui.sidebar import ALL

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Musings")
    app.setOrganizationName("musings")

    def wait_until(condition, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise SystemExit(f"timed out waiting for {what}")
            QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            time.sleep(0.005)

    def pause(seconds: float) -> None:
        end = time.monotonic()
        wait_until(lambda: time.monotonic() - end >= seconds, seconds + 5, "a pause")

    window = MainWindow(data_dir, SettingsStore(settings))  # no start_background_work: nothing watched
    window.resize(*SIZE)
    window.splitter.setSizes(list(SPLITTER))  # as a user drags it: the theme names and the title in full
    window.memo_list.set_title_share(TITLE_SHARE)
    window.show()
    wait_until(lambda: window.windowHandle() is not None and window.windowHandle().isExposed(), 10, "the window")
    wait_until(lambda: window.width() == SIZE[0] and window.height() == SIZE[1], 10, "the window's size")
    wait_until(lambda: not window.runner.busy, 30, "the library to be read")

    memo = window.library.memo(clip_id)
    broad = memo.theme_id
    themes = {t.id: t for t in window.theme_records}
    if broad is not None and themes[broad].parent_id is not None:
        broad = themes[broad].parent_id
    window.themes.select_key(broad if broad is not None else ALL)
    pause(0.3)
    if not window.memo_list.select_memo(clip_id):
        raise SystemExit("the memo with audio is not in the list of its broad theme")
    wait_until(lambda: window.memo_view.memo is not None and window.memo_view.memo.id == clip_id, 10, "the memo")
    wait_until(lambda: not window.runner.busy, 60, "related ideas")
    pause(0.5)

    view = window.memo_view
    duration = view.duration()
    view.toggle_play()
    wait_until(lambda: view.player.is_playing() and view.player.position() >= PLAYED_SHARE * duration,
               duration + 20, "playback to reach 40 %")
    wait_until(lambda: view.transcript.current_word is not None, 5, "the word highlight")
    window.statusBar().clearMessage()  # it names the (temporary) data folder
    pause(0.05)
    grabbed_at = view.player.position()
    image = window.grab().toImage()
    view.player.stop()
    print(f"grabbed at {grabbed_at:.2f} s of {duration:.2f} s")
    if not image.save(str(out), "PNG", 0):  # 0: the smallest file
        raise SystemExit(f"could not save {out}")
    window.close()
    window.library.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "packaging/screenshot-main-window.png")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--tree", action="store_true", help="only build the library and print its themes")
    args = parser.parse_args()
    if not args.tree and not os.environ.get("DISPLAY"):
        raise SystemExit("no DISPLAY: source scripts/test-services.sh first (Xvfb, PulseAudio)")
    temp = Path(tempfile.mkdtemp(prefix="musings-screenshot-"))
    # the window's settings and the instance socket: never the user's own
    os.environ["MUSINGS_GUI_SETTINGS"] = str(temp / "settings" / "musings-gui.ini")
    os.environ["MUSINGS_RUNTIME_DIR"] = str(temp / "run")
    try:
        data_dir = temp / "data"
        clip_id = build_library(data_dir, temp / "incoming", verbose=args.tree)
        if args.tree:
            return
        take_screenshot(data_dir, clip_id, args.out.resolve(), temp / "settings" / "musings-gui.ini")
        print(f"{args.out} · {args.out.stat().st_size // 1024} KB")
    finally:
        if args.keep:
            print(f"kept {temp}")
        else:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    main()
