"""Preferences: model, language, vocabulary, microphone, hotkey, night capture, data folder, and the watched
folders (kept in the library, changed at once: the watcher picks a change up within seconds)."""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QKeySequenceEdit, QLabel, QLineEdit, QListWidget, QListWidgetItem,
                               QPushButton,
                               QVBoxLayout, QWidget)

from app.display import shown_datetime
from musings_errors import UserError

from app.gui.settings import Preferences

MODELS = [("tiny.en — fast, English", "tiny.en"), ("base — multilingual, slower", "base")]
LANGUAGES = ["auto", "en", "de", "fr", "es", "it", "nl", "pt", "pl", "sv", "ja", "zh"]


class SettingsDialog(QDialog):
    def __init__(self, preferences: Preferences, runner=None, parent=None, library=None):
        super().__init__(parent)
        self.setWindowTitle("Musings settings")
        self.preferences = preferences
        self.library = library  # app.core.Musings: the watched folders are the library's

        self.model = QComboBox()
        for label, value in MODELS:
            self.model.addItem(label, value)
        self.model.addItem("A model folder…", "folder")
        self.model_folder = QLineEdit()
        self.model_folder.setPlaceholderText("CTranslate2 Whisper folder")
        browse_model = QPushButton("Browse…")
        browse_model.clicked.connect(self._browse_model)
        self.language = QComboBox()
        self.language.setEditable(True)
        self.language.addItems(LANGUAGES)
        self.vocabulary = QLineEdit()
        self.vocabulary.setPlaceholderText("names and jargon, comma-separated")
        self.device = QComboBox()
        self.device.setEditable(True)
        self.device.addItem("System default", "")
        self.hotkey = QKeySequenceEdit()
        self.night_mode = QCheckBox("Night capture: sound cues instead of lights")
        self.data_dir = QLineEdit()
        self.data_dir.setPlaceholderText("default ($MUSINGS_HOME or the platform's data folder)")
        browse_data = QPushButton("Browse…")
        browse_data.clicked.connect(self._browse_data)

        form = QFormLayout(self)
        form.addRow("Model", self.model)
        form.addRow("", _row(self.model_folder, browse_model))
        form.addRow("Language", self.language)
        form.addRow("Vocabulary", self.vocabulary)
        form.addRow("Microphone", self.device)
        form.addRow("Record hotkey (in the app)", self.hotkey)
        form.addRow("", self.night_mode)
        form.addRow("Data folder", _row(self.data_dir, browse_data))
        note = QLabel("A new data folder is used from the next start.")
        note.setStyleSheet("color: #6b7280")
        form.addRow("", note)
        if library is not None:
            form.addRow("Watched folders", self._watched_folders())
            self.recorders = QListWidget()  # voice recorders seen on USB (app/volumes.py), read-only here
            self.recorders.setMaximumHeight(70)
            self._show_recorders()
            if self.recorders.count():
                form.addRow("Voice recorders", self.recorders)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self._fill(preferences)
        if runner is not None:
            runner.run(_microphones, on_success=self._add_devices, on_failure=lambda message, error: None,
                       name="list microphones")

    def _fill(self, prefs: Preferences) -> None:
        index = self.model.findData(prefs.model)
        if index < 0:
            self.model.setCurrentIndex(self.model.findData("folder"))
            self.model_folder.setText(prefs.model)
        else:
            self.model.setCurrentIndex(index)
        self.language.setCurrentText(prefs.language)
        self.vocabulary.setText(", ".join(prefs.vocabulary))
        if prefs.input_device:
            self.device.addItem(prefs.input_device, prefs.input_device)
            self.device.setCurrentIndex(self.device.count() - 1)
        self.hotkey.setKeySequence(QKeySequence(prefs.hotkey))
        self.night_mode.setChecked(prefs.night_mode)
        self.data_dir.setText(prefs.data_dir)

    def _add_devices(self, devices) -> None:
        current = self.device.currentData()
        for device in devices:
            if self.device.findData(device.name) < 0:
                self.device.addItem(f"{device.name}{' (default)' if device.is_default else ''}", device.name)
        index = self.device.findData(current)
        if index >= 0:
            self.device.setCurrentIndex(index)

    def result_preferences(self) -> Preferences:
        model = self.model.currentData()
        if model == "folder":
            model = self.model_folder.text().strip() or "tiny.en"
        device = self.device.currentData()
        if device is None or self.device.currentText() != self.device.itemText(self.device.currentIndex()):
            device = self.device.currentText().strip()
        return replace(
            self.preferences,
            model=model,
            language=self.language.currentText().strip() or "auto",
            vocabulary=[w.strip() for w in self.vocabulary.text().split(",") if w.strip()],
            input_device="" if device == "System default" else device,
            hotkey=self.hotkey.keySequence().toString() or self.preferences.hotkey,
            night_mode=self.night_mode.isChecked(),
            data_dir=self.data_dir.text().strip(),
        )

    def _watched_folders(self) -> QWidget:
        """The folders whose new recordings come in by themselves (a phone's sync folder, a recorder's)."""
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        self.watched = QListWidget()
        self.watched.setMaximumHeight(90)
        self.watched_problem = QLabel()
        self.watched_problem.setStyleSheet("color: #9b1c1c")
        self.watched_problem.setWordWrap(True)
        add, remove = QPushButton("Add…"), QPushButton("Remove")
        add.clicked.connect(lambda: self.add_watched_folder(
            QFileDialog.getExistingDirectory(self, "Watch a folder for new recordings")))
        remove.clicked.connect(lambda: self.watched.currentItem() and self.remove_watched_folder(
            self.watched.currentItem().data(Qt.ItemDataRole.UserRole)))
        layout.addWidget(self.watched)
        layout.addWidget(_row(add, remove))
        layout.addWidget(self.watched_problem)
        self._show_watched()
        return box

    def _show_watched(self) -> None:
        """Each folder with what happened there last, what waits to settle and what was refused (why, on hover)."""
        self.watched.clear()
        for folder in self.library.watched_status():
            facts = [f"last: {shown_datetime(folder.last_activity)}" if folder.last_activity else "nothing yet"]
            if folder.waiting:
                facts.append(f"{len(folder.waiting)} waiting to settle")
            if folder.refused:
                facts.append(f"{len(folder.refused)} refused")
            if folder.problem:
                facts.append(folder.problem)
            item = QListWidgetItem(f"{folder.path}  ({' · '.join(facts)})")
            item.setData(Qt.ItemDataRole.UserRole, folder.path)
            item.setToolTip("\n".join([*(f"waiting: {path}" for path in folder.waiting),
                                        *(f"refused: {path}: {reason}" for path, reason in folder.refused)])
                            or folder.path)
            self.watched.addItem(item)

    def _show_recorders(self) -> None:
        """Each recorder seen: when it was last plugged in, what came of its files (the refused ones on hover)."""
        self.recorders.clear()
        for volume in self.library.volumes_status():
            outcomes = ", ".join(f"{n} {outcome}" for outcome, n in sorted(volume.counts.items())) or "nothing yet"
            item = QListWidgetItem(f"{volume.name}  ({outcomes} · last seen {shown_datetime(volume.last_seen)})")
            item.setToolTip("\n".join(f"refused: {path}: {reason}" for path, reason in volume.refused) or volume.key)
            self.recorders.addItem(item)

    def add_watched_folder(self, folder: str) -> None:
        self._change_watched(self.library.add_watched_folder, folder)

    def remove_watched_folder(self, folder: str) -> None:
        self._change_watched(self.library.remove_watched_folder, folder)

    def _change_watched(self, change, folder: str) -> None:
        if not folder:
            return
        try:
            change(folder)
            self.watched_problem.clear()
        except UserError as error:  # the data folder itself, a file, gone meanwhile: the library says why
            self.watched_problem.setText(str(error))
        self._show_watched()

    def _browse_model(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Whisper model folder", self.model_folder.text())
        if folder:
            self.model_folder.setText(folder)
            self.model.setCurrentIndex(self.model.findData("folder"))

    def _browse_data(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Data folder", self.data_dir.text())
        if folder:
            self.data_dir.setText(folder)


def _row(*widgets: QWidget) -> QWidget:
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    for widget in widgets:
        layout.addWidget(widget, 1 if isinstance(widget, QLineEdit) else 0)
    return row


def _microphones():
    from audio.devices import list_input_devices

    return list_input_devices()
