"""The reading commands load no model library: `list`, `themes`, `status`, `show`, `trash` and `watch list`
never import scikit-learn, scipy, networkx, torch, sentence-transformers or faster-whisper (seconds and
hundreds of MB each; issue 14's "read commands import only what they need")."""
from __future__ import annotations

import json
import subprocess
import sys

from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import ROOT

HEAVY = ["sklearn", "scipy", "networkx", "torch", "sentence_transformers", "faster_whisper", "ctranslate2"]
PROBE = """
import contextlib, io, json, sys
from app import cli
with contextlib.redirect_stdout(io.StringIO()):
    code = cli.main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": [m for m in %r if m in sys.modules]}))
""" % HEAVY


def test_reading_commands_load_no_model_library(tmp_path):
    data_dir = tmp_path / "data"
    add_transcribed(open_database(data_dir), ["the plumber comes on tuesday", "tomatoes along the fence"])
    for command in (["list"], ["list", "--json"], ["themes"], ["themes", "--json"], ["status"], ["show", "1"],
                    ["trash"], ["watch", "list"]):
        done = subprocess.run([sys.executable, "-c", PROBE, "--data-dir", str(data_dir), *command], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        outcome = json.loads(done.stdout.strip().splitlines()[-1])
        assert outcome == {"code": 0, "loaded": []}, (command, done.stderr)


def test_the_probe_does_see_a_heavy_import(tmp_path):
    # Guards the test above: a command that does load them (a rebuild clusters) is seen loading them.
    data_dir = tmp_path / "data"
    add_transcribed(open_database(data_dir), ["the plumber comes on tuesday"])
    done = subprocess.run([sys.executable, "-c", PROBE, "--data-dir", str(data_dir), "themes", "--rebuild"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert "sklearn" in json.loads(done.stdout.strip().splitlines()[-1])["loaded"], done.stderr
