"""A global hotkey (default Ctrl+Alt+R) through pynput, where the desktop allows one.

pynput connects to the X server when it is imported, so it is imported only here, only when a
display is there. Wayland gives no global key grabs to applications: there (and with no display at
all) the user binds `musings record --toggle` to a desktop shortcut instead, and we say so once.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
from typing import Callable

from musings_errors import UserError

log = logging.getLogger(__name__)

DEFAULT_HOTKEY = "<ctrl>+<alt>+r"
UNAVAILABLE = "global hotkey unavailable here; bind `musings record --toggle` to a desktop shortcut"

_said_unavailable = False


class HotkeyError(UserError, ValueError):
    """The hotkey text can't be understood (e.g. "<ctrl>+<bogus>")."""


def hotkey_possible() -> bool:
    """False where pynput can't grab keys: Linux without an X display (a console, pure Wayland)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY"))
    return True


def start_global_hotkey(keys: str, on_press: Callable[[], None]):
    """Call `on_press()` (on a thread of its own) whenever `keys` is pressed anywhere on the desktop.

    Returns the running listener (`.stop()` it), or None where global hotkeys are unavailable,
    which is said once. Raises HotkeyError when `keys` is not a valid pynput hotkey.
    """
    if not hotkey_possible():
        _say_unavailable("no X display")
        return None
    try:
        from pynput import keyboard
    except Exception as error:  # ImportError, or Xlib failing to connect to the display
        _say_unavailable(str(error))
        return None
    try:
        keyboard.HotKey.parse(keys)
    except ValueError as error:
        raise HotkeyError(f"'{keys}' is not a hotkey pynput understands ({error}); "
                          f"write it like {DEFAULT_HOTKEY}") from error

    def pressed() -> None:
        # Off the listener's thread: starting the microphone can take half a second.
        threading.Thread(target=on_press, name="hotkey-action", daemon=True).start()

    listener = keyboard.GlobalHotKeys({keys: pressed})
    listener.start()
    try:
        listener.wait()
    except Exception as error:
        listener.stop()
        _say_unavailable(str(error))
        return None
    log.info("global hotkey %s is active", keys)
    return listener


def _say_unavailable(reason: str) -> None:
    global _said_unavailable
    if not _said_unavailable:
        _said_unavailable = True
        log.warning("%s (%s)", UNAVAILABLE, reason)
