"""The left pane: All, Recent, Unsorted and the themes with their counts; memos are dropped onto themes."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QInputDialog, QListWidget, QListWidgetItem, QMenu

from app.gui.memo_list import MEMO_IDS_MIME, memo_ids_from_mime
from app.gui.widgets import menu_text

ALL, RECENT, UNSORTED = "all", "recent", "unsorted"
KEY_ROLE = Qt.ItemDataRole.UserRole
RECENT_DAYS = 7


class ThemeList(QListWidget):
    """Emits `filter_chosen(key)`: "all", "recent", "unsorted" or a theme id."""

    filter_chosen = Signal(object)
    memos_dropped = Signal(list, object)  # memo ids, theme id (None = Unsorted)
    rename_requested = Signal(int, str)
    merge_requested = Signal(int, int)  # source, target

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.currentItemChanged.connect(lambda item, _: item and self.filter_chosen.emit(item.data(KEY_ROLE)))
        self.themes: list = []

    def show_themes(self, themes, total: int, recent: int, unsorted: int) -> None:
        key = self.current_key()
        self.blockSignals(True)
        self.clear()
        self.themes = list(themes)
        for label, item_key, count in [("All memos", ALL, total), (f"Recent ({RECENT_DAYS} days)", RECENT, recent),
                                       ("Unsorted", UNSORTED, unsorted)]:
            self._add(f"{label}  ·  {count}", item_key, bold=True)
        for theme in self.themes:
            self._add(f"{theme.name}  ·  {theme.memo_count}", theme.id)
        self.blockSignals(False)
        self.select_key(key if key is not None and self._row_of(key) is not None else ALL, emit=False)

    def _add(self, text: str, key, bold: bool = False) -> None:
        item = QListWidgetItem(text)
        item.setData(KEY_ROLE, key)
        if bold:
            font = item.font()
            font.setBold(True)
            item.setFont(font)
        self.addItem(item)

    def _row_of(self, key) -> int | None:
        for row in range(self.count()):
            if self.item(row).data(KEY_ROLE) == key:
                return row
        return None

    def current_key(self):
        item = self.currentItem()
        return None if item is None else item.data(KEY_ROLE)

    def select_key(self, key, emit: bool = True) -> None:
        row = self._row_of(key)
        if row is not None:
            self.blockSignals(not emit)
            self.setCurrentRow(row)
            self.blockSignals(False)

    def theme_name(self, theme_id: int) -> str | None:
        return next((t.name for t in self.themes if t.id == theme_id), None)

    # -- drag and drop: memos onto a theme ------------------------------------------------------

    def _drop_target(self, event):
        item = self.itemAt(event.position().toPoint())
        key = None if item is None else item.data(KEY_ROLE)
        return key if key == UNSORTED or isinstance(key, int) else "none"

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(MEMO_IDS_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(MEMO_IDS_MIME) and self._drop_target(event) != "none":
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:
        target = self._drop_target(event)
        ids = memo_ids_from_mime(event.mimeData())
        if target == "none" or not ids:
            event.ignore()
            return
        event.acceptProposedAction()
        self.memos_dropped.emit(ids, None if target == UNSORTED else target)

    # -- rename and merge -----------------------------------------------------------------------

    def _context_menu(self, position) -> None:
        item = self.itemAt(position)
        key = None if item is None else item.data(KEY_ROLE)
        if isinstance(key, int):
            self.theme_menu(key).exec(self.viewport().mapToGlobal(position))

    def theme_menu(self, key: int) -> QMenu:
        """A theme's context menu: rename, merge into another theme."""
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.ask_rename(key))
        merge = menu.addMenu("Merge into")
        for theme in self.themes:
            if theme.id != key:
                merge.addAction(menu_text(theme.name), lambda target=theme.id: self.merge_requested.emit(key, target))
        merge.setEnabled(len(self.themes) > 1)
        return menu

    def ask_rename(self, theme_id: int) -> None:
        name, ok = QInputDialog.getText(self, "Rename theme", "Name:", text=self.theme_name(theme_id) or "")
        if ok and name.strip():
            self.rename_requested.emit(theme_id, name.strip())
