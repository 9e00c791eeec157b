"""Shared fixtures: real recordings, a real data folder, the real tiny.en model, the real CLI."""
from __future__ import annotations

import csv
import os
import shutil
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


SOCKET_AUDIT = '''
import socket, os
_log = os.environ["MUSINGS_NETWORK_AUDIT"]
def _refuse(*args, **kwargs):
    with open(_log, "a") as f:
        f.write(repr(args[:2]) + "\\n")
    raise OSError("network access attempted during an offline test")
socket.socket.connect = _refuse
socket.socket.connect_ex = _refuse
socket.create_connection = _refuse
socket.getaddrinfo = _refuse
'''


class Offline:
    """`run_musings(..., **offline.run_options)` runs the command in a network namespace with no interfaces
    (when `unshare --net` is allowed), with every socket call refused and logged; the Hugging Face offline
    switches are cleared, so the app itself must keep the libraries off the network."""

    def __init__(self, folder: Path):
        audit_dir = folder / "network-audit"
        audit_dir.mkdir()
        (audit_dir / "sitecustomize.py").write_text(SOCKET_AUDIT)
        self.log = folder / "network-attempts.log"
        can_unshare = shutil.which("unshare") and subprocess.run(
            ["unshare", "--net", "true"], capture_output=True).returncode == 0
        self.run_options = {
            "wrapper": ("unshare", "--net") if can_unshare else (),
            "env": {"PYTHONPATH": f"{audit_dir}:{ROOT}", "MUSINGS_NETWORK_AUDIT": str(self.log),
                    "HF_HUB_OFFLINE": "", "TRANSFORMERS_OFFLINE": ""},
        }

    def assert_no_attempts(self) -> None:
        assert not self.log.exists(), self.log.read_text()


@pytest.fixture
def offline(tmp_path) -> Offline:
    return Offline(tmp_path)


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
