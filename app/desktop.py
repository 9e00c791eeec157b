"""Putting Musings into the user's desktop (freedesktop.org): the menu entry, the icons and, on request,
an autostart entry for the hotkey listener. User scope only (XDG_DATA_HOME, XDG_CONFIG_HOME), no root.

Install writes a small manifest of what it wrote (path and content hash); uninstall removes exactly those
files and nothing else, so a user's own files next to ours are never touched.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from musings_errors import UserError
from atomic_files import file_mode, write_atomic

log = logging.getLogger(__name__)

APP_ID = "musings"
ICON_SIZES = (16, 32, 48, 64, 128, 256)
MENU_ENTRY = "musings.desktop"
AUTOSTART_ENTRY = "musings-listen.desktop"
WATCH_UNIT = "musings-watch.service"  # `install-desktop --watch`: `musings watch` as a systemd user service
MANIFEST_VERSION = 1


class DesktopError(UserError):
    """The desktop integration can't be installed or removed; the message says why."""


@dataclass
class DesktopChange:
    """What an install or uninstall did, for the CLI to report."""

    written: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # ours once, changed since: left alone
    problems: list[str] = field(default_factory=list)  # desktop-file-validate's complaints
    notes: list[str] = field(default_factory=list)  # one line each: what systemctl could not do


@dataclass(frozen=True)
class XdgDirs:
    data_home: Path
    config_home: Path

    @classmethod
    def from_environment(cls, environ: os._Environ | dict | None = None) -> "XdgDirs":
        environ = os.environ if environ is None else environ
        home = Path(environ.get("HOME") or Path.home())
        return cls(_xdg(environ, "XDG_DATA_HOME", home / ".local" / "share"),
                   _xdg(environ, "XDG_CONFIG_HOME", home / ".config"))

    @property
    def manifest(self) -> Path:
        return self.data_home / APP_ID / "desktop-install.json"


def _xdg(environ, name: str, default: Path) -> Path:
    # The spec says a relative value is invalid and must be ignored.
    value = environ.get(name, "")
    return Path(value) if value and os.path.isabs(value) else default


def assets_dir() -> Path:
    """The folder holding musings.desktop and icons/: the checkout's packaging/, the installed copy
    (pip puts it under <prefix>/share/musings), or the one inside a PyInstaller bundle."""
    candidates = [Path(__file__).resolve().parent.parent / "packaging"]
    if getattr(sys, "frozen", False):
        candidates.append(Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "share" / APP_ID)
    candidates.append(Path(sys.prefix) / "share" / APP_ID)
    for scheme in (None, f"{os.name}_user"):
        try:
            data = sysconfig.get_path("data", scheme) if scheme else sysconfig.get_path("data")
        except KeyError:
            continue
        candidates.append(Path(data) / "share" / APP_ID)
    for candidate in candidates:
        if (candidate / MENU_ENTRY).is_file() and (candidate / "icons").is_dir():
            return candidate
    raise DesktopError("the desktop entry and icons are missing from this installation "
                       f"(looked in {', '.join(str(c) for c in candidates)})")


def musings_command() -> list[str]:
    """The command that starts this Musings, as absolute paths, so the entry works from a venv or pipx
    without the venv on PATH. A pipx symlink is kept as it is (it survives `pipx upgrade`)."""
    if getattr(sys, "frozen", False):
        return [os.path.abspath(sys.executable)]
    argv0 = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if argv0 and argv0.name in (APP_ID, f"{APP_ID}.exe") and argv0.is_file():
        return [os.path.abspath(argv0)]
    found = shutil.which(APP_ID)
    if found:
        return [os.path.abspath(found)]
    return [os.path.abspath(sys.executable), "-m", "app.cli"]


def install_desktop(*, autostart: bool = False, watch: bool = False, dirs: XdgDirs | None = None,
                    command: list[str] | None = None) -> DesktopChange:
    """Write the menu entry and icons (and the autostart entry when asked) for the current user.

    Declarative: running it again rewrites the same files, and an autostart entry written by an earlier
    install is removed when this one does not ask for it."""
    dirs = dirs or XdgDirs.from_environment()
    command = command or musings_command()
    assets = assets_dir()
    planned: dict[Path, bytes] = {}
    menu = _with_command((assets / MENU_ENTRY).read_text(encoding="utf-8"), command)
    planned[dirs.data_home / "applications" / MENU_ENTRY] = menu.encode()
    for size in ICON_SIZES:
        source = assets / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        planned[dirs.data_home / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"] = \
            source.read_bytes()
    planned[dirs.data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"] = \
        (assets / "icons" / f"{APP_ID}.svg").read_bytes()
    if autostart:
        entry = _with_command((assets / AUTOSTART_ENTRY).read_text(encoding="utf-8"), command)
        planned[dirs.config_home / "autostart" / AUTOSTART_ENTRY] = entry.encode()
    unit_path = dirs.config_home / "systemd" / "user" / WATCH_UNIT
    if watch:
        planned[unit_path] = _with_exec_start((assets / WATCH_UNIT).read_text(encoding="utf-8"), command).encode()

    change = DesktopChange()
    previous_files, created_dirs = _read_manifest(dirs)
    for path, digest in previous_files.items():
        if path not in planned:
            if path == unit_path:
                _systemctl(change, "disable", "--now", WATCH_UNIT)
            _remove_if_ours(path, digest, change)
    # Files of the last install stay in the manifest until rewritten, so a failed install loses none.
    written = {path: digest for path, digest in previous_files.items() if path in planned}
    try:
        for path, content in planned.items():
            created_dirs += [d for d in _make_parents(path.parent) if d not in created_dirs]
            write_atomic(path, content, file_mode())
            written[path] = _sha256(content)
            change.written.append(path)
    finally:
        # Even a half-done install is recorded, so uninstall can clean it up.
        _write_manifest(dirs, written, created_dirs)
    change.problems = validate_entries([p for p in planned if p.suffix == ".desktop"])
    if watch:
        _systemctl(change, "daemon-reload") and _systemctl(change, "enable", "--now", WATCH_UNIT)
    return change


def uninstall_desktop(*, dirs: XdgDirs | None = None) -> DesktopChange:
    """Remove exactly the files the last install wrote (unless changed since), then empty folders of ours."""
    dirs = dirs or XdgDirs.from_environment()
    change = DesktopChange()
    files, created_dirs = _read_manifest(dirs)
    for path, digest in files.items():
        if path.name == WATCH_UNIT:
            _systemctl(change, "disable", "--now", WATCH_UNIT)
        _remove_if_ours(path, digest, change)
    dirs.manifest.unlink(missing_ok=True)
    # Folders are removed only if install created them and they are empty now, deepest first.
    for folder in sorted(set(created_dirs), key=lambda d: len(d.parts), reverse=True):
        _remove_empty_dir(folder)
    return change


def validate_entries(paths: list[Path]) -> list[str]:
    """desktop-file-validate's errors for these entries ([] when it is not installed)."""
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        log.info("desktop-file-validate not found; desktop entries not validated")
        return []
    problems = []
    for path in paths:
        result = subprocess.run([validator, str(path)], capture_output=True, text=True)
        lines = (result.stdout + result.stderr).splitlines()
        problems += [line for line in lines if ": error:" in line]
        if result.returncode != 0 and not any(": error:" in line for line in lines):
            problems.append(f"{path}: desktop-file-validate exited with {result.returncode}")
    return problems


def _systemctl(change: DesktopChange, *args: str) -> bool:
    """`systemctl --user ARGS`; what fails (no systemctl, no user session) becomes one line in change.notes."""
    systemctl = shutil.which("systemctl")
    if systemctl is None:
        change.notes.append(f"systemctl not found: run `musings watch` yourself (systemctl --user {' '.join(args)} "
                            "was not done)")
        return False
    try:
        result = subprocess.run([systemctl, "--user", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        change.notes.append(f"systemctl --user {' '.join(args)} failed ({error})")
        return False
    if result.returncode != 0:
        said = " ".join((result.stderr or result.stdout).split())[:200]
        change.notes.append(f"systemctl --user {' '.join(args)} failed: {said or f'exit {result.returncode}'}")
        return False
    return True


def _with_exec_start(unit: str, command: list[str]) -> str:
    """The unit with `musings` in ExecStart= replaced by the absolute command (systemd's quoting)."""
    lines = []
    for line in unit.splitlines():
        if line.startswith("ExecStart="):
            words = line[len("ExecStart="):].split()
            args = words[1:] if words and words[0] == APP_ID else words
            line = "ExecStart=" + " ".join(
                f'"{w}"' if any(c.isspace() for c in w) or not w else w
                for w in (word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
                          for word in command + args))
        lines.append(line)
    return "\n".join(lines) + "\n"


def _with_command(entry: str, command: list[str]) -> str:
    """The entry with `musings` in Exec= and TryExec= replaced by the absolute command."""
    lines = []
    for line in entry.splitlines():
        if line.startswith("Exec="):
            words = line[len("Exec="):].split()
            args = words[1:] if words and words[0] == APP_ID else words
            line = "Exec=" + " ".join(_exec_quote(word) for word in command + args)
        elif line.startswith("TryExec="):
            line = "TryExec=" + _escape_value(command[0])
        lines.append(line)
    return "\n".join(lines) + "\n"


_EXEC_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def _exec_quote(word: str) -> str:
    # Desktop Entry spec, "The Exec key": quote words with reserved characters, escape ", `, $ and \
    # inside the quotes, then apply the general string escaping (backslashes doubled once more).
    if word and not (set(word) & _EXEC_RESERVED) and "%" not in word and "=" not in word:
        return _escape_value(word)
    inner = "".join("\\" + ch if ch in '"`$\\' else ch for ch in word.replace("%", "%%"))
    return _escape_value(f'"{inner}"')


def _escape_value(value: str) -> str:
    return value.replace("\\", "\\\\")


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _make_parents(folder: Path) -> list[Path]:
    """Create `folder` and its missing parents; return the ones created, outermost first."""
    missing = []
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
    return list(reversed(missing))


def _read_manifest(dirs: XdgDirs) -> tuple[dict[Path, str], list[Path]]:
    """(file -> sha256 as written, folders install created) from the last install."""
    try:
        data = json.loads(dirs.manifest.read_text(encoding="utf-8"))
        files = {Path(entry["path"]): entry["sha256"] for entry in data.get("files", [])}
        created = [Path(folder) for folder in data.get("created_dirs", [])]
    except FileNotFoundError:
        return {}, []
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise DesktopError(f"cannot read {dirs.manifest} ({error}); remove it to start over") from error
    return files, created


def _write_manifest(dirs: XdgDirs, written: dict[Path, str], created_dirs: list[Path]) -> None:
    created_dirs = created_dirs + [d for d in _make_parents(dirs.manifest.parent) if d not in created_dirs]
    files = [{"path": str(path), "sha256": digest} for path, digest in written.items()]
    content = json.dumps({"version": MANIFEST_VERSION, "files": files,
                          "created_dirs": [str(folder) for folder in created_dirs]}, indent=2) + "\n"
    write_atomic(dirs.manifest, content.encode(), file_mode())


def _remove_if_ours(path: Path, digest: str, change: DesktopChange) -> None:
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        return
    if _sha256(content) != digest:
        log.warning("%s changed since Musings installed it; leaving it", path)
        change.kept.append(path)
        return
    path.unlink()
    change.removed.append(path)


def _remove_empty_dir(folder: Path) -> bool:
    try:
        folder.rmdir()
        return True
    except OSError:
        return False
