"""Ten years of memos: the command line at 1,000 and 20,000 memos (issue 14).

    .venv/bin/python bench/bench_scale.py [--runs 3] [--sizes 1000 20000]

Both libraries are built with the app's own functions (bench/scale_library.py: memo-like texts from the
public intent sets, ten years of dates, titled, embedded and clustered as an import does) and copied fresh
for each command. Each command is a whole `musings` process (`/usr/bin/time` gives wall time and peak RSS),
median of `--runs`. Printed: 1k, 20k, the ratio 20k/1k, the target at 20k, and the figure measured before
this work (2026-12-02, the issue's table) as the baseline.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from scale_library import library  # noqa: E402

MUSINGS = [str(ROOT / ".venv" / "bin" / "python"), "-m", "app.cli"]
# name: (arguments, target at 20k (s), the figure before: 1k s, 20k s)
COMMANDS = {
    "search (hybrid, cold)": (["search", "robot"], 1.0, (5.7, 5.9)),
    "themes (no rebuild)": (["themes"], 0.5, (1.3, 1.3)),
    "export, re-run writing nothing": (["export", "{vault}"], 3.0, (0.84, 35.6)),
    "themes --rebuild": (["themes", "--rebuild"], 10.0, (2.1, 26.3)),
}


def timed(arguments: list[str], data_dir: Path) -> tuple[float, float, int]:
    """(wall s, peak RSS MB, exit code) of one whole process."""
    with tempfile.NamedTemporaryFile("r") as report:
        done = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", "%e %M", *MUSINGS, *arguments], cwd=ROOT,
                              env={**os.environ, "MUSINGS_HOME": str(data_dir)}, capture_output=True, text=True)
        wall, peak_kb = report.read().split()[-2:]
    if done.returncode != 0:
        raise SystemExit(f"musings {' '.join(arguments)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return float(wall), int(peak_kb) / 1024, done.returncode


def measure(size: int, runs: int, scratch: Path) -> dict[str, tuple[float, float]]:
    data_dir = library(size, scratch / f"library-{size}")
    vault = scratch / f"vault-{size}"
    first = timed(["export", str(vault)], data_dir)  # the first export writes every note (not a target)
    print(f"{size}: first export {first[0]:.2f} s, {first[1]:.0f} MB", file=sys.stderr)
    results = {}
    for name, (arguments, _, _) in COMMANDS.items():
        arguments = [a.replace("{vault}", str(vault)) for a in arguments]
        samples = [timed(arguments, data_dir) for _ in range(runs)]
        results[name] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
        print(f"{size}: {name}: {[round(s[0], 2) for s in samples]} s", file=sys.stderr)
    shutil.rmtree(data_dir, ignore_errors=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 20000])
    args = parser.parse_args()
    small, large = args.sizes
    with tempfile.TemporaryDirectory(prefix="musings-scale-") as scratch:
        by_size = {size: measure(size, args.runs, Path(scratch)) for size in (small, large)}
    print(f"\nCommand line at {small} and {large} memos (median of {args.runs} whole processes; load "
          f"{os.getloadavg()[0]:.1f} at the end)\n")
    print(f"| command | {small}: s, MB | {large}: s, MB | ratio | target at {large} | before (issue): 1k / 20k s |")
    print("|---|---|---|---|---|---|")
    for name, (_, target, before) in COMMANDS.items():
        (s_small, mb_small), (s_large, mb_large) = by_size[small][name], by_size[large][name]
        verdict = "met" if s_large <= target else "MISSED"
        print(f"| {name} | {s_small:.2f}, {mb_small:.0f} | {s_large:.2f}, {mb_large:.0f} | {s_large / s_small:.1f} | "
              f"<= {target} s: {verdict} | {before[0]} / {before[1]} (x{before[1] / s_large:.1f} now) |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
