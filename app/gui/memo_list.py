"""The middle pane: memos as a sortable list (title, date, duration, first line), dragged onto themes.

A QTableView over MemoModel (a QTreeView lays out every row again after each sort or reset: 0.17 s at
20,000 memos): the memos are a list of references, cells are made when painted, a sort is one list.sort with
a key, and a change to one memo touches one row (update_memo / insert_memo / remove_memo).

Columns never need a horizontal scrollbar: Date and Duration are as wide as their widest possible text (measured
once per font, not per row: ResizeToContents would measure rows at every sort), Title and First line share what
is left (Title's share is the user's, dragged and remembered; First line, the last column, fills the rest), and
long texts elide. Dates are relative ("Today 07:12", "Tuesday 09:03", app.display.relative_datetime), in full on
hover; they sort by the stored time."""
from __future__ import annotations

import datetime as dt
import gc
import html
import operator

from PySide6.QtCore import (QAbstractTableModel, QItemSelection, QItemSelectionModel, QMimeData, QModelIndex,
                            QRect, QSize, Qt, QTimer, Signal)
from PySide6.QtGui import (QAbstractTextDocumentLayout, QColor, QContextMenuEvent, QImage, QKeySequence, QPainter,
                           QPalette, QTextDocument)
from PySide6.QtWidgets import (QAbstractItemView, QMenu, QStyle, QStyledItemDelegate, QStyleOptionHeader,
                               QStyleOptionViewItem, QHeaderView, QTableView)

from app.display import (MONTH_NAMES, WEEKDAY_NAMES, full_datetime, local_day, memo_title, relative_datetime)
from app.gui.widgets import clock
from audio.recorded_time import describe_source

MEMO_IDS_MIME = "application/x-musings-memo-ids"
HIGHLIGHT_START, HIGHLIGHT_END = "\x02", "\x03"  # as storage.memos marks search hits
TITLE, DATE, DURATION, FIRST_LINE = range(4)
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
ID_ROLE = Qt.ItemDataRole.UserRole
HTML_ROLE = Qt.ItemDataRole.UserRole + 2

DATE_FILTERS = [("Any time", None), ("Today", 0), ("Past 7 days", 7), ("Past 30 days", 30), ("Past year", 365)]
DEFAULT_TITLE_SHARE = 0.5  # of the width Date and Duration leave; First line has the rest
DAY_CHECK_MS = 60_000  # how often the list looks whether the day changed ("Today" becomes "Yesterday")


MATCHED = {"keyword": ("words", "Found by its words"), "semantic": ("meaning", "Found by its meaning: it does not "
                                                                             "use these words"),
           "both": ("words + meaning", "Found by its words and its meaning")}


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


def date_cutoff(days: int | None, today: dt.date | None = None) -> str | None:
    """The first stored time (UTC text) that passes `days`: local midnight `days` days before today."""
    if days is None:
        return None
    today = today or dt.date.today()
    start = dt.datetime.combine(today - dt.timedelta(days=days), dt.time()).astimezone()  # local midnight
    return start.astimezone(dt.timezone.utc).isoformat(timespec="seconds")


def filter_by_date(memos: list, days: int | None, today: dt.date | None = None) -> list:
    """The memos recorded within `days` days (passes_date_filter), compared as text: stored times are UTC in one
    format (storage.timestamps), so text order is time order; any other value goes through passes_date_filter."""
    cutoff = date_cutoff(days, today)
    if cutoff is None:
        return memos
    return [m for m in memos if (m.recorded_at >= cutoff if len(m.recorded_at or "") == 25
                                 and m.recorded_at.endswith("+00:00")
                                 else passes_date_filter(m.recorded_at, days, today))]


def _first_line(memo) -> str:
    text = memo.transcript or memo.error or ""
    line = " ".join(text[:2000].split())[:160]  # a two-hour transcript is not split whole for 160 characters
    return line if len(line) == 160 or len(text) <= 2000 else " ".join(text.split())[:160]


def _line_key(memo) -> str:
    """_first_line lower-cased, for sorting: whitespace is collapsed only where there is some to collapse
    (a transcript is mostly single-spaced already), which makes sorting 20,000 memos 3 times faster."""
    text = (memo.transcript or memo.error or "")[:400]
    if "  " in text or "\n" in text or "\t" in text or "\r" in text or text[:1].isspace():
        text = " ".join(text.split())
    return text[:160].lower()


class MemoModel(QAbstractTableModel):
    """The memos as rows (title, date, duration, first line). Cells are computed when a view asks for them, so
    20,000 memos cost a list of references; sorting is one list.sort with a key; a change to one memo
    changes one row."""

    HEADERS = ("Title", "Date", "Duration", "First line")

    def __init__(self, parent=None):
        super().__init__(parent)
        self._memos: list = []
        self._snippets: dict[int, str] | None = None  # search results: the hit per memo, rows in rank order
        self._matched: dict[int, str] = {}  # search results: how each was found
        self._titles: dict[int, str] = {}  # a title shown instead of the memo's (in a theme: the idea listed there)
        self._row_of: dict[int, int] | None = None  # memo id -> row, rebuilt when needed
        self._cells: dict[tuple[int, int], str] = {}  # (memo id, column) -> text, for rows already shown
        self.sort_column, self.sort_order = DATE, Qt.SortOrder.DescendingOrder
        self._sorted = True  # the rows are in sort_column / sort_order (not while they are search results)
        self.today = dt.date.today()  # the local day "Today" / "Yesterday" are counted from (check_day)
        self._day_timer = QTimer(self, interval=DAY_CHECK_MS)  # a timer, not the clock at each paint: after a
        self._day_timer.timeout.connect(self.check_day)  # suspend over midnight it is at most a minute late
        self._day_timer.start()

    # -- what views ask ------------------------------------------------------------------------

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._memos)

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def flags(self, index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled

    def data(self, index, role=Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._memos):
            return None
        memo, column = self._memos[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self.text(memo, column)
        if role == ID_ROLE:
            return memo.id
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == TITLE:
                return memo.error or memo_title(memo)
            if column == DATE:  # the date in full, then where it came from (metadata / file name / mtime)
                return "\n".join(filter(None, (full_datetime(memo.recorded_at),
                                                describe_source(memo.recorded_at_source))))
            if column == FIRST_LINE and memo.id in self._matched:
                return MATCHED[self._matched[memo.id]][1]
            return None
        if role == HTML_ROLE:
            if column == FIRST_LINE and self._snippets is not None and memo.id in self._snippets:
                how = self._matched.get(memo.id)
                tag = (f'<span style="color:#6b7280">{MATCHED[how][0]} · </span>' if how in MATCHED else "")
                return tag + snippet_html(self._snippets[memo.id])
            return None
        if role == SORT_ROLE:
            return self.sort_key(memo, column)
        return None

    def text(self, memo, column: int) -> str:
        key = (memo.id, column)
        cached = self._cells.get(key)
        if cached is None:
            if column == TITLE:
                cached = self._titles.get(memo.id) or (memo_title(memo) + ("" if memo.status == "done"
                                                                           else f" ({memo.status})"))
            elif column == DATE:
                cached = relative_datetime(memo.recorded_at, self.today)
            elif column == DURATION:
                cached = clock(memo.duration)
            elif self._snippets is not None and memo.id in self._snippets:
                cached = self._snippets[memo.id].replace(HIGHLIGHT_START, "").replace(HIGHLIGHT_END, "")
            else:
                cached = _first_line(memo)
            self._cells[key] = cached
        return cached

    def sort_key(self, memo, column: int):
        if self._snippets is not None:
            return self.row_of(memo.id)  # search results: their rank
        if column == TITLE:
            return memo_title(memo).lower()
        if column == DATE:
            return memo.recorded_at or ""
        if column == DURATION:
            return float(memo.duration or 0)
        return _line_key(memo)

    def check_day(self, today: dt.date | None = None) -> bool:
        """After midnight the dates are said again ("Today" → "Yesterday"); True if the day changed."""
        today = today or dt.date.today()
        if today == self.today:
            return False
        self.today = today
        for memo in self._memos:
            self._cells.pop((memo.id, DATE), None)
        if self._memos:
            self.dataChanged.emit(self.index(0, DATE), self.index(len(self._memos) - 1, DATE))
        return True

    # -- filling and sorting ---------------------------------------------------------------------

    @property
    def ranked(self) -> bool:
        """Search results: the rows keep their rank order and are not sorted."""
        return self._snippets is not None

    def set_memos(self, memos, snippets: dict[int, str] | None = None, matched: dict[int, str] | None = None,
                  titles: dict[int, str] | None = None) -> None:
        """`snippets`: search results' hits by memo id; `matched`: how each was found (keyword / semantic / both);
        `titles`: what to show instead of some memos' titles."""
        self.beginResetModel()
        self._memos = list(memos)
        self._snippets = snippets
        self._matched = matched or {}
        self._titles = titles or {}
        self._cells.clear()
        self.today = dt.date.today()
        self._row_of = None
        self._sorted = False
        if snippets is None:
            self._sort_list()
        self.endResetModel()

    def _sort_list(self) -> None:
        column = self.sort_column
        if column == DATE:
            key = operator.attrgetter("recorded_at", "id")  # no Python call per memo
        elif column == DURATION:
            key = (lambda m: (float(m.duration or 0), m.id))
        elif column == TITLE:
            key = (lambda m: (memo_title(m).lower(), m.id))
        else:
            key = (lambda m: (_line_key(m), m.id))
        collecting = gc.isenabled()
        gc.disable()  # 40,000 new key tuples would start collections of every object the window holds
        try:
            self._memos.sort(key=key, reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        finally:
            if collecting:
                gc.enable()
        self._row_of = None
        self._sorted = True

    def sort(self, column: int, order=Qt.SortOrder.AscendingOrder) -> None:
        if (column, order) == (self.sort_column, self.sort_order) and self._sorted:
            return  # already in this order (QTableView.sortByColumn asks twice)
        self.sort_column, self.sort_order = column, order  # search results keep their rank until they go
        if self.ranked:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self._memos[index.row()].id, index.column()) for index in persistent]
        self._sort_list()
        self.changePersistentIndexList(persistent, [self.index(self.row_of(memo_id), column)
                                                    for memo_id, column in held])
        self.layoutChanged.emit()

    # -- one memo at a time ----------------------------------------------------------------------

    def memos(self) -> list:
        return self._memos

    def memo_at(self, row: int):
        return self._memos[row]

    def row_of(self, memo_id: int) -> int | None:
        if self._row_of is None:
            self._row_of = {m.id: row for row, m in enumerate(self._memos)}
        return self._row_of.get(memo_id)

    def update_memo(self, memo) -> bool:
        """Show the new state of a memo already listed (one row; it moves if its sort key changed)."""
        row = self.row_of(memo.id)
        if row is None:
            return False
        old = self._memos[row]
        for column in range(len(self.HEADERS)):
            self._cells.pop((memo.id, column), None)
        if self.ranked or self.sort_key(old, self.sort_column) == self.sort_key(memo, self.sort_column):
            self._memos[row] = memo
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(self.HEADERS) - 1))
            return True
        self.remove_memo(memo.id)
        self.insert_memo(memo)
        return True

    def remove_memo(self, memo_id: int) -> bool:
        row = self.row_of(memo_id)
        if row is None:
            return False
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._memos[row]
        self._row_of = None
        self.endRemoveRows()
        return True

    def insert_memo(self, memo) -> int:
        """Add a memo at its place in the current order (at the end of search results); returns its row."""
        if self.row_of(memo.id) is not None:
            self.update_memo(memo)
            return self.row_of(memo.id)
        row = len(self._memos) if self.ranked else self._place_of(memo)
        self.beginInsertRows(QModelIndex(), row, row)
        self._memos.insert(row, memo)
        self._row_of = None
        self.endInsertRows()
        return row

    def _place_of(self, memo) -> int:
        """Binary search for where `memo` goes in the sorted rows."""
        column, descending = self.sort_column, self.sort_order == Qt.SortOrder.DescendingOrder
        wanted = (self.sort_key(memo, column), memo.id)
        low, high = 0, len(self._memos)
        while low < high:
            middle = (low + high) // 2
            here = (self.sort_key(self._memos[middle], column), self._memos[middle].id)
            if (here > wanted) if descending else (here < wanted):
                low = middle + 1
            else:
                high = middle
        return low

    # -- dragging --------------------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:
        return [MEMO_IDS_MIME]

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def mimeData(self, indexes) -> QMimeData:
        rows = sorted({index.row() for index in indexes if index.isValid()})
        memos = [self._memos[row] for row in rows]
        data = QMimeData()
        data.setData(MEMO_IDS_MIME, ",".join(str(m.id) for m in memos).encode())
        data.setText(", ".join(self.text(m, TITLE) for m in memos))
        return data


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
        room = opt.rect.width() - 4
        ellipsis = "\N{HORIZONTAL ELLIPSIS}"
        cut = doc.idealWidth() > room  # too long: clipped before an ellipsis, as the plain cells elide
        shown = room - opt.fontMetrics.horizontalAdvance(ellipsis) if cut else room
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        painter.save()
        painter.translate(opt.rect.left() + 2, opt.rect.top() + max(0, (opt.rect.height() - doc.size().height()) / 2))
        painter.setClipRect(0, 0, max(0, shown), opt.rect.height())
        context = QAbstractTextDocumentLayout.PaintContext()
        if selected:
            context.palette.setColor(QPalette.ColorRole.Text, opt.palette.color(QPalette.ColorRole.HighlightedText))
        doc.documentLayout().draw(painter, context)
        painter.restore()
        if cut and shown > 0:
            painter.save()
            painter.setFont(opt.font)
            painter.setPen(opt.palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
            painter.drawText(QRect(opt.rect.left() + 2 + shown, opt.rect.top(), opt.rect.width() - 2 - shown,
                                   opt.rect.height()), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                             ellipsis)
            painter.restore()

    def sizeHint(self, option, index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), 22))


_ARROW_FLIPS: dict[str, bool] = {}  # style name -> whether SortHeader swaps the arrows it draws


def _draws_sort_up_pointing_up(style: QStyle) -> bool | None:
    """Whether `style` draws QStyleOptionHeader.SortUp as an arrow pointing up (wide at the bottom); None if it
    draws no arrow there (it may draw it elsewhere: left alone). Fusion on Linux does, following GTK."""
    image = QImage(16, 16, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(QColor(0, 0, 0, 0))
    option = QStyleOptionHeader()
    option.rect = QRect(0, 0, 16, 16)
    option.sortIndicator = QStyleOptionHeader.SortIndicator.SortUp
    option.palette.setColor(QPalette.ColorRole.WindowText, QColor("black"))
    option.palette.setColor(QPalette.ColorRole.ButtonText, QColor("black"))
    painter = QPainter(image)
    style.drawPrimitive(QStyle.PrimitiveElement.PE_IndicatorHeaderArrow, option, painter)
    painter.end()
    widths = [sum(image.pixelColor(x, y).alpha() > 60 for x in range(16)) for y in range(16)]
    rows = [(y, w) for y, w in enumerate(widths) if w]
    if len(rows) < 2:
        return None
    (_, first), (_, last) = rows[0], rows[-1]
    return None if first == last else last > first


class SortHeader(QHeaderView):
    """The list's header, whose sort arrow points the way the list runs: down when it is sorted descending (newest
    first, the default), up when ascending. Qt gives a descending sort the style's "SortUp" indicator, which some
    styles (Fusion on Linux) draw pointing up and others pointing down: this header asks the style once which it
    does and swaps the two where needed."""

    def __init__(self, parent=None):
        super().__init__(Qt.Orientation.Horizontal, parent)
        self.setSectionsClickable(True)  # as QTableView's own header
        self.setHighlightSections(False)

    def arrow_flipped(self) -> bool:
        style = self.style()
        key = f"{style.name()}:{type(style).__name__}"
        if key not in _ARROW_FLIPS:
            _ARROW_FLIPS[key] = bool(_draws_sort_up_pointing_up(style))  # SortUp is Qt's descending
        return _ARROW_FLIPS[key]

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logical_index: int) -> None:
        super().initStyleOptionForIndex(option, logical_index)
        if self.arrow_flipped():
            indicator = QStyleOptionHeader.SortIndicator
            if option.sortIndicator == indicator.SortUp:
                option.sortIndicator = indicator.SortDown
            elif option.sortIndicator == indicator.SortDown:
                option.sortIndicator = indicator.SortUp


def widest_date_texts() -> list[str]:
    """Every shape a Date cell can take at its widest (relative_datetime): each weekday, Today, Yesterday, and a
    two-digit day of each month (digits are as wide as each other in the fonts lists use)."""
    return ([f"{name} 00:00" for name in (*WEEKDAY_NAMES, "Today", "Yesterday")]
            + [f"28 {month[:3]} 2026 00:00" for month in MONTH_NAMES])


class MemoList(QTableView):
    memo_selected = Signal(int)
    delete_requested = Signal(list)  # memo ids: to the trash
    restore_requested = Signal(list)  # memo ids: out of the trash

    def __init__(self, parent=None):
        super().__init__(parent)
        self.showing_trash = False  # the list shows "Recently deleted": Delete does nothing, Restore is offered
        self._quiet = False  # no memo_selected while the rows are replaced or a memo is selected silently
        self.setHorizontalHeader(SortHeader(self))
        self._title_share = DEFAULT_TITLE_SHARE  # Title's part of the width Date and Duration leave
        self._fitting = False
        self._measured: tuple[str, int, int] | None = None  # (font, date width, duration width)
        self.memo_model = MemoModel(self)
        self.setModel(self.memo_model)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setTabKeyNavigation(False)  # Tab leaves the list, as it did when it was a tree
        self.setCornerButtonEnabled(False)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.verticalHeader().setDefaultSectionSize(max(22, self.fontMetrics().height() + 6))
        header = self.horizontalHeader()
        header.setStretchLastSection(False)  # First line takes what Title leaves, set by fit_columns: Qt's own
        # stretching keeps a last section at least as wide as it first was (a scrollbar when Title is widened)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DATE, QHeaderView.ResizeMode.Fixed)  # as wide as their widest text
        header.setSectionResizeMode(DURATION, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(FIRST_LINE, QHeaderView.ResizeMode.Fixed)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setAlternatingRowColors(True)
        self.setSortingEnabled(True)
        self.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setItemDelegateForColumn(FIRST_LINE, HtmlDelegate(self))
        header.sectionResized.connect(self._column_resized)
        self.fit_columns()
        self.selectionModel().currentChanged.connect(self._current_changed)

    # -- columns: never wider than the list ------------------------------------------------------

    @property
    def title_share(self) -> float:
        """Title's part (0..1) of the width Date and Duration leave (the window keeps it across launches)."""
        return self._title_share

    def set_title_share(self, share: float) -> None:
        self._title_share = min(0.9, max(0.1, float(share)))
        self.fit_columns()

    def content_widths(self) -> tuple[int, int]:
        """Date's and Duration's widths: their widest possible text (measured once per font), or their header's
        label with room for the sort arrow if that is wider."""
        key = self.font().key()
        if self._measured is None or self._measured[0] != key:
            margin = 2 * (self.style().pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, self) + 1) + 4
            metrics = self.fontMetrics()
            self._measured = (key, max(metrics.horizontalAdvance(text) for text in widest_date_texts()) + margin,
                              max(metrics.horizontalAdvance(text) for text in ("0:00:00", "00:00")) + margin)
        header = self.horizontalHeader()
        return (max(self._measured[1], header.sectionSizeFromContents(DATE).width()),
                max(self._measured[2], header.sectionSizeFromContents(DURATION).width()))

    def fit_columns(self) -> None:
        """Date and Duration as wide as their texts, Title its share of the rest, First line what is left: the
        columns are as wide as the list, never wider (no horizontal scrollbar)."""
        if self._fitting or self.model() is None:
            return
        header = self.horizontalHeader()
        date, duration = self.content_widths()
        free = max(0, self.viewport().width() - date - duration)
        least = header.minimumSectionSize()
        title = max(least, min(round(free * self._title_share), free - least))
        self._set_widths({DATE: date, DURATION: duration, TITLE: title, FIRST_LINE: max(least, free - title)})

    def _set_widths(self, widths: dict[int, int]) -> None:
        header = self.horizontalHeader()
        self._fitting = True
        try:
            for column, width in widths.items():
                if header.sectionSize(column) != width:
                    header.resizeSection(column, width)
        finally:
            self._fitting = False

    def _column_resized(self, column: int, old: int, new: int) -> None:
        if self._fitting or column != TITLE:
            return
        date, duration = self.content_widths()  # the user dragged Title's edge: its new share is kept
        free = self.viewport().width() - date - duration
        least = self.horizontalHeader().minimumSectionSize()
        if free < 2 * least:
            return
        title = max(least, min(new, free - least))  # never past the list's edge
        self._title_share = min(0.9, max(0.1, title / free))
        self._set_widths({TITLE: title, FIRST_LINE: free - title})

    def updateGeometries(self) -> None:
        super().updateGeometries()
        self.fit_columns()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self.fit_columns()

    def changeEvent(self, event) -> None:
        super().changeEvent(event)
        if event.type() in (event.Type.FontChange, event.Type.StyleChange):
            self._measured = None
            self.fit_columns()

    def show_memos(self, memos, snippets: dict[int, str] | None = None, matched: dict[int, str] | None = None,
                   titles: dict[int, str] | None = None) -> None:
        """Fill the list; with `snippets` (search results) the first-line column shows the highlighted hit, after
        how it was found (`matched`: by words, meaning or both), and the rows keep their rank order (the columns
        do not sort them)."""
        current = self.current_memo_id()
        header = self.horizontalHeader()
        self._quiet = True
        try:
            self.memo_model.set_memos(memos, snippets, matched, titles)
        finally:
            self._quiet = False
        header.setSortIndicatorShown(snippets is None)
        header.setSectionsClickable(snippets is None)
        if current is not None:
            self.select_memo(current, emit=False)

    # -- one memo changed: one row ---------------------------------------------------------------

    def update_memo(self, memo) -> bool:
        """A listed memo's new state (its row repainted, or moved if the sort says so); False if not listed."""
        current = self.current_memo_id()
        self._quiet = True  # a row that moves is taken out and put back: the current memo stays open
        try:
            changed = self.memo_model.update_memo(memo)
        finally:
            self._quiet = False
        if changed and current == memo.id and self.current_memo_id() != memo.id:
            self.select_memo(memo.id, emit=False)  # it moved: still the current one
        return changed

    def insert_memo(self, memo) -> None:
        self.memo_model.insert_memo(memo)

    def remove_memo(self, memo_id: int) -> bool:
        """Take a memo's row out; if it was the current one, no other row becomes current (as after a refill)."""
        was_current = self.current_memo_id() == memo_id
        self._quiet = True
        try:
            removed = self.memo_model.remove_memo(memo_id)
            if removed and was_current:
                self.selectionModel().clear()
        finally:
            self._quiet = False
        return removed

    def row_count(self) -> int:
        return self.memo_model.rowCount()

    # -- reading the list --------------------------------------------------------------------------

    def memo_ids(self) -> list[int]:
        return [m.id for m in self.memo_model.memos()]

    def index_of(self, memo_id: int, column: int = TITLE) -> QModelIndex:
        row = self.memo_model.row_of(memo_id)
        return QModelIndex() if row is None else self.memo_model.index(row, column)

    def selected_memo_ids(self) -> list[int]:
        rows = sorted(index.row() for index in self.selectionModel().selectedRows())
        return [self.memo_model.memo_at(row).id for row in rows]

    def current_memo_id(self) -> int | None:
        index = self.currentIndex()
        return None if not index.isValid() else self.memo_model.memo_at(index.row()).id

    def select_memo(self, memo_id: int, emit: bool = True) -> bool:
        index = self.index_of(memo_id)
        if not index.isValid():
            return False
        self._quiet = not emit
        try:
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                                                  | QItemSelectionModel.SelectionFlag.Rows)
        finally:
            self._quiet = False
        self.scrollTo(index)
        return True

    def select_memos(self, memo_ids: list[int]) -> bool:
        """Select exactly the listed ones of `memo_ids` (the first of them current and opened); False if any
        of them is not listed."""
        indexes = [index for index in map(self.index_of, memo_ids) if index.isValid()]
        if not indexes:
            self.selectionModel().clearSelection()
            return not memo_ids
        first = min(indexes, key=lambda index: index.row())
        self.select_memo(self.memo_model.memo_at(first.row()).id)
        selection = QItemSelection()
        for index in indexes:
            selection.select(index, index)
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select
                                     | QItemSelectionModel.SelectionFlag.Rows)
        return len(indexes) == len(memo_ids)

    # -- keys and menus --------------------------------------------------------------------------

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
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        index = self.currentIndex() if keyboard else self.indexAt(event.pos())
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)
        position = self.visualRect(index).center() if keyboard else event.pos()
        self.memo_menu().exec(self.viewport().mapToGlobal(position))

    def _current_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        if current.isValid() and not self._quiet:
            self.memo_selected.emit(self.memo_model.memo_at(current.row()).id)


def memo_ids_from_mime(mime: QMimeData) -> list[int]:
    if not mime.hasFormat(MEMO_IDS_MIME):
        return []
    raw = bytes(mime.data(MEMO_IDS_MIME)).decode()
    return [int(part) for part in raw.split(",") if part.strip().isdigit()]
