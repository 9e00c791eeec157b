"""`musings record --toggle` with no Musings running: start `musings listen` and wait for its answer.

The toggle must say what really happened, so the listener it starts reports back once - "recording"
(the first audio sample has arrived) or why it could not record - on a pipe whose descriptor it
finds in $MUSINGS_START_REPORT_FD. If the listener dies before it reports, the pipe closes and the
reason is the last `musings: ...` line it wrote to its log.
"""
from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import time
from pathlib import Path

log = logging.getLogger(__name__)

REPORT_FD_VARIABLE = "MUSINGS_START_REPORT_FD"
# Interpreter start, imports, the microphone's wake-up and its first sample; a loaded machine is slow.
LISTENER_START_SECONDS = 30.0


def start_listener(command: list[str], log_path: Path, cwd: Path) -> dict:
    """Run `command` (a `musings listen --start-recording`) in the background; its first reply, as a dict."""
    offset = log_path.stat().st_size if log_path.exists() else 0
    read_end, write_end = os.pipe()
    try:
        with open(log_path, "ab") as log_file:
            subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                             start_new_session=True, pass_fds=(write_end,),
                             env={**os.environ, REPORT_FD_VARIABLE: str(write_end)})
    finally:
        os.close(write_end)  # the child holds the only writer now: its exit closes the pipe
    with os.fdopen(read_end, "rb") as pipe:
        line = _read_reply(pipe, time.monotonic() + LISTENER_START_SECONDS)
    if line is None:
        return {"ok": False, "state": "unknown", "error": f"`musings listen` did not start recording within "
                f"{LISTENER_START_SECONDS:g} s; see {log_path}"}
    try:
        reply = json.loads(line) if line.strip() else None
    except ValueError:
        reply = None
    if reply is None:  # it exited before it could answer
        reason = _last_error(log_path, offset) or f"`musings listen` stopped at once; see {log_path}"
        reply = {"ok": False, "state": "idle", "error": reason}
    return {**reply, "started_listener": True, "log": str(log_path)}


class StartReport:
    """The listener's side: `send` its one answer to the toggle that started it (if one did)."""

    def __init__(self) -> None:
        fd = os.environ.pop(REPORT_FD_VARIABLE, None)  # popped: children must not inherit it
        self._pipe = None
        if fd is not None:
            try:
                self._pipe = os.fdopen(int(fd), "wb")
            except (OSError, ValueError) as error:
                log.warning("cannot answer the toggle that started this listener: %s", error)

    def send(self, reply: dict) -> None:
        pipe, self._pipe = self._pipe, None
        if pipe is None:
            return
        try:
            with pipe:
                pipe.write(json.dumps(reply).encode() + b"\n")
        except OSError as error:  # the toggle gave up waiting
            log.info("the toggle that started this listener is gone: %s", error)


def _read_reply(pipe, deadline: float) -> bytes | None:
    """One line from `pipe`; b"" if it closed first, None at the deadline."""
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([pipe], [], [], remaining)[0]:
            return None
        chunk = os.read(pipe.fileno(), 4096)
        if not chunk:
            return data if data.endswith(b"\n") else b""
        data += chunk
    return data


def _last_error(log_path: Path, offset: int) -> str | None:
    try:
        with open(log_path, "rb") as log_file:
            log_file.seek(offset)
            lines = log_file.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    errors = [line[len("musings: "):] for line in lines if line.startswith("musings: ")]
    return errors[-1] if errors else None
