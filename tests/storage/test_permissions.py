"""Recordings and transcripts are readable by their owner only, whatever the umask; an exported vault is not.

Every test runs the real code in a child process with umask 022 (the usual default, which made the data
folder 0755 and the database and audio 0644), so the test runner's own umask does not matter.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DATA, ROOT, run_musings

CLIP = DATA / "speech" / "ljspeech" / "LJ001-0002.wav"
OPUS_CLIP = DATA / "speech" / "fleurs_en_opus" / "fleurs-en-000.ogg"


def lax_umask() -> None:
    os.umask(0o022)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


def modes_under(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): mode(p) for p in [folder, *folder.rglob("*")]}


def run_python(code: str, *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=300, preexec_fn=lax_umask)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


# While the database is open, so its -wal and -shm files exist too.
OPEN_AND_COPY = '''
import json, sys
from pathlib import Path
from storage.db import open_database
from storage.data_folder import copy_into_library, hash_file, library_path_for
data_dir, clip = Path(sys.argv[1]), Path(sys.argv[2])
db = open_database(data_dir)
copy_into_library(data_dir, clip, library_path_for(hash_file(clip), clip.suffix))
print(json.dumps({str(p.relative_to(data_dir)): p.stat().st_mode & 0o777 for p in [data_dir, *data_dir.rglob("*")]}))
'''


def test_a_new_data_folder_its_database_and_audio_are_private(tmp_path):
    data_dir = tmp_path / "data"
    modes = json.loads(run_python(OPEN_AND_COPY, str(data_dir), str(CLIP)))
    assert {"musings.db", "musings.db-wal", "musings.db-shm"} <= set(modes)
    assert any(name.endswith(".wav") for name in modes)
    loose = {name: oct(m) for name, m in modes.items()
             if m != (0o700 if (data_dir / name).is_dir() or name == "." else 0o600)}
    assert not loose, loose


def test_a_recording_left_by_a_crash_is_private(tmp_path):
    """`musings record` killed mid-recording: the audio stays in the inbox, for the owner's eyes only."""
    data_dir = tmp_path / "data"
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "--data-dir", str(data_dir), "record",
                                "--seconds", "60"], cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, preexec_fn=lax_umask)
    inbox = data_dir / "recordings"
    try:
        deadline = time.monotonic() + 120
        while not any(p.stat().st_size > 0 for p in inbox.glob("*.ogg")):
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "no recording appeared in the inbox"
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        process.stderr.close()
    (recording,) = inbox.glob("*.ogg")
    assert mode(data_dir) == 0o700 and mode(inbox) == 0o700
    assert mode(recording) == 0o600


REPAIR = '''
import sys
from audio.recorder import recover_recording
print(recover_recording(sys.argv[1]))
'''


def test_a_repaired_recording_stays_private(tmp_path):
    inbox = tmp_path / "recordings"
    inbox.mkdir(mode=0o700)
    torn = inbox / "20260101T000000.000000Z.ogg"
    data = OPUS_CLIP.read_bytes()
    descriptor = os.open(torn, os.O_WRONLY | os.O_CREAT, 0o600)  # as the recorder creates it
    os.write(descriptor, data[: len(data) * 2 // 3])  # killed mid-page: no end-of-stream page
    os.close(descriptor)
    assert run_python(REPAIR, str(torn)).strip() == str(torn)
    assert mode(torn) == 0o600
    assert [p.name for p in inbox.iterdir()] == [torn.name]


def loosen(folder: Path) -> None:
    """What an older Musings (or umask 022) left: 0755 folders, 0644 files."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def test_an_existing_lax_data_folder_is_tightened_once_with_a_notice(tmp_path):
    data_dir = tmp_path / "data"
    run_python(OPEN_AND_COPY, str(data_dir), str(CLIP))
    (data_dir / "recordings").mkdir()
    shutil.copy(OPUS_CLIP, data_dir / "recordings" / "20260101T000000.000000Z.ogg")
    users_own = data_dir / "shopping list.txt"  # not Musings': the user's to share
    users_own.write_text("milk")
    loosen(data_dir)

    first = run_musings("list", data_dir=data_dir, preexec_fn=lax_umask)
    assert first.returncode == 0, first.stderr
    (notice,) = first.stderr.splitlines()
    assert str(data_dir) in notice and "private" in notice
    musings_own = {name: m for name, m in modes_under(data_dir).items() if name != users_own.name}
    loose = {name: oct(m) for name, m in musings_own.items()
             if m != (0o700 if (data_dir / name).is_dir() else 0o600)}
    assert not loose, loose
    assert mode(users_own) == 0o644

    again = run_musings("list", data_dir=data_dir, preexec_fn=lax_umask)
    assert again.returncode == 0 and again.stderr == ""


def test_an_exported_vault_follows_the_users_umask(tmp_path):
    """The vault is meant to be synced and opened by other apps: private audio does not make private copies."""
    data_dir, vault = tmp_path / "data", tmp_path / "vault"
    run_musings("import", str(CLIP), data_dir=data_dir, check=True, preexec_fn=lax_umask)
    assert mode(next((data_dir / "library").rglob("*.wav"))) == 0o600
    run_musings("export", str(vault), data_dir=data_dir, check=True, preexec_fn=lax_umask)
    files = [p for p in vault.rglob("*") if p.is_file()]
    assert any(p.suffix == ".md" for p in files) and any(p.suffix == ".wav" for p in files)
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o644) for p in files}
