"""GUI responsiveness: launch to window, launch to first recording, UI-thread stalls during an import and a recording.

    .venv/bin/python bench/bench_gui.py [--runs 5] [--clips 50]

Runs the real app (`python -m app.cli`) in child processes on the Xvfb screen if DISPLAY is set (else
offscreen); the app reports its own timings through the MUSINGS_GUI_* probes (app/gui/probes.py), so this
script stays Qt-free. Recording uses the default input (the PulseAudio virtual microphone in CI).
The stall baseline is the same 10 ms timer in the same process while idle, before the import (or the
recording, with speech played into the virtual microphone by paplay) starts.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SPEECH = ROOT / "tests" / "data" / "speech"


def launch(env_extra: dict, data_dir: Path, timeout: float = 300) -> tuple[float, list[dict]]:
    """Start the app; returns the launch time (time.time()) and the JSON events it printed."""
    with tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "MUSINGS_HOME": str(data_dir), "MUSINGS_GUI_TIMING": "1",
               "MUSINGS_GUI_SETTINGS": f"{scratch}/gui.ini", "MUSINGS_RUNTIME_DIR": f"{scratch}/run",
               "QT_QPA_PLATFORM": "xcb" if os.environ.get("DISPLAY") else "offscreen", **env_extra}
        started = time.time()
        result = subprocess.run([sys.executable, "-m", "app.cli"], cwd=ROOT, env=env, capture_output=True,
                                text=True, timeout=timeout)
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not events:
        raise SystemExit(f"the app failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return started, events


def at(events: list[dict], name: str) -> float | None:
    return next((e["t"] for e in events if e["event"] == name), None)


def make_clips(folder: Path, count: int) -> list[Path]:
    """`count` distinct WAV files (different content hashes) from the real test clips: each decoded and
    written with a slightly different gain, so every one is a new recording to the importer."""
    from audio.decode import iter_chunks

    sources = sorted(p for p in SPEECH.rglob("*") if p.suffix in {".wav", ".ogg", ".mp3"})
    decoded = [np.concatenate([samples for _, samples in iter_chunks(p)]) for p in sources]
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        samples = decoded[i % len(decoded)] * (0.9 - 0.003 * i)
        path = folder / f"clip-{i:03d}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16_000)
            out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
        paths.append(path)
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clips", type=int, default=50)
    parser.add_argument("--record-seconds", type=float, default=20.0)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        visible = []
        for run in range(args.runs):
            started, events = launch({}, scratch / f"empty-{run}")
            visible.append(at(events, "visible") - started)
        rows.append(("launch → window visible", statistics.median(visible), visible))

        recording = []
        for run in range(args.runs):
            started, events = launch({"MUSINGS_GUI_RECORD": "1"}, scratch / f"record-{run}")
            if at(events, "recording") is None:
                print(f"recording failed: {events}", file=sys.stderr)
                break
            recording.append(at(events, "recording") - started)
        if recording:
            rows.append(("launch → recording (mic running)", statistics.median(recording), recording))

        clips = make_clips(scratch / "clips", args.clips)
        _, events = launch({"MUSINGS_GUI_STALLS": str(clips[0].parent)}, scratch / "import", timeout=1800)
        idle = next(e for e in events if e["event"] == "stalls-idle")
        busy = next(e for e in events if e["event"] == "stalls-import")
        done = next(e for e in events if e["event"] == "import-finished")
        long_gaps = next((e["gaps"] for e in events if e["event"] == "long-gaps"), [])
        recorded = record_with_speech(scratch, clips, args.record_seconds)

    print(f"\nGUI benchmark ({args.runs} runs each; {'Xvfb/xcb' if os.environ.get('DISPLAY') else 'offscreen'})\n")
    print(f"| {'measure':<36} | {'median s':>8} | runs (s)")
    print(f"|{'-' * 38}|{'-' * 10}|{'-' * 40}")
    for name, median, values in rows:
        print(f"| {name:<36} | {median:8.3f} | {' '.join(f'{v:.2f}' for v in values)}")
    print(f"\nUI-thread stalls (10 ms timer), import of {args.clips} clips took {done['seconds']} s: {done['summary']}\n")
    print_stalls(idle, busy, "import", long_gaps)
    if idle["max_gap_ms"]:
        print(f"\nmax gap, import / idle: {busy['max_gap_ms'] / idle['max_gap_ms']:.1f}x")
    if recorded:
        rec_idle, rec_busy, rec_done, rec_gaps = recorded
        print(f"\nUI-thread stalls while recording speech for {args.record_seconds:.0f} s with live transcription, "
              f"until the memo was made ({rec_done['seconds']} s):\n")
        print_stalls(rec_idle, rec_busy, "recording", rec_gaps)
    return 0


def print_stalls(idle: dict, busy: dict, phase: str, long_gaps: list) -> None:
    """One stall table: the idle baseline and the busy phase, then the gaps over 100 ms."""
    print(f"| {'phase':<22} | {'ticks':>6} | {'max gap ms':>10} | {'p99 ms':>7} | {'gaps > 100 ms':>13}")
    print(f"|{'-' * 24}|{'-' * 8}|{'-' * 12}|{'-' * 9}|{'-' * 15}")
    for name, row in (("idle (baseline)", idle), (f"during {phase}", busy)):
        print(f"| {name:<22} | {row['ticks']:>6} | {row['max_gap_ms']:>10} | {row['p99_gap_ms']:>7} | {row['over_100ms']:>13}")
    if long_gaps:
        print(f"gaps > 100 ms (s into the {phase}: gap s): " + ", ".join(f"{t}: {g}" for t, g in long_gaps))


def record_with_speech(scratch: Path, clips: list[Path], seconds: float):
    """Record from the window for `seconds` while paplay plays the clips into the virtual microphone."""
    import shutil

    if not shutil.which("paplay"):
        print("paplay not found: the recording stall measurement needs the PulseAudio virtual microphone",
              file=sys.stderr)
        return None
    speech = scratch / "speech.wav"
    with wave.open(str(speech), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16_000)
        for clip in clips[:12]:
            with wave.open(str(clip)) as source:
                out.writeframes(source.readframes(source.getnframes()))
            out.writeframes(bytes(16_000))  # 0.5 s pause
    player = subprocess.Popen(["bash", "-c", f"while true; do paplay {speech}; done"], start_new_session=True)
    try:
        _, events = launch({"MUSINGS_GUI_RECORD_STALLS": str(seconds)}, scratch / "recording", timeout=600)
    finally:
        os.killpg(player.pid, 9)
    failed = [e for e in events if e["event"] == "error"]
    if failed:
        print(f"recording failed: {failed}", file=sys.stderr)
        return None
    pick = lambda name: next(e for e in events if e["event"] == name)  # noqa: E731
    gaps = next((e["gaps"] for e in events if e["event"] == "long-gaps"), [])
    return pick("stalls-idle"), pick("stalls-recording"), pick("recording-finished"), gaps


if __name__ == "__main__":
    sys.exit(main())
