"""Nothing leaves the machine, and nothing is written outside Musings' own folders.

The real commands and the real window run under strace (`Offline` in tests/conftest.py), which sees every
process and thread: native libraries (onnxruntime's telemetry, loaded by faster-whisper for the VAD) and the
embedding child, not only Python's sockets. Each must make zero network attempts.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import CI_SERVICE_MARKERS, DATA, ROOT, run_musings

CLIPS = sorted((DATA / "speech" / "ljspeech").glob("*.wav"))


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    """A data folder with real, transcribed and organized memos (made without watching)."""
    data_dir = tmp_path_factory.mktemp("library") / "data"
    run_musings("import", *map(str, CLIPS[:3]), data_dir=data_dir, check=True)
    return data_dir


def test_import_sends_nothing_and_writes_only_in_the_data_folder(data_dir, offline):
    result = run_musings("import", *map(str, CLIPS[:2]), "--json", data_dir=data_dir, **offline.run_options)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["counts"]["done"] == 2
    offline.assert_no_attempts()
    offline.assert_writes_only_in(data_dir)


def test_record_sends_nothing_and_writes_only_in_the_data_folder(data_dir, offline):
    """Two seconds from the virtual microphone (silence: nothing is played into it here)."""
    result = run_musings("record", "--seconds", "2", "--json", data_dir=data_dir, **offline.run_options)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["memo_id"] == 1
    offline.assert_no_attempts()
    offline.assert_writes_only_in(data_dir)


def test_search_related_and_export_send_nothing(library, tmp_path, offline):
    data_dir, vault = tmp_path / "data", tmp_path / "vault"
    shutil.copytree(library, data_dir)

    def musings(*args: str):
        return json.loads(run_musings(*args, "--json", data_dir=data_dir, check=True, **offline.run_options).stdout)

    assert musings("search", "modern")  # words and meaning: the embedding model runs
    assert musings("search", "nobody ever did better", "--semantic")
    assert isinstance(musings("related", "1"), list)  # two unlike memos: none is close enough to be listed
    assert musings("export", str(vault))["written"]
    offline.assert_no_attempts()
    offline.assert_writes_only_in(data_dir, vault)


def test_the_window_sends_nothing_and_writes_only_in_its_folders(data_dir, tmp_path, offline):
    """The real window (offscreen) imports a recording, with its models (Whisper, the ONNX embedder), and closes."""
    folder = tmp_path / "to-import"
    folder.mkdir()
    shutil.copy(CLIPS[0], folder)
    result = run_musings(data_dir=data_dir, timeout=300, **offline.options(
        QT_QPA_PLATFORM="offscreen", MUSINGS_GUI_TIMING="1", MUSINGS_GUI_STALLS=str(folder)))
    assert result.returncode == 0, result.stderr[-2000:]
    events = {e["event"]: e for e in (json.loads(line) for line in result.stdout.splitlines() if line.startswith("{"))}
    assert "1 transcribed" in events["import-finished"]["summary"]
    offline.assert_no_attempts()
    offline.assert_writes_only_in(data_dir)


def test_onnxruntime_loads_with_its_telemetry_off_even_when_the_shell_turned_it_on(tmp_path):
    """onnxruntime (the embedder and faster-whisper's VAD) queues telemetry under ~/.cache/Microsoft unless
    ORT_DISABLE_TELEMETRY=1 is set before it loads: an inherited "0" must not turn it back on."""
    home = tmp_path / "home"
    home.mkdir()
    # onnxruntime writes under $XDG_CACHE_HOME when it is set, else under ~/.cache; it stays quiet where it sees
    # a CI service's variables (CI=true on CI machines), which would make both checks below pass or fail alike
    env = {**os.environ, "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "ORT_DISABLE_TELEMETRY": "0",
           **dict.fromkeys(CI_SERVICE_MARKERS, "")}
    code = ("import os, organize.embeddings as e, audio.models as m; e.load_model(); "
            "import onnxruntime; print(os.environ['ORT_DISABLE_TELEMETRY'])")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
    assert not (home / ".cache" / "Microsoft").exists()
    # the same import without Musings' packages in front writes its queue: the check above can fail
    bare = subprocess.run([sys.executable, "-c", "import onnxruntime"], capture_output=True, timeout=300, env=env)
    assert bare.returncode == 0 and (home / ".cache" / "Microsoft").exists()
