"""The `musings` command."""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from app import __version__
from app.importer import Importer
from app.progress import ImportProgressBar, clock
from audio.decode import AudioError
from audio.models import DEFAULT_MODEL, ModelError
from audio.transcribe import TranscriptionSettings
from storage import memos as store
from storage.db import StorageError, open_database
from storage.library import resolve_data_dir

log = logging.getLogger("musings")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="musings", description="Offline voice memos: import, transcribe, search.")
    parser.add_argument("--version", action="version", version=f"musings {__version__}")
    parser.add_argument("--data-dir", help="data folder (default: $MUSINGS_HOME or the platform's user data folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")
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

    listing = commands.add_parser("list", help="list memos, newest first")
    listing.add_argument("--status", choices=store.STATUSES)
    listing.add_argument("--limit", type=int)
    listing.add_argument("--json", action="store_true")

    showing = commands.add_parser("show", help="a memo's transcript with timestamps")
    showing.add_argument("memo_id", type=int)
    showing.add_argument("--json", action="store_true")

    searching = commands.add_parser("search", help="find memos by words in their transcripts")
    searching.add_argument("query")
    searching.add_argument("--limit", type=int, default=20)
    searching.add_argument("--json", action="store_true")

    status = commands.add_parser("status", help="counts, queue and problems")
    status.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.command is None:
        build_parser().print_help()
        return 0
    data_dir = resolve_data_dir(args.data_dir)
    try:
        return COMMANDS[args.command](args, data_dir)
    except (StorageError, ModelError, AudioError) as error:
        print(f"musings: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nmusings: interrupted; run `musings import` again to resume where it stopped.", file=sys.stderr)
        return 130


def cmd_import(args, data_dir: Path) -> int:
    vocabulary = [word.strip() for entry in args.vocabulary for word in entry.split(",") if word.strip()]
    settings = TranscriptionSettings(model=args.model, language=args.language, device=args.device,
                                     vocabulary=vocabulary, allow_download=args.allow_download)
    bar = ImportProgressBar(show_bar=False if args.json else None)
    try:
        with Importer(data_dir, settings, on_event=bar) as importer:
            report = importer.run(args.paths)
    finally:
        bar.close()
    counts = {kind: len(report.of_kind(kind)) for kind in ("done", "empty", "skipped", "failed")}
    if args.json:
        _print_json({"counts": counts, "events": [asdict(event) for event in report.events
                                                  if event.kind not in ("queued", "started")]})
    else:
        print(f"{counts['done']} transcribed, {counts['empty']} without speech, "
              f"{counts['skipped']} skipped, {counts['failed']} failed")
    return 1 if counts["failed"] else 0


def cmd_list(args, data_dir: Path) -> int:
    memos = store.list_memos(open_database(data_dir), status=args.status, limit=args.limit)
    if args.json:
        _print_json([asdict(memo) for memo in memos])
        return 0
    for memo in memos:
        first_line = (memo.transcript or memo.error or "").strip()
        print(f"{memo.id:>5}  {memo.recorded_at[:16].replace('T', ' ')}  {clock(memo.duration):>7}  "
              f"{memo.status:<12}  {first_line[:60]}")
    return 0


def cmd_show(args, data_dir: Path) -> int:
    db = open_database(data_dir)
    memo = store.get_memo(db, args.memo_id)
    if memo is None:
        print(f"musings: no memo {args.memo_id}", file=sys.stderr)
        return 1
    segments = store.get_segments(db, memo.id)
    if args.json:
        _print_json({**asdict(memo), "segments": [asdict(segment) for segment in segments]})
        return 0
    print(f"Memo {memo.id}: {memo.original_name}")
    print(f"Recorded {memo.recorded_at}, {clock(memo.duration)}, {memo.status}"
          + (f" ({memo.error})" if memo.error else ""))
    print(f"Audio: {data_dir / memo.library_path}\n")
    for segment in segments:
        print(f"[{clock(segment.start)} → {clock(segment.end)}] {segment.text}")
    return 0


def cmd_search(args, data_dir: Path) -> int:
    hits = store.search(open_database(data_dir), args.query, limit=args.limit)
    if args.json:
        _print_json([{"memo_id": hit.memo.id, "recorded_at": hit.memo.recorded_at, "rank": hit.rank,
                      "snippet": _highlight(hit.snippet, "**", "**")} for hit in hits])
        return 0
    bold = ("\x1b[1;33m", "\x1b[0m") if sys.stdout.isatty() else ("[", "]")
    for hit in hits:
        print(f"{hit.memo.id:>5}  {hit.memo.recorded_at[:10]}  {_highlight(hit.snippet, *bold)}")
    if not hits:
        print("no matches", file=sys.stderr)
    return 0


def cmd_status(args, data_dir: Path) -> int:
    db = open_database(data_dir)
    counts = store.status_counts(db)
    problems = store.list_problems(db)
    if args.json:
        _print_json({"data_dir": str(data_dir), "memos": counts, "audio_seconds": store.total_duration(db),
                     "problems": [{"path": path, "reason": reason} for path, reason in problems]})
        return 0
    print(f"Data folder: {data_dir}")
    print(f"Memos: {sum(counts.values())} ({', '.join(f'{n} {s}' for s, n in counts.items() if n)}), "
          f"{clock(store.total_duration(db))} of audio")
    queued = counts[store.PENDING] + counts[store.TRANSCRIBING]
    if queued:
        print(f"{queued} waiting to be transcribed: run `musings import` to resume")
    for path, reason in problems[:20]:
        print(f"problem: {path}: {reason}")
    return 0


def _highlight(snippet: str, start: str, end: str) -> str:
    return snippet.replace(store.HIGHLIGHT_START, start).replace(store.HIGHLIGHT_END, end)


def _print_json(value) -> None:
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


COMMANDS = {"import": cmd_import, "list": cmd_list, "show": cmd_show, "search": cmd_search, "status": cmd_status}

if __name__ == "__main__":
    sys.exit(main())
