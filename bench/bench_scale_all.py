"""Issue 14's benchmark as one command: the command line (bench_scale.py) and then the window
(bench_scale_gui.py) at 1,000 and 20,000 memos, each printing 1k, 20k and the ratio against its targets.

    .venv/bin/python bench/bench_scale_all.py [--runs 3]

The window part needs a display (source scripts/test-services.sh starts Xvfb); both build the two libraries
with the app's own functions the first time (bench/scale_library.py, cached in ~/.cache/musings-bench).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    failed = 0
    for script in ("bench_scale.py", "bench_scale_gui.py"):
        print(f"== {script} --runs {args.runs}", flush=True)
        failed |= subprocess.run([sys.executable, str(BENCH / script), "--runs", str(args.runs)]).returncode
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
