"""Telling a user who has no terminal or window that something failed: a desktop notification, or a cue.

`musings listen` runs in the background, toggled by a key; when a recording cannot start (or ends
early) the user must hear or see it. A notification goes through `notify-send` or, without it,
org.freedesktop.Notifications over the session D-Bus (`gdbus`). Without a notification service (a
bare X session, CI), or in night mode (nothing lights up), the soft failure cue plays instead.
Nothing here ever fails: the message is in the log either way.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import threading

from audio.cues import play_cue

log = logging.getLogger(__name__)

NOTIFY_SECONDS = 3.0  # a notification service that does not answer in this long is treated as absent


def tell_user(message: str, *, night: bool = False) -> threading.Thread | None:
    """Show `message` as a desktop notification, or play the failure cue; the cue's player thread, if any."""
    if not night and _notify(message):
        log.info("told the user by a desktop notification: %s", message)
        return None
    log.warning("%s; playing the failure cue", "night mode" if night else "no desktop notification service")
    return play_cue("failure")


def _notify(message: str) -> bool:
    commands = []
    if shutil.which("notify-send"):
        commands.append(["notify-send", "--app-name=Musings", "Musings", message])
    if shutil.which("gdbus") and os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        # Notify(app_name, replaces_id, icon, summary, body, actions, hints, timeout_ms); GVariant text.
        commands.append(["gdbus", "call", "--session", "--dest", "org.freedesktop.Notifications",
                         "--object-path", "/org/freedesktop/Notifications",
                         "--method", "org.freedesktop.Notifications.Notify",
                         "Musings", "0", "", "Musings", json.dumps(message), "[]", "{}", "8000"])
    for command in commands:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=NOTIFY_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as error:
            log.info("%s failed: %s", command[0], error)
            continue
        if done.returncode == 0:
            return True
        log.info("%s failed: %s", command[0], done.stderr.strip())
    return False
