"""The GUI's preferences, kept with QSettings in one INI file of their own.

The file is `$MUSINGS_GUI_SETTINGS`, else `musings-gui.ini` in the platform's config folder; tests
pass a path so they never read or write the user's real preferences.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from PySide6.QtCore import QSettings

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
