"""What keeps a user's memos on their machine and to themselves; imported first by every Musings package.

Offline: a library Musings loads must not phone home. onnxruntime (faster-whisper's VAD) sends telemetry
with a device id, OS, CPU and interpreter path, and queues it in ~/.cache/Microsoft/; only the environment
variable set before it loads stops that (`onnxruntime.disable_telemetry_events()` does not). The variables
are set when this module is imported, so `app`, `audio`, `organize` and `storage` import it in their
`__init__`: every entry point (the CLI, the window, `listen`, the PyInstaller bundle) passes through one of
them before any such library can load, and the embedding child (spawned) inherits the environment and
imports `organize` anyway. tests/app/test_privacy.py watches every process of the tree with strace.

Private: recordings and transcripts are readable by their owner only, whatever the umask. The modes are
given when a file or folder is made, not through the process umask: an exported vault is meant to be
shared and synced, and follows the user's umask (app/export_files.py reads it).
"""
from __future__ import annotations

import os
from pathlib import Path

# Forced, not defaulted: an empty or "0" value inherited from a shell must not turn telemetry back on.
_QUIET_LIBRARIES = {
    "ORT_DISABLE_TELEMETRY": "1",  # onnxruntime, faster-whisper's VAD
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub, only ever online for `--allow-download`
}

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def keep_libraries_quiet() -> None:
    """Set the switches that keep third-party libraries from sending anything; idempotent."""
    os.environ.update(_QUIET_LIBRARIES)


keep_libraries_quiet()


def make_private_dir(path: Path) -> Path:
    """Create `path` and its missing parents readable by the owner only (as the XDG base directory spec
    asks of a folder it creates); an existing folder is left as it is."""
    target = Path(path)
    missing = []
    folder = target
    while not folder.is_dir() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=PRIVATE_DIR_MODE)
            os.chmod(folder, PRIVATE_DIR_MODE)  # mkdir's mode is masked by the umask; chmod is not
        except FileExistsError:
            if not folder.is_dir():
                raise  # a file in the way
            # else another process made it at the same moment
    return target


def create_private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 unless it exists, so a writer that opens it later (SQLite, PyAV)
    keeps that mode instead of 0644 minus the umask."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    except FileExistsError:
        pass


def open_private(path: Path, mode: str = "wb"):
    """`open(path, mode)` for a new file that only its owner may read."""
    flags = os.O_CREAT | (os.O_RDWR if "+" in mode else os.O_WRONLY)
    flags |= os.O_APPEND if "a" in mode else os.O_TRUNC if "w" in mode else os.O_EXCL
    return os.fdopen(os.open(path, flags, PRIVATE_FILE_MODE), mode)
