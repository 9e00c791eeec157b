"""`musings listen` as the one running instance: toggled over its socket and by the global hotkey,
refusing garbage, surviving `kill -9`, and night mode's cues. Real processes, real virtual microphone."""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from app.instance import SOCKET_NAME, send_command
from tests.audio.conftest import virtual_microphone  # noqa: F401  (the fixture)
from tests.conftest import DATA, ROOT, references, run_musings
from tests.wer import normalise

SPEECH = DATA / "speech" / "ljspeech" / "LJ001-0016.wav"  # 5.3 s


class Listener:
    """A `musings listen` child process with its own data folder and runtime folder."""

    def __init__(self, data_dir: Path, runtime: Path, *args: str) -> None:
        self.data_dir, self.runtime = data_dir, runtime
        self.env = {**os.environ, "MUSINGS_HOME": str(data_dir), "MUSINGS_RUNTIME_DIR": str(runtime)}
        self.log = open(data_dir.parent / f"listen-{time.monotonic_ns()}.log", "w+")
        self.process = subprocess.Popen([sys.executable, "-m", "app.cli", "-v", "listen", *args], cwd=ROOT,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "Listening (pid" not in self.output():  # socket served, hotkey set up
            assert self.process.poll() is None, self.output()
            assert time.monotonic() < deadline, "listen never got ready"
            time.sleep(0.05)

    def command(self, command: str) -> dict | None:
        return send_command(command, folder=self.runtime)

    def musings(self, *args: str):
        return run_musings(*args, data_dir=self.data_dir, env={"MUSINGS_RUNTIME_DIR": str(self.runtime)})

    def wait_for_state(self, state: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while (self.command("status") or {}).get("state") != state:
            assert time.monotonic() < deadline, f"never became {state}: {self.output()}"
            time.sleep(0.05)

    def memos(self) -> list[dict]:
        return json.loads(self.musings("list", "--json").stdout or "[]")

    def wait_for_memos(self, count: int, timeout: float = 60) -> list[dict]:
        deadline = time.monotonic() + timeout
        while True:
            memos = [memo for memo in self.memos() if memo["status"] == "done"]
            if len(memos) >= count:
                return memos
            assert time.monotonic() < deadline, f"{len(memos)} memos after {timeout} s: {self.output()}"
            time.sleep(0.5)

    def output(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def start_listener(virtual_microphone, tmp_path):  # noqa: F811
    # A short folder of its own: a Unix socket path must stay under ~100 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="musings-run-", dir="/tmp")) / "run"
    listeners: list[Listener] = []

    def start(*args: str) -> Listener:
        listeners.append(Listener(tmp_path / "data", runtime, *args))
        return listeners[-1]

    yield start
    for listener in listeners:
        listener.stop()
    shutil.rmtree(runtime.parent, ignore_errors=True)


def heard_enough(transcript: str) -> bool:
    reference_words = normalise(references()[SPEECH]).split()
    heard = set(normalise(transcript).split())
    return sum(word in heard for word in reference_words) >= 0.8 * len(reference_words)


def test_record_toggle_makes_a_memo_of_what_was_said_with_night_cues(start_listener, virtual_microphone):  # noqa: F811
    listener = start_listener("--night", "--hotkey", "none")

    started = listener.musings("record", "--toggle")
    assert started.returncode == 0 and started.stdout.strip() == "Recording", started.stderr
    assert listener.command("status")["state"] == "recording"
    deadline = time.monotonic() + 10
    while "played the start cue" not in listener.output():  # as a user would: speak after the cue
        assert time.monotonic() < deadline, listener.output()
        time.sleep(0.05)
    virtual_microphone.play(SPEECH).wait(15)
    time.sleep(0.5)
    stopped = listener.musings("record", "--toggle")
    assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.stderr

    memos = listener.wait_for_memos(1)
    assert len(memos) == 1 and heard_enough(memos[0]["transcript"]), memos
    listener.wait_for_state("idle")
    log = listener.output()
    assert log.count("played the start cue") == 1 and log.count("played the stop cue") == 1, log
    assert f"memo {memos[0]['id']}:" in log  # one line per memo made


def test_garbage_on_the_socket_is_refused_without_effect(start_listener):
    listener = start_listener("--hotkey", "none")
    path = listener.runtime / SOCKET_NAME
    payloads = [
        os.urandom(200) + b"\n",
        b"\xff\xfe\x00garbage\n",
        b"{not json\n",
        b'{"command": "rm -rf"}\n',
        b'{"command": "start", "then": "stop"}\n',
        b'["start"]\n',
        b'{"command": ["toggle"]}\n',
        b'{"command": "' + b"a" * 10_240 + b'"}\n',
        b"start" * 2048,  # 10 KB, no newline
    ]
    for payload in payloads:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.settimeout(5)
            client.connect(str(path))
            try:
                client.sendall(payload)
                reply = client.recv(4096)
            except (BrokenPipeError, ConnectionResetError):
                reply = b""  # refused by closing the connection
        if reply:
            assert json.loads(reply)["ok"] is False, (payload[:40], reply)

    assert listener.command("status") == {"ok": True, "state": "idle", "elapsed": 0.0}
    assert listener.memos() == []
    assert not list((listener.data_dir / "recordings").glob("*"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(listener.runtime.stat().st_mode) == 0o700


@pytest.mark.skipif(not os.environ.get("DISPLAY") or not shutil.which("xdotool"),
                    reason="needs an X display (source scripts/test-services.sh) and xdotool")
def test_global_hotkey_toggles_recording(start_listener, virtual_microphone):  # noqa: F811
    listener = start_listener()
    assert "global hotkey <ctrl>+<alt>+r is active" in listener.output()

    subprocess.run(["xdotool", "key", "ctrl+alt+r"], check=True, timeout=10)
    listener.wait_for_state("recording")
    virtual_microphone.play(SPEECH).wait(15)
    subprocess.run(["xdotool", "key", "ctrl+alt+r"], check=True, timeout=10)

    memos = listener.wait_for_memos(1)
    listener.wait_for_state("idle")
    assert len(listener.memos()) == 1 and heard_enough(memos[0]["transcript"]), memos


def test_a_recording_killed_mid_way_becomes_a_memo_on_the_next_start(start_listener, virtual_microphone):  # noqa: F811
    listener = start_listener("--hotkey", "none")
    assert listener.command("start")["state"] == "recording"
    player = virtual_microphone.play(SPEECH)
    deadline = time.monotonic() + 30  # count recorded audio, don't trust a sleep: stream start varies
    while (recorded := listener.command("status")["elapsed"]) < 3.0:
        assert time.monotonic() < deadline, "the recording never got going"
        time.sleep(0.1)
    listener.process.kill()
    listener.process.wait()
    player.wait(15)

    restarted = start_listener("--hotkey", "none")
    memos = restarted.wait_for_memos(1, timeout=60)
    assert len(memos) == 1 and abs(memos[0]["duration"] - recorded) <= 1.0, (memos, recorded)
    deadline = time.monotonic() + 10  # the file leaves the inbox just after its memo is done
    while list((restarted.data_dir / "recordings").glob("*.ogg")):
        assert time.monotonic() < deadline, "the recovered recording stayed in the inbox"
        time.sleep(0.1)
