"""`musings install-desktop` / `uninstall-desktop` through the real command, in temporary XDG folders."""
from __future__ import annotations

import hashlib
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from app.desktop import ICON_SIZES, _with_command

MUSINGS = Path(sys.executable).parent / "musings"
VALIDATOR = shutil.which("desktop-file-validate")


@pytest.fixture
def xdg(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {**os.environ, "HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
           "XDG_CONFIG_HOME": str(home / "config")}
    return env


def musings(env, *args) -> subprocess.CompletedProcess:
    result = subprocess.run([str(MUSINGS), *args], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def data(env) -> Path:
    return Path(env["XDG_DATA_HOME"])


def config(env) -> Path:
    return Path(env["XDG_CONFIG_HOME"])


def snapshot(root: Path) -> dict[str, str]:
    """Every file under root with its content hash (folders as '<dir>')."""
    found = {}
    for path in sorted(root.rglob("*")):
        found[str(path.relative_to(root))] = ("<dir>" if path.is_dir()
                                              else hashlib.sha256(path.read_bytes()).hexdigest())
    return found


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def desktop_keys(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def assert_valid(path: Path) -> None:
    assert VALIDATOR, "desktop-file-validate is missing (apt package desktop-file-utils, see scripts/bootstrap.sh)"
    result = subprocess.run([VALIDATOR, str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_install_puts_musings_in_the_menu_with_icons_and_no_autostart(xdg):
    musings(xdg, "install-desktop")

    entry = data(xdg) / "applications" / "musings.desktop"
    assert_valid(entry)
    keys = desktop_keys(entry)
    assert keys["Name"] == "Musings" and keys["Icon"] == "musings"
    assert keys["Categories"] == "AudioVideo;Utility;"
    assert keys["Exec"] == str(MUSINGS)  # absolute: works without the venv on PATH
    assert os.access(keys["Exec"], os.X_OK)
    for size in ICON_SIZES:
        assert png_size(data(xdg) / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "musings.png") == (size, size)
    assert (data(xdg) / "icons" / "hicolor" / "scalable" / "apps" / "musings.svg").is_file()
    assert not (config(xdg) / "autostart").exists()


def test_autostart_is_opt_in_and_runs_the_listener(xdg):
    musings(xdg, "install-desktop", "--autostart")

    autostart = config(xdg) / "autostart" / "musings-listen.desktop"
    assert_valid(autostart)
    assert desktop_keys(autostart)["Exec"] == f"{MUSINGS} listen"

    # Installing again without --autostart turns it off again (install is declarative).
    musings(xdg, "install-desktop")
    assert not autostart.exists()
    assert (data(xdg) / "applications" / "musings.desktop").is_file()


def test_uninstall_removes_everything_installed_and_nothing_else(xdg):
    # The user's own things in the same folders, from before and after the install.
    own_entry = data(xdg) / "applications" / "editor.desktop"
    own_icon = data(xdg) / "icons" / "hicolor" / "48x48" / "apps" / "editor.png"
    own_autostart = config(xdg) / "autostart" / "syncthing.desktop"
    for path in (own_entry, own_icon, own_autostart):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"the user's {path.name}")
    before = {**snapshot(data(xdg)), **snapshot(config(xdg))}

    musings(xdg, "install-desktop", "--autostart")
    later_icon = data(xdg) / "icons" / "hicolor" / "64x64" / "apps" / "notes.png"
    later_icon.write_text("added after the install")
    musings(xdg, "uninstall-desktop")

    assert later_icon.read_text() == "added after the install"  # so its folders stay too
    expected = {**before, "icons/hicolor/64x64": "<dir>", "icons/hicolor/64x64/apps": "<dir>",
                "icons/hicolor/64x64/apps/notes.png": hashlib.sha256(later_icon.read_bytes()).hexdigest()}
    assert {**snapshot(data(xdg)), **snapshot(config(xdg))} == expected


def test_uninstall_leaves_a_file_the_user_changed(xdg):
    musings(xdg, "install-desktop")
    entry = data(xdg) / "applications" / "musings.desktop"
    entry.write_text(entry.read_text() + "NoDisplay=true\n")

    result = musings(xdg, "uninstall-desktop")

    assert entry.is_file() and "kept" in result.stdout
    assert not (data(xdg) / "icons" / "hicolor" / "16x16" / "apps" / "musings.png").exists()


def test_installing_twice_is_idempotent(xdg):
    musings(xdg, "install-desktop", "--autostart")
    first = {**snapshot(data(xdg)), **snapshot(config(xdg))}
    musings(xdg, "install-desktop", "--autostart")
    assert {**snapshot(data(xdg)), **snapshot(config(xdg))} == first

    musings(xdg, "uninstall-desktop")
    assert snapshot(data(xdg)) == {} and snapshot(config(xdg)) == {}
    assert "nothing to remove" in musings(xdg, "uninstall-desktop").stdout


def test_exec_line_quotes_a_path_with_spaces(tmp_path):
    entry = _with_command("[Desktop Entry]\nType=Application\nName=Musings\nExec=musings listen\n",
                          ["/home/ann/My Apps/$venv/bin/musings"])
    assert 'Exec="/home/ann/My Apps/\\\\$venv/bin/musings" listen' in entry
    path = tmp_path / "musings.desktop"
    path.write_text(entry)
    assert_valid(path)
