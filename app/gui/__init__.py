"""The desktop window. The only package that imports PySide6 (tests/gui/test_contract.py checks it).

`run_gui(data_dir, argv)` is the entry point (`musings` with no arguments, or `musings gui`).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)


def run_gui(data_dir: Path | None, argv: list[str] | None = None, *, settings_path: Path | None = None) -> int:
    """Open the main window on `data_dir` (None: the data folder from the settings, else the default)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.gui.main_window import MainWindow
    from app.gui.probes import install_probes
    from app.gui.settings import SettingsStore
    from storage.db import StorageError
    from storage.library import resolve_data_dir

    app = QApplication.instance() or QApplication(list(argv or sys.argv[:1]))
    app.setApplicationName("Musings")
    app.setOrganizationName("musings")
    app.setQuitOnLastWindowClosed(True)
    store = SettingsStore(settings_path)
    if data_dir is None:
        configured = store.load().data_dir
        data_dir = Path(configured).expanduser() if configured else resolve_data_dir()
    try:
        window = MainWindow(Path(data_dir), store)
    except StorageError as error:
        QMessageBox.critical(None, "Musings", f"Musings cannot start: {error}")
        return 2
    window.show()
    # Models load only once the window is on screen.
    QTimer.singleShot(0, window.start_background_work)
    install_probes(app, window)
    return app.exec()
