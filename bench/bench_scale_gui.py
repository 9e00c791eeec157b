"""The window at 1,000 and 20,000 memos (issue 14): launch → list painted, and the longest UI-thread stall of
each list action, with the 20k / 1k ratio.

    .venv/bin/python bench/bench_scale_gui.py [--sizes 1000 20000] [--runs 1]

Each size runs in a child process of its own (a fresh interpreter, a fresh copy of the library from
bench/scale_library.py): `python -m app.gui.scale_probe`, which opens the real MainWindow in-process on the
Xvfb screen if DISPLAY is set, else offscreen, and prints JSON lines (Qt stays in app/gui: this script is
Qt-free). A 10 ms QTimer ticks on the UI thread the whole time (as in app/gui/probes.py); an action's stall is
the longest gap between two ticks from the moment it is triggered until its work is done (the job runner idle
and, for a search, an answer shown) plus 300 ms. "idle" is the same ticker with nothing happening: the floor.
"sort by first line" runs last: before issue 14 it crashed the window (it shows "crash").

Launch → list painted is from the start of MainWindow() (PySide6 and the app already imported, which the
"process → list painted" column adds) to the end of the first paint of the list's viewport with rows in it.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

ACTIONS = [  # (key, label) in the order they run
    ("loading", "after the first paint, the rest loading"),
    ("idle", "idle (floor)"),
    ("rename", "rename a memo"),
    ("move", "move a memo to another theme"),
    ("delete", "delete a memo"),
    ("sort_title", "sort by title"),
    ("sort_date", "sort by date"),
    ("sort_duration", "sort by duration"),
    ("date_filter", "date filter: past year"),
    ("date_any", "date filter: any time again"),
    ("search", "first search of the session (until every answer)"),
    ("search_again", "a later search (until every answer)"),
    ("clear_search", "clear the search box"),
    ("theme", "select a theme"),
    ("all", "select All memos"),
    ("map_open", "open the theme map, layout computed (until painted)"),
    ("map_hover", "theme map: hover across it (40 moves)"),
    ("map_zoom", "theme map: zoom in 6 notches"),
    ("map_drag", "theme map: drag (20 moves)"),
    ("map_repaint", "theme map: 10 repaints"),
    ("map_reopen", "open the theme map again, layout stored"),
    ("sort_first_line", "sort by first line"),
]


# -- the parent: a fresh library and a fresh process per size ------------------------------------------

def run_size(size: int, scratch: Path, layout_stored: bool = False) -> dict:
    from scale_library import library

    data_dir = library(size, scratch / f"library-{size}")
    if layout_stored:  # as on any day after the map was first opened: its layout is in the data folder
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; from app.core import Musings; "
                        "Musings(Path(sys.argv[1])).map_points()", str(data_dir)], cwd=ROOT, check=True)
    env = {**os.environ, "BENCH_STARTED": repr(time.time()),
           "QT_QPA_PLATFORM": "xcb" if os.environ.get("DISPLAY") else "offscreen"}
    result = subprocess.run([sys.executable, "-m", "app.gui.scale_probe", str(data_dir)], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=900)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    launch = next((e for e in events if e["event"] == "launch"), None)
    if launch is None:
        raise SystemExit(f"the {size}-memo run failed ({result.returncode}):\n{result.stdout[-2000:]}\n"
                         f"{result.stderr[-4000:]}")
    out = {"launch": launch, **{name: next((e for e in events if e["event"] == name), {})
                                for name in ("loaded", "search_answer", "map_draw", "memory")}}
    for e in events:
        if e["event"] == "stall":
            out[e["action"]] = e
    if result.returncode != 0:  # the window crashed: the action it was doing is marked, the rest not run
        crashed = [e["action"] for e in events if e["event"] == "begin" and e["action"] not in out]
        print(f"the {size}-memo window died ({result.returncode}) during {crashed}:\n{result.stderr[-1500:]}",
              file=sys.stderr)
        for key in crashed:
            out[key] = {"max_gap_ms": None, "crashed": True}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--runs", type=int, default=1, help="runs per size; the table shows the median")
    parser.add_argument("--layout-stored", action="store_true",
                        help="lay the map out before the window opens (the peak memory of a later day)")
    args = parser.parse_args()
    import statistics

    results: dict[int, list[dict]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        for run in range(args.runs):
            for size in args.sizes:
                results.setdefault(size, []).append(run_size(size, Path(scratch), args.layout_stored))
                print(f"run {run + 1}, {size} memos: done", file=sys.stderr)

    def median(size: int, pick) -> float | None:
        values = [value for value in map(pick, results[size]) if value is not None]
        return statistics.median(values) if values else None

    def shown(value: float | None, crashed: bool, seconds: bool) -> str:
        return "crash" if crashed else "—" if value is None else f"{value:.2f}" if seconds else f"{value:.0f}"

    small, large = min(args.sizes), max(args.sizes)
    screen = "Xvfb/xcb" if os.environ.get("DISPLAY") else "offscreen"
    print(f"\nThe window at scale ({screen}, {args.runs} run(s) per size, medians)\n")
    print(f"| {'measure':<56} | {small:>8} | {large:>8} | {'ratio':>6} |")
    print(f"|{'-' * 58}|{'-' * 10}|{'-' * 10}|{'-' * 8}|")
    rows = [("launch → list painted (s)", lambda r: r["launch"]["window_s"]),
            ("process start → list painted (s)", lambda r: r["launch"]["process_s"]),
            ("launch → every memo listed (s)", lambda r: r.get("loaded", {}).get("seconds")),
            ("first search of the session: query → merged answer (s)", lambda r: r["search_answer"].get("first_s")),
            ("a later search: query → merged answer (s)", lambda r: r["search_answer"].get("again_s")),
            ("theme map: drawing one view, first (ms)", lambda r: r["map_draw"].get("first_ms")),
            ("theme map: drawing one view, slowest of all (ms)", lambda r: r["map_draw"].get("max_ms")),
            ("window process peak RSS (MB)", lambda r: r["memory"].get("peak_mb"))]
    rows += [(f"{label} (max stall ms)", lambda r, k=key: r.get(k, {}).get("max_gap_ms"), key)
             for key, label in ACTIONS]
    for label, pick, *key in rows:
        a, b = median(small, pick), median(large, pick)
        crashed = [any(r.get(key[0], {}).get("crashed") for r in results[n]) if key else False
                   for n in (small, large)]
        ratio = f"{b / a:.1f}" if a and b else "—"
        cells = [shown(a, crashed[0], not key), shown(b, crashed[1], not key)]
        print(f"| {label:<56} | {cells[0]:>8} | {cells[1]:>8} | {ratio:>6} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
