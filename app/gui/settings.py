"""The GUI's preferences, kept with QSettings in one INI file of their own.

The file is `$MUSINGS_GUI_SETTINGS`, else `musings-gui.ini` in the platform's config folder; tests
pass a path so they never read or write the user's real preferences. The window's size, place, splitter and
list columns are kept there too, under `[window]` (`WindowState`).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from PySide6.QtCore import QByteArray, QRect, QSettings

SETTINGS_ENV = "MUSINGS_GUI_SETTINGS"
DEFAULT_HOTKEY = "Ctrl+R"


def default_settings_path() -> Path:
    if os.environ.get(SETTINGS_ENV):
        return Path(os.environ[SETTINGS_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("musings", appauthor=False)) / "musings-gui.ini"


@dataclass
class Preferences:
    model: str = "tiny.en"  # tiny.en, base, or a CTranslate2 folder
    language: str = "auto"
    vocabulary: list[str] = field(default_factory=list)
    input_device: str = ""  # "" = the system's default microphone; else a number or a name
    hotkey: str = DEFAULT_HOTKEY
    night_mode: bool = False
    data_dir: str = ""  # "" = $MUSINGS_HOME or the platform's data folder
    last_export_dir: str = ""

    def transcription_settings(self):
        """The audio.transcribe settings these preferences imply."""
        from audio.transcribe import TranscriptionSettings

        return TranscriptionSettings(model=self.model or "tiny.en", language=self.language or "auto",
                                     vocabulary=list(self.vocabulary))

    def device(self) -> int | str | None:
        """The microphone as the recorder takes it: an index, a name, or None for the default."""
        text = self.input_device.strip()
        if not text:
            return None
        return int(text) if text.isdigit() else text


@dataclass
class WindowState:
    """How the window was left: its normal geometry (not maximised), whether it was maximised, the splitter's
    state (QSplitter.saveState) and the share of the memo list's free width its Title column had."""

    geometry: QRect | None = None
    maximized: bool = False
    splitter: QByteArray | None = None
    title_share: float | None = None


WINDOW_KEYS = {"geometry": "window/geometry", "maximized": "window/maximized", "splitter": "window/splitter",
               "title_share": "window/list_title_share"}
MIN_VISIBLE = 100  # a restored window shows at least this much of its top edge (px) on a screen, or is not restored


def on_screen(rect: QRect, screens: list[QRect] | None = None) -> bool:
    """Whether a window at `rect` could be grabbed by its title bar: at least MIN_VISIBLE px (or its whole
    width) of its top strip lies on one of the screens' available areas (`screens`: the current ones)."""
    if rect is None or not rect.isValid():
        return False
    if screens is None:
        from PySide6.QtGui import QGuiApplication

        screens = [screen.availableGeometry() for screen in QGuiApplication.screens()]
    top = QRect(rect.x(), rect.y(), rect.width(), min(rect.height(), 30))
    needed = min(MIN_VISIBLE, rect.width())
    return any(top.intersected(area).width() >= needed for area in screens)


class SettingsStore:
    """Reads and writes `Preferences` (and window state) in one INI file."""

    def __init__(self, path: Path | None = None):
        self.path = Path(path) if path else default_settings_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.qsettings = QSettings(str(self.path), QSettings.Format.IniFormat)

    def load(self) -> Preferences:
        prefs = Preferences()
        for f in fields(Preferences):
            if not self.qsettings.contains(f.name):
                continue
            raw = self.qsettings.value(f.name)
            default = getattr(prefs, f.name)
            if isinstance(default, bool):
                value = raw if isinstance(raw, bool) else str(raw).lower() in ("true", "1", "yes")
            elif isinstance(default, list):
                items = raw if isinstance(raw, list) else ([] if raw in (None, "") else [raw])
                value = [str(v).strip() for v in items if str(v).strip()]
            else:
                value = "" if raw is None else str(raw)
            setattr(prefs, f.name, value)
        return prefs

    def save(self, prefs: Preferences) -> None:
        for f in fields(Preferences):
            self.qsettings.setValue(f.name, getattr(prefs, f.name))
        self.qsettings.sync()

    def value(self, key: str, default=None):
        return self.qsettings.value(key, default)

    def set_value(self, key: str, value) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()

    def load_window_state(self) -> WindowState:
        """The window as it was left; a value that is missing or not readable is None (the default is used)."""
        raw = {name: self.qsettings.value(key) for name, key in WINDOW_KEYS.items()}
        state = WindowState()
        if isinstance(raw["geometry"], QRect) and raw["geometry"].isValid():
            state.geometry = raw["geometry"]
        state.maximized = raw["maximized"] is True or str(raw["maximized"]).lower() in ("true", "1")
        if isinstance(raw["splitter"], QByteArray) and not raw["splitter"].isEmpty():
            state.splitter = raw["splitter"]
        try:
            share = float(raw["title_share"])
            state.title_share = share if 0.0 < share < 1.0 else None
        except (TypeError, ValueError):
            pass
        return state

    def save_window_state(self, state: WindowState | None = None, **values) -> None:
        """Keep `state`, or a WindowState of `values` (geometry=..., maximized=..., ...); None removes a value."""
        state = replace(state or WindowState(), **values)
        for name, key in WINDOW_KEYS.items():
            value = getattr(state, name)
            if value is None:
                self.qsettings.remove(key)
            else:
                self.qsettings.setValue(key, value)
        self.qsettings.sync()
