"""The middle pane: memos as a sortable list (title, date, duration, first line), dragged onto themes."""
from __future__ import annotations

import datetime as dt
import html

from PySide6.QtCore import QMimeData, QModelIndex, QSize, Qt, Signal
from PySide6.QtGui import QAbstractTextDocumentLayout, QContextMenuEvent, QKeySequence, QPalette, QTextDocument
from PySide6.QtWidgets import (QAbstractItemView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionViewItem,
                               QTreeWidget, QTreeWidgetItem)

from app.display import local_day, memo_title, shown_datetime
from app.gui.widgets import clock
from audio.recorded_time import describe_source

MEMO_IDS_MIME = "application/x-musings-memo-ids"
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"  # as storage.memos marks search hits
TITLE, DATE, DURATION, FIRST_LINE = range(4)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
HTML_ROLE = Qt.ItemDataRole.UserRole + 2

DATE_FILTERS = [("Any time", None), ("Today", 0), ("Past 7 days", 7), ("Past 30 days", 30), ("Past year", 365)]


def snippet_html(snippet: str) -> str:
    """A search snippet with its hits marked, as HTML."""
    text = html.escape(snippet)
    return (text.replace(HIGHLIGHT_START, '<span style="background:#fde047;font-weight:600">')
                .replace(HIGHLIGHT_END, "</span>"))


def passes_date_filter(recorded_at: str, days: int | None, today: dt.date | None = None) -> bool:
    if days is None:
        return True
    today = today or dt.date.today()  # both local: "Today" is the user's day, not UTC's
    day = local_day(recorded_at)
    if day is None:
        return True
    return (today - day).days <= days


class _Item(QTreeWidgetItem):
    def __lt__(self, other: QTreeWidgetItem) -> bool:
        column = self.treeWidget().sortColumn() if self.treeWidget() else 0
        mine, theirs = self.data(column, SORT_ROLE), other.data(column, SORT_ROLE)
        if mine is None or theirs is None:
            return super().__lt__(other)
        return mine < theirs


class HtmlDelegate(QStyledItemDelegate):
    """Paints a cell from its HTML_ROLE text (search hits highlighted)."""

    def paint(self, painter, option, index: QModelIndex) -> None:
        markup = index.data(HTML_ROLE)
        if not markup:
            return super().paint(painter, option, index)
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        style = opt.widget.style() if opt.widget else None
        if style:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, opt.widget)
        doc = QTextDocument()
        doc.setDocumentMargin(1)
        doc.setDefaultFont(opt.font)
        doc.setHtml(markup)
        doc.setTextWidth(10_000)
        painter.save()
        painter.translate(opt.rect.left() + 2, opt.rect.top() + max(0, (opt.rect.height() - doc.size().height()) / 2))
        painter.setClipRect(0, 0, opt.rect.width() - 2, opt.rect.height())
        context = QAbstractTextDocumentLayout.PaintContext()
        if opt.state & QStyle.StateFlag.State_Selected:
            context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(QPalette.ColorRole.HighlightedText))
        doc.documentLayout().draw(painter, context)
        painter.restore()

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 22))


class MemoList(QTreeWidget):
    memo_selected = Signal(int)
    delete_requested = Signal(list)  # memo ids: to the trash
    restore_requested = Signal(list)  # memo ids: out of the trash

    def __init__(self, parent=None):
        super().__init__(parent)
        self.showing_trash = False  # the list shows "Recently deleted": Delete does nothing, Restore is offered
        self.setHeaderLabels(["Title", "Date", "Duration", "First line"])
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setItemDelegateForColumn(FIRST_LINE, HtmlDelegate(self))
        self.setColumnWidth(TITLE, 190)
        self.setColumnWidth(DATE, 120)
        self.setColumnWidth(DURATION, 60)
        self.currentItemChanged.connect(self._current_changed)

    def show_memos(self, memos, snippets: dict[int, str] | None = None) -> None:
        """Fill the list; with `snippets` (search results) the first-line column shows the highlighted hit."""
        current = self.current_memo_id()
        self.blockSignals(True)
        self.setSortingEnabled(False)
        self.clear()
        items = []
        for rank, memo in enumerate(memos):
            item = _Item()
            title = memo_title(memo)
            status = "" if memo.status == "done" else f" ({memo.status})"
            item.setText(TITLE, title + status)
            item.setToolTip(TITLE, memo.error or title)
            item.setText(DATE, shown_datetime(memo.recorded_at))
            item.setToolTip(DATE, describe_source(memo.recorded_at_source))  # metadata / file name / mtime
            item.setText(DURATION, clock(memo.duration))
            item.setData(DATE, SORT_ROLE, memo.recorded_at)
            item.setData(DURATION, SORT_ROLE, float(memo.duration or 0))
            item.setData(TITLE, SORT_ROLE, title.lower() if snippets is None else rank)
            item.setData(TITLE, ID_ROLE, memo.id)
            first = " ".join((memo.transcript or memo.error or "").split())[:160]
            item.setText(FIRST_LINE, first)
            if snippets is not None and memo.id in snippets:
                item.setData(FIRST_LINE, HTML_ROLE, snippet_html(snippets[memo.id]))
                item.setText(FIRST_LINE, snippets[memo.id].replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, ""))
            items.append(item)
        self.addTopLevelItems(items)
        if snippets is not None:  # search results keep their rank order
            self.sortByColumn(TITLE, Qt.SortOrder.AscendingOrder)
        self.setSortingEnabled(snippets is None)
        if snippets is None and self.sortColumn() == TITLE and self.header().sortIndicatorSection() == TITLE:
            self.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.blockSignals(False)
        if current is not None:
            self.select_memo(current, emit=False)

    def memo_ids(self) -> list[int]:
        return [self.topLevelItem(i).data(TITLE, ID_ROLE) for i in range(self.topLevelItemCount())]

    def selected_memo_ids(self) -> list[int]:
        return [item.data(TITLE, ID_ROLE) for item in self.selectedItems()]

    def current_memo_id(self) -> int | None:
        item = self.currentItem()
        return None if item is None else item.data(TITLE, ID_ROLE)

    def select_memo(self, memo_id: int, emit: bool = True) -> bool:
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item.data(TITLE, ID_ROLE) == memo_id:
                self.blockSignals(not emit)
                self.setCurrentItem(item)
                self.blockSignals(False)
                self.scrollToItem(item)
                return True
        return False

    def mimeData(self, items) -> QMimeData:
        data = QMimeData()
        ids = [str(item.data(TITLE, ID_ROLE)) for item in items]
        data.setData(MEMO_IDS_MIME, ",".join(ids).encode())
        data.setText(", ".join(item.text(TITLE) for item in items))
        return data

    def mimeTypes(self) -> list[str]:
        return [MEMO_IDS_MIME]

    def delete_selected(self) -> bool:
        """Ask for the selected memos to go to the trash (not from the trash itself); False if nothing to do."""
        if self.selected_memo_ids() and not self.showing_trash:
            self.delete_requested.emit(self.selected_memo_ids())
            return True
        return False

    def keyPressEvent(self, event) -> None:
        if event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace:
            if self.delete_selected():
                return
        super().keyPressEvent(event)

    def memo_menu(self) -> QMenu:
        """The selected memos' context menu: delete (to "Recently deleted"), or restore from there."""
        menu = QMenu(self)
        ids = self.selected_memo_ids()
        count = f"{len(ids)} memos" if len(ids) > 1 else "memo"
        if self.showing_trash:
            menu.addAction(f"Restore {count}", lambda: self.restore_requested.emit(ids))
        else:
            delete = menu.addAction(f"Delete {count}", lambda: self.delete_requested.emit(ids))
            delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        item = self.itemAt(event.pos()) if event.reason() != QContextMenuEvent.Reason.Keyboard else self.currentItem()
        if item is None:
            return
        if not item.isSelected():
            self.setCurrentItem(item)
        position = event.pos() if event.reason() != QContextMenuEvent.Reason.Keyboard else \
            self.visualItemRect(item).center()
        self.memo_menu().exec(self.viewport().mapToGlobal(position))

    def _current_changed(self, current, previous) -> None:
        if current is not None:
            self.memo_selected.emit(current.data(TITLE, ID_ROLE))


def memo_ids_from_mime(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(MEMO_IDS_MIME):
        return []
    raw = bytes(mime.data(MEMO_IDS_MIME)).decode()
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]
