"""The big record button with its timer and live level meter."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.gui.widgets import LevelMeter, clock, shape_icon

STYLES = {  # text, icon shape (drawn, never a glyph), colour
    "idle": ("Record", "dot", "#dc2626"),
    "starting": ("Starting…", None, "#9ca3af"),
    "recording": ("Stop", "square", "#111827"),
    "finishing": ("Transcribing…", None, "#9ca3af"),
}


class RecordPanel(QWidget):
    toggle_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.button = QPushButton()
        self.button.setMinimumSize(190, 64)
        font = self.button.font()
        font.setPointSizeF(font.pointSizeF() * 1.6)
        font.setBold(True)
        self.button.setFont(font)
        self.button.setIconSize(QSize(22, 22))
        self.button.clicked.connect(self.toggle_requested)
        self.timer = QLabel("0:00")
        timer_font = self.timer.font()
        timer_font.setPointSizeF(timer_font.pointSizeF() * 2)
        timer_font.setFamily("monospace")
        self.timer.setFont(timer_font)
        self.meter = LevelMeter()
        self.meter.setMinimumWidth(220)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #6b7280")
        right = QVBoxLayout()
        right.addWidget(self.timer)
        right.addWidget(self.meter)
        right.addWidget(self.status)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.button)
        layout.addLayout(right)
        self.set_state("idle")

    def set_state(self, state: str) -> None:
        self.state = state
        text, shape, colour = STYLES.get(state, STYLES["idle"])
        self.button.setText(text)
        self.button.setIcon(shape_icon(shape) if shape else QIcon())
        self.button.setEnabled(state in ("idle", "recording"))
        self.button.setStyleSheet(
            f"QPushButton {{ background: {colour}; color: white; border-radius: 32px; padding: 8px 22px; }}"
            "QPushButton:disabled { color: #f3f4f6; }")
        if state == "idle":  # the last recording's length and level are not left on show
            self.meter.set_level(-100.0)
            self.timer.setText("0:00")

    def set_progress(self, elapsed: float, level_db: float) -> None:
        self.timer.setText(clock(elapsed))
        self.meter.set_level(level_db)

    def set_status(self, text: str) -> None:
        self.status.setText(text)
