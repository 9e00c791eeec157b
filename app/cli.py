"""The `musings` command: its parser, its commands and how their errors are told.

It is started through app.entry (the console script, the bundle, `python -m app.cli`), which runs
`record --toggle` and opens the microphone of `listen --start-recording` before this module's imports
(PyAV, numpy, sqlite-utils) load.
"""
from __future__ import annotations

import sys

if __name__ == "__main__":  # `python -m app.cli`: through the same entry as `musings`, before the imports below
    from app.entry import main as _entry

    sys.exit(_entry())

import argparse
import json
import logging
import os
import signal
import sqlite3
import textwrap
import threading
from dataclasses import asdict
from pathlib import Path

from app.display import idea_listing_title, memo_title, one_line, said_times, shown_datetime, shown_day, terminal_safe
from app.entry import (add_global_options, add_listen_options, add_record_options, configure_logging,
                       open_microphone, toggle_recording)
from app.hotkey import start_global_hotkey
from app.inbox import inbox_dir
from app.instance import AlreadyRunning, InstanceServer, send_command
from app.logs import bug_message, record_bug
from app.timefmt import clock
from audio.devices import CaptureError, find_input_device, list_input_devices
from audio.models import DEFAULT_MODEL
from audio.transcribe import TranscriptionSettings
from musings_errors import NotFound, Refused, UserError
from storage import memos as store
from storage.db import DATABASE_NAME, StorageError, damaged_message, is_damage
from storage.data_folder import resolve_data_dir

# Each command reaches the library through app.core.Musings; the use cases (and scikit-learn, torch...)
# are imported when a command needs them, so `musings list` and friends start fast.

log = logging.getLogger("musings")

SQLITE_MAX_INTEGER = 2**63 - 1
# Exit codes: 0 done, 1 a failure the user can fix (one line on stderr), 2 a command line misused (argparse),
# 70 a bug (EX_SOFTWARE: its traceback is in the log file), 130 interrupted.
EXIT_BUG = 70


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musings", description="Offline voice memos: import, transcribe, search.")
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    importing = commands.add_parser("import", help="import recordings (files or folders) and transcribe them")
    importing.add_argument("paths", nargs="*", type=Path, help="files or folders; none = resume the queue")
    importing.add_argument("--model", default=DEFAULT_MODEL, help="tiny.en (default), base, or a CTranslate2 folder")
    importing.add_argument("--language", default="auto", help="language code, or auto (default)")
    importing.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    importing.add_argument("--vocabulary", action="append", default=[], metavar="WORDS",
                           help="names and jargon to listen for (comma-separated; repeatable)")
    importing.add_argument("--allow-download", action="store_true",
                           help="allow a hub model name to be downloaded (never done otherwise)")
    importing.add_argument("--json", action="store_true", help="print the outcome as JSON")
    importing.add_argument("--volume", nargs="?", const="", type=str, metavar="PATH",
                           help="the new recordings of the voice recorder mounted at PATH (alone: of every "
                                "recorder mounted now; see `musings devices --volumes`)")
    importing.add_argument("--clear-after", action="store_true",
                           help="with --volume: then delete from the recorder the recordings verified in the library")

    listing = commands.add_parser("list", help="list memos, newest first")
    listing.add_argument("--status", choices=store.STATUSES)
    listing.add_argument("--limit", type=int)
    listing.add_argument("--all", action="store_true", help="archived memos too")
    listing.add_argument("--theme", type=int, metavar="ID",
                         help="those under this theme (and its sub-themes), long recordings by the idea there")
    listing.add_argument("--json", action="store_true")

    reviewing = commands.add_parser("review", help="go through the memos not yet reviewed, one at a time")
    reviewing.add_argument("--json", action="store_true", help="print the queue instead")
    reviewing.add_argument("--limit", type=int)
    digesting = commands.add_parser("digest", help="what this week (or month) of memos held")
    span = digesting.add_mutually_exclusive_group()
    span.add_argument("--week", dest="kind", action="store_const", const="week", help="this ISO week (default)")
    span.add_argument("--month", dest="kind", action="store_const", const="month", help="this month")
    digesting.add_argument("--json", action="store_true")
    listing_todos = commands.add_parser("todos", help="what your memos say to do, open ones first by due day")
    listing_todos.add_argument("--all", action="store_true", help="the ticked-off ones too")
    listing_todos.add_argument("--json", action="store_true")
    todo = commands.add_parser("todo", help="tick off a to-do (or open it again)")
    todo.add_argument("action", choices=("done", "undone"))
    todo.add_argument("todo_id", type=int, metavar="ID")
    marking = commands.add_parser("mark", help="set memos' review state: kept (starred), done, archived or new")
    marking.add_argument("state", choices=("kept", "done", "archived", "new"))
    marking.add_argument("memo_ids", nargs="+", type=int, metavar="ID")

    splitting = commands.add_parser("split", help="start a new idea of a memo at a second of its recording")
    splitting.add_argument("memo_id", type=int, metavar="MEMO")
    splitting.add_argument("seconds", type=float, metavar="SECONDS")
    splitting.add_argument("--json", action="store_true")
    joining_ideas = commands.add_parser("join-ideas", help="make two neighbouring ideas of a memo one")
    joining_ideas.add_argument("idea_ids", nargs=2, type=int, metavar="ID")
    joining_ideas.add_argument("--json", action="store_true")
    an_idea = commands.add_parser("idea", help="title an idea of a long recording, or move it to a theme")
    idea_actions = an_idea.add_subparsers(dest="action", required=True)
    titling_idea = idea_actions.add_parser("title", help="your title for the idea (kept through re-splits)")
    titling_idea.add_argument("idea_id", type=int, metavar="ID")
    titling_idea.add_argument("title")
    moving_idea = idea_actions.add_parser("move", help="the idea into a theme: an id, a (new) name, or unsorted")
    moving_idea.add_argument("idea_id", type=int, metavar="ID")
    moving_idea.add_argument("theme")
    for idea_parser in (titling_idea, moving_idea):
        idea_parser.add_argument("--json", action="store_true")

    showing = commands.add_parser("show", help="a memo's transcript with timestamps")
    showing.add_argument("memo_id", type=int)
    showing.add_argument("--json", action="store_true")

    searching = commands.add_parser("search", help="find memos by words and by meaning")
    searching.add_argument("query")
    searching.add_argument("--limit", type=int, default=20)
    searching.add_argument("--theme", type=int, metavar="ID", help="only in this theme and its sub-themes")
    how = searching.add_mutually_exclusive_group()
    how.add_argument("--keyword", dest="mode", action="store_const", const="keyword", help="words only (FTS5)")
    how.add_argument("--semantic", dest="mode", action="store_const", const="semantic", help="meaning only")
    searching.add_argument("--json", action="store_true")

    themes = commands.add_parser("themes", help="the theme tree with memo counts")
    themes.add_argument("--rebuild", action="store_true", help="re-cluster now (keeps ids, names, corrections)")
    themes.add_argument("--json", action="store_true")
    theme = commands.add_parser("theme", help="rename, merge or nest themes").add_subparsers(dest="action",
                                                                                         required=True)
    rename = theme.add_parser("rename", help="give a theme a name of your own")
    rename.add_argument("theme_id", type=int)
    rename.add_argument("name")
    merge = theme.add_parser("merge", help="move every memo of SOURCE into TARGET")
    merge.add_argument("source_id", type=int)
    merge.add_argument("target_id", type=int)
    nest = theme.add_parser("nest", help="make CHILD a sub-theme of the broad theme PARENT")
    nest.add_argument("child_id", type=int)
    nest.add_argument("parent_id", type=int)
    unnest = theme.add_parser("unnest", help="make a sub-theme a broad theme again")
    unnest.add_argument("theme_id", type=int)

    move = commands.add_parser("move", help="put a memo into a theme (an id, a new name, or 'unsorted')")
    move.add_argument("memo_id", type=int)
    move.add_argument("theme")

    retitle = commands.add_parser("title", help="set a memo's title")
    retitle.add_argument("memo_id", type=int)
    retitle.add_argument("title")

    edit = commands.add_parser("edit", help="reword one transcript segment (the original is kept)")
    edit.add_argument("memo_id", type=int)
    edit.add_argument("position", type=int, help="the segment's number, from 0 (see `musings show --json`)")
    edit.add_argument("text", nargs="?", help="the new wording")
    edit.add_argument("--restore", action="store_true", help="go back to the transcribed text")

    related = commands.add_parser("related", help="memos about the same idea, with similarity")
    related.add_argument("memo_id", type=int)
    related.add_argument("--limit", type=int, default=5)
    related.add_argument("--json", action="store_true")

    exporting = commands.add_parser("export", help="write (or update) a Markdown vault for Obsidian / Logseq")
    exporting.add_argument("folder", type=Path)
    exporting.add_argument("--json", action="store_true")

    deleting = commands.add_parser("delete", help="move memos to the trash (kept 30 days; see restore)")
    deleting.add_argument("memo_ids", nargs="+", type=int, metavar="ID")
    trashing = commands.add_parser("trash", help="the memos in the trash")
    trashing.add_argument("--empty", action="store_true", help="delete them for good, with their audio")
    trashing.add_argument("--json", action="store_true")
    restoring = commands.add_parser("restore", help="bring a memo back from the trash")
    restoring.add_argument("memo_id", type=int)
    joining = commands.add_parser("join", help="join recordings split into consecutive files into one memo "
                                               "(the originals go to the trash)")
    joining.add_argument("memo_ids", nargs="*", type=int, metavar="ID")
    joining.add_argument("--suggest", action="store_true", help="list the memos that look like one split recording")
    joining.add_argument("--model", default=DEFAULT_MODEL, help="tiny.en (default), base, or a CTranslate2 folder")
    joining.add_argument("--language", default="auto", help="language code, or auto (default)")
    joining.add_argument("--json", action="store_true")

    add_record_options(commands.add_parser("record", help="record a memo from the microphone and transcribe it"))
    add_listen_options(commands.add_parser("listen",
                                           help="record in the background, toggled by a hotkey or `record --toggle`"))

    watch = commands.add_parser("watch", help="import new recordings from watched folders by themselves "
                                               "(alone: watch in the foreground until Ctrl-C)")
    watch.add_argument("--model", default=DEFAULT_MODEL, help="tiny.en (default), base, or a CTranslate2 folder")
    watch.add_argument("--language", default="auto", help="language code, or auto (default)")
    watch.add_argument("--settle", type=float, default=None, metavar="SECONDS",
                       help="import a file once unchanged this long (default 3)")
    watching = watch.add_subparsers(dest="action", metavar="ACTION")
    watch_add = watching.add_parser("add", help="watch a folder (and its subfolders)")
    watch_add.add_argument("folder", type=Path)
    watch_add.add_argument("--no-recursive", action="store_true", help="only the folder itself, not subfolders")
    watching.add_parser("list", help="the watched folders").add_argument("--json", action="store_true")
    watching.add_parser("remove", help="stop watching a folder (its memos stay)").add_argument("folder", type=Path)

    devices = commands.add_parser("devices", help="list the microphones")
    devices.add_argument("--json", action="store_true")
    devices.add_argument("--volumes", action="store_true", help="list the removable volumes and the recorders on them")
    recorder = commands.add_parser("recorder", help="voice recorders on USB").add_subparsers(dest="action",
                                                                                         required=True)
    marking = recorder.add_parser("mark", help="take the volume mounted at PATH for a recorder, whatever its layout")
    marking.add_argument("path", type=Path)
    marking.add_argument("--unmark", action="store_true", help="no longer take it for one (unless its layout says so)")

    commands.add_parser("gui", help="open the window (the same as `musings` with no command)")

    status = commands.add_parser("status", help="counts, queue and problems")
    status.add_argument("--json", action="store_true")

    repair = commands.add_parser("repair", help="rebuild a damaged or lost database from the recordings in the library")
    repair.add_argument("--json", action="store_true")

    install_desktop = commands.add_parser("install-desktop",
                                          help="add Musings to this user's application menu (no root)")
    install_desktop.add_argument("--autostart", action="store_true",
                                 help="also start the hotkey listener (`musings listen`) at login")
    install_desktop.add_argument("--watch", action="store_true",
                                 help="also run `musings watch` as a systemd user service")
    commands.add_parser("uninstall-desktop", help="remove exactly what install-desktop added")
    return parser


def main(argv: list[str] | None = None, *, microphone=None) -> int:
    """Run the command line `argv`; `microphone` is what app.entry's early `open_microphone` gave a
    `listen --start-recording` (a prepared Recorder, or the CaptureError it raised)."""
    args = build_parser().parse_args(argv)
    configure_logging(args.verbose)
    if args.command in (None, "gui"):  # the desktop window; PySide6 is imported only here
        if (sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM")
                and not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY")):
            print("musings: no display to open the window on; the commands work without one "
                  "(musings --help)", file=sys.stderr)
            return 2
        from app.gui import run_gui

        explicit = args.data_dir or os.environ.get("MUSINGS_HOME")
        return run_gui(resolve_data_dir(args.data_dir) if explicit else None, sys.argv[:1])
    data_dir = resolve_data_dir(args.data_dir)
    try:
        return _run(args, data_dir, microphone)
    except UserError as error:
        print(f"musings: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nmusings: interrupted; run `musings import` again to resume where it stopped.", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: its traceback goes to the log file, the terminal gets one line
        print(f"musings: {bug_message(error, record_bug(data_dir, error, f'musings {args.command}'))}",
              file=sys.stderr)
        return EXIT_BUG


def _run(args, data_dir: Path, microphone) -> int:
    """The command, with the failures that are the user's to fix told as a UserError."""
    try:
        if args.command == "listen":
            code = cmd_listen(args, data_dir, microphone)
        else:
            code = COMMANDS[args.command](args, data_dir)
        sys.stdout.flush()  # here, not at exit: a reader gone by then would get a traceback
        return code
    except BrokenPipeError:
        # The reader went away (`musings list | head`): stop quietly, as `cat` does. Python would flush
        # stdout again at exit and fail the same way, so stdout now goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 128 + signal.SIGPIPE
    except OverflowError as error:
        if "sqlite" not in str(error).lower():
            raise
        # An id or position beyond SQLite's integers (`musings edit 1 999999999999999999999 x`).
        raise Refused(f"a number given is too large (the biggest is {SQLITE_MAX_INTEGER})") from None
    except sqlite3.DatabaseError as error:
        if not is_damage(error):
            raise
        # Damage the checks at open could not see (a big file's pages are not all read then).
        raise StorageError(damaged_message(data_dir / DATABASE_NAME, error)) from None


def _library(data_dir: Path, *, read_only: bool = False):
    from app.core import Musings

    return Musings(data_dir, read_only=read_only)


def cmd_import(args, data_dir: Path) -> int:
    from app.progress import ImportProgressBar

    vocabulary = [word.strip() for entry in args.vocabulary for word in entry.split(",") if word.strip()]
    settings = TranscriptionSettings(model=args.model, language=args.language, device=args.device,
                                     vocabulary=vocabulary, allow_download=args.allow_download)
    if args.volume is not None:
        return _import_volumes(args, data_dir, settings)
    if args.clear_after:
        raise Refused("--clear-after goes with --volume (recordings are only deleted from a recorder)")
    bar = ImportProgressBar(show_bar=False if args.json else None)
    try:
        summary = _library(data_dir).import_recordings(args.paths, settings, on_event=bar)
    finally:
        bar.close()
    for path in summary.still_recording:
        print(f"musings: {path} is still being recorded; it is left for later", file=sys.stderr)
    if args.json:
        _print_json({"counts": summary.counts, "events": [asdict(event) for event in summary.report.events
                                                          if event.kind not in ("queued", "started")]})
    else:
        print(summary.sentence())
    return 1 if summary.count("failed") else 0


def cmd_list(args, data_dir: Path) -> int:
    if args.limit is not None and abs(args.limit) > SQLITE_MAX_INTEGER:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")  # reported by main()
    library = _library(data_dir, read_only=True)
    if args.theme is not None:
        return _list_theme(library, args)
    memos = library.memos(status=args.status, limit=args.limit, archived=args.all)
    if args.json:
        themes = library.themes()  # theme_id is the memo's most specific theme; theme_path its names from the top
        counts = library.idea_counts()  # a transcribed memo not split yet holds one idea
        _print_json([{**asdict(memo), "theme_path": library.theme_path(memo.theme_id, themes),
                      "ideas": counts.get(memo.id, 1 if memo.status == "done" else 0)} for memo in memos])
        return 0
    counts = library.idea_counts()
    for memo in memos:
        print(_memo_line(memo, counts.get(memo.id, 1)))
    return 0


REVIEW_KEYS = {"k": "kept", "d": "done", "a": "archived"}
REVIEW_PROMPT = "[k]eep  [d]one  [a]rchive  [m]ove  [p]lay  [s]kip  [q]uit > "


def cmd_review(args, data_dir: Path) -> int:
    """`musings review`: the queue one memo at a time (a line of input per memo: a terminal or a pipe)."""
    library = _library(data_dir, read_only=args.json)
    queue = library.review_queue(limit=args.limit)
    ideas = library.split_memos_ideas(item.memo.id for item in queue)  # a long recording: the ideas to look at
    if args.json:
        _print_json([{"memo_id": item.memo.id, "title": item.memo.title, "recorded_at": item.memo.recorded_at,
                      "theme_id": item.memo.theme_id, "theme_path": item.theme_path,
                      "transcript": item.memo.transcript,
                      "ideas": [_idea_json(idea) for idea in ideas.get(item.memo.id, ())]} for item in queue])
        return 0
    if not queue:
        print("Nothing to review: every memo has been looked at.")
        return 0
    player = None
    reviewed = 0
    try:
        for number, item in enumerate(queue, 1):
            memo = item.memo
            print(f"\n[{number}/{len(queue)}] {' › '.join(item.theme_path) or 'Unsorted'} · "
                  f"{shown_datetime(memo.recorded_at)} · {clock(memo.duration)}")
            print(terminal_safe(memo_title(memo)))
            for n, idea in enumerate(ideas.get(memo.id, ()), start=1):
                print(terminal_safe(f"  idea {n} at {clock(idea.start)}: {one_line(idea.title)}"))
            print(terminal_safe(textwrap.fill(memo.transcript or "", width=88, max_lines=12, placeholder=" …")))
            while True:
                try:
                    answer = input(REVIEW_PROMPT).strip().lower()[:1]
                except EOFError:
                    answer = "q"
                if player is not None:
                    player.stop()
                    player = None
                if answer in REVIEW_KEYS:
                    library.set_review([memo.id], REVIEW_KEYS[answer])
                    reviewed += 1
                    print(f"  {REVIEW_KEYS[answer]}")
                    break
                if answer == "m":
                    try:
                        where = input("  move to (a theme's id or name, \"unsorted\", or a new name): ").strip()
                    except EOFError:
                        where = ""
                    if where:
                        library.move_to(memo.id, where)
                        print(f"  moved to {' › '.join(library.theme_path(library.memo(memo.id).theme_id)) or 'Unsorted'}")
                    continue
                if answer == "p":
                    player = _play(library.data_dir / memo.library_path) if memo.library_path else None
                    continue
                if answer in ("s", ""):
                    break
                if answer == "q":
                    return _reviewed(reviewed, len(queue))
                print("  k, d, a, m, p, s or q")
    finally:
        if player is not None:
            player.stop()
    return _reviewed(reviewed, len(queue))


def _reviewed(reviewed: int, total: int) -> int:
    print(f"\nReviewed {reviewed} of {total}.")
    return 0


def _play(path: Path):
    """Start playing a memo's audio (stopped by the next key); None, with a line, when it can't play."""
    from audio.playback import play_file

    try:
        return play_file(path)
    except UserError as error:
        print(f"  can't play it: {error}")
        return None


def cmd_digest(args, data_dir: Path) -> int:
    digest = _library(data_dir).digest(args.kind or "week")
    period = digest.period
    memo_json = (lambda m: {"memo_id": m.id, "title": m.title, "recorded_at": m.recorded_at})  # noqa: E731
    if args.json:
        _print_json({"period": period.label, "start": period.start.isoformat(),
                     "end": period.last.isoformat(),
                     "new": [{"theme": name, "memos": [memo_json(m) for m in memos]}
                             for name, memos in digest.new_by_theme],
                     "recurring": [[memo_json(m) for m in chain] for chain in digest.recurring],
                     "grew": [{"theme": name, "memos": n, "before": before} for name, n, before in digest.grew],
                     "quiet": digest.quiet,
                     "todos": [{"id": t.id, "memo_id": t.memo_id, "text": t.text, "due": t.due} for t in digest.todos],
                     "brought_back": memo_json(digest.brought_back) if digest.brought_back else None})
        return 0
    last = period.last
    print(f"Digest {period.label} ({period.start:%d %b} – {last:%d %b %Y}): "
          f"{digest.new_count} new memo{'s' * (digest.new_count != 1)}")
    if digest.new_by_theme:
        print("\nNew ideas")
        for name, memos in digest.new_by_theme:
            print(terminal_safe(f"  {name} ({len(memos)}): " + " · ".join(memo_title(m) for m in memos[:8])
                                + (" …" if len(memos) > 8 else "")))
    if digest.recurring:
        print("\nSaid again")
        for chain in digest.recurring:
            print(terminal_safe(f"  {said_times(chain)} — {memo_title(chain[-1])}"))
    if digest.grew:
        print("\nThemes that grew: " + ", ".join(f"{name} ({n}, was {before})" for name, n, before in digest.grew))
    if digest.quiet:
        print("Went quiet: " + ", ".join(digest.quiet))
    if digest.todos:
        print("\nOpen to-dos")
        for t in digest.todos[:20]:
            print(terminal_safe(f"  [ ] {t.text}" + (f"  due {t.due}" if t.due else "") + f"  (memo {t.memo_id})"))
    if digest.brought_back is not None:
        memo = digest.brought_back
        print(terminal_safe(f"\nBrought back: {memo_title(memo)} (kept, {shown_day(memo.recorded_at)}) — "
                            f"{one_line((memo.transcript or '').strip())[:160]}"))
    return 0


def cmd_todos(args, data_dir: Path) -> int:
    library = _library(data_dir)
    found = library.todos(include_done=args.all)
    ideas = library.ideas_of_todos(found)  # where a memo holds several ideas: the one it is said in
    if args.json:
        _print_json([{"id": t.id, "memo_id": t.memo_id, "text": t.text, "due": t.due, "done": t.done_at is not None,
                      "start": t.start, "idea_id": ideas[t.id].id if t.id in ideas else None,
                      "idea": ideas[t.id].title if t.id in ideas else None} for t in found])
        return 0
    if not found:
        print("No to-dos." if args.all else "No open to-dos.")
    for t in found:
        due = f"  due {t.due}" if t.due else ""
        said = f"memo {t.memo_id}" + (f", idea “{ideas[t.id].title}”" if t.id in ideas else "") \
            + (f" at {clock(t.start)}" if t.start is not None else "")
        print(terminal_safe(f"{t.id:>5}  [{'x' if t.done_at else ' '}] {t.text}{due}  ({said})"))
    return 0


def cmd_todo(args, data_dir: Path) -> int:
    _library(data_dir).set_todo_done(args.todo_id, args.action == "done")
    print(f"to-do {args.todo_id} {'done' if args.action == 'done' else 'open again'}")
    return 0


def cmd_mark(args, data_dir: Path) -> int:
    _library(data_dir).set_review(args.memo_ids, args.state)
    print(f"{len(args.memo_ids)} memo{'s' * (len(args.memo_ids) != 1)} marked {args.state}")
    return 0


def _list_theme(library, args) -> int:
    """`musings list --theme ID`: the memos under a theme; one there by an idea only is listed by that idea."""
    listed = library.theme_listing(args.theme, archived=args.all)[:args.limit]
    if args.json:
        _print_json([{"memo_id": memo.id, "title": memo.title, "recorded_at": memo.recorded_at,
                      "theme_id": memo.theme_id, "idea": None if why is None else {"number": why[0], **_idea_json(why[1])}}
                     for memo, why in listed])
        return 0
    for memo, why in listed:
        if why is None:
            print(_memo_line(memo))
        else:
            number, idea = why
            print(terminal_safe(f"{memo.id:>5}  {shown_datetime(memo.recorded_at)}  {clock(idea.start):>7}  "
                                f"{'idea':<12}  {one_line(idea_listing_title(number, idea, memo))[:70]}"))
    return 0


def _memo_line(memo, ideas: int = 1) -> str:
    first_line = memo.transcript or memo.error or ""
    label = f"{memo.title}: " if memo.title else "" if first_line.strip() else memo_title(memo)
    label = f"[{ideas} ideas] {label}" if ideas > 1 else label
    return (f"{memo.id:>5}  {shown_datetime(memo.recorded_at)}  {clock(memo.duration):>7}  "
            f"{memo.status:<12}  {one_line(label + first_line.strip())[:70]}")


def _idea_json(idea) -> dict:
    return {"id": idea.id, "start": idea.start, "end": idea.end, "title": idea.title, "theme_id": idea.theme_id}


def _print_ideas(memo_id: int, ideas: list) -> None:
    for number, idea in enumerate(ideas, start=1):
        print(terminal_safe(f"{idea.id if idea.id is not None else '-':>6}  {number}. [{clock(idea.start)} → "
                            f"{clock(idea.end)}] {one_line(idea.title)}"))
    print(f"memo {memo_id}: {len(ideas)} idea{'s' if len(ideas) != 1 else ''}")


def cmd_split(args, data_dir: Path) -> int:
    ideas = _library(data_dir).split_idea(args.memo_id, args.seconds)
    if args.json:
        _print_json([_idea_json(idea) for idea in ideas])
    else:
        _print_ideas(args.memo_id, ideas)
    return 0


def cmd_join_ideas(args, data_dir: Path) -> int:
    ideas = _library(data_dir).join_ideas(*args.idea_ids)
    if args.json:
        _print_json([_idea_json(idea) for idea in ideas])
    elif ideas:
        _print_ideas(ideas[0].memo_id, ideas)
    return 0


def cmd_idea(args, data_dir: Path) -> int:
    library = _library(data_dir)
    if args.action == "title":
        ideas = library.title_idea(args.idea_id, args.title)
    else:
        ideas = library.move_idea(args.idea_id, args.theme)
    if args.json:
        _print_json([_idea_json(idea) for idea in ideas])
    elif ideas:
        _print_ideas(ideas[0].memo_id, ideas)
    return 0


def cmd_show(args, data_dir: Path) -> int:
    library = _library(data_dir, read_only=True)
    memo = library.memo(args.memo_id)
    segments = library.segments(memo.id)
    ideas = library.ideas(memo.id) if memo.status == "done" else []
    if args.json:
        _print_json({**asdict(memo), "segments": [{**asdict(segment), "shown_text": segment.shown_text}
                                                  for segment in segments],
                     "ideas": [_idea_json(idea) for idea in ideas]})
        return 0
    print(terminal_safe(f"Memo {memo.id}: {memo.original_name}"))
    print(terminal_safe(f"Recorded {shown_datetime(memo.recorded_at)}, {clock(memo.duration)}, {memo.status}"
                        + (f" ({memo.error})" if memo.error else "")))
    print(terminal_safe(f"Audio: {data_dir / memo.library_path}\n"))
    from app.ideas import idea_row

    starts, shown = [idea.start for idea in ideas], None
    for segment in segments:
        row = idea_row(starts, segment.start, segment.end) if len(ideas) > 1 else None
        if row is not None and row != shown:  # the passage that opens an idea, by the rule every front uses
            shown = row
            print(terminal_safe(f"\n## Idea {row + 1} (id {ideas[row].id}): {one_line(ideas[row].title)}"))
        mark = " (edited)" if segment.edited_text is not None else ""
        print(f"[{clock(segment.start)} → {clock(segment.end)}] {one_line(segment.shown_text)}{mark}")
    return 0


def cmd_search(args, data_dir: Path) -> int:
    results = _library(data_dir, read_only=True).search(args.query, mode=args.mode or "hybrid", limit=args.limit,
                                                        theme_id=args.theme)
    if args.json:
        _print_json([{"memo_id": r.memo.id, "title": r.memo.title, "recorded_at": r.memo.recorded_at,
                      "matched_by": r.matched_by, "snippet": _highlight(r.snippet, "**", "**"),
                      "start": r.start, "idea": r.idea_title} for r in results])
        return 0
    bold = ("\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for r in results:
        idea = f" › {one_line(r.idea_title)} (from {clock(r.start)})" if r.idea_title else ""
        print(f"{r.memo.id:>5}  {shown_day(r.memo.recorded_at)}  {one_line(r.memo.title)}{idea}: "
              f"{_shown_snippet(r.snippet, *bold)}")
    if not results:
        print("no matches", file=sys.stderr)
    return 0


def cmd_themes(args, data_dir: Path) -> int:
    library = _library(data_dir, read_only=not args.rebuild)
    if args.rebuild:
        library.rebuild_themes()
    # Each broad theme followed by its sub-themes; `count` is every memo under a theme, `memos` those
    # directly in it (a broad theme's own, not its sub-themes').
    tree = [(t, depth) for top, subthemes in library.theme_tree()
            for t, depth in [(top, 0), *((sub, 1) for sub in subthemes)]]
    unsorted = library.unsorted_count()
    if args.json:
        _print_json({"themes": [{"id": t.id, "name": t.name, "parent_id": t.parent_id, "count": t.count,
                                 "memos": t.memo_count, "renamed": t.name_edited} for t, _ in tree],
                     "unsorted": unsorted})
        return 0
    for t, depth in tree:
        print(f"{t.id:>5}  {t.count:>5}  {'  ' * depth}{one_line(t.name)}")
    print(f"{'':>5}  {unsorted:>5}  (Unsorted)")
    return 0


def cmd_theme(args, data_dir: Path) -> int:
    library = _library(data_dir)
    if args.action == "rename":
        library.rename_theme(args.theme_id, args.name)
    elif args.action == "merge":
        library.merge_themes(args.source_id, args.target_id)
    elif args.action == "nest":
        print(library.nest_theme(args.child_id, args.parent_id))
    else:
        print(library.nest_theme(args.theme_id, None))
    return 0


def cmd_move(args, data_dir: Path) -> int:
    _library(data_dir).move_to(args.memo_id, args.theme)
    return 0


def cmd_title(args, data_dir: Path) -> int:
    _library(data_dir).set_title(args.memo_id, args.title)
    return 0


def cmd_edit(args, data_dir: Path) -> int:
    if args.restore == (args.text is not None):
        print("musings: give either the new TEXT or --restore", file=sys.stderr)
        return 2
    _library(data_dir).edit_segment(args.memo_id, args.position, None if args.restore else args.text)
    return 0


def cmd_related(args, data_dir: Path) -> int:
    library = _library(data_dir, read_only=True)
    found = library.related(args.memo_id, limit=args.limit)
    said = library.recurrence(args.memo_id)  # the same idea on other days
    if args.json:
        _print_json([{"memo_id": r.memo.id, "title": r.memo.title, "score": round(r.score, 4),
                      "closeness": r.closeness, "near_duplicate": r.near_duplicate,
                      "same_idea": any(m.id == r.memo.id for m in said),
                      "start": r.start, "idea": r.idea_title, "for_idea": r.for_idea} for r in found])
        return 0
    if said:
        print(f"{said_times(said)} (memos {', '.join(str(m.id) for m in said)})")
    if not found:
        print("Nothing related yet.")
    for r in found:
        mark = "  (near-duplicate)" if r.near_duplicate else ""
        where = f"  (its idea at {clock(r.start)}: {one_line(r.idea_title)})" if r.idea_title else ""
        mine = f"  [to your idea: {one_line(r.for_idea)}]" if r.for_idea else ""
        print(terminal_safe(f"{r.memo.id:>5}  {r.closeness:<10}  {one_line(memo_title(r.memo))}{where}{mine}{mark}"))
    return 0


def cmd_export(args, data_dir: Path) -> int:
    result = _library(data_dir, read_only=True).export(args.folder)
    summary = {"written": len(result.written), "unchanged": result.unchanged, "removed": len(result.removed),
               "kept": [str(p) for p in result.skipped_user_files]}
    if args.json:
        _print_json(summary)
    else:
        print(f"{args.folder}: {summary['written']} written, {summary['unchanged']} unchanged, "
              f"{summary['removed']} removed")
        for path in result.skipped_user_files:
            print(f"kept your edits: {path}")
    return 0


def cmd_delete(args, data_dir: Path) -> int:
    deleted = _library(data_dir).delete(args.memo_ids)
    print(f"{len(deleted)} memo{'s' * (len(deleted) != 1)} moved to the trash "
          f"(`musings restore ID` brings one back; the trash is emptied after 30 days)")
    return 0


def cmd_trash(args, data_dir: Path) -> int:
    if args.empty:
        removed = _library(data_dir).empty_trash()
        print(f"{removed} memo{'s' * (removed != 1)} deleted for good, with {'their' if removed != 1 else 'its'} audio")
        return 0
    memos = _library(data_dir, read_only=True).trash()
    if args.json:
        _print_json([asdict(memo) for memo in memos])
        return 0
    for memo in memos:
        print(f"{_memo_line(memo)}  (deleted {shown_datetime(memo.deleted_at)})")
    if not memos:
        print("the trash is empty", file=sys.stderr)
    return 0


def cmd_join(args, data_dir: Path) -> int:
    if args.suggest:
        if args.memo_ids:
            raise Refused("give either memo ids to join or --suggest, not both")
        groups = _library(data_dir, read_only=True).join_suggestions()
        if args.json:
            _print_json([{"memo_ids": [m.id for m in group], "recorded_at": group[0].recorded_at,
                          "duration": round(sum(m.duration or 0 for m in group), 3),
                          "folder": os.path.dirname(group[0].original_path)} for group in groups])
            return 0
        for group in groups:
            print(terminal_safe(f"{' '.join(str(m.id) for m in group)}  {shown_datetime(group[0].recorded_at)}  "
                                f"{clock(sum(m.duration or 0 for m in group))}  {os.path.dirname(group[0].original_path)}"))
        if not groups:
            print("no memos look like one recording split into files", file=sys.stderr)
        return 0
    settings = TranscriptionSettings(model=args.model, language=args.language)
    count = len(set(args.memo_ids))
    memo = _library(data_dir).join(args.memo_ids, settings)
    if args.json:
        _print_json({"memo_id": memo.id, "joined": count, "duration": memo.duration})
    else:
        print(f"memo {memo.id}: joined {count} recordings ({clock(memo.duration)})")
    return 0


def cmd_restore(args, data_dir: Path) -> int:
    memo = _library(data_dir).restore(args.memo_id)
    print(f"memo {memo.id} is back: {one_line(memo_title(memo))}")
    return 0


def cmd_record(args, data_dir: Path) -> int:
    if args.toggle:  # normally run by app.entry before this module loads
        return toggle_recording(args, data_dir)
    from app.capture import record_memo

    settings = TranscriptionSettings(model=args.model, language=args.language)
    device = int(args.device) if args.device and args.device.isdigit() else args.device
    stop_event = threading.Event()

    def announce(path: Path) -> None:
        if args.seconds is None:
            print("Recording… press Enter to stop", file=sys.stderr, flush=True)
            threading.Thread(target=_set_on_enter, args=(stop_event,), daemon=True).start()
        else:
            print(f"Recording for {args.seconds:g} s…", file=sys.stderr, flush=True)

    outcome = record_memo(data_dir, settings, device=device, seconds=args.seconds,
                          stop_on_silence=args.stop_on_silence, stop_event=stop_event, on_start=announce)
    if args.json:
        _print_json(asdict(outcome))
    else:
        print(outcome.transcript)
    if outcome.error:
        print(f"musings: {' '.join(outcome.error.split())}", file=sys.stderr)
        return 1
    return 0


def cmd_listen(args, data_dir: Path, microphone=None) -> int:
    from app.cold_start import StartReport
    from app.notify import tell_user

    report = StartReport()  # the `record --toggle` that started this listener, if one did
    settings = TranscriptionSettings(model=args.model, language=args.language)
    device = int(args.device) if args.device and args.device.isdigit() else args.device
    keep_input_open = (not args.night) if args.keep_mic_open is None else args.keep_mic_open
    cue_players = []

    def failed(message: str) -> None:
        print(f"musings: {' '.join(message.split())}", file=sys.stderr, flush=True)
        cue_players.append(tell_user(message, night=args.night))  # nobody may be looking at a terminal

    def give_up(message: str) -> int:
        report.send({"ok": False, "state": "idle", "error": message})
        for player in cue_players:
            if player is not None:
                player.join(2)  # let the failure cue finish before the process ends
        return 1

    recorder = None
    try:
        if args.start_recording:
            # Opened by app.entry before this module's imports: the device wakes up while they load.
            recorder = open_microphone(args.device) if microphone is None else microphone
            if isinstance(recorder, CaptureError):
                raise recorder
        else:
            find_input_device(device)  # an unknown microphone is reported now, not at the first toggle
    except CaptureError as error:
        failed(str(error))
        return give_up(str(error))
    from app.controller import CaptureController

    def memo_made(outcome) -> None:
        print(f"memo {outcome.memo_id}: {clock(outcome.duration)}  {outcome.transcript[:70]}", flush=True)

    # Started by a key press with nothing on screen: the start cue is the user's sign to speak.
    controller = CaptureController(data_dir, settings, device=device, night_mode=args.night,
                                   stop_on_silence=args.stop_on_silence, on_memo=memo_made, on_error=failed,
                                   keep_input_open=keep_input_open, recorder=recorder,
                                   cues=args.start_recording)
    if args.start_recording:
        failure = controller.start()  # before anything else: the user is waiting to talk
        if failure is not None:
            controller.close()
            return give_up(failure)
    server = InstanceServer(controller)
    try:
        server.start()
    except AlreadyRunning as error:
        controller.close()
        if args.start_recording:  # two `record --toggle` raced to start a listener: pass this one on
            reply = send_command("toggle")
            report.send(reply or {"ok": False, "state": "idle", "error": str(error)})
            return 0 if reply and reply.get("ok") else 1
        print(f"musings: {error}", file=sys.stderr)
        return 1
    report.send({"ok": True, "state": controller.state})
    done = threading.Event()
    hotkey = intake = None
    try:
        controller.preload()
        intake = _start_intake(data_dir, settings)  # watched folders and USB recorders come in by themselves
        if args.hotkey.lower() != "none":
            hotkey = start_global_hotkey(args.hotkey, controller.toggle)
        signal.signal(signal.SIGTERM, lambda *_: done.set())
        print(f"Listening (pid {os.getpid()}); toggle with {args.hotkey if hotkey else '`musings record --toggle`'};"
              " Ctrl-C to quit", file=sys.stderr, flush=True)
        while not done.wait(0.5):  # a timed wait so Ctrl-C gets through
            pass
    except KeyboardInterrupt:
        pass
    finally:
        if hotkey is not None:
            hotkey.stop()
        if intake is not None:
            intake.stop()
        server.close()
        controller.close()  # a recording in progress becomes a memo before we exit
    return 0


def _start_intake(data_dir: Path, settings):
    """`listen` also watches the watched folders and USB recorders (unless another Musings does), saying
    in one line on stderr what came in."""
    from app.intake import Intake

    def told(kind: str, path: str, detail: str | None) -> None:
        if kind in ("imported", "refused", "missing", "error", "standby") or (
                kind == "volume" and detail and not detail.endswith(")")):
            print(f"musings: {kind}: {path}" + (f" ({detail})" if detail else ""), file=sys.stderr, flush=True)

    intake = Intake(_library(data_dir), settings, on_event=told)
    intake.start()
    return intake


def _set_on_enter(stop_event: threading.Event) -> None:
    # At end of input (stdin not a terminal) keep recording: stop with --seconds, silence or Ctrl-C.
    if sys.stdin is not None and sys.stdin.readline():
        stop_event.set()


def cmd_watch(args, data_dir: Path) -> int:
    library = _library(data_dir, read_only=args.action == "list")
    if args.action == "add":
        folder = library.add_watched_folder(args.folder, recursive=not args.no_recursive)
        print(f"watching {folder.path}{' and its subfolders' if folder.recursive else ''}: new recordings "
              "there are imported while `musings watch`, `musings listen` or the window runs")
        return 0
    if args.action == "remove":
        print(f"no longer watching {library.remove_watched_folder(args.folder)} (its memos stay)")
        return 0
    if args.action == "list":
        folders = library.watched_status()
        if args.json:
            _print_json([asdict(folder) for folder in folders])
            return 0
        for folder in folders:
            print(_watched_line(folder))
        if not folders:
            print("no watched folders (`musings watch add DIR`)", file=sys.stderr)
        return 0
    return _watch_in_foreground(args, library)


def _watched_line(folder) -> str:
    activity = f"last activity {shown_datetime(folder.last_activity)}" if folder.last_activity else "no activity yet"
    return terminal_safe(f"{folder.path}{'' if folder.recursive else ' (not subfolders)'}: "
                         f"{folder.problem or activity}")


def _watch_in_foreground(args, library) -> int:
    from app.intake import SETTLE_SECONDS

    settings = TranscriptionSettings(model=args.model, language=args.language)
    if not library.watched_folders():
        print("musings: no folders are watched yet (`musings watch add DIR`); waiting for one", file=sys.stderr,
              flush=True)
    shown = {"waiting": "waiting", "importing": "importing", "imported": "imported", "skipped": "skipped",
             "refused": "refused", "missing": "missing", "back": "back", "error": "error"}

    def told(kind: str, path: str, detail: str | None) -> None:
        if kind == "standby":  # the window or `musings listen` watches: this one waits and takes over
            print(f"musings: {detail}", file=sys.stderr, flush=True)
        elif kind == "watching":
            folders = ", ".join(f.path for f in library.watched_folders()) or "none yet"
            print(f"Watching {folders} (pid {os.getpid()}); Ctrl-C to stop", file=sys.stderr, flush=True)
        elif kind in shown and not (kind == "waiting" and detail == "waiting for it to settle"):
            print(terminal_safe(f"{shown[kind]}: {path}" + (f" ({detail})" if detail else "")), flush=True)

    watcher = library.folder_watcher(settings, on_event=told,
                                     settle_seconds=SETTLE_SECONDS if args.settle is None else max(0.0, args.settle))
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        watcher.run_forever(done)
    except KeyboardInterrupt:
        watcher.stop()
    return 0


def cmd_devices(args, data_dir: Path) -> int:
    if args.volumes:
        return _volumes(args, data_dir)
    devices = list_input_devices()
    if args.json:
        _print_json([asdict(device) for device in devices])
        return 0
    for device in devices:
        mark = "  (default)" if device.is_default else ""
        print(f"{device.index:>3}  {device.name}  {device.channels} ch, {device.default_samplerate:g} Hz{mark}")
    if not devices:
        print("no microphones found", file=sys.stderr)
    return 0


def _volumes(args, data_dir: Path) -> int:
    volumes = _library(data_dir, read_only=True).volumes()
    if args.json:
        _print_json([asdict(volume) for volume in volumes])
        return 0
    for v in volumes:
        identity = f"UUID {v.uuid}" if v.uuid else (f"label {v.label}" if v.label else "no UUID or label")
        what = (f"recorder: {v.reason}; {v.new} new" if v.recorder else f"not a recorder: {v.reason}")
        print(terminal_safe(f"{v.mount_point}  {v.name} ({v.fstype}, {identity})  {what}"))
    if not volumes:
        print("no removable volumes mounted", file=sys.stderr)
    return 0


def cmd_recorder(args, data_dir: Path) -> int:
    recorder = _library(data_dir).mark_volume(args.path, marked=not args.unmark)
    if recorder is None:
        print(terminal_safe(f"{args.path} is no longer taken for a recorder"))
    else:
        print(terminal_safe(f"{recorder.name} ({recorder.volume.key}) is a recorder: {recorder.reason}; "
                            f"{len(recorder.files)} recordings (`musings import --volume {args.path}`)"))
    return 0


def _import_volumes(args, data_dir: Path, settings) -> int:
    from app.progress import ImportProgressBar

    library = _library(data_dir)
    if args.paths:
        raise Refused("give either files and folders or --volume, not both")
    if args.volume:
        targets = [library.volume(Path(args.volume))]
    else:
        targets = [library.volume(Path(v.mount_point)) for v in library.volumes() if v.recorder]
        if not targets:
            raise NotFound("no voice recorder is mounted (see `musings devices --volumes`)")
    results, failed = [], 0
    for volume in targets:
        bar = ImportProgressBar(show_bar=False if args.json else None)
        told = (lambda p: None) if args.json else (
            lambda p: print(p.message, file=sys.stderr, flush=True) if p.done == 0 and not p.finished else None)
        try:
            outcome = library.import_from_volume(volume, settings, clear_after=args.clear_after, on_event=bar,
                                                 on_progress=told)
        finally:
            bar.close()
        failed += bool(outcome.refused) or bool(outcome.summary and outcome.summary.count("failed"))
        results.append(outcome)
        if not args.json:
            line = f"{outcome.recorder.name}: {len(outcome.new)} new"
            if outcome.summary is not None:
                line += f" ({outcome.summary.sentence()})"
            if args.clear_after:
                line += f"; {len(outcome.cleared)} deleted from the recorder, {len(outcome.kept)} kept"
            print(terminal_safe(line))
    if args.json:
        _print_json([{"name": r.recorder.name, "key": r.recorder.volume.key,
                      "mount_point": str(r.recorder.volume.mount_point), "new": r.new, "imported": r.imported,
                      "refused": r.refused, "cleared": r.cleared, "kept": r.kept,
                      "counts": r.summary.counts if r.summary else None} for r in results])
    return 1 if failed else 0


def cmd_status(args, data_dir: Path) -> int:
    status = _library(data_dir, read_only=True).status()
    counts, unfinished = status.counts, status.unfinished  # unfinished: a crash's recordings, not memos yet
    if args.json:
        _print_json({"data_dir": str(data_dir), "memos": counts, "audio_seconds": status.audio_seconds,
                     "problems": [{"path": path, "reason": reason} for path, reason in status.problems],
                     "unfinished_recordings": [{"path": str(r.path), "bytes": r.size, "in_use": r.in_use}
                                               for r in unfinished],
                     "in_trash": status.in_trash,
                     "watched": [asdict(folder) for folder in status.watched],
                     "watcher_pid": status.watcher_pid,
                     "volumes": [asdict(volume) for volume in status.volumes]})
        return 0
    print(f"Data folder: {data_dir}")
    print(f"Memos: {sum(counts.values())} ({', '.join(f'{n} {s}' for s, n in counts.items() if n)}), "
          f"{clock(status.audio_seconds)} of audio")
    queued = counts[store.PENDING] + counts[store.TRANSCRIBING]
    if queued:
        print(f"{queued} waiting to be transcribed: run `musings import` to resume")
    for path, reason in status.problems[:20]:
        print(f"problem: {path}: {reason}")
    if unfinished:
        print(f"{len(unfinished)} unfinished recording(s) waiting in {inbox_dir(data_dir)}: "
              "run `musings import` to recover them")
    for recording in unfinished[:20]:
        print(f"unfinished: {recording.path}" + ("  (being recorded now?)" if recording.in_use else ""))
    if status.in_trash:
        print(f"{status.in_trash} in the trash (`musings trash`)")
    for folder in status.watched:
        print(f"watched: {_watched_line(folder)}")
        for path in folder.waiting[:20]:
            print(terminal_safe(f"  waiting to settle: {path}"))
        for path, reason in folder.refused[:20]:
            print(terminal_safe(f"  refused: {path}: {reason}"))
    if status.watched:
        print(f"watcher: running (pid {status.watcher_pid})" if status.watcher_pid else
              "watcher: not running (`musings watch`, `musings listen` or the window watches)")
    for volume in status.volumes:
        outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(volume.counts.items())) or "nothing yet"
        print(terminal_safe(f"recorder: {volume.name} ({volume.key}): {outcomes}; last seen "
                            f"{shown_datetime(volume.last_seen)}"
                            + (f", last file {shown_datetime(volume.last_activity)}" if volume.last_activity else "")))
        for path, reason in volume.refused[:20]:
            print(terminal_safe(f"  refused: {path}: {reason}"))
    return 0


def cmd_repair(args, data_dir: Path) -> int:
    from app.repair import repair_library

    report = repair_library(data_dir)
    if args.json:
        _print_json(asdict(report))
        return 0
    if report.damaged_kept_as:
        print(f"The damaged database is kept as {report.damaged_kept_as}; a new one was made.")
    if report.added:
        salvaged = f", {report.salvaged} with their names and dates from the damaged file" if report.salvaged else ""
        print(f"{report.added} recording(s) from the library added as memos{salvaged}. "
              f"Run `musings import` to transcribe them.")
    for path, reason in report.unusable:
        print(f"not added: {path}: {reason}")
    if not report.damaged_kept_as and not report.added:
        print(f"Nothing to repair: the database in {data_dir} is fine and knows every recording in the library.")
    return 0


def cmd_install_desktop(args, data_dir: Path) -> int:
    from app.desktop import DesktopError, install_desktop

    try:
        change = install_desktop(autostart=args.autostart, watch=args.watch)
    except (DesktopError, OSError) as error:
        print(f"musings: cannot install the desktop entry: {error}", file=sys.stderr)
        return 1
    for path in change.removed:
        print(f"removed {path}")
    for path in change.written:
        print(f"wrote {path}")
    for note in change.notes:
        print(f"musings: {note}", file=sys.stderr)
    for problem in change.problems:
        print(f"musings: desktop-file-validate: {problem}", file=sys.stderr)
    return 1 if change.problems else 0


def cmd_uninstall_desktop(args, data_dir: Path) -> int:
    from app.desktop import DesktopError, uninstall_desktop

    try:
        change = uninstall_desktop()
    except (DesktopError, OSError) as error:
        print(f"musings: cannot remove the desktop entry: {error}", file=sys.stderr)
        return 1
    for path in change.removed:
        print(f"removed {path}")
    for path in change.kept:
        print(f"kept {path} (changed since it was installed)")
    for note in change.notes:
        print(f"musings: {note}", file=sys.stderr)
    if not change.removed and not change.kept:
        print("nothing to remove: the desktop entry is not installed")
    return 0


def _highlight(snippet: str, start: str, end: str) -> str:
    return snippet.replace(store.HIGHLIGHT_START, start).replace(store.HIGHLIGHT_END, end)


def _shown_snippet(snippet: str, start: str, end: str) -> str:
    """A search snippet for the terminal: hits between `start` and `end`, the memo's own text made safe."""
    pieces = snippet.replace(store.HIGHLIGHT_END, store.HIGHLIGHT_START).split(store.HIGHLIGHT_START)
    # split() alternates: text, hit, text, hit...
    return "".join(f"{start}{one_line(piece)}{end}" if n % 2 else one_line(piece) for n, piece in enumerate(pieces))


def _print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


COMMANDS = {"review": cmd_review, "mark": cmd_mark, "digest": cmd_digest, "todos": cmd_todos, "todo": cmd_todo, "import": cmd_import, "list": cmd_list, "show": cmd_show, "split": cmd_split, "join-ideas": cmd_join_ideas, "idea": cmd_idea, "search": cmd_search, "status": cmd_status,
            "themes": cmd_themes, "theme": cmd_theme, "move": cmd_move, "title": cmd_title, "edit": cmd_edit, "related": cmd_related, "export": cmd_export,
            "delete": cmd_delete, "trash": cmd_trash, "restore": cmd_restore, "join": cmd_join,
            "record": cmd_record, "devices": cmd_devices, "recorder": cmd_recorder, "listen": cmd_listen, "watch": cmd_watch,
            "install-desktop": cmd_install_desktop, "uninstall-desktop": cmd_uninstall_desktop, "repair": cmd_repair}
