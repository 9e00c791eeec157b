"""The real app (`python -m app.cli`, no arguments) in a real X window under Xvfb; it screenshots itself."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from tests.conftest import ROOT, require

ARTIFACT = ROOT / "tests" / "artifacts" / "main-window.png"
README_SCREENSHOT = ROOT / "packaging" / "screenshot-main-window.png"
MAX_README_BYTES = 300_000


def test_the_real_app_opens_a_window_and_screenshots_it(library_copy, tmp_path, qapp):
    display = os.environ.get("DISPLAY")
    require(bool(display) and shutil.which("Xvfb") is not None,
            "no X display (scripts/test-services.sh starts Xvfb :99)")
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.unlink(missing_ok=True)
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "DISPLAY": display, "MUSINGS_HOME": str(library_copy),
           "MUSINGS_SCREENSHOT": str(ARTIFACT), "MUSINGS_GUI_TIMING": "1",
           "MUSINGS_GUI_SETTINGS": str(tmp_path / "gui.ini"), "MUSINGS_RUNTIME_DIR": str(tmp_path / "run")}
    result = subprocess.run([sys.executable, "-m", "app.cli"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=90)
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in events] == ["visible", "screenshot"]
    assert events[1]["ok"] and ARTIFACT.stat().st_size > 10_000

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QImage

    image = QImage(str(ARTIFACT))
    assert image.width() >= 1000 and image.height() >= 600
    # a real window with content: many distinct colours, not a blank frame
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)}
    assert len(colours) > 50
    if os.environ.get("MUSINGS_UPDATE_SCREENSHOT"):  # refresh the README's picture on purpose only
        small = image.scaledToWidth(1000, Qt.TransformationMode.SmoothTransformation)
        assert small.save(str(README_SCREENSHOT), "PNG", 9)
        assert README_SCREENSHOT.stat().st_size <= MAX_README_BYTES
