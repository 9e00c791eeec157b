"""The reading commands load no model library: `list`, `themes`, `status`, `show`, `trash` and `watch list`
never import scikit-learn, scipy, igraph, torch, sentence-transformers or faster-whisper (seconds and
hundreds of MB each; issue 14's "read commands import only what they need"); `search` and `related` load
the embedding model through onnxruntime only."""
from __future__ import annotations

import json
import subprocess
import sys

from app.organizer import Organizer
from organize.embeddings import Embedder
from storage.db import open_database
from tests.app.test_organizer import add_transcribed
from tests.conftest import ROOT

HEAVY = ["sklearn", "scipy", "igraph", "torch", "sentence_transformers", "faster_whisper", "ctranslate2"]
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


def test_search_and_related_embed_without_torch(tmp_path):
    # issue 14: the query is embedded by onnxruntime; torch, sentence-transformers and the clustering
    # libraries stay unloaded (a cold search costs ~0.6 s instead of 6)
    data_dir = tmp_path / "data"
    db = open_database(data_dir)
    add_transcribed(db, ["the plumber comes on tuesday", "tomatoes along the fence", "a robot hand solves the cube"])
    Organizer(db, Embedder()).organize_new()
    for command in (["search", "mechanical fingers"], ["search", "--json", "robot"], ["related", "1"]):
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
