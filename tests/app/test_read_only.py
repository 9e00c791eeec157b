"""A read-only data folder (a backup, a mounted snapshot): reading works, writing says why it can't."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from app.importer import Importer
from tests.conftest import DATA, require, run_musings


@pytest.fixture
def snapshot(tmp_path, transcriber):
    """A real library on its own filesystem (tmpfs), then mounted read-only: as root only.

    chmod does not stop root, so the filesystem itself is made read-only (root in CI too).
    """
    mount_point = tmp_path / "snapshot"
    mount_point.mkdir()
    require(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=50m", "tmpfs", str(mount_point)],
                           capture_output=True).returncode == 0, "mounting a tmpfs needs root")
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(DATA / "formats/jfk.mp3", folder)
    shutil.copy(DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg", folder)
    data_dir = mount_point / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        importer.run([folder])
    subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
    yield data_dir
    subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_read_commands_work_on_a_read_only_folder_and_writes_say_it_is_read_only(snapshot, tmp_path):
    memos = json.loads(run_musings("list", "--json", data_dir=snapshot, check=True).stdout)
    assert sorted(m["original_name"] for m in memos) == ["fleurs-en-001.ogg", "jfk.mp3"]
    jfk = next(m for m in memos if m["original_name"] == "jfk.mp3")
    shown = run_musings("show", str(jfk["id"]), data_dir=snapshot, check=True).stdout
    assert "country" in shown.lower()
    found = json.loads(run_musings("search", "country", "--json", data_dir=snapshot, check=True).stdout)
    assert found[0]["memo_id"] == jfk["id"]
    status = json.loads(run_musings("status", "--json", data_dir=snapshot, check=True).stdout)
    assert status["memos"]["done"] == 2
    run_musings("themes", data_dir=snapshot, check=True)
    run_musings("related", str(jfk["id"]), data_dir=snapshot, check=True)
    vault = tmp_path / "vault"
    run_musings("export", str(vault), data_dir=snapshot, check=True)
    assert any("country" in page.read_text().lower() for page in vault.rglob("*.md"))

    for command in (("title", str(jfk["id"]), "New"), ("move", str(jfk["id"]), "Speeches"),
                    ("edit", str(jfk["id"]), "0", "hello"), ("import", str(DATA / "formats/apollo11.mp3")),
                    ("repair",)):
        result = run_musings(*command, data_dir=snapshot)
        assert result.returncode == 1, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("musings: ") and "read-only" in lines[0], (command, lines)
    after = json.loads(run_musings("list", "--json", data_dir=snapshot, check=True).stdout)
    assert after == memos


def test_a_read_only_folder_without_a_library_says_so(tmp_path):
    mount_point = tmp_path / "empty-snapshot"
    mount_point.mkdir()
    require(subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(mount_point)],
                           capture_output=True).returncode == 0, "mounting a tmpfs needs root")
    try:
        result = run_musings("list", data_dir=mount_point)
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)
    assert result.returncode == 1
    assert result.stderr.strip() == f"musings: there is no Musings library in {mount_point} (and the folder is read-only)"
