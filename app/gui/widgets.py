"""Small widgets shared by the window: the message bar, the undo toast, the level meter, the app icon."""
from __future__ import annotations

from app import timefmt

from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QToolButton, QWidget

LEVEL_FLOOR_DB = -60.0


class MessageBar(QFrame):
    """A non-modal banner for things the user should know (a failed file, no microphone); never blocks."""

    closed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("messageBar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        # The style's icon, not a "✕" glyph: a font without it draws an empty box.
        close.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_TitleBarCloseButton))
        close.setToolTip("Close")
        close.setAutoRaise(True)
        close.clicked.connect(self.hide)
        layout.addWidget(self.label, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str, kind: str = "error") -> None:
        colours = {"error": ("#fde8e8", "#9b1c1c"), "info": ("#e8f1fd", "#1c4f9b")}
        background, foreground = colours.get(kind, colours["info"])
        self.setStyleSheet(f"#messageBar {{ background: {background}; border-radius: 4px; }}"
                           f"#messageBar QLabel {{ color: {foreground}; }}")
        self.label.setText(text)
        self.kind = kind
        self.show()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


class UndoToast(QFrame):
    """"Moved to Robot hand · Undo" after a change, for UNDO_SHOWN_MS (Ctrl+Z undoes it meanwhile and after)."""

    undo_requested = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("undoToast")
        self.setStyleSheet("#undoToast { background: #1f2937; border-radius: 4px; } "
                           "#undoToast QLabel { color: #f9fafb; } "
                           "#undoToast QPushButton { color: #93c5fd; border: none; font-weight: bold; padding: 0 6px; }")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 2, 4, 2)
        self.label = QLabel()
        self.button = QPushButton("Undo")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setToolTip("Undo (Ctrl+Z)")
        self.button.clicked.connect(self.undo_requested)
        layout.addWidget(self.label)
        layout.addWidget(self.button)
        self._timer = QTimer(self, singleShot=True, interval=UNDO_SHOWN_MS)
        self._timer.timeout.connect(self.hide)
        self.hide()

    def offer(self, text: str) -> None:
        self.label.setText(text)
        self.show()
        self._timer.start()

    def text(self) -> str:
        return self.label.text() if self.isVisible() else ""


UNDO_SHOWN_MS = 10_000


class LevelMeter(QWidget):
    """A horizontal bar for the microphone level in dBFS (-60 dB and below is empty)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.level_db = -100.0
        self.setMinimumHeight(10)
        self.setMaximumHeight(12)

    def set_level(self, level_db: float) -> None:
        if abs(level_db - self.level_db) > 0.2:
            self.level_db = level_db
            self.update()

    def fraction(self) -> float:
        return min(1.0, max(0.0, (self.level_db - LEVEL_FLOOR_DB) / -LEVEL_FLOOR_DB))

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e5e7eb"))
        painter.drawRoundedRect(rect, 4, 4)
        fill = self.fraction()
        if fill > 0:
            colour = "#16a34a" if self.level_db < -12 else "#f59e0b" if self.level_db < -3 else "#dc2626"
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(QRectF(rect.x(), rect.y(), rect.width() * fill, rect.height()), 4, 4)


def app_icon(recording: bool = False) -> QIcon:
    """A round microphone-ish icon drawn at run time (red dot while recording)."""
    pixmap = QPixmap(64, 64)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#4338ca"))
    painter.drawEllipse(4, 4, 56, 56)
    painter.setBrush(QColor("#ef4444" if recording else "#ffffff"))
    painter.drawEllipse(20, 20, 24, 24)
    painter.end()
    return QIcon(pixmap)


def shape_icon(shape: str, colour: str = "#ffffff", size: int = 32) -> QIcon:
    """A filled "dot" or "square" drawn at run time (the record and stop buttons): glyphs such as ● and ■
    depend on the font, and where it lacks them the user sees an empty box."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(colour))
    margin = size * 0.18
    rect = QRectF(margin, margin, size - 2 * margin, size - 2 * margin)
    if shape == "dot":
        painter.drawEllipse(rect)
    else:
        painter.drawRoundedRect(rect, size * 0.08, size * 0.08)
    painter.end()
    return QIcon(pixmap)


def menu_text(text: str) -> str:
    """`text` (a theme name) as menu or action text: Qt takes '&' for a keyboard mnemonic and hides it."""
    return text.replace("&", "&&")


def clock(seconds: float | None) -> str:
    return timefmt.clock(seconds, unknown="")
