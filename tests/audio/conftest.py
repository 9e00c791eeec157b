"""The virtual microphone: a PulseAudio null sink whose monitor is the default input.

Whatever `VirtualMicrophone.play` plays into the sink is what PortAudio's "default"/"pulse" device records.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import require

SINK = "vsink"
SPEECH = Path(__file__).resolve().parent.parent / "data" / "speech" / "ljspeech" / "LJ001-0016.wav"  # 5.3 s


def _pactl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["pactl", *args], capture_output=True, text=True, timeout=10, check=check)


def _pulse_is_running() -> bool:
    return shutil.which("pactl") is not None and _pactl("info", check=False).returncode == 0


@dataclass
class VirtualMicrophone:
    sink: str

    def play(self, wav: Path = SPEECH) -> subprocess.Popen:
        """Start playing `wav` into the microphone; the caller ends it with `.kill()`."""
        return subprocess.Popen(["paplay", f"--device={self.sink}", str(wav)])

    def disconnect_recorders_of(self, pid: int) -> int:
        """Cut the recording streams of process `pid` server-side, as unplugging the device would."""
        outputs = json.loads(_pactl("--format=json", "list", "source-outputs").stdout or "[]")
        ours = [o["index"] for o in outputs if o.get("properties", {}).get("application.process.id") == str(pid)]
        for index in ours:
            subprocess.run(["pacmd", "kill-source-output", str(index)], capture_output=True, timeout=10, check=True)
        return len(ours)


@pytest.fixture(scope="session")
def virtual_microphone() -> VirtualMicrophone:
    """Make sure PulseAudio runs with the `vsink` null sink as default sink and its monitor as default source."""
    require(shutil.which("pulseaudio") is not None and shutil.which("pactl") is not None,
            "PulseAudio is not installed (apt install pulseaudio pulseaudio-utils); the recorder tests need its "
            "virtual microphone")
    if not _pulse_is_running():
        subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "--system=false", "--disallow-exit"],
                       capture_output=True, timeout=30)
        deadline = time.monotonic() + 10
        while not _pulse_is_running():
            if time.monotonic() > deadline:
                pytest.fail("PulseAudio is installed but did not start (pulseaudio -D)")
            time.sleep(0.1)
    if SINK not in _pactl("list", "short", "sinks").stdout:
        _pactl("load-module", "module-null-sink", f"sink_name={SINK}")
    _pactl("set-default-sink", SINK)
    _pactl("set-default-source", f"{SINK}.monitor")
    return VirtualMicrophone(sink=SINK)
