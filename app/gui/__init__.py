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
    from app.memory import give_freed_memory_back
    from app.gui.settings import SettingsStore
    from musings_errors import UserError
    from storage.data_folder import resolve_data_dir

    give_freed_memory_back()  # the window runs for days: what its jobs free goes back to the system
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
    except UserError as error:
        QMessageBox.critical(None, "Musings", f"Musings cannot start: {error}")
        return 2
    install_error_reporting(window, Path(data_dir))
    window.show()
    # Models load only once the window is on screen.
    QTimer.singleShot(0, window.start_background_work)
    install_probes(app, window)
    return app.exec()


def install_error_reporting(window, data_dir: Path) -> None:
    """A bug anywhere in the window's process (a slot, a thread, Qt itself) is written with its traceback to
    the data folder's log file, and the window shows "Something went wrong — details in <log>" and keeps
    running: no traceback on a terminal nobody watches, no silent death."""
    import threading

    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    from app.logs import bug_message, install_log_file, record_bug

    install_log_file(data_dir)

    def report(error: BaseException, context: str) -> None:
        message = bug_message(error, record_bug(data_dir, error, context))
        window.runner.post(lambda: window.show_error(message))  # from any thread, shown on the UI thread

    def on_uncaught(kind, error, traceback) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, traceback)
            return
        report(error.with_traceback(traceback), "uncaught error in the window")

    sys.excepthook = on_uncaught
    threading.excepthook = lambda hook: (None if hook.exc_type is SystemExit else report(
        hook.exc_value.with_traceback(hook.exc_traceback), f"uncaught error in thread {hook.thread.name}"))

    qt_log = logging.getLogger("musings.qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}
    qInstallMessageHandler(lambda kind, context, text: qt_log.log(levels.get(kind, logging.WARNING), "%s", text))
