"""The timeline (issue 16, point 5): memos per broad theme per ISO week (app.timeline, Musings.timeline), and the
picture of it the export embeds in the index note."""
from __future__ import annotations

import datetime as dt
import struct
import zlib

import numpy as np

from app.core import Musings
from app.timeline import UNSORTED, grid_pixels, png_bytes
from storage.db import open_database
from tests.app.test_digest import add

MONDAY = dt.date(2026, 3, 2)  # ISO week 10 of 2026


def day(week: int, weekday: int = 2) -> dt.date:
    return MONDAY + dt.timedelta(days=7 * week + weekday)


def library(tmp_path):
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    ids = {
        "r1": add(db, 1, "robot hand fingertips", day(0, 0)),
        "r2": add(db, 2, "robot arm servo", day(0, 6)),  # Sunday: still week 0
        "r3": add(db, 3, "robot gripper", day(3)),
        "r4": add(db, 4, "robot wrist", day(3, 4)),
        "g1": add(db, 5, "garden tomatoes", day(1)),
        "u1": add(db, 6, "something else entirely", day(4)),
        "s1": add(db, 7, "robot vision camera", day(3, 1)),  # in a sub-theme of Robots
    }
    core = Musings(data_dir)
    robots = core.new_theme("Robots", [ids["r1"], ids["r2"], ids["r3"], ids["r4"]])
    core.new_theme("Garden", [ids["g1"]])
    core.new_theme("Vision", [ids["s1"]], parent_id=robots)
    return core, ids


def test_memos_per_theme_per_week(tmp_path):
    core, ids = library(tmp_path)
    line = core.timeline()
    assert line.rows == ["Robots", "Garden", UNSORTED]  # largest first, Unsorted last; the sub-theme in Robots
    assert line.weeks == [MONDAY + dt.timedelta(days=7 * i) for i in range(5)]  # weeks 1 and 2 of Robots empty
    assert line.counts.tolist() == [[2, 0, 0, 3, 0], [0, 1, 0, 0, 0], [0, 0, 0, 0, 1]]
    assert line.counts[:, 2].sum() == 0  # a week without memos is a column of zeros
    assert line.cell_memos(0, 0) == [ids["r1"], ids["r2"]]
    assert line.cell_memos(0, 3) == [ids["s1"], ids["r3"], ids["r4"]]  # by day (Tue, Wed, Fri)
    assert line.cell_memos(1, 1) == [ids["g1"]] and line.cell_memos(2, 4) == [ids["u1"]]
    assert set(line.memo_ids) == {(0, 0), (0, 3), (1, 1), (2, 4)}  # one cell per theme-week with memos
    assert line.describe(0, 3) == "Robots · week of 23 Mar 2026 · 3 memos"
    assert line.describe(1, 1) == "Garden · week of 9 Mar 2026 · 1 memo"
    assert line.theme_ids[2] is None and len(set(line.colours)) == 3


def test_an_empty_library_has_no_timeline(tmp_path):
    open_database(tmp_path / "data")
    line = Musings(tmp_path / "data").timeline()
    assert line.rows == [] and line.weeks == [] and line.counts.shape == (0, 0)


def test_the_png_is_a_real_picture_of_the_grid():
    from app.timeline import Timeline
    line = Timeline(rows=["A", "B"], theme_ids=[1, None], weeks=[MONDAY, MONDAY + dt.timedelta(days=7)],
                    counts=np.array([[3, 0], [0, 1]]), colours=[(200, 30, 30), (150, 150, 150)])
    pixels = grid_pixels(line, 20, 10)
    assert pixels.shape == (20, 20, 3)
    assert tuple(pixels[0, 0]) == (200, 30, 30)  # the busiest cell: the full colour
    assert tuple(pixels[0, 15]) == (243, 244, 246)  # an empty week
    data = png_bytes(pixels)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data == png_bytes(pixels)
    width, height = struct.unpack(">II", data[16:24])
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4:idat])[0]
    raw = np.frombuffer(zlib.decompress(data[idat + 4:idat + 4 + length]), dtype=np.uint8).reshape(height, -1)
    assert (width, height) == (20, 20) and np.array_equal(raw[:, 1:].reshape(20, 20, 3), pixels)


def test_the_index_embeds_the_timeline(tmp_path):
    core, _ = library(tmp_path)
    vault = tmp_path / "vault"
    first = core.export(vault)
    assert vault / "timeline.png" in first.written
    assert (vault / "timeline.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    index = (vault / "Musings index.md").read_text()
    assert "## Timeline\n\n![[timeline.png]]\n" in index and "Robots (5), Garden (1), Unsorted (1)" in index
    assert index.index("## Themes") < index.index("## Timeline") < index.index("## Memos by date")
    again = core.export(vault)
    assert again.written == [] and again.removed == []  # unchanged: nothing written
    assert "timeline.png" in (vault / ".musings-export.json").read_text()  # the manifest owns it


def test_a_picture_of_the_users_own_keeps_its_name(tmp_path):
    core, _ = library(tmp_path)
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "timeline.png").write_bytes(b"my own picture")
    core.export(vault)
    assert (vault / "timeline.png").read_bytes() == b"my own picture"
    assert "![[timeline (2).png]]" in (vault / "Musings index.md").read_text()
