"""The left pane: All, Recent, Unsorted, then the theme tree (broad themes, their sub-themes beneath) with
counts. Memos are dropped onto a theme at either level; a theme dropped onto a broad theme is nested under
it, and dropped onto All or the empty space below the tree becomes a broad theme again."""
from __future__ import annotations

from PySide6.QtCore import QMimeData, QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QContextMenuEvent, QDrag
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QInputDialog, QMenu, QTreeWidget, QTreeWidgetItem

from app.gui.memo_list import MEMO_IDS_MIME, memo_ids_from_mime
from app.gui.widgets import menu_text

ALL, RECENT, UNSORTED, TRASH, REVIEW, TODOS = "all", "recent", "unsorted", "trash", "review", "todos"
KEY_ROLE = Qt.ItemDataRole.UserRole
RECENT_DAYS = 7
THEME_ID_MIME = "application/x-musings-theme-id"
PATH_SEPARATOR = " › "
DROP_HINT = QColor("#c7d2fe")
COUNT_COLOUR = QColor("#6b7280")
NAME, COUNT = 0, 1  # columns: a long name is elided, its count always shows

# What a drop does (`ThemeTree.drop_action`): pin memos into a theme, nest a theme, make it broad again.
PLACE, NEST, UNNEST, DELETE = "place", "nest", "unnest", "delete"


def is_theme_key(key) -> bool:
    """A theme's key is its id, an int (0 included); the fixed entries are strings."""
    return isinstance(key, int) and not isinstance(key, bool)


def group_tree(themes) -> list[tuple[object, list]]:
    """The broad themes, in the given order (largest first), each with its sub-themes; a sub-theme whose
    parent is missing from `themes` is shown as a broad theme rather than lost."""
    ids = {t.id for t in themes}
    tops = [t for t in themes if t.parent_id is None or t.parent_id not in ids]
    children: dict[int, list] = {}
    for t in themes:  # one pass (461 themes at 20,000 memos: a scan per broad theme was ~40,000 looks)
        if t.parent_id is not None and t.parent_id in ids and t.parent_id != t.id:
            children.setdefault(t.parent_id, []).append(t)
    return [(top, children.get(top.id, [])) for top in tops]


def theme_label(themes, theme_id: int, by_id: dict | None = None) -> str:
    """A theme's name with its broad theme's before it ("Travel › Flights"), as menus and the theme box show it
    (`by_id`: the themes by id, when labelling many)."""
    by_id = {t.id: t for t in themes} if by_id is None else by_id
    theme = by_id.get(theme_id)
    if theme is None:
        return str(theme_id)
    parent = by_id.get(theme.parent_id) if theme.parent_id is not None else None
    return theme.name if parent is None else f"{parent.name}{PATH_SEPARATOR}{theme.name}"


class ThemeList(QTreeWidget):
    """Emits `filter_chosen(key)`: "all", "recent", "unsorted" or a theme id (broad or sub-theme)."""

    filter_chosen = Signal(object)
    memos_dropped = Signal(list, object)  # memo ids, theme id (None = Unsorted)
    delete_requested = Signal(list)  # memo ids dropped on "Recently deleted"
    rename_requested = Signal(int, str)
    merge_requested = Signal(int, int)  # source, target
    nest_requested = Signal(int, object)  # theme id, broad theme id (None = make it a broad theme)
    new_theme_requested = Signal(str, object)  # name, broad theme id to put it under (None = a broad theme)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setColumnCount(2)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(COUNT, QHeaderView.ResizeMode.ResizeToContents)
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        self.setExpandsOnDoubleClick(True)
        self.setAcceptDrops(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDropIndicatorShown(False)  # the hovered target is tinted instead: a line suggests reordering
        self.setAutoExpandDelay(700)  # hovering a folded broad theme during a drag opens it
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.currentItemChanged.connect(lambda item, _: item and self.filter_chosen.emit(item.data(0, KEY_ROLE)))
        self.itemCollapsed.connect(lambda item: self._collapsed.add(item.data(0, KEY_ROLE)))
        self.itemExpanded.connect(lambda item: self._collapsed.discard(item.data(0, KEY_ROLE)))
        self.themes: list = []
        self._collapsed: set[int] = set()  # broad themes the user folded (kept across refreshes)
        self._hinted: QTreeWidgetItem | None = None
        self.selected_memo_ids = lambda: []  # the memo list's selection, for "New theme from the selected memos"
        self._open_todos = 0
        self._shown = None  # what show_themes last drew from

    # -- filling ---------------------------------------------------------------------------------

    def show_themes(self, themes, total: int, recent: int, unsorted: int, trashed: int = 0, *,
                    to_review: int = 0) -> None:
        themes = list(themes)
        shown = (tuple((t.id, t.name, t.count, t.parent_id) for t in themes), total, recent, unsorted, trashed,
                 to_review, self._open_todos)
        if shown == self._shown and self.topLevelItemCount():  # a rename or an edit: the same entries, not rebuilt
            self.themes = themes  # (500 items at 20,000 memos took 15-20 ms to make again)
            return
        self._shown = shown
        key = self.current_key()
        self.blockSignals(True)  # no filter_chosen and no itemCollapsed while rebuilding
        self._hinted = None
        self.clear()
        self.themes = list(themes)
        for label, item_key, count in [("All memos", ALL, total), (f"Recent ({RECENT_DAYS} days)", RECENT, recent),
                                       ("Unsorted", UNSORTED, unsorted), ("Review", REVIEW, to_review),
                                       ("To-dos", TODOS, self._open_todos)]:
            item = self._add(self.invisibleRootItem(), label, count, item_key, bold=True)
            if item_key == REVIEW:
                item.setToolTip(NAME, "Memos you have not looked at since they came in: keep (K), mark done (D) "
                                      "or archive (A) each")
        for top, subs in group_tree(self.themes):  # a broad theme counts its sub-themes' memos too
            parent = self._add(self.invisibleRootItem(), top.name, top.count, top.id, theme=True)
            for sub in subs:
                self._add(parent, sub.name, sub.count, sub.id, theme=True)
            parent.setExpanded(top.id not in self._collapsed)
        if trashed:  # memos deleted in the last 30 days, to bring back: set apart, in grey italics
            trash = self._add(self.invisibleRootItem(), "Recently deleted", trashed, TRASH)
            trash.setToolTip(NAME, "Deleted memos, kept 30 days: right-click one to restore it")
            font = trash.font(NAME)
            font.setItalic(True)
            for column in (NAME, COUNT):
                trash.setFont(column, font)
                trash.setForeground(column, COUNT_COLOUR)
        self.blockSignals(False)
        self.select_key(key if key is not None and self.item_for(key) is not None else ALL, emit=False)

    def set_open_todos(self, count: int) -> None:
        """The To-dos entry's count (read in a job of its own, after the library)."""
        self._open_todos = count
        item = self.item_for(TODOS)
        if item is not None:
            item.setText(COUNT, str(count))
            if self._shown is not None:  # drawn with this count now: the next edit need not rebuild the tree
                self._shown = (*self._shown[:-1], count)

    def _add(self, parent: QTreeWidgetItem, name: str, count: int, key, bold: bool = False,
             theme: bool = False) -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, [name, str(count)])
        item.setData(0, KEY_ROLE, key)
        item.setTextAlignment(COUNT, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(NAME, name)
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDropEnabled
        if theme:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
            item.setForeground(COUNT, COUNT_COLOUR)
        item.setFlags(flags)
        if bold:
            font = item.font(0)
            font.setBold(True)
            item.setFont(NAME, font)
            item.setFont(COUNT, font)
        return item

    def entries(self) -> list[tuple[object, str, int, int]]:
        """(key, name, count, depth) of every row in display order, folded ones included (depth 1: a sub-theme)."""
        rows = []
        for index in range(self.topLevelItemCount()):
            top = self.topLevelItem(index)
            for item, depth in [(top, 0)] + [(top.child(i), 1) for i in range(top.childCount())]:
                rows.append((item.data(0, KEY_ROLE), item.text(NAME), int(item.text(COUNT)), depth))
        return rows

    def item_for(self, key) -> QTreeWidgetItem | None:
        for index in range(self.topLevelItemCount()):
            top = self.topLevelItem(index)
            if top.data(0, KEY_ROLE) == key:
                return top
            for i in range(top.childCount()):
                if top.child(i).data(0, KEY_ROLE) == key and is_theme_key(key):
                    return top.child(i)
        return None

    def current_key(self):
        item = self.currentItem()
        return None if item is None else item.data(0, KEY_ROLE)

    def select_key(self, key, emit: bool = True) -> None:
        item = self.item_for(key)
        if item is not None:
            self.blockSignals(not emit)
            if item.parent() is not None and not item.parent().isExpanded():
                item.parent().setExpanded(True)
                self._collapsed.discard(item.parent().data(0, KEY_ROLE))
            self.setCurrentItem(item)
            self.blockSignals(False)

    def theme(self, theme_id: int):
        return next((t for t in self.themes if t.id == theme_id), None)

    def theme_name(self, theme_id: int) -> str | None:
        theme = self.theme(theme_id)
        return None if theme is None else theme.name

    def sub_themes(self, theme_id: int) -> list:
        return [t for t in self.themes if t.parent_id == theme_id]

    def broad_themes(self) -> list:
        return [top for top, _ in group_tree(self.themes)]

    # -- drag and drop: memos onto a theme, themes onto a broad theme or back to the top ----------

    def mimeTypes(self) -> list[str]:
        return [MEMO_IDS_MIME, THEME_ID_MIME]

    def mimeData(self, items) -> QMimeData:
        """A dragged theme: its id (one theme at a time: the tree selects one row)."""
        data = QMimeData()
        keys = [item.data(0, KEY_ROLE) for item in items if is_theme_key(item.data(0, KEY_ROLE))]
        if keys:
            data.setData(THEME_ID_MIME, str(keys[0]).encode())
            data.setText(self.theme_name(keys[0]) or "")
        return data

    def startDrag(self, supported_actions) -> None:
        # Our own drag, not QAbstractItemView's: after a move that one removes the dragged row itself,
        # while here the storage decides and the tree is re-read from it.
        item = self.currentItem()
        if item is None or not is_theme_key(item.data(0, KEY_ROLE)):
            return
        drag = QDrag(self)
        drag.setMimeData(self.mimeData([item]))
        drag.exec(Qt.DropAction.MoveAction)

    def drop_action(self, mime: QMimeData, position: QPoint) -> tuple[str, object] | None:
        """What dropping `mime` at `position` (viewport coordinates) would do, or None if nothing:
        (PLACE, theme id or None for Unsorted) or (DELETE, None) for memos, (NEST, broad theme id) or
        (UNNEST, None) for a theme.
        Impossible nestings (into a sub-theme, a theme that has sub-themes) are left for the storage to refuse
        with its reason."""
        item = self.itemAt(position)
        key = None if item is None else item.data(0, KEY_ROLE)
        if mime.hasFormat(MEMO_IDS_MIME):
            if key == UNSORTED:
                return PLACE, None
            if key == TRASH:
                return DELETE, None
            return (PLACE, key) if is_theme_key(key) else None
        dragged = theme_id_from_mime(mime)
        if dragged is None or self.theme(dragged) is None:
            return None
        if is_theme_key(key):
            if key == dragged or key == self.theme(dragged).parent_id:
                return None  # back where it started
            return NEST, key
        if item is None or key == ALL:
            return (UNNEST, None) if self.theme(dragged).parent_id is not None else None
        return None

    def _hint(self, item: QTreeWidgetItem | None) -> None:
        if self._hinted is item:
            return
        for column in (NAME, COUNT):
            if self._hinted is not None:
                self._hinted.setData(column, Qt.ItemDataRole.BackgroundRole, None)
            if item is not None:
                item.setBackground(column, QBrush(DROP_HINT))
        self._hinted = item

    def dragEnterEvent(self, event) -> None:
        super().dragEnterEvent(event)  # the view's dragging state: scrolling at the edges
        if event.mimeData().hasFormat(MEMO_IDS_MIME) or event.mimeData().hasFormat(THEME_ID_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        super().dragMoveEvent(event)  # scrolling at the edges, unfolding a hovered broad theme; the verdict is ours
        position = event.position().toPoint()
        action = self.drop_action(event.mimeData(), position)
        if action is None:
            self._hint(None)
            event.ignore()
            return
        self._hint(self.itemAt(position) if action[0] != UNNEST else self.item_for(ALL))
        event.acceptProposedAction()

    def dragLeaveEvent(self, event) -> None:
        self._hint(None)
        super().dragLeaveEvent(event)

    def dropEvent(self, event) -> None:
        self._hint(None)
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        mime = event.mimeData()
        action = self.drop_action(mime, event.position().toPoint())
        ids = memo_ids_from_mime(mime)
        if action is None or (action[0] in (PLACE, DELETE) and not ids):
            event.ignore()
            return
        # Copy, not move: a move would let the dragging view delete the dragged rows itself.
        event.setDropAction(Qt.DropAction.CopyAction)
        event.accept()
        kind, target = action
        if kind == PLACE:
            self.memos_dropped.emit(ids, target)
        elif kind == DELETE:
            self.delete_requested.emit(ids)
        else:
            self.nest_requested.emit(theme_id_from_mime(mime), target)

    # -- context menu: rename, merge, nest, new theme ---------------------------------------------

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        if event.reason() == QContextMenuEvent.Reason.Keyboard:  # the Menu key or Shift+F10: the current row
            item = self.currentItem()
            position = self.visualItemRect(item).center() if item is not None else QPoint(0, 0)
        else:
            position = event.pos()
            item = self.itemAt(position)
        key = None if item is None else item.data(0, KEY_ROLE)
        if is_theme_key(key):
            self.theme_menu(key).exec(self.viewport().mapToGlobal(position))
        elif item is None or key in (ALL, UNSORTED):
            self.new_theme_menu(None).exec(self.viewport().mapToGlobal(position))

    def theme_menu(self, key: int) -> QMenu:
        """A theme's context menu: rename, merge into another theme, nest under a broad theme or make it
        one, and make a theme of the selected memos."""
        menu = QMenu(self)
        menu.addAction("Rename…", lambda: self.ask_rename(key))
        merge = menu.addMenu("Merge into")
        by_id = {t.id: t for t in self.themes}
        for top, subs in group_tree(self.themes):
            for theme in [top] + subs:
                if theme.id != key:
                    merge.addAction(menu_text(theme_label(self.themes, theme.id, by_id)),
                                    lambda target=theme.id: self.merge_requested.emit(key, target))
        merge.setEnabled(len(self.themes) > 1)
        menu.addSeparator()
        theme = self.theme(key)
        nest = menu.addMenu("Nest under")
        for top in self.broad_themes():
            if top.id != key and top.id != theme.parent_id:
                nest.addAction(menu_text(top.name), lambda target=top.id: self.nest_requested.emit(key, target))
        nest.setEnabled(bool(nest.actions()))
        broad = menu.addAction("Make a broad theme", lambda: self.nest_requested.emit(key, None))
        broad.setEnabled(theme.parent_id is not None)
        menu.addSeparator()
        self._add_new_theme_actions(menu, key if theme.parent_id is None else theme.parent_id)
        return menu

    def new_theme_menu(self, parent_id: int | None) -> QMenu:
        menu = QMenu(self)
        self._add_new_theme_actions(menu, parent_id)
        return menu

    def _add_new_theme_actions(self, menu: QMenu, broad_id: int | None) -> None:
        # A theme holds memos (an empty one is removed), so a new one starts with the memos selected in the list.
        new = menu.addAction("New theme from the selected memos…", lambda: self.ask_new_theme(None))
        selected = bool(self.selected_memo_ids())
        new.setEnabled(selected)
        if broad_id is not None:
            sub = menu.addAction(f"New sub-theme of {menu_text(self.theme_name(broad_id) or '')} from the "
                                 "selected memos…", lambda: self.ask_new_theme(broad_id))
            sub.setEnabled(selected)

    def ask_rename(self, theme_id: int) -> None:
        name, ok = QInputDialog.getText(self, "Rename theme", "Name:", text=self.theme_name(theme_id) or "")
        if ok:  # the library says if the name won't do (an empty one)
            self.rename_requested.emit(theme_id, name)

    def ask_new_theme(self, parent_id: int | None) -> None:
        title = "New theme" if parent_id is None else f"New sub-theme of {self.theme_name(parent_id)}"
        name, ok = QInputDialog.getText(self, title, "Name:")
        if ok:
            self.new_theme_requested.emit(name, parent_id)


def theme_id_from_mime(mime: QMimeData) -> int | None:
    if not mime.hasFormat(THEME_ID_MIME):
        return None
    raw = bytes(mime.data(THEME_ID_MIME)).decode().strip()
    return int(raw) if raw.isdigit() else None
