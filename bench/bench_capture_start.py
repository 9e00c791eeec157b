"""How long from pressing Record to the first captured sample, against a plain sounddevice stream.

    source scripts/test-services.sh; .venv/bin/python bench/bench_capture_start.py [--tries 20] [--cold 5]

Baseline: `sounddevice.InputStream` with its defaults (latency="high", blocksize=0), timed from
creating the stream to its first callback: what any program pays to open this input from idle.
Rows, each timed to the first captured sample, tries `--pause` seconds apart so the input is idle
before each one, as when a user presses the hotkey:

- `Recorder.start` from idle: the recorder alone, opening the device.
- hotkey, mic released (`listen --night`/`--release-mic`): `CaptureController.toggle()` (what the hotkey
  calls), which returns once the first sample has arrived; the device is opened on demand.
- hotkey, stream prepared (`listen`'s default): the same, with the input stream kept running between
  recordings (`Recorder.prepare`), so only the file is made on toggle.
- cold `record --toggle`: no Musings running; the real command, timed until it prints "Recording"
  (the listener it starts answers once the first sample arrived, as the start cue plays). Three ways:
  back to back (each try right after the last listener exited, as before), with the input suspended
  (idle 5 s or more, as before a user's first press of the day), and with the input running (another
  stream keeps the source awake: what the app itself costs, without the device's wake-up).

The null sink's monitor has no fixed wake-up time: while idle it delivers audio on a 2 s grid counted
from the moment its last client left (after t s of idle, the first sample comes 2 - (t mod 2) s after
opening: 0.5 s after the 1.5 s `--pause`, 1.0 s after `--pause 1`), and 2.0 s once suspended. Rows that reopen every `--pause`
seconds therefore see a steady 0.5 s; a cold toggle sees whatever is left of the grid's 2 s when it
opens the microphone, which is why it is timed with the input suspended and with it running as well.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sounddevice as sd  # noqa: E402

from audio.recorder import Recorder  # noqa: E402
from audio.transcribe import TranscriptionSettings  # noqa: E402
from bench_capture import StartOnly  # noqa: E402  (drops each recording at stop)




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
    recorder.wait_for_first_sample(10)
    latency = recorder.first_sample_latency
    recorder.stop()
    path.unlink(missing_ok=True)
    return latency


def hotkey_latency(controller: StartOnly) -> float:
    pressed = time.perf_counter()
    state = controller.toggle()  # returns once the first sample is in (or the start failed)
    latency = controller._recording.recorder.first_sample_at - pressed if state == "recording" else float("nan")
    controller.toggle()
    return latency


def default_source_state() -> str:
    """PulseAudio's state of the default source: RUNNING, IDLE or SUSPENDED."""
    name = subprocess.run(["pactl", "get-default-source"], capture_output=True, text=True, check=True).stdout.strip()
    sources = subprocess.run(["pactl", "list", "short", "sources"], capture_output=True, text=True, check=True).stdout
    return next(line.split("\t")[-1] for line in sources.splitlines() if line.split("\t")[1] == name)


def wait_until_suspended(timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while default_source_state() != "SUSPENDED":
        if time.monotonic() > deadline:
            raise SystemExit("the input never went to sleep: is another program recording from it?")
        time.sleep(0.2)


@contextlib.contextmanager
def input_kept_running(device_index: int, rate: int):
    """Another program's stream on the input for the duration: the source never idles."""
    stream = sd.InputStream(device=device_index, channels=1, samplerate=rate, dtype="float32",
                            callback=lambda *_: None)
    stream.start()
    try:
        time.sleep(2.5)  # its own first samples have arrived
        yield
    finally:
        stream.stop()
        stream.close()


def cold_toggle_latency(folder: Path, attempt: int) -> float:
    data_dir, runtime = folder / f"cold{attempt}", Path(tempfile.mkdtemp(prefix="bench-run-", dir="/tmp"))
    env = {**os.environ, "MUSINGS_HOME": str(data_dir), "MUSINGS_RUNTIME_DIR": str(runtime)}
    toggle = [sys.executable, "-m", "app.cli", "record", "--toggle"]
    pressed = time.perf_counter()
    started = subprocess.run(toggle, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    latency = time.perf_counter() - pressed
    if not started.stdout.startswith("Recording"):
        raise SystemExit(f"cold toggle failed: {started.stderr}")
    subprocess.run(toggle, cwd=ROOT, env=env, capture_output=True, timeout=60)
    deadline = time.monotonic() + 60  # the listener says its pid once it listens, maybe after this toggle
    while "Listening (pid " not in (log := (data_dir / "listen.log").read_text()):
        if time.monotonic() > deadline:
            raise SystemExit(f"the cold listener never said its pid:\n{log}")
        time.sleep(0.1)
    pid = int(log.split("Listening (pid ", 1)[1].split(")", 1)[0])
    os.kill(pid, 15)
    while Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text():
        time.sleep(0.2)
    return latency


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--cold", type=int, default=5, help="cold `record --toggle` tries (each starts a listener)")
    parser.add_argument("--pause", type=float, default=1.5, help="idle seconds before each try")
    args = parser.parse_args()
    settings = TranscriptionSettings(model="tiny.en", language="en")
    rows: dict[str, list[float]] = {"sounddevice defaults (baseline)": [], "Recorder.start, mic idle": [],
                                    "hotkey, mic released (--night)": [], "hotkey, stream prepared (default)": []}
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        recorder = Recorder()
        released = StartOnly(folder / "released", settings, keep_input_open=False)
        released.preload()
        released._ensure_model().result()  # the model is long loaded when a user presses the key
        for attempt in range(args.tries):  # interleaved, so a busy moment hits every row alike
            time.sleep(args.pause)
            rows["sounddevice defaults (baseline)"].append(baseline_latency(recorder.device.index, recorder.sample_rate))
            time.sleep(args.pause)
            rows["Recorder.start, mic idle"].append(recorder_latency(recorder, folder / f"try{attempt}.ogg"))
            time.sleep(args.pause)
            rows["hotkey, mic released (--night)"].append(hotkey_latency(released))
        released.close()
        recorder.close()
        # Last: its always-running input keeps the source awake, which would flatter the rows above.
        prepared = StartOnly(folder / "prepared", settings, keep_input_open=True)
        prepared.preload()
        prepared._ensure_model().result()
        for _ in range(args.tries):
            time.sleep(args.pause)
            rows["hotkey, stream prepared (default)"].append(hotkey_latency(prepared))
        prepared.close()
        if args.cold:
            rows["cold `record --toggle` -> Recording"] = [cold_toggle_latency(folder, n) for n in range(args.cold)]
            rows["cold toggle, input suspended"] = []
            for n in range(args.cold):
                wait_until_suspended()
                rows["cold toggle, input suspended"].append(cold_toggle_latency(folder, args.cold + n))
            with input_kept_running(recorder.device.index, recorder.sample_rate):
                rows["cold toggle, input running"] = [cold_toggle_latency(folder, 2 * args.cold + n)
                                                      for n in range(args.cold)]

    base_median = statistics.median(rows["sounddevice defaults (baseline)"])
    base_p95 = p95(rows["sounddevice defaults (baseline)"])
    print(f"\n{'to the first sample':<40} {'n':>3} {'median ms':>10} {'p95 ms':>8} {'max ms':>8} "
          f"{'median x base':>14} {'p95 x base':>11}")
    for label, values in rows.items():
        median = statistics.median(values)
        print(f"{label:<40} {len(values):>3} {1000 * median:>10.1f} {1000 * p95(values):>8.1f} "
              f"{1000 * max(values):>8.1f} {median / base_median:>14.2f} {p95(values) / base_p95:>11.2f}")
    print("target: hotkey -> first sample p95 <= 200 ms; cold toggle -> start cue <= 1.5 s")


if __name__ == "__main__":
    main()
