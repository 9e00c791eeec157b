"""napari's rule, checked rather than remembered: only app/gui imports PySide6 (or any Qt binding)."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

QT_PACKAGES = {"PySide6", "PySide2", "PyQt5", "PyQt6", "shiboken6", "pytestqt"}
# packaging/ holds build-time tools (rendering the icons uses QtSvg); it is not installed or imported by the app.
ALLOWED = [ROOT / "app" / "gui", ROOT / "tests" / "gui", ROOT / "packaging"]
SKIPPED_DIRS = {".venv", ".git", "build", "dist", "__pycache__", ".pytest_cache", "node_modules"}


def python_files():
    for path in ROOT.rglob("*.py"):
        relative = path.relative_to(ROOT)
        if SKIPPED_DIRS & set(relative.parts) or any(part.endswith(".egg-info") for part in relative.parts):
            continue
        yield path


def qt_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "import_module", "__import__") and node.args and isinstance(node.args[0], ast.Constant):
            names = [str(node.args[0].value)]
        else:
            continue
        found += [f"{path.relative_to(ROOT)}:{node.lineno} {name}" for name in names
                  if name.split(".")[0] in QT_PACKAGES]
    return found


def test_no_module_outside_app_gui_imports_qt():
    offenders = [hit for path in python_files() if not any(path.is_relative_to(a) for a in ALLOWED)
                 for hit in qt_imports(path)]
    assert offenders == []


def test_the_scan_does_see_the_gui_imports():
    # Guards the test itself: if the scanner found nothing anywhere, the rule above would pass vacuously.
    gui = [hit for path in python_files() if path.is_relative_to(ROOT / "app" / "gui") for hit in qt_imports(path)]
    assert any("PySide6" in hit for hit in gui)


def test_the_cli_imports_the_gui_only_when_it_opens_the_window():
    tree = ast.parse((ROOT / "app" / "cli.py").read_text())
    top_level = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
    assert not any(getattr(node, "module", "") and node.module.startswith("app.gui") for node in top_level)


def test_signals_to_python_slots_keep_the_bools_alive(qapp):
    # PySide6 6.12.0 dropped a reference to True on every signal delivered to a Python slot; the app then
    # aborted ("bool_dealloc") after a few thousand signals. pyproject.toml keeps that version out.
    import sys

    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        changed = Signal(object)

    emitter = Emitter()
    received = []
    emitter.changed.connect(received.append)
    before = sys.getrefcount(True)
    for _ in range(2000):
        emitter.changed.emit(1)
    assert len(received) == 2000
    assert abs(sys.getrefcount(True) - before) < 200
