"""How long from pressing Record to the first captured sample: Recorder vs a plain sounddevice stream.

    .venv/bin/python bench/bench_capture_start.py [--tries 20] [--pause 1.5]

Baseline: `sounddevice.InputStream` with its defaults (latency="high", blocksize=0), timed from
creating the stream to its first callback. Recorder: `Recorder.start(path)` to its first callback
(`first_sample_latency`), which includes creating the Ogg/Opus file. Tries alternate between the
two and are `--pause` seconds apart, so the input is idle before each one, as when a user presses
Record. When `parec` is available a second round keeps another client recording the default source
meanwhile (the input is already running, as a hardware microphone in use by another program).
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sounddevice as sd  # noqa: E402

from audio.recorder import Recorder  # noqa: E402


def baseline_latency(device_index: int, rate: int) -> float:
    first = threading.Event()
    arrived: list[float] = []

    def on_audio(indata, frames, time_info, status) -> None:
        if not arrived:
            arrived.append(time.perf_counter())
            first.set()

    started = time.perf_counter()
    stream = sd.InputStream(device=device_index, channels=1, samplerate=rate, dtype="float32", callback=on_audio)
    stream.start()
    first.wait(10)
    stream.stop()
    stream.close()
    return arrived[0] - started


def recorder_latency(recorder: Recorder, path: Path) -> float:
    recorder.start(path)
    deadline = time.monotonic() + 10
    while recorder.first_sample_latency is None and time.monotonic() < deadline:
        time.sleep(0.001)
    latency = recorder.first_sample_latency
    recorder.stop()
    return latency


def run_round(tries: int, pause: float, folder: Path) -> dict[str, list[float]]:
    recorder = Recorder()
    samples: dict[str, list[float]] = {"sounddevice defaults (baseline)": [], "Recorder.start": []}
    for attempt in range(tries):
        time.sleep(pause)
        samples["sounddevice defaults (baseline)"].append(baseline_latency(recorder.device.index, recorder.sample_rate))
        time.sleep(pause)
        samples["Recorder.start"].append(recorder_latency(recorder, folder / f"try{attempt}.ogg"))
    return samples


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.5, help="idle seconds before each try")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        rounds = [("input idle", None)]
        if shutil.which("parec"):
            rounds.append(("input already running", ["parec", "--latency-msec=20"]))
        for condition, keeper_command in rounds:
            keeper = subprocess.Popen(keeper_command, stdout=subprocess.DEVNULL) if keeper_command else None
            try:
                results = run_round(args.tries, args.pause, Path(folder))
            finally:
                if keeper:
                    keeper.kill()
                    keeper.wait()
            baseline = statistics.median(results["sounddevice defaults (baseline)"])
            for method, values in results.items():
                median = statistics.median(values)
                rows.append((condition, method, median, p95(values), max(values), median / baseline, len(values)))

    print(f"{'condition':<22} {'method':<32} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} {'x baseline':>10} {'n':>3}")
    for condition, method, median, p95_value, worst, ratio, n in rows:
        print(f"{condition:<22} {method:<32} {median * 1000:>10.1f} {p95_value * 1000:>8.1f} "
              f"{worst * 1000:>8.1f} {ratio:>10.2f} {n:>3}")
    print("target: Recorder median < 200 ms")


if __name__ == "__main__":
    main()
