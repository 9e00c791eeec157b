"""Review queue and digest at 1,000 and 20,000 memos (issue 16): whole `musings` processes, median of 3.

    .venv/bin/python bench/bench_review.py [--runs 3]

Libraries as bench_scale.py builds them (bench/scale_library.py); some memos marked kept so the digest has one to
bring back. Baseline in the same run: `musings list --json` (reading and printing every memo). Target at 20k:
`review --json` and `digest --json` <= 1 s.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_scale import library, timed  # noqa: E402

COMMANDS = {"list --json (baseline)": ["list", "--json"], "review --json": ["review", "--json"],
            "digest --json": ["digest", "--json"], "digest --month --json": ["digest", "--month", "--json"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs=2, default=[1000, 20000])
    args = parser.parse_args()
    table = {}
    with tempfile.TemporaryDirectory() as scratch:
        for size in args.sizes:
            data_dir = library(size, Path(scratch) / f"library-{size}")
            timed(["mark", "kept", "1", "2", "3"], data_dir)  # (and the migrations, once)
            for name, arguments in COMMANDS.items():
                samples = [timed(arguments, data_dir) for _ in range(args.runs)]
                table[(size, name)] = (statistics.median(s[0] for s in samples), max(s[1] for s in samples))
                print(f"{size}: {name}: {[round(s[0], 2) for s in samples]} s", file=sys.stderr)
    small, large = args.sizes
    print(f"\n| command | {small}: s, MB | {large}: s, MB | x baseline at {large} | target at {large} |")
    print("|---|---|---|---|---|")
    base = table[(large, "list --json (baseline)")][0]
    for name in COMMANDS:
        (a, ma), (b, mb) = table[(small, name)], table[(large, name)]
        target = "<= 1.0 s: " + ("met" if b <= 1.0 else "MISSED") if "baseline" not in name else ""
        print(f"| {name} | {a:.2f}, {ma:.0f} | {b:.2f}, {mb:.0f} | {b / base:.2f} | {target} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
