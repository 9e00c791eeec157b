"""The `musings` command's entry point: the console script, the PyInstaller bundle and `python -m app.cli`.

app.cli loads PyAV, numpy and sqlite-utils when it is imported (0.5-1 s, more on a busy machine). Two
commands are run from here before it loads, because a user is waiting to speak:

- `musings record --toggle`, bound to a desktop key, only talks to the running Musings over its socket,
  or, when none runs, starts `musings listen --start-recording` and waits for its answer;
- `musings listen --start-recording`, the listener it starts, opens the microphone first and only then
  loads app.cli, so the device's wake-up (0.5-2 s for the tests' PulseAudio null sink) overlaps those imports.

Their options are defined here, once, for app.cli's parser as well; this module and what it imports
at the top must stay light (tests/app/test_instance.py checks). Every other command goes to app.cli.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from app import __version__
from app.hotkey import DEFAULT_HOTKEY
from audio.devices import CaptureError
from audio.models import DEFAULT_MODEL

if TYPE_CHECKING:
    from audio.recorder import Recorder

LISTEN_LOG = "listen.log"  # where a `musings listen` started by `record --toggle` writes
ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = _early_command(argv)
    if args is not None and args.command == "record":
        return _toggle(args)
    microphone = None
    if args is not None:  # `listen --start-recording`: the microphone first, then app.cli's imports
        try:
            microphone = open_microphone(args.device)
        except CaptureError as error:
            microphone = error  # the listener reports it: the failure cue and the toggle's answer
    from app.cli import main as run_command

    return run_command(argv, microphone=microphone)


# -- the options of the commands run from here (app.cli.build_parser uses them too) --------------------

def add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"musings {__version__}")
    parser.add_argument("--data-dir", help="data folder (default: $MUSINGS_HOME or the platform's user data folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details to stderr")


def add_record_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, help="stop after this many seconds (default: on Enter or Ctrl-C)")
    parser.add_argument("--stop-on-silence", type=float, metavar="S", help="stop after S seconds of quiet")
    parser.add_argument("--device", help="microphone number or name (see `musings devices`; default: the system's)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="tiny.en (default), base, or a CTranslate2 folder")
    parser.add_argument("--language", default="auto", help="language code, or auto (default)")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--toggle", action="store_true",
                        help="start/stop recording in the running Musings (starts `musings listen` if none runs)")


def add_listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--night", action="store_true", help="soft sounds on start and stop, nothing shown")
    parser.add_argument("--stop-on-silence", type=float, metavar="S", help="stop a recording after S seconds of quiet")
    parser.add_argument("--hotkey", default=DEFAULT_HOTKEY, metavar="KEYS",
                        help=f"global hotkey (default {DEFAULT_HOTKEY}); 'none' for no hotkey")
    parser.add_argument("--device", help="microphone number or name (see `musings devices`; default: the system's)")
    parser.add_argument("--model", default=DEFAULT_MODEL, help="tiny.en (default), base, or a CTranslate2 folder")
    parser.add_argument("--language", default="auto", help="language code, or auto (default)")
    mic = parser.add_mutually_exclusive_group()
    mic.add_argument("--keep-mic-open", dest="keep_mic_open", action="store_true", default=None,
                     help="keep the microphone open while idle (audio discarded) so a recording starts in "
                          "milliseconds: the default, except with --night")
    mic.add_argument("--release-mic", dest="keep_mic_open", action="store_false",
                     help="open the microphone only while recording (the system's mic indicator stays off)")
    parser.add_argument("--start-recording", action="store_true", help="start recording at once")


def configure_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


class _NotEarly(Exception):
    """The command line is not one of the commands run from here: app.cli parses it (and reports any error)."""


class _EarlyParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise _NotEarly(message)


def _early_command(argv: list[str]):
    """The parsed `record --toggle` or `listen --start-recording` command line; None for any other."""
    if "--toggle" not in argv and "--start-recording" not in argv:
        return None
    parser = _EarlyParser(prog="musings", add_help=False)  # `musings -h` is app.cli's full help
    add_global_options(parser)
    commands = parser.add_subparsers(dest="command")
    add_record_options(commands.add_parser("record"))
    add_listen_options(commands.add_parser("listen"))
    try:
        args = parser.parse_args(argv)
    except _NotEarly:
        return None
    if (args.command == "record" and args.toggle) or (args.command == "listen" and args.start_recording):
        return args
    return None


# -- the two commands ------------------------------------------------------------------------------

def open_microphone(device: str | None) -> Recorder:
    """A Recorder on `device` (a number or a name, as on the command line) whose input is running already.

    Raises CaptureError when the microphone can't be opened.
    """
    from audio.recorder import Recorder

    recorder = Recorder(int(device) if device and device.isdigit() else device)
    recorder.prepare()
    return recorder


def _toggle(args) -> int:
    from storage.data_folder import resolve_data_dir

    configure_logging(args.verbose)
    try:
        return toggle_recording(args, resolve_data_dir(args.data_dir))
    except CaptureError as error:  # the socket is not ours alone, or the running Musings does not answer
        print(f"musings: {' '.join(str(error).split())}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def toggle_recording(args, data_dir: Path) -> int:
    """`musings record --toggle`: start or stop recording in the running Musings, or start one that records."""
    from app.instance import send_command

    reply = send_command("toggle")
    if reply is None:  # nobody listening: start a background recorder that records at once
        from app.cold_start import start_listener

        data_dir.mkdir(parents=True, exist_ok=True)
        this_musings = [sys.executable] if getattr(sys, "frozen", False) else [sys.executable, "-m", "app.cli"]
        command = [*this_musings, "--data-dir", str(data_dir), "listen", "--start-recording",
                   "--model", args.model, "--language", args.language]
        if args.device:
            command += ["--device", args.device]
        # Waits for the listener's answer: "Recording" only once the microphone is live.
        reply = start_listener(command, data_dir / LISTEN_LOG, ROOT)
    if args.json:
        json.dump(reply, sys.stdout, indent=2, ensure_ascii=False, default=str)
        sys.stdout.write("\n")
    elif not reply.get("ok"):
        print(f"musings: {' '.join(str(reply.get('error', 'the running Musings refused the request')).split())}",
              file=sys.stderr)
    elif reply["state"] == "recording":
        print("Recording" + (f" (started `musings listen` in the background; log: {reply['log']})"
                             if reply.get("started_listener") else ""))
    else:
        print("Stopped; the memo is being made")
    return 0 if reply.get("ok") else 1
