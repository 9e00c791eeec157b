"""Shared fixtures: real recordings, a real data folder, the real tiny.en model, the real CLI."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def references() -> dict[Path, str]:
    """Reference transcripts of the test recordings, by path."""
    with open(DATA / "references.tsv", newline="") as handle:
        return {DATA / row["file"]: row["reference_text"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="session")
def reference_clips() -> dict[Path, str]:
    return references()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "musings-data"


@pytest.fixture(scope="session")
def transcriber():
    from audio.transcribe import Transcriber, TranscriptionSettings

    return Transcriber(TranscriptionSettings(model="tiny.en", language="en"))


def run_musings(*args: str, data_dir: Path, check: bool = False, timeout: float = 600, wrapper=(), **kwargs):
    """Run the real `musings` command in a child process."""
    env = {**os.environ, "MUSINGS_HOME": str(data_dir), **kwargs.pop("env", {})}
    result = subprocess.run(
        [*wrapper, sys.executable, "-m", "app.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"musings {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result
