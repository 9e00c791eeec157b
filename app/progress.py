"""A terminal progress bar for imports: files done, audio time done, time left."""
from __future__ import annotations

import sys

from tqdm import tqdm

from app.importer import ImportEvent, ImportProgress
from app.timefmt import clock


class ImportProgressBar:
    """Prints one line per problem file (its reason in plain words, `plain_reason`) and keeps a bar for the
    transcription queue (on a terminal only)."""

    def __init__(self, stream=sys.stderr, show_bar: bool | None = None):
        self.stream = stream
        self.show_bar = stream.isatty() if show_bar is None else show_bar
        self.bar: tqdm | None = None

    def __call__(self, event: ImportEvent, progress: ImportProgress) -> None:
        if event.kind in ("skipped", "failed", "empty"):  # in the window's words (importer.plain_reason)
            self._write(f"{event.kind}: {event.path}: {event.plain_reason}")
        if not self.show_bar or progress.files_total == 0:
            return
        if self.bar is None:
            self.bar = tqdm(
                total=progress.seconds_total, file=self.stream, unit="s", dynamic_ncols=True,
                bar_format="{desc} |{bar}| {postfix}",
            )
        self.bar.n = progress.seconds_done
        self.bar.set_description_str(f"files {progress.files_done}/{progress.files_total}")
        self.bar.set_postfix_str(
            f"audio {clock(progress.seconds_done)}/{clock(progress.seconds_total)}, "
            f"{clock(progress.seconds_left())} left"
        )
        if progress.files_done == progress.files_total and event.kind not in ("queued", "started"):
            self.close()

    def _write(self, line: str) -> None:
        if self.bar is not None:
            self.bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
