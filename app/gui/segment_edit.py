"""The small dialog that rewords one transcript segment; the transcription itself is always kept."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from app.gui.widgets import clock


class SegmentEditDialog(QDialog):
    """Prefilled with the shown text; `chosen` carries the new wording, or None for "Restore original"."""

    chosen = Signal(object)  # str, or None to go back to the transcription

    def __init__(self, start: float, shown_text: str, original_text: str, edited: bool,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(f"Edit the passage at {clock(start)}")
        self.editor = QPlainTextEdit(shown_text.strip())
        self.editor.setMinimumSize(420, 110)
        original = QLabel(f"Transcribed: “{original_text.strip()}”")
        original.setWordWrap(True)
        original.setStyleSheet("color: #6b7280")
        original.setVisible(edited)  # unedited, the box already shows the transcription
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = self.buttons.addButton("Restore original", QDialogButtonBox.ButtonRole.ResetRole)
        self.restore_button.setEnabled(edited)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self._restore)
        layout = QVBoxLayout(self)
        layout.addWidget(self.editor)
        layout.addWidget(original)
        layout.addWidget(self.buttons)

    def _save(self) -> None:
        self.chosen.emit(self.editor.toPlainText())
        self.accept()

    def _restore(self) -> None:
        self.chosen.emit(None)
        self.accept()
