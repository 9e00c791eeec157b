"""What a newcomer needs without reading a manual: the keyboard shortcuts (one table: the window makes its
keys from it and Help › Keyboard shortcuts shows it, so the two can't drift), the empty-list placeholder,
Help › Getting started and Help › About Musings."""
from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHBoxLayout, QHeaderView, QLabel,
                               QPushButton, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from app.gui.settings import DEFAULT_HOTKEY

WINDOW, SEARCH_BOX, MEMO_LIST = "", "search box", "memo list"  # where a key works
PASSAGE = "passage being edited"  # the editor handles these keys itself (app/gui/segment_edit.py)


@dataclass(frozen=True)
class Shortcut:
    command: str  # what the window does (MainWindow._install_shortcuts maps it to an action)
    keys: tuple[str, ...]  # QKeySequence text, portable form
    what: str  # said to the user
    where: str = WINDOW  # the part of the window that must have the focus ("" = anywhere)


SHORTCUTS: tuple[Shortcut, ...] = (
    Shortcut("record", (DEFAULT_HOTKEY,), "Start or stop recording"),  # the key is the user's (Settings)
    Shortcut("import", ("Ctrl+O",), "Import recordings (audio files)"),
    Shortcut("export", ("Ctrl+E",), "Export every memo to a folder of Markdown files"),
    Shortcut("find", ("Ctrl+F",), "Go to the search box"),
    Shortcut("clear_search", ("Esc",), "Clear the search", SEARCH_BOX),
    Shortcut("open", ("Return", "Enter"), "Open the selected memo", MEMO_LIST),
    Shortcut("rename", ("F2",), "Rename the open memo (its title), or the selected theme when the themes "
                                "list has the focus"),
    Shortcut("delete", ("Delete",), "Move the selected memos to Recently deleted", MEMO_LIST),
    Shortcut("review_keep", ("K",), "Keep (star) the selected memos: in Review, then the next one", MEMO_LIST),
    Shortcut("review_done", ("D",), "Mark the selected memos done", MEMO_LIST),
    Shortcut("review_archive", ("A",), "Archive the selected memos (out of the lists, still found by search)",
             MEMO_LIST),
    Shortcut("edit_passage", ("Return", "Ctrl+Return"), "Save a passage being edited (double-click a passage in "
                                                       "the transcript to edit it; Esc cancels)", PASSAGE),
    Shortcut("undo", ("Ctrl+Z",), "Undo the last move, merge, rename, delete, title or passage edit (in a text "
                                  "box: the typing)"),
    Shortcut("play_pause", ("Space",), "Play or pause the open memo (anywhere but a text box, where Space types "
                                       "a space)"),
    Shortcut("skip_back", ("Ctrl+Left",), "Back 10 seconds in the open memo (not in a text box)"),
    Shortcut("skip_forward", ("Ctrl+Right",), "Forward 10 seconds in the open memo (not in a text box)"),
    Shortcut("settings", ("Ctrl+,",), "Settings"),
    Shortcut("shortcuts", ("Ctrl+/",), "Show this list of keyboard shortcuts"),
    Shortcut("quit", ("Ctrl+Q",), "Quit Musings"),
)


def shortcuts_for(record_key: str) -> list[Shortcut]:
    """The table with the record key the user chose."""
    return [replace(s, keys=(record_key or DEFAULT_HOTKEY,)) if s.command == "record" else s for s in SHORTCUTS]


def key_text(shortcut: Shortcut) -> str:
    return " or ".join(QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText) for key in shortcut.keys)


def key_of(shortcuts: list[Shortcut], command: str) -> str:
    return next(key_text(s) for s in shortcuts if s.command == command)


def shortcuts_sheet(parent: QWidget, shortcuts: list[Shortcut]) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("Keyboard shortcuts")
    table = QTableWidget(len(shortcuts), 3)
    table.setObjectName("shortcuts")
    table.setHorizontalHeaderLabels(["Key", "What it does", "Where"])
    table.verticalHeader().hide()
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    for row, shortcut in enumerate(shortcuts):
        for column, text in enumerate([key_text(shortcut), shortcut.what, shortcut.where or "anywhere"]):
            item = QTableWidgetItem(text)
            if column == 0:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            table.setItem(row, column, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(table)
    layout.addWidget(buttons)
    dialog.resize(680, 420)
    return dialog


def getting_started(parent: QWidget, shortcuts: list[Shortcut]) -> QDialog:
    key = lambda command: key_of(shortcuts, command)  # noqa: E731
    lines = [
        f"<b>Record</b>: press Record ({key('record')}) and speak; press it again to stop. Musings writes down "
        "what you said.",
        f"<b>Import</b>: File › Import files… ({key('import')}), or drop audio files on the window.",
        "<b>Themes</b>: memos are grouped by what they are about, on the left. Drag a memo onto a theme to move "
        f"it; {key('rename')} renames.",
        f"<b>Search</b>: type words or an idea in the search box ({key('find')}); {key('clear_search')} clears it.",
        "<b>Listen</b>: click a memo to read it, and click any word to play the recording from there.",
        f"<b>Export</b>: File › Export to Markdown… ({key('export')}) writes every memo as a text file.",
        "Everything stays on this computer: no account, nothing is sent anywhere.",
    ]
    dialog = QDialog(parent)
    dialog.setWindowTitle("Getting started")
    text = QLabel("<p>" + "</p><p>".join(lines) + "</p>")
    text.setObjectName("getting-started")
    text.setWordWrap(True)
    text.setTextFormat(Qt.TextFormat.RichText)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
    buttons.accepted.connect(dialog.accept)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    dialog.resize(520, 0)
    return dialog


def musings_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("musings")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def open_path(path: Path) -> bool:
    """Show a file or folder in the desktop's own application (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def about_dialog(parent: QWidget, whisper_model: str, embedding_model: str, data_dir: Path) -> QDialog:
    dialog = QDialog(parent)
    dialog.setWindowTitle("About Musings")
    text = QLabel(f"<h3>Musings {musings_version()}</h3>"
                  "<p>Voice memos, written down and grouped by theme, on this computer only.</p>"
                  f"<p>Speech to text: Whisper <b>{whisper_model}</b><br>"
                  f"Themes and search by meaning: <b>{embedding_model}</b><br>"
                  f"Data folder: {data_dir}</p>")
    text.setObjectName("about")
    text.setWordWrap(True)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    folder = buttons.addButton("Open data folder", QDialogButtonBox.ButtonRole.ActionRole)
    folder.clicked.connect(lambda: open_path(data_dir))
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(text)
    layout.addWidget(buttons)
    return dialog


class EmptyState(QWidget):
    """Shown in place of the memo list when it has nothing to show: a first-run invitation (with Record and
    Import buttons) for an empty library, or one line for an empty search, theme or filter."""

    record_requested = Signal()
    import_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.message = QLabel()
        self.message.setObjectName("empty-message")
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setStyleSheet("color: #4b5563")
        self.record_button = QPushButton("Record")
        self.record_button.clicked.connect(self.record_requested)
        self.import_button = QPushButton("Import files…")
        self.import_button.clicked.connect(self.import_requested)
        self.buttons = QWidget()
        row = QHBoxLayout(self.buttons)
        row.addStretch(1)
        row.addWidget(self.record_button)
        row.addWidget(self.import_button)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 32, 32, 32)
        layout.addStretch(1)
        layout.addWidget(self.message)
        layout.addSpacing(12)
        layout.addWidget(self.buttons)
        layout.addStretch(2)

    def show_library_empty(self, record_key: str, import_key: str) -> None:
        self._say(f"No memos yet. Record ({record_key}), import recordings ({import_key}), or drop audio "
                  "files here", large=True)
        self.buttons.show()

    def show_message(self, text: str) -> None:
        self._say(text, large=False)
        self.buttons.hide()

    def _say(self, text: str, large: bool) -> None:
        self.message.setText(text)
        font = self.font()
        font.setPointSizeF(font.pointSizeF() * (1.5 if large else 1.15))
        self.message.setFont(font)
