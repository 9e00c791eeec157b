"""Toggle-to-first-sample latency through CaptureController: model loaded vs still loading, input idle vs kept open.

    source scripts/test-services.sh; .venv/bin/python bench/bench_capture.py [--tries 20] [--pause 1.0]

Each try calls `controller.toggle()` and waits for `controller.start_latency` (toggle call -> first
captured sample), then stops. Making the memo after each stop is skipped (a subclass drops the
recording): it happens after stop and would only load the CPU between tries.
Baseline: the same controller with the model already loaded and the input idle.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.controller import CaptureController  # noqa: E402
from audio.transcribe import TranscriptionSettings  # noqa: E402


class StartOnly(CaptureController):
    """Drops each recording at stop: making the memo would only load the CPU between tries."""

    def _finish(self, recording) -> None:
        recording.live.finish()
        recording.path.unlink(missing_ok=True)
        with self._lock:
            self._own_paths.discard(recording.path)
            self._unfinished -= 1
            if self._unfinished == 0 and self._recording is None:
                self._state = "idle"


def one_try(controller: CaptureController) -> float:
    controller.toggle()
    deadline = time.monotonic() + 10
    while controller.start_latency is None and time.monotonic() < deadline:
        time.sleep(0.001)
    latency = controller.start_latency
    controller.toggle()
    return latency


def run(label: str, tries: int, pause: float, folder: Path, *, loaded: bool, keep_open: bool) -> list[float]:
    settings = TranscriptionSettings(model="tiny.en", language="en")
    latencies = []
    controller = None
    for _ in range(tries):
        if controller is None or not loaded:
            if controller is not None:
                controller.close()
            controller = StartOnly(folder, settings, keep_input_open=keep_open)
            controller.preload()
            if loaded:
                controller._ensure_model().result()
        time.sleep(pause)  # idle input, as when a user presses the hotkey
        latencies.append(one_try(controller))
    controller.close()
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tries", type=int, default=20)
    parser.add_argument("--pause", type=float, default=1.0)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-capture-"))
    rows = [("model loaded, input idle (baseline)", True, False),
            ("model still loading, input idle", False, False),
            ("model loaded, input kept open", True, True),
            ("model still loading, input kept open", False, True)]
    results = {label: run(label, args.tries, args.pause, folder, loaded=loaded, keep_open=keep)
               for label, loaded, keep in rows}
    base = statistics.median(results[rows[0][0]])
    print(f"\n{'toggle -> first sample':<40} {'n':>3} {'median ms':>10} {'p95 ms':>8} {'vs baseline':>12}")
    for label, values in results.items():
        values = sorted(values)
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        median = statistics.median(values)
        print(f"{label:<40} {len(values):>3} {1000 * median:>10.1f} {1000 * p95:>8.1f} {median / base:>11.2f}x")
    print("\nNote: on this machine's PulseAudio null sink an idle input takes ~0.5 s to deliver its first block "
          "(earlier: Recorder.start from idle 507 ms median, 8 ms with the input already running); "
          "`musings listen --keep-mic-open` keeps the stream running and discards audio until start.")


if __name__ == "__main__":
    main()
