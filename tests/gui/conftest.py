"""A real data folder (two real clips imported by the real Importer) and a main window on a copy of it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA

CLIPS = [DATA / "speech/fleurs_en_opus/fleurs-en-000.ogg", DATA / "speech/ljspeech/LJ001-0002.wav"]


@pytest.fixture(scope="session")
def prepared_library(tmp_path_factory, transcriber) -> Path:
    """Two transcribed, embedded memos, and two themes made the way a user makes them (storage API)."""
    from app.importer import Importer
    from storage import memos as store
    from storage import themes as org

    data_dir = tmp_path_factory.mktemp("gui-library") / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        report = importer.run(CLIPS)
        assert len(report.of_kind("done")) == 2, report.events
        db = importer.db
        ids = [memo.id for memo in store.list_memos(db)]
        # one at a time: placing a memo removes themes left empty
        org.place_memo(db, ids[0], org.create_theme(db, "History"), by_user=True)
        org.place_memo(db, ids[1], org.create_theme(db, "Printing"), by_user=True)
    return data_dir


@pytest.fixture
def library_copy(prepared_library, tmp_path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(prepared_library, target)
    return target


@pytest.fixture
def gui_env(tmp_path, monkeypatch) -> Path:
    """Settings and the instance socket in tmp: never the user's own."""
    settings = tmp_path / "settings" / "musings-gui.ini"
    monkeypatch.setenv("MUSINGS_GUI_SETTINGS", str(settings))
    monkeypatch.setenv("MUSINGS_RUNTIME_DIR", str(tmp_path / "run"))
    return settings


def open_window(qtbot, data_dir, gui_env):
    """The real main window on `data_dir`, shown and exposed."""
    from app.gui.main_window import MainWindow
    from app.gui.settings import SettingsStore

    main = MainWindow(data_dir, SettingsStore(gui_env))
    qtbot.addWidget(main)
    main.show()
    qtbot.waitExposed(main)
    return main


@pytest.fixture
def window(qtbot, library_copy, gui_env):
    main = open_window(qtbot, library_copy, gui_env)
    yield main
    main.close()


def wait_idle(qtbot, window, timeout: int = 60_000) -> None:
    """Until every background job has finished and its callback ran."""
    qtbot.waitUntil(lambda: not window.runner.busy and not window.imports.running, timeout=timeout)


TREE_CLIPS = {  # clip -> the theme its memo is put in (a broad theme, or "broad/sub")
    DATA / "speech/fleurs_en_opus/fleurs-en-000.ogg": "History",
    DATA / "speech/ljspeech/LJ001-0002.wav": "History/Printing",
    DATA / "speech/ljspeech/LJ001-0016.wav": "History/Printing",
    DATA / "speech/fleurs_en_opus/fleurs-en-003.ogg": "Science/Biology",
    DATA / "speech/fleurs_en_opus/fleurs-en-007.ogg": "Science/Biology",
    DATA / "speech/fleurs_en_opus/fleurs-en-002.ogg": "Travel",
    DATA / "speech/fleurs_en_opus/fleurs-en-001.ogg": "Language",
}


@pytest.fixture(scope="session")
def prepared_tree_library(tmp_path_factory, transcriber) -> Path:
    """Seven transcribed, embedded memos in a two-level theme tree, written the way a clustering writes one
    (storage's save_themes): History (one memo) › Printing (two), Science (none of its own) › Biology (two),
    and Travel and Language (one each) with no sub-themes."""
    import numpy as np

    from app.importer import Importer
    from organize.embeddings import MODEL_NAME
    from storage import memos as store
    from storage import themes as org

    data_dir = tmp_path_factory.mktemp("gui-tree-library") / "data"
    with Importer(data_dir, transcriber=transcriber) as importer:
        report = importer.run(list(TREE_CLIPS))
        assert len(report.of_kind("done")) == len(TREE_CLIPS), report.events
        db = importer.db
        by_name = {memo.original_name: memo.id for memo in store.list_memos(db)}
        ids, vectors = org.load_embeddings(db, MODEL_NAME)
        vector_of = dict(zip(ids, vectors))
        names = sorted({part for place in TREE_CLIPS.values() for part in place.split("/")},
                       key=lambda name: (name not in {"History", "Science", "Travel", "Language"}, name))
        theme_id = {name: number for number, name in enumerate(names)}
        members: dict[str, list[int]] = {name: [] for name in names}
        assignments, parents = {}, {}
        for clip, place in TREE_CLIPS.items():
            parts = place.split("/")
            memo_id = by_name[clip.name]
            assignments[memo_id] = theme_id[parts[-1]]
            for part in parts:
                members[part].append(memo_id)
            if len(parts) == 2:
                parents[parts[1]] = theme_id[parts[0]]
        themes = {theme_id[name]: (name, np.mean([vector_of[m] for m in members[name]], axis=0), parents.get(name))
                  for name in names}
        org.save_themes(db, themes, assignments)
    return data_dir


@pytest.fixture
def tree_library(prepared_tree_library, tmp_path) -> Path:
    target = tmp_path / "tree-data"
    shutil.copytree(prepared_tree_library, target)
    return target


@pytest.fixture
def tree_window(qtbot, tree_library, gui_env):
    main = open_window(qtbot, tree_library, gui_env)
    yield main
    main.close()
