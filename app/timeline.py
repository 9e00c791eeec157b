"""The timeline (issue 16, point 5): how many memos each broad theme got in each ISO week, from the week of the
library's first memo to the week of its last (local days, app.display.local_day). Qt-free: the window
(app/gui/timeline_view.py) paints it, the export (app/export.py) writes it as a PNG with `grid_pixels` +
`png_bytes` (numpy and zlib only)."""
from __future__ import annotations

import colorsys
import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np

from app.display import local_day
from storage.themes import broad_of as broad_theme_of

UNSORTED = "Unsorted"
UNSORTED_RGB = (156, 163, 175)  # app.gui.theme_map.UNSORTED_COLOUR
EMPTY_RGB = (243, 244, 246)  # a week without memos
BACKGROUND_RGB = (255, 255, 255)


@dataclass
class Timeline:
    rows: list[str] = field(default_factory=list)  # broad theme names, largest first, Unsorted last
    theme_ids: list[int | None] = field(default_factory=list)  # per row: the broad theme (None: Unsorted)
    weeks: list[dt.date] = field(default_factory=list)  # per column: the Monday of the ISO week
    counts: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.int64))  # [row, column]
    memo_ids: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # (row, column) -> memo ids, by day then id
    colours: list[tuple[int, int, int]] = field(default_factory=list)  # per row: RGB

    def cell_memos(self, row: int, column: int) -> list[int]:
        return list(self.memo_ids.get((row, column), ()))

    def describe(self, row: int, column: int) -> str:
        """'Robots · week of 3 Mar 2026 · 4 memos'."""
        monday, count = self.weeks[column], int(self.counts[row, column])
        memos = "no memos" if count == 0 else f"{count} memo{'s' if count != 1 else ''}"
        return f"{self.rows[row]} · week of {monday.day} {monday:%b %Y} · {memos}"


def theme_rgb(rank: int) -> tuple[int, int, int]:
    """The broad theme's hue as app.gui.theme_map.theme_colours spreads it (golden angle by id order)."""
    hue = (rank * 137.508 + 210) % 360
    r, g, b = colorsys.hls_to_rgb(hue / 360, 0.50, 0.62)
    return round(r * 255), round(g * 255), round(b * 255)


def timeline(memos, themes) -> Timeline:
    """`memos`: objects with id, recorded_at (stored UTC time) and theme_id (most specific theme or None);
    `themes`: objects with id, name and parent_id. Memos without a readable time are left out; a broad theme
    with no memos has no row."""
    broad_of = broad_theme_of(themes)
    names = {t.id: t.name for t in themes}
    rank = {theme_id: i for i, theme_id in enumerate(sorted(t.id for t in themes if broad_of[t.id] == t.id))}
    placed = []  # (memo id, day, broad theme or None)
    for memo in memos:
        day = local_day(memo.recorded_at)
        if day is not None:
            placed.append((memo.id, day, broad_of.get(memo.theme_id)))
    if not placed:
        return Timeline()
    first = min(day for _, day, _ in placed)
    last = max(day for _, day, _ in placed)
    start = first - dt.timedelta(days=first.weekday())
    columns = (last - start).days // 7 + 1
    sizes: dict[int | None, int] = {}
    for _, _, broad in placed:
        sizes[broad] = sizes.get(broad, 0) + 1
    order = sorted((b for b in sizes if b is not None), key=lambda b: (-sizes[b], names[b].casefold(), b))
    if None in sizes:
        order.append(None)
    row_of = {b: i for i, b in enumerate(order)}
    rows = np.fromiter((row_of[b] for _, _, b in placed), dtype=np.int64, count=len(placed))
    cols = np.fromiter(((day - start).days // 7 for _, day, _ in placed), dtype=np.int64, count=len(placed))
    counts = np.zeros((len(order), columns), dtype=np.int64)
    np.add.at(counts, (rows, cols), 1)
    memo_ids: dict[tuple[int, int], list[int]] = {}
    for (memo_id, day, _), r, c in sorted(zip(placed, rows.tolist(), cols.tolist()), key=lambda p: (p[0][1], p[0][0])):
        memo_ids.setdefault((r, c), []).append(memo_id)
    return Timeline(
        rows=[UNSORTED if b is None else names[b] for b in order], theme_ids=order,
        weeks=[start + dt.timedelta(days=7 * i) for i in range(columns)], counts=counts, memo_ids=memo_ids,
        colours=[UNSORTED_RGB if b is None else theme_rgb(rank[b]) for b in order])


# -- pixels (shared by the window and the export) ------------------------------------------------------------


def cell_colours(line: Timeline) -> np.ndarray:
    """RGB per cell, [row, column, 3] uint8: the row's colour mixed with white, stronger the more memos
    (log scale over the whole grid, so a busy week stands out in any row); a week without memos light grey."""
    counts = line.counts
    if counts.size == 0:
        return np.zeros((*counts.shape, 3), dtype=np.uint8)
    strength = 0.22 + 0.78 * np.log1p(counts) / np.log1p(max(1, int(counts.max())))
    strength = np.where(counts > 0, strength, 0.0)[:, :, None]
    base = np.array(line.colours, dtype=np.float64)[:, None, :]
    mixed = 255 * (1 - strength) + base * strength
    mixed = np.where(counts[:, :, None] > 0, mixed, np.array(EMPTY_RGB, dtype=np.float64))
    return np.rint(mixed).astype(np.uint8)


def column_edges(columns: int, width: int) -> np.ndarray:
    """Per pixel across `width`: its column (cells share the width as evenly as whole pixels allow)."""
    return (np.arange(width) * columns) // max(1, width)


def grid_pixels(line: Timeline, width: int, row_height: int, gap: bool = True) -> np.ndarray:
    """The heat grid as an RGB image, [rows * row_height, width, 3] uint8: every cell by index lookups, no loop.
    `gap`: a background line between cells where they are wide or tall enough (4 px)."""
    colours = cell_colours(line)
    rows, columns = line.counts.shape
    if rows == 0 or columns == 0 or width <= 0 or row_height <= 0:
        return np.zeros((max(0, rows * row_height), max(0, width), 3), dtype=np.uint8)
    x_column = column_edges(columns, width)
    y_row = np.repeat(np.arange(rows), row_height)
    image = colours[y_row[:, None], x_column[None, :]]
    if gap and width / columns >= 4:  # the last pixel of each column
        image[:, np.r_[x_column[1:] != x_column[:-1], True]] = BACKGROUND_RGB
    if gap and row_height >= 4:
        image[row_height - 1::row_height] = BACKGROUND_RGB
    return image


def png_bytes(rgb: np.ndarray) -> bytes:
    """A PNG (8-bit RGB, no filter) of an [height, width, 3] uint8 image; the same pixels give the same bytes."""
    height, width = rgb.shape[:2]
    raw = np.zeros((height, 1 + 3 * width), dtype=np.uint8)  # each scan line starts with filter type 0
    raw[:, 1:] = np.ascontiguousarray(rgb, dtype=np.uint8).reshape(height, 3 * width)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw.tobytes(), 9))
            + chunk(b"IEND", b""))


def timeline_png(line: Timeline, max_width: int = 1200) -> bytes:
    """The export's picture: one cell per theme-week (at least 2 px wide, at most 14), 14 px rows."""
    columns = len(line.weeks)
    cell = int(np.clip(max_width // max(1, columns), 2, 14))
    width = min(max_width, columns * cell)
    return png_bytes(grid_pixels(line, width, 14))
