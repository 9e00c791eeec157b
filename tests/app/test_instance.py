"""`musings listen` as the one running instance: toggled over its socket and by the global hotkey,
refusing garbage, surviving `kill -9`, and night mode's cues. Real processes, real virtual microphone."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest

from app.instance import SOCKET_NAME, send_command
from tests.audio.conftest import virtual_microphone  # noqa: F401  (the fixture)
from tests.conftest import DATA, ROOT, references, require, run_musings
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

    def wait_for_state(self, state: str, timeout: float = 60) -> None:  # making a memo includes organizing it
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
    deadline = time.monotonic() + 15  # the cue plays on its own thread; on a loaded machine it may end late
    while "played the stop cue" not in listener.output():
        assert time.monotonic() < deadline, listener.output()
        time.sleep(0.05)
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


def test_global_hotkey_toggles_recording(start_listener, virtual_microphone):  # noqa: F811
    require(bool(os.environ.get("DISPLAY")) and shutil.which("xdotool") is not None,
            "needs an X display (source scripts/test-services.sh) and xdotool")
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


# -- the socket under misbehaving clients (issue 10, item 15) -------------------------------------

def test_stalled_and_trickling_clients_neither_block_nor_break_a_toggle(start_listener):
    listener = start_listener("--hotkey", "none")
    path = str(listener.runtime / SOCKET_NAME)
    stalled = []
    for _ in range(5):  # each sends the start of a request and then holds the connection
        client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        client.connect(path)
        client.sendall(b'{"co')
        stalled.append(client)
    trickled = {}

    def trickle() -> None:  # one byte every 0.3 s of a valid request, until the listener hangs up
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
            client.connect(path)
            try:
                for byte in b'{"command": "toggle"}\n':
                    client.sendall(bytes([byte]))
                    time.sleep(0.3)
                trickled["reply"] = client.recv(4096)
            except (BrokenPipeError, ConnectionResetError):
                trickled["reply"] = b""

    trickler = threading.Thread(target=trickle, daemon=True)
    trickler.start()
    try:
        toggled = listener.musings("record", "--toggle")
        assert toggled.returncode == 0 and toggled.stdout.strip() == "Recording", toggled.stderr
        assert "Traceback" not in toggled.stderr
        assert listener.command("status")["state"] == "recording"
        trickler.join(30)
        assert not trickler.is_alive(), "the listener kept a trickling client forever"
        assert not trickled["reply"] or json.loads(trickled["reply"])["ok"] is False  # and did not obey it
        assert listener.command("status")["state"] == "recording"
    finally:
        for client in stalled:
            client.close()


def test_a_socket_in_a_folder_others_can_write_to_is_not_used(data_dir, tmp_path):
    folder = Path(tempfile.mkdtemp(prefix="musings-open-", dir="/tmp"))
    os.chmod(folder, 0o777)  # anyone could have put (or swapped) the socket here
    heard = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as planted:
        planted.bind(str(folder / SOCKET_NAME))
        planted.listen(1)
        planted.settimeout(30)

        def answer() -> None:
            try:
                connection, _ = planted.accept()
            except OSError:
                return
            with connection:
                heard.append(connection.recv(4096))
                connection.sendall(b'{"ok": true, "state": "recording"}\n')

        server = threading.Thread(target=answer, daemon=True)
        server.start()
        result = run_musings("record", "--toggle", data_dir=data_dir, env={"MUSINGS_RUNTIME_DIR": str(folder)})
        planted.close()
        server.join(5)
    shutil.rmtree(folder, ignore_errors=True)
    assert result.returncode != 0 and "Recording" not in result.stdout, result.stdout
    assert "not a private folder of yours" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert heard == [], "the command went to a socket someone else could have planted"
    assert not (data_dir / "listen.log").exists(), "no listener may be started either"


PLANTED_SERVER = textwrap.dedent('''
    import os, socket, sys
    os.setgid(65534); os.setuid(65534)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(sys.argv[1]); server.listen(1)
    print("ready", flush=True)
    connection, _ = server.accept()
    print("heard", connection.recv(4096), flush=True)
    connection.sendall(b'{"ok": true, "state": "recording"}\\n')
''')


def test_a_socket_planted_by_another_user_gets_no_commands(data_dir):
    require(os.geteuid() == 0, "planting a socket as another user needs root")
    # The /tmp/runtime-<uid> fallback: another user made the folder first and listens in it.
    folder = Path(tempfile.mkdtemp(prefix="musings-planted-", dir="/tmp"))
    os.chown(folder, 65534, 65534)
    os.chmod(folder, 0o700)
    planted = subprocess.Popen([sys.executable, "-c", PLANTED_SERVER, str(folder / SOCKET_NAME)],
                               stdout=subprocess.PIPE, text=True)
    try:
        assert planted.stdout.readline().strip() == "ready"
        result = run_musings("record", "--toggle", data_dir=data_dir, env={"MUSINGS_RUNTIME_DIR": str(folder)})
    finally:
        planted.kill()
        output = planted.communicate(timeout=10)[0]
        shutil.rmtree(folder, ignore_errors=True)
    assert result.returncode != 0 and "Recording" not in result.stdout, result.stdout
    assert "uid 65534" in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert "heard" not in output, "the other user's socket received the toggle"


# -- a toggle says what really happened (item 3) and nothing said after the cue is lost (item 4) ---

def test_a_cold_toggle_with_a_broken_microphone_fails_with_the_reason(virtual_microphone, data_dir):  # noqa: F811
    runtime = Path(tempfile.mkdtemp(prefix="musings-run-", dir="/tmp")) / "run"
    try:
        result = run_musings("record", "--toggle", "--device", "no-such-microphone", data_dir=data_dir,
                             env={"MUSINGS_RUNTIME_DIR": str(runtime)})
        assert result.returncode != 0 and "Recording" not in result.stdout, result.stdout
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no-such-microphone" in lines[0] and "Traceback" not in result.stderr, lines
        assert send_command("status", folder=runtime) is None, "the failed listener should not stay behind"
    finally:
        shutil.rmtree(runtime.parent, ignore_errors=True)


HEAVY_LIBRARIES = {"av", "numpy", "sqlite_utils", "torch", "faster_whisper", "ctranslate2", "scipy", "sklearn",
                   "PySide6"}


def imported_modules(importtime_output: str) -> list[str]:
    """Top-level module names in the order `python -X importtime` (PYTHONPROFILEIMPORTTIME) reports them loaded."""
    return [line.rsplit("|", 1)[1].strip().split(".")[0]
            for line in importtime_output.splitlines() if line.startswith("import time:") and "|" in line]


def test_a_cold_toggle_loads_no_heavy_library_and_its_listener_opens_the_microphone_first(virtual_microphone,  # noqa: F811
                                                                                          data_dir):
    # The order of things, not their speed (bench/bench_capture_start.py times them): the toggle, bound to a
    # key, answers without loading PyAV, numpy or sqlite-utils, and the listener it starts opens the
    # microphone (sounddevice) before PyAV and sqlite-utils load, so the device wakes up while they do.
    runtime = Path(tempfile.mkdtemp(prefix="musings-run-", dir="/tmp")) / "run"
    env = {"MUSINGS_RUNTIME_DIR": str(runtime), "PYTHONPROFILEIMPORTTIME": "1"}  # inherited by the listener
    try:
        started = run_musings("record", "--toggle", data_dir=data_dir, env=env)
        assert started.returncode == 0 and started.stdout.startswith("Recording"), started.stderr
        stopped = run_musings("record", "--toggle", data_dir=data_dir, env=env)
        assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.stderr
    finally:
        stop_cold_listener(data_dir)
        shutil.rmtree(runtime.parent, ignore_errors=True)
    for toggle in (started, stopped):
        loaded = set(imported_modules(toggle.stderr))
        assert "app" in loaded and not loaded & HEAVY_LIBRARIES, sorted(loaded & HEAVY_LIBRARIES)
    listener = imported_modules((data_dir / "listen.log").read_text())
    assert "sounddevice" in listener and "av" in listener and "sqlite_utils" in listener, listener
    assert listener.index("sounddevice") < min(listener.index("av"), listener.index("sqlite_utils")), listener


def test_a_toggle_whose_microphone_sends_nothing_fails_with_the_reason(start_listener, virtual_microphone):  # noqa: F811
    listener = start_listener("--night", "--release-mic", "--hotkey", "none")
    subprocess.run(["pactl", "suspend-sink", virtual_microphone.sink, "1"], check=True, timeout=10)
    try:
        failed = listener.musings("record", "--toggle", "--json")
    finally:
        subprocess.run(["pactl", "suspend-sink", virtual_microphone.sink, "0"], check=True, timeout=10)
    assert failed.returncode != 0, failed.stdout
    reply = json.loads(failed.stdout)
    assert reply["ok"] is False and reply["state"] == "idle" and "sent no audio" in reply["error"], reply
    assert listener.command("status")["state"] == "idle"
    assert "playing the failure cue" in listener.output()  # night mode: heard, not shown
    assert not list((listener.data_dir / "recordings").glob("*.ogg"))

    again = listener.musings("record", "--toggle")  # the microphone is back: recording works again
    assert again.returncode == 0 and again.stdout.strip() == "Recording", again.stderr


def stop_cold_listener(data_dir: Path) -> None:
    """SIGTERM the `musings listen` a cold toggle started (its pid is in the log it writes)."""
    log = data_dir / "listen.log"
    deadline = time.monotonic() + 30  # one may still be starting (it says its pid once it listens)
    while log.exists() and "Listening (pid" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in re.findall(r"Listening \(pid (\d+)\)", log.read_text() if log.exists() else ""):
        try:
            os.kill(int(pid), signal.SIGTERM)
        except ProcessLookupError:
            pass


def test_speech_right_after_a_cold_toggle_is_all_in_the_memo(virtual_microphone, data_dir):  # noqa: F811
    runtime = Path(tempfile.mkdtemp(prefix="musings-run-", dir="/tmp")) / "run"
    env = {"MUSINGS_RUNTIME_DIR": str(runtime)}
    try:
        started = run_musings("record", "--toggle", data_dir=data_dir, env=env)
        assert started.returncode == 0 and started.stdout.startswith("Recording"), started.stderr
        speaking_from = send_command("status", folder=runtime)["elapsed"]
        virtual_microphone.play(SPEECH).wait(15)  # at once, as a user does on hearing the cue
        deadline = time.monotonic() + 30  # count the audio recorded, don't sleep: the sink delays it
        while send_command("status", folder=runtime)["elapsed"] < speaking_from + 5.3 + 1.0:
            assert time.monotonic() < deadline, "the recording stopped getting audio"
            time.sleep(0.1)
        stopped = run_musings("record", "--toggle", data_dir=data_dir, env=env)
        assert stopped.returncode == 0 and "Stopped" in stopped.stdout, stopped.stderr
        deadline = time.monotonic() + 120
        while not (memos := [m for m in json.loads(run_musings("list", "--json", data_dir=data_dir).stdout or "[]")
                             if m["status"] == "done"]):
            assert time.monotonic() < deadline, (data_dir / "listen.log").read_text()
            time.sleep(0.5)
    finally:
        stop_cold_listener(data_dir)
        shutil.rmtree(runtime.parent, ignore_errors=True)
    words = normalise(memos[0]["transcript"]).split()
    assert words[:3] == ["the", "middle", "ages"], memos[0]["transcript"]
    assert heard_enough(memos[0]["transcript"]), memos[0]["transcript"]
