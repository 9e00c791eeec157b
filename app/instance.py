"""One running Musings (GUI or `musings listen`) per user, reachable through a Unix domain socket.

The socket lives in the user's runtime folder (mode 0700; $MUSINGS_RUNTIME_DIR overrides it) and
is itself mode 0600. Protocol: the client sends one line of JSON, `{"command": "toggle"}` (or
"start", "stop", "status"), and gets one line back, `{"ok": true, "state": "recording"}`. Anything
else - not JSON, not exactly that one key, an unknown command, a line over 1 KB, another user - is
refused with `{"ok": false, "error": ...}` (or the connection is closed) and changes nothing.

A lock file held for the process's lifetime says who owns the socket, so a socket file left by a
crash is simply replaced, and two instances starting at once can't both win.

Each connection is answered on a thread of its own and must send its line within CLIENT_READ_SECONDS
(a deadline for the whole line, so a client trickling a byte at a time is dropped too): a client that
stalls never keeps others waiting. The client, for its part, talks only to a socket in a folder that
it owns and nobody else can write to (the /tmp fallback folder could have been made by anyone).
"""
from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import stat
import struct
import threading
import time
from pathlib import Path
from typing import Protocol

import platformdirs

from audio.devices import CaptureError
from musings_errors import UserError

log = logging.getLogger(__name__)

SOCKET_NAME = "musings.sock"
LOCK_NAME = "musings.lock"
MAX_REQUEST_BYTES = 1024
CLIENT_READ_SECONDS = 2.0  # a client's whole request line must arrive within this
MAX_CONNECTIONS = 16  # answered at once; more are closed at once (a local flood can't pile up threads)
# A start waits for the microphone's first sample (a few seconds at worst) before it answers.
COMMAND_SECONDS = 15.0
COMMANDS = ("toggle", "start", "stop", "status")


class AlreadyRunning(UserError):
    """Another Musings instance owns the socket (or its folder is another user's): the user is told so."""


class InstanceError(CaptureError):
    """The running Musings can't be reached safely or in time; the message says why, for the user."""


class Controllable(Protocol):
    state: str
    elapsed: float
    start_failure: str | None  # optional: why the last start failed, for the reply

    def start(self) -> None: ...
    def stop(self) -> None: ...
    def toggle(self) -> str: ...


def runtime_dir() -> Path:
    """The folder for the socket: $MUSINGS_RUNTIME_DIR, else the platform's user runtime folder."""
    configured = os.environ.get("MUSINGS_RUNTIME_DIR")
    return Path(configured) if configured else Path(platformdirs.user_runtime_dir("musings", appauthor=False))


def socket_path() -> Path:
    return runtime_dir() / SOCKET_NAME


class InstanceServer:
    """Answers commands on the socket from a background thread, calling `controller`."""

    def __init__(self, controller: Controllable, folder: Path | None = None) -> None:
        self.controller = controller
        self.folder = Path(folder) if folder else runtime_dir()
        self.path = self.folder / SOCKET_NAME
        self._lock_file = None
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._closing = False

    def start(self) -> None:
        """Take the socket (replacing a stale one) and serve; raises AlreadyRunning."""
        _private_folder(self.folder)
        lock_file = open(self.folder / LOCK_NAME, "a+")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.close()
            raise AlreadyRunning(f"Musings is already running (socket {self.path}).") from None
        self._lock_file = lock_file
        if self.path.exists() or self.path.is_symlink():
            log.info("replacing the stale socket %s", self.path)
            self.path.unlink()
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(self.path))
        os.chmod(self.path, 0o600)  # the 0700 folder already keeps others out until this
        server.listen(8)
        server.settimeout(0.2)  # so the serving thread notices close() quickly
        self._socket = server
        self._thread = threading.Thread(target=self._serve, name="instance-server", daemon=True)
        self._thread.start()
        log.info("listening on %s", self.path)

    def close(self) -> None:
        self._closing = True
        if self._thread is not None:
            self._thread.join(5)
        if self._socket is not None:
            self._socket.close()
            self._socket = None
            self.path.unlink(missing_ok=True)
        if self._lock_file is not None:
            self._lock_file.close()  # releases the flock
            self._lock_file = None

    def _serve(self) -> None:
        connections = threading.BoundedSemaphore(MAX_CONNECTIONS)
        while not self._closing:
            try:
                connection, _ = self._socket.accept()
            except socket.timeout:
                continue
            except (OSError, AttributeError):
                return  # closed
            if not connections.acquire(blocking=False):
                log.warning("too many open connections; refused one")
                connection.close()
                continue
            threading.Thread(target=self._serve_one, args=(connection, connections), name="instance-client",
                             daemon=True).start()

    def _serve_one(self, connection: socket.socket, connections: threading.BoundedSemaphore) -> None:
        try:
            with connection:
                self._answer(connection)
        except OSError as error:
            log.info("a client connection failed: %s", error)
        except Exception:
            log.exception("answering a client failed")
        finally:
            connections.release()

    def _answer(self, connection: socket.socket) -> None:
        if not _same_user(connection):
            log.warning("refused a connection from another user")
            return
        line = _read_line(connection, time.monotonic() + CLIENT_READ_SECONDS)
        if line is None:
            reply = {"ok": False, "error": f"request too long or incomplete (max {MAX_REQUEST_BYTES} bytes, one line)"}
        else:
            reply = self.handle(line)
        connection.settimeout(CLIENT_READ_SECONDS)  # a client that never reads its answer is dropped too
        connection.sendall(json.dumps(reply).encode() + b"\n")

    def handle(self, line: bytes) -> dict:
        """The reply to one request line; only a valid command touches the controller."""
        try:
            request = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {"ok": False, "error": "not a JSON line"}
        if not isinstance(request, dict) or set(request) != {"command"}:
            return {"ok": False, "error": 'expected exactly {"command": ...}'}
        command = request["command"]
        if command not in COMMANDS:
            return {"ok": False, "error": f"unknown command; expected one of {', '.join(COMMANDS)}"}
        log.info("socket command: %s", command)
        starting = command == "start" or command == "toggle" and self.controller.state != "recording"
        if command == "toggle":
            self.controller.toggle()
        elif command == "start":
            self.controller.start()
        elif command == "stop":
            self.controller.stop()
        state = self.controller.state
        if starting and state not in ("recording", "starting"):  # say why, so the client can tell the user
            reason = getattr(self.controller, "start_failure", None) or "the recording did not start"
            return {"ok": False, "state": state, "error": reason}
        reply = {"ok": True, "state": state}
        if command == "status":
            reply["elapsed"] = round(float(getattr(self.controller, "elapsed", 0.0)), 3)
        return reply


def send_command(command: str, timeout: float = COMMAND_SECONDS, folder: Path | None = None) -> dict | None:
    """Send `command` to the running instance and return its reply; None when no instance runs.

    Raises InstanceError when the socket or its folder is not this user's alone (someone else's
    socket must not hear our commands, nor answer them), or when the instance does not answer in time.
    """
    path = (Path(folder) if folder else runtime_dir()) / SOCKET_NAME
    if not _trusted_socket(path):
        return None
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.settimeout(timeout)
    try:
        client.connect(str(path))
    except (FileNotFoundError, ConnectionRefusedError):
        client.close()
        return None
    except socket.timeout:
        client.close()
        raise InstanceError(f"The running Musings (socket {path}) is not accepting commands; "
                            f"try again, or stop it and start it again.") from None
    reply = b""
    with client:
        try:
            client.sendall(json.dumps({"command": command}).encode() + b"\n")
            while not reply.endswith(b"\n"):
                chunk = client.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            raise InstanceError(f"The running Musings (socket {path}) did not answer within {timeout:g} s; "
                                f"the command may still take effect.") from None
        except (BrokenPipeError, ConnectionResetError):
            reply = b""
    try:
        return json.loads(reply) if reply.strip() else {"ok": False, "error": "no reply"}
    except ValueError:
        return {"ok": False, "error": "an unreadable reply"}


def _trusted_socket(path: Path) -> bool:
    """False when there is no socket at `path`; raises InstanceError when it or its folder isn't ours alone."""
    uid = os.getuid()
    try:
        folder = os.lstat(path.parent)
    except FileNotFoundError:
        return False
    if not stat.S_ISDIR(folder.st_mode) or folder.st_uid != uid or folder.st_mode & 0o022:
        raise InstanceError(f"{path.parent} is not a private folder of yours (owner uid {folder.st_uid}, "
                            f"mode {stat.S_IMODE(folder.st_mode):o}), so Musings will not use a socket in it; "
                            "remove it or set MUSINGS_RUNTIME_DIR to a folder of yours.")
    try:
        found = os.lstat(path)
    except FileNotFoundError:
        return False
    if not stat.S_ISSOCK(found.st_mode) or found.st_uid != uid:
        raise InstanceError(f"{path} is not a socket of yours (owner uid {found.st_uid}), so Musings will not "
                            "send it commands; remove it.")
    return True


def _read_line(connection: socket.socket, deadline: float) -> bytes | None:
    """The first line the client sends, or None if it is longer than MAX_REQUEST_BYTES or not done by `deadline`."""
    data = b""
    while b"\n" not in data:
        if len(data) > MAX_REQUEST_BYTES:
            return None
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        connection.settimeout(remaining)
        try:
            chunk = connection.recv(MAX_REQUEST_BYTES + 1)
        except socket.timeout:
            return None
        if not chunk:
            break  # the client closed its side: take what came, if it is short enough
        data += chunk
    line = data.split(b"\n", 1)[0]
    return line if len(line) <= MAX_REQUEST_BYTES else None


def _same_user(connection: socket.socket) -> bool:
    if not hasattr(socket, "SO_PEERCRED"):
        return True  # not Linux: the 0700 folder and 0600 socket are the protection
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _, uid, _ = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    if folder.stat().st_uid != os.getuid():
        raise AlreadyRunning(f"{folder} belongs to another user; set MUSINGS_RUNTIME_DIR to a folder of yours.")
    os.chmod(folder, 0o700)
