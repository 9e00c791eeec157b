"""The PyInstaller bundle runs on a machine with no Python and no network.

Builds dist/musings with packaging/build-bundle.sh, or reuses a build newer than every source it is made
from, then runs the bundled binary with PATH and PYTHONPATH stripped, HOME in a temporary folder and,
where `unshare` allows, in a network namespace with no interfaces up.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import DATA, ROOT

pytestmark = pytest.mark.slow

DIST = Path(os.environ.get("MUSINGS_BUNDLE_DIST", ROOT / "dist"))
BUNDLE = DIST / "musings"
SOURCES = [ROOT / "pyproject.toml", ROOT / "packaging", *(ROOT / p for p in ("app", "audio", "storage", "organize"))]


def newest_source() -> float:
    times = []
    for source in SOURCES:
        files = [source] if source.is_file() else [p for p in source.rglob("*") if p.is_file()
                                                   and "__pycache__" not in p.parts]
        times += [f.stat().st_mtime for f in files if f.suffix != ".md"]
    return max(times)


def bundle_size() -> int:
    return sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())


@pytest.fixture(scope="module")
def bundle() -> Path:
    executable = BUNDLE / "musings"
    if executable.is_file() and executable.stat().st_mtime > newest_source():
        print(f"\nreusing the bundle in {BUNDLE} (newer than its sources)")
    else:
        started = time.monotonic()
        subprocess.run([str(ROOT / "packaging" / "build-bundle.sh")], check=True, timeout=20 * 60,
                       env={**os.environ, "DISTPATH": str(DIST)})
        print(f"\nbundle built in {time.monotonic() - started:.0f} s")
    print(f"bundle size: {bundle_size() / 2**20:.0f} MiB")
    return executable


def isolation() -> list[str]:
    """A command prefix that runs the bundle without network, when this machine allows it."""
    unshare = shutil.which("unshare")
    for prefix in ([unshare, "--net"], [unshare, "--net", "--map-root-user"]) if unshare else ():
        if subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return []


def run_bundled(executable: Path, *args: str, home: Path) -> subprocess.CompletedProcess:
    # No Python to fall back on: no PATH, no PYTHONPATH/PYTHONHOME, no venv; run from an unrelated folder.
    env = {"HOME": str(home), "PATH": "/nonexistent", "LANG": "C.UTF-8"}
    return subprocess.run([*isolation(), str(executable), *args], env=env, cwd=home, capture_output=True,
                          text=True, timeout=600)


def test_bundle_reports_its_version(bundle, tmp_path):
    result = run_bundled(bundle, "--version", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "musings 0.1.0"


def test_bundle_imports_and_transcribes_a_recording_offline(bundle, tmp_path):
    assert isolation(), "unshare --net is not available here: the offline part is not checked"
    data_dir = tmp_path / "musings-data"
    recording = tmp_path / "jfk.mp3"
    shutil.copy(DATA / "formats" / "jfk.mp3", recording)

    imported = run_bundled(bundle, "--data-dir", str(data_dir), "import", str(recording), "--json", home=tmp_path)
    assert imported.returncode == 0, imported.stderr
    assert json.loads(imported.stdout)["counts"]["done"] == 1

    shown = run_bundled(bundle, "--data-dir", str(data_dir), "show", "1", home=tmp_path)
    assert "ask not what your country can do for you" in shown.stdout.lower().replace(",", "")
    # The embedding model (onnxruntime) works inside the bundle too: search by meaning.
    found = run_bundled(bundle, "--data-dir", str(data_dir), "search", "--semantic", "a patriotic speech",
                        "--json", home=tmp_path)
    assert found.returncode == 0, found.stderr
    assert [hit["memo_id"] for hit in json.loads(found.stdout)] == [1]


def test_bundle_installs_its_desktop_entry(bundle, tmp_path):
    env = {"HOME": str(tmp_path), "PATH": "/nonexistent", "XDG_DATA_HOME": str(tmp_path / "data"),
           "XDG_CONFIG_HOME": str(tmp_path / "config")}
    result = subprocess.run([str(bundle), "install-desktop"], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    entry = (tmp_path / "data" / "applications" / "musings.desktop").read_text()
    assert f"Exec={bundle}\n" in entry  # the bundle starts itself from the menu
    assert (tmp_path / "data" / "icons" / "hicolor" / "256x256" / "apps" / "musings.png").is_file()
