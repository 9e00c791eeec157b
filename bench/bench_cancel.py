"""Cancelling an import: how long from "cancel" until the import has stopped.

    .venv/bin/python bench/bench_cancel.py [--tries 5]

The window's Cancel button sets an event the import looks at between two files (the Importer's `cancel`
event; before that existed, the progress callback raised at the next import event), so the wait is what
is left of the file being transcribed. This script does the same with the real `Importer` (tiny.en,
loaded once, organize stage off) on four real clips from tests/data, in a fresh data folder each try,
cancelling at a different moment into the first file's transcription each time. Baseline in the same
run: one file's transcription, start to finish, uncancelled (the longest a cancel can wait on these clips).
"""
from __future__ import annotations

import argparse
import inspect
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.importer import Importer  # noqa: E402
from audio.transcribe import Transcriber, TranscriptionSettings  # noqa: E402
from tests.conftest import DATA  # noqa: E402

CLIPS = sorted((DATA / "speech/fleurs_en_opus").glob("*.ogg"))[1:5]  # what tests/gui/test_window.py imports


class Cancelled(Exception):
    pass


def one_import(transcriber, cancel_after: float | None) -> tuple[float, list[float]]:
    """Import the clips; cancel `cancel_after` s into the first file. Returns (cancel -> stopped s, per-file s)."""
    cancel = threading.Event()
    started_at: dict[str, float] = {}
    per_file: list[float] = []
    cancelled_at = [0.0]

    def on_event(event, progress) -> None:
        if cancel.is_set() and not options:
            raise Cancelled()
        now = time.perf_counter()
        if event.kind == "started":
            started_at[event.path] = now
            if cancel_after is not None and len(started_at) == 1:
                def press() -> None:
                    cancelled_at[0] = time.perf_counter()
                    cancel.set()
                threading.Timer(cancel_after, press).start()
        elif event.kind in ("done", "empty", "failed") and event.path in started_at:
            per_file.append(now - started_at[event.path])

    # the Importer's own cancel event where it has one (what the window sets), else the callback raises
    options = {"cancel": cancel} if "cancel" in inspect.signature(Importer).parameters else {}
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "in"
        folder.mkdir()
        for clip in CLIPS:
            shutil.copy(clip, folder / clip.name)
        with Importer(Path(scratch) / "data", on_event=on_event, transcriber=transcriber, organize=False,
                      **options) as importer:
            try:
                importer.run([folder])
            except Cancelled:
                pass
    return (time.perf_counter() - cancelled_at[0] if cancel.is_set() else float("nan")), per_file


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=5)
    args = parser.parse_args()
    transcriber = Transcriber(TranscriptionSettings(model="tiny.en", language="en"))
    _, per_file = one_import(transcriber, None)  # warm-up and baseline
    file_s = statistics.median(per_file)
    waits = []
    for attempt in range(args.tries):
        fraction = (attempt + 0.5) / args.tries  # spread over the first file
        wait, _ = one_import(transcriber, fraction * file_s)
        waits.append(wait)
        print(f"cancel {fraction * file_s:.2f} s into the first file: stopped {wait:.2f} s later")
    print(f"baseline, one file's transcription: median {file_s:.2f} s, max {max(per_file):.2f} s")
    print(f"cancel -> stopped: median {statistics.median(waits):.2f} s, max {max(waits):.2f} s "
          f"(x{statistics.median(waits) / file_s:.2f} of one file)")


if __name__ == "__main__":
    main()
