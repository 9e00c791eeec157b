"""Rewording one transcript passage in place: the transcript (app/gui/memo_view.py `TranscriptView`) lays a
`PassageEditor` over the passage, its timestamp kept beside a text box prefilled with the words shown.

Enter (or Ctrl+Enter) saves, Esc cancels; leaving the box (a click elsewhere, Tab) saves what was changed and
cancels what was not, as a notes app does. Switching to another window, or the box's own context menu, does
not end the edit. A passage is one line: Shift+Enter types nothing, and pasted line breaks become spaces.
The box is an editable QTextEdit, so the window's keys give way to it (Space types a space, Ctrl+Z undoes the
typing). The transcription itself is always kept by the storage ("Restore original" goes back to it).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPalette, QTextCursor
from PySide6.QtWidgets import QLabel, QTextEdit, QWidget

EMPTY_HINT = "A passage can't be empty: type its words, or Esc to cancel"
_ENTER = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
INSET = 4  # pixels from the box's edge to its text: 1 border + 3 document margin
_KEEP_EDITING = (Qt.FocusReason.ActiveWindowFocusReason, Qt.FocusReason.PopupFocusReason)


def same_words(a: str, b: str) -> bool:
    return " ".join(a.split()) == " ".join(b.split())


class PassageField(QTextEdit):
    """The text box: plain text, one passage; Enter and Esc go to the editor around it."""

    def __init__(self, editor: "PassageEditor"):
        super().__init__(editor)
        self._editor = editor
        self.setAcceptRichText(False)
        self.setTabChangesFocus(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setLineWrapMode(QTextEdit.LineWrapMode.WidgetWidth)
        self.document().setDocumentMargin(INSET - 1)
        self.setPlaceholderText(EMPTY_HINT)
        self.setStyleSheet("QTextEdit { border: 1px solid #6366f1; border-radius: 3px; }")

    def event(self, event) -> bool:
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent) and (
                event.key() in _ENTER or event.key() == Qt.Key.Key_Escape):
            event.accept()  # ours, whatever shortcut the window has for them
            return True
        return super().event(event)

    def keyPressEvent(self, event) -> None:
        if event.key() in _ENTER:
            if not event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
                self._editor.save()
            return  # never a line break
        if event.key() == Qt.Key.Key_Escape and not event.modifiers():
            self._editor.cancel()
            return
        super().keyPressEvent(event)

    def insertFromMimeData(self, source) -> None:
        if source.hasText():
            self.insertPlainText(" ".join(source.text().split()))

    def focusOutEvent(self, event) -> None:
        super().focusOutEvent(event)
        if event.reason() not in _KEEP_EDITING:
            self._editor.leave()


class PassageEditor(QWidget):
    """One passage being reworded, laid over the transcript's viewport by the transcript (`place`).

    `done` carries the new words (spaces tidied) when they were changed and saved, or None when the edit was
    cancelled or left unchanged; it is emitted once, after the editor has hidden itself.
    """

    done = Signal(object)  # str, or None

    def __init__(self, index: int, stamp: str, text: str, font: QFont, stamp_font: QFont, stamp_colour: QColor,
                 parent: QWidget, home: QWidget | None = None):
        super().__init__(parent)
        self.home = home or parent  # where the focus goes back to after Enter or Esc
        self.index = index  # the segment's position in the memo
        self.original = " ".join(text.split())
        self.finished = False
        self.setAutoFillBackground(True)  # hides the passage underneath
        self.setPalette(parent.palette())
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.stamp = QLabel(stamp, self)
        self.stamp.setFont(stamp_font)
        self.stamp.setStyleSheet(f"color: {stamp_colour.name()}")
        self.field = PassageField(self)
        self.field.setFont(font)
        self.field.setPlainText(self.original)
        self.field.moveCursor(QTextCursor.MoveOperation.End)
        self.setFocusProxy(self.field)
        self.setCursor(Qt.CursorShape.ArrowCursor)  # not the transcript's pointing hand
        self.field.document().contentsChanged.connect(self._refit)
        self._where: tuple[QRect, int, int, int, int] | None = None

    def text(self) -> str:
        return " ".join(self.field.toPlainText().split())

    # -- where it sits ---------------------------------------------------------------------------

    def place(self, block: QRect, stamp_x: int, text_x: int, line_top: int, width: int) -> None:
        """Over a passage: `block` its rectangle in the viewport, `stamp_x` / `text_x` where its timestamp and
        its words begin, `line_top` the top of its first line, `width` the viewport's."""
        self._where = (QRect(block), stamp_x, text_x, line_top, width)
        self._refit()

    def _refit(self) -> None:
        if self._where is None:
            return
        block, stamp_x, text_x, line_top, width = self._where
        top = min(block.top(), line_top - INSET)
        field_x = max(0, text_x - INSET)
        field_width = max(80, width - field_x - 2)
        document = self.field.document()
        document.setTextWidth(field_width - 2 * self.field.frameWidth())
        field_height = int(document.size().height()) + 2 * self.field.frameWidth()
        height = max(block.bottom() + 1 - top, line_top - INSET - top + field_height)
        self.setGeometry(0, top, width, height)
        self.field.setGeometry(field_x, line_top - INSET - top, field_width, field_height)
        hint = self.stamp.sizeHint()
        self.stamp.setGeometry(stamp_x, line_top - top + max(0, (self.field.fontMetrics().height()
                                                                  - hint.height()) // 2), hint.width(), hint.height())

    def mousePressEvent(self, event) -> None:  # beside the box (the timestamp): stay in the box
        self.field.setFocus(Qt.FocusReason.MouseFocusReason)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        event.accept()  # never a click on the transcript underneath (it would play from there)

    def mouseDoubleClickEvent(self, event) -> None:
        event.accept()

    # -- how it ends -----------------------------------------------------------------------------

    def save(self) -> None:
        """Enter: keep the new words (empty: stay, the hint says why)."""
        if not self.text():
            self.field.clear()  # shows the hint
            return
        self._finish(self.text() if not same_words(self.text(), self.original) else None)

    def cancel(self) -> None:
        """Esc: the passage as it was."""
        self._finish(None)

    def leave(self) -> None:
        """The focus went elsewhere: changed words are saved, unchanged or empty ones dropped."""
        text = self.text()
        self._finish(text if text and not same_words(text, self.original) else None)

    def finish(self) -> None:
        """Ended from outside (another memo shown): as when the focus leaves."""
        self.leave()

    def _finish(self, text: str | None) -> None:
        if self.finished:
            return
        self.finished = True
        if self.field.hasFocus():  # Enter, Esc, or ended from outside: back to the transcript, not the next box
            self.home.setFocus(Qt.FocusReason.OtherFocusReason)
        self.hide()
        self.deleteLater()
        self.done.emit(text)
