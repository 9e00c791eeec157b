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
    from storage import organizing as org

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
