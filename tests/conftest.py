"""Shared fixtures: real recordings, a real data folder, the real tiny.en model, the real CLI."""
from __future__ import annotations

import csv
import functools
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import privacy  # noqa: F401  telemetry off for tests that load faster-whisper directly

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def require(condition: bool, what: str) -> None:
    """Go on only if a part of the system the test needs is there (root, an X display, xdotool, PulseAudio,
    a tmpfs mount...): skip when it is missing, but fail under CI=true, where every part is installed by
    scripts/bootstrap.sh and a skip would hide a test that never ran."""
    if condition:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"missing on this CI machine: {what}", pytrace=False)
    pytest.skip(what)


def references() -> dict[Path, str]:
    """Reference transcripts of the test recordings, by path."""
    with open(DATA / "references.tsv", newline="") as handle:
        return {DATA / row["file"]: row["reference_text"] for row in csv.DictReader(handle, delimiter="\t")}


@pytest.fixture(scope="session")
def reference_clips() -> dict[Path, str]:
    return references()


@pytest.fixture
def new_york(monkeypatch):
    """This machine's local time is New York's (UTC-5 in December); the CLI's children inherit TZ."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def data_dir(tmp_path) -> Path:
    return tmp_path / "musings-data"


# Every system call that can reach another machine, or write a file, seen by strace in the whole process tree.
TRACED_CALLS = ("connect,sendto,sendmsg,sendmmsg,open,openat,creat,mkdir,mkdirat,rename,renameat,renameat2,"
                "link,linkat,symlink,symlinkat")
_ADDRESS = re.compile(r"sa_family=(AF_\w+)")
_WRITE_FLAGS = re.compile(r"O_WRONLY|O_RDWR|O_CREAT")
_RESULT_PATH = re.compile(r"= \d+<(?P<path>[^>]*)>$")
# a path argument, with the folder it is relative to (strace -y prints a dirfd's path: AT_FDCWD</cwd>)
_PATH_ARGUMENT = re.compile(r'(?:(?:\d+|AT_FDCWD)<(?P<dir>[^>]*)>, )?"(?P<path>[^"]*)"')
# writes that are not files on a disk: devices, kernel interfaces, POSIX semaphores and shared memory
_NOT_FILES = ("/dev/", "/proc/", "/sys/")


# Variables by which onnxruntime (and other libraries) decide they run on a CI service and keep their telemetry
# quiet. CI machines set some of them (CI=true): a check of what the app itself switches off clears them all,
# or it would pass on CI whatever the app did. (An empty value counts as unset; read off libonnxruntime.so.)
CI_SERVICE_MARKERS = ("CI", "TF_BUILD", "GITHUB_ACTIONS", "GITLAB_CI", "CIRCLECI", "TRAVIS", "JENKINS_URL",
                      "CODEBUILD_BUILD_ID", "BUILDKITE", "TEAMCITY_VERSION", "APPVEYOR", "BITBUCKET_BUILD_NUMBER")


class Offline:
    """Runs the real command with nothing able to leave the machine unnoticed, and reports what it touched.

    `run_musings(..., **offline.run_options)` runs it in a network namespace with no interfaces (when
    `unshare --net` is allowed) under `strace -f`, which sees every process and thread of the tree (the
    embedding child, native libraries such as onnxruntime, not only Python's sockets). HOME, the XDG folders
    and TMPDIR point into the test's folder, and the Hugging Face offline switches are cleared, so the app
    itself must keep its libraries off the network and inside its folders.

    What counts as a network attempt: a connect, sendto, sendmsg or sendmmsg to any address that is not a
    local (AF_UNIX) socket: AF_INET/AF_INET6 (a DNS query, a telemetry upload), AF_NETLINK (glibc asking the
    kernel for interfaces before resolving a name), AF_UNSPEC... Local sockets (PulseAudio, the X server,
    the app's own instance socket, nscd) never leave the machine and are allowed.
    """

    def __init__(self, folder: Path):
        assert shutil.which("strace"), "strace is needed to watch the process tree (scripts/bootstrap.sh installs it)"
        self.folder = folder
        self.traces = folder / "strace"  # one file per process and thread: no call is split across lines
        self.traces.mkdir()
        self.home = folder / "home"
        self.runtime = folder / "run"
        self.temp = folder / "tmp"
        for path in (self.home, self.runtime, self.temp):
            path.mkdir(mode=0o700)
        self.config = self.home / ".config"
        self.cache = self.home / ".cache"
        env = {"HOME": str(self.home), "XDG_CONFIG_HOME": str(self.config), "XDG_CACHE_HOME": str(self.cache),
               "XDG_DATA_HOME": str(self.home / ".local" / "share"), "XDG_RUNTIME_DIR": str(self.runtime),
               "TMPDIR": str(self.temp), "HF_HUB_OFFLINE": "", "TRANSFORMERS_OFFLINE": "",
               # Python's own byte-code cache beside the sources is not the app's doing
               "PYTHONDONTWRITEBYTECODE": "1", **_pulse_outside_home(folder / "pulse")}
        for name in ("MUSINGS_RUNTIME_DIR", "MUSINGS_GUI_SETTINGS", "ORT_DISABLE_TELEMETRY", *CI_SERVICE_MARKERS):
            env[name] = ""  # the app's defaults, not a test's or a CI service's overrides
        wrapper = ("unshare", "--net") if _can_unshare() else ()
        self.run_options = {
            "wrapper": (*wrapper, "strace", "-ff", "-qq", "-A", "-y", "-o", str(self.traces / "trace"), "-e",
                        f"trace={TRACED_CALLS}"),
            "env": env,
        }

    def options(self, **env: str) -> dict:
        """`run_options` with more environment variables for the command."""
        return {**self.run_options, "env": {**self.run_options["env"], **env}}

    def _lines(self) -> list[str]:
        return [line for trace in sorted(self.traces.iterdir())
                for line in trace.read_text(errors="replace").splitlines()]

    def network_attempts(self) -> list[str]:
        """Trace lines of calls that tried to reach an address other than a local socket."""
        return [line for line in self._lines()
                if re.match(r"(connect|sendto|sendmsg|sendmmsg)\(", line)
                and any(family != "AF_UNIX" for family in _ADDRESS.findall(line))]

    def written_paths(self) -> set[Path]:
        """Every file or folder the command created, opened for writing, renamed or linked into place."""
        written = set()
        for line in self._lines():
            call = re.match(r"(\w+)\(", line)
            if not call or "= -1 " in line:
                continue
            if call.group(1) in ("open", "openat", "creat"):
                found = _RESULT_PATH.search(line)
                if found and (call.group(1) == "creat" or _WRITE_FLAGS.search(line)):
                    written.add(Path(found.group("path")))
            elif re.match(r"(mkdir|rename|link|symlink)", call.group(1)) and line.endswith(" = 0"):
                *_, (folder, path) = _PATH_ARGUMENT.findall(line)  # the last path is the one created
                written.add(Path(folder or ROOT) / path)  # ROOT: run_musings' working folder
        return written

    def assert_no_attempts(self) -> None:
        """Zero network attempts, from any process of the tree."""
        assert any(self.traces.iterdir()), "strace left no trace: the command did not run under it"
        attempts = self.network_attempts()
        assert not attempts, "network attempts:\n" + "\n".join(attempts[:20])

    def assert_writes_only_in(self, *folders: Path) -> None:
        """No file written outside `folders`, the XDG config/cache/runtime folders Musings names, and TMPDIR."""
        allowed = [Path(f).resolve() for f in folders] + [
            self.config / "musings", self.cache / "musings", self.runtime / "musings", self.temp,
            self.folder / "pulse"]  # the test's copy of the PulseAudio cookie, which libpulse opens read-write
        stray = sorted(str(path) for path in self.written_paths()
                       if not str(path).startswith(_NOT_FILES)
                       and not any(path == folder or folder in path.parents for folder in allowed)
                       and not any(path in folder.parents for folder in allowed))  # e.g. ~/.config itself
        assert not stray, "written outside the app's folders:\n" + "\n".join(stray[:30])


@functools.cache
def _can_unshare() -> bool:
    return bool(shutil.which("unshare")) and subprocess.run(
        ["unshare", "--net", "true"], capture_output=True).returncode == 0


@functools.cache
def _pulse_server() -> str | None:
    if not shutil.which("pactl"):
        return None
    info = subprocess.run(["pactl", "info"], capture_output=True, text=True).stdout
    server = re.search(r"^Server String: (.+)$", info, re.MULTILINE)
    return server.group(1).strip() if server else None


def _pulse_outside_home(folder: Path) -> dict[str, str]:
    """The running PulseAudio server and a copy of its cookie in `folder`, named explicitly: libpulse
    otherwise looks for both under HOME (and writes a new cookie there), which the offline runs move."""
    server = _pulse_server()
    if server is None:
        return {}
    env = {"PULSE_SERVER": server}
    cookie = Path.home() / ".config" / "pulse" / "cookie"
    if cookie.exists():
        folder.mkdir(mode=0o700)
        shutil.copy(cookie, folder / "cookie")
        env["PULSE_COOKIE"] = str(folder / "cookie")
    return env


@pytest.fixture
def offline(tmp_path) -> Offline:
    return Offline(tmp_path)


@pytest.fixture(scope="session")
def transcriber():
    from audio.transcribe import Transcriber, TranscriptionSettings

    return Transcriber(TranscriptionSettings(model="tiny.en", language="en"))


def run_musings(*args: str, data_dir: Path, check: bool = False, timeout: float = 600, wrapper=(), **kwargs):
    """Run the real `musings` command in a child process."""
    env = {**os.environ, "MUSINGS_HOME": str(data_dir), **kwargs.pop("env", {})}
    result = subprocess.run(
        [*wrapper, sys.executable, "-m", "app.cli", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, **kwargs,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"musings {' '.join(args)} failed ({result.returncode}):\n{result.stderr}")
    return result
