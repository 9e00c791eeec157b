"""The Timeline tab (issue 16, point 5): a heat grid of memos per broad theme (rows, largest first, Unsorted last)
per ISO week (columns, the library's first week to its last), a cell the stronger in its theme's colour the more
memos it holds; theme names on the left, months and years along the bottom. Hovering a cell names it
("Robots · week of 3 Mar 2026 · 4 memos"); a click lists its memos under the grid.

Like the theme map, the grid is drawn once per size into an image and a repaint only copies it. The cells are not
drawn one by one: app.timeline.grid_pixels builds the whole grid's pixels with numpy index lookups (520 weeks x 50
themes in a few ms), the same pixels the export writes as timeline.png."""
from __future__ import annotations

import datetime as dt

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QLabel, QToolTip, QVBoxLayout, QWidget

from app.timeline import Timeline, column_edges, grid_pixels

TOP = 10
RIGHT = 14
BOTTOM = 38  # the month and year ticks
LABEL_GAP = 8
MAX_LABEL_WIDTH = 200
MAX_ROW_HEIGHT = 26
MIN_ROW_HEIGHT = 3


class TimelineView(QWidget):
    cell_clicked = Signal(list)  # the memo ids in the cell, by day

    def __init__(self, parent=None):
        super().__init__(parent)
        self.line = Timeline()
        self.loading = False
        self.selected: tuple[int, int] | None = None  # (row, column) last clicked
        self._image: tuple[tuple, QImage] | None = None
        self._layout: tuple[tuple, tuple[float, float, int, float]] | None = None
        self.setMouseTracking(True)
        self.setMinimumSize(300, 160)

    def set_timeline(self, line: Timeline) -> None:
        self.line, self.loading, self.selected = line, False, None
        self._image = self._layout = None
        self.update()

    def set_loading(self, loading: bool) -> None:
        self.loading = loading
        self.update()

    # -- geometry -------------------------------------------------------------------------------------

    def _key(self) -> tuple:
        return self.width(), self.height(), self.devicePixelRatioF(), self.font().key()

    def grid_geometry(self) -> tuple[float, float, int, float]:
        """(left, plot width, row height, device pixel ratio): the grid starts at (left, TOP)."""
        key = self._key()
        if self._layout is None or self._layout[0] != key:
            metrics = self.fontMetrics()
            widest = max((metrics.horizontalAdvance(name) for name in self.line.rows), default=0)
            left = min(widest, MAX_LABEL_WIDTH) + 2 * LABEL_GAP
            rows = max(1, len(self.line.rows))
            row_height = int(np.clip((self.height() - TOP - BOTTOM) // rows, MIN_ROW_HEIGHT, MAX_ROW_HEIGHT))
            self._layout = (key, (left, max(1.0, self.width() - left - RIGHT), row_height, self.devicePixelRatioF()))
        return self._layout[1]

    def _device_width(self) -> int:
        _, width, _, ratio = self.grid_geometry()
        return max(1, int(width * ratio))

    def column_x(self, column: float) -> float:
        """The left edge of a column (fractional columns allowed), in widget coordinates."""
        left, width, _, ratio = self.grid_geometry()
        device = self._device_width()
        columns = max(1, len(self.line.weeks))
        return left + np.ceil(column * device / columns) / ratio  # the first device pixel of that column

    def cell_rect(self, row: int, column: int) -> QRectF:
        _, _, row_height, _ = self.grid_geometry()
        x0, x1 = self.column_x(column), self.column_x(column + 1)
        return QRectF(x0, TOP + row * row_height, x1 - x0, row_height)

    def cell_at(self, position: QPointF) -> tuple[int, int] | None:
        """The (row, column) under a point, or None outside the grid."""
        if not self.line.weeks:
            return None
        left, width, row_height, ratio = self.grid_geometry()
        x, y = position.x() - left, position.y() - TOP
        if x < 0 or y < 0 or x >= width:
            return None
        row = int(y // row_height)
        device_x = int(x * ratio)
        device = self._device_width()
        if row >= len(self.line.rows) or device_x >= device:
            return None
        return row, int(column_edges(len(self.line.weeks), device)[device_x])

    def tooltip_at(self, position: QPointF) -> str | None:
        cell = self.cell_at(position)
        return self.line.describe(*cell) if cell is not None else None

    # -- painting -------------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if not self.line.weeks:
            painter.fillRect(self.rect(), QColor("#ffffff"))
            painter.setPen(QColor("#6b7280"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Reading the library…" if self.loading else
                             "The timeline appears once memos are transcribed.")
            return
        key = self._key()
        if self._image is None or self._image[0] != key:
            self._image = (key, self.draw_image())
        painter.drawImage(0, 0, self._image[1])
        if self.selected is not None and self.selected[0] < len(self.line.rows):
            painter.setPen(QPen(QColor("#111827"), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(self.cell_rect(*self.selected).adjusted(-1, -1, 1, 1))

    def draw_image(self) -> QImage:
        """Labels, grid and ticks, drawn once per size."""
        ratio = self.devicePixelRatioF()
        image = QImage(int(self.width() * ratio), int(self.height() * ratio), QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        left, width, row_height, _ = self.grid_geometry()
        pixels = np.ascontiguousarray(grid_pixels(self.line, self._device_width(), max(1, int(row_height * ratio)),
                                                  gap=True))
        height, device_width = pixels.shape[:2]
        cells = QImage(pixels.data, device_width, height, device_width * 3, QImage.Format.Format_RGB888)
        cells.setDevicePixelRatio(ratio)
        painter.drawImage(QPointF(left, TOP), cells)  # `pixels` lives until here: QImage does not copy it
        self._paint_labels(painter, left, row_height)
        self._paint_ticks(painter, left, width, TOP + len(self.line.rows) * row_height)
        painter.end()
        return image

    def _paint_labels(self, painter: QPainter, left: float, row_height: int) -> None:
        metrics = painter.fontMetrics()
        every = max(1, int(np.ceil(metrics.height() / row_height)))  # thin rows: every n-th name
        painter.setPen(QColor("#374151"))
        for row in range(0, len(self.line.rows), every):
            text = metrics.elidedText(self.line.rows[row], Qt.TextElideMode.ElideRight, int(left - 2 * LABEL_GAP))
            rect = QRectF(LABEL_GAP, TOP + row * row_height + row_height / 2 - metrics.height() / 2,
                          left - 2 * LABEL_GAP, metrics.height())
            painter.drawText(rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, text)

    def _paint_ticks(self, painter: QPainter, left: float, width: float, bottom: float) -> None:
        """A tick at each month's first week; every month, second, quarter or half year named, as room allows;
        each year beneath (years alone when even half years are too narrow)."""
        weeks = self.line.weeks
        start, end = weeks[0], weeks[-1] + dt.timedelta(days=6)
        month_px = width / len(weeks) * 4.35
        step = next((s for s in (1, 2, 3, 6) if month_px * s >= 30), None)  # months between named ticks
        metrics = painter.fontMetrics()
        month_line = bottom + 4 + metrics.ascent()
        year_line = month_line + (metrics.height() if step else 0)
        painter.setPen(QColor("#9ca3af"))
        painter.drawLine(QPointF(left, bottom + 1), QPointF(left + width, bottom + 1))
        year, month = start.year, start.month
        first, year_room = True, -1e9  # where the last year's label ends
        while (year, month) <= (end.year, end.month):
            day = max(dt.date(year, month, 1), start)
            x = self.column_x((day - start).days // 7)
            named = step is not None and (month - 1) % step == 0
            if month_px >= 4 or month == 1 or first:
                painter.setPen(QColor("#9ca3af") if named or month == 1 or first else QColor("#d1d5db"))
                painter.drawLine(QPointF(x, bottom + 1), QPointF(x, bottom + (6 if named or month == 1 else 3)))
            if named and x + 2 + metrics.horizontalAdvance(f"{day:%b}") <= self.width():
                painter.setPen(QColor("#4b5563"))
                painter.drawText(QPointF(x + 2, month_line), f"{day:%b}")
            if (month == 1 or first) and x >= year_room:
                painter.setPen(QColor("#111827"))
                painter.drawText(QPointF(x + 2, year_line), str(year))
                year_room = x + 2 + metrics.horizontalAdvance(str(year)) + 6
            first = False
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    # -- mouse ----------------------------------------------------------------------------------------

    def mouseMoveEvent(self, event) -> None:
        cell = self.cell_at(event.position())
        if cell is None:
            QToolTip.hideText()
            self.unsetCursor()
            return
        has_memos = bool(self.line.counts[cell])
        self.setCursor(Qt.CursorShape.PointingHandCursor if has_memos else Qt.CursorShape.ArrowCursor)
        QToolTip.showText(event.globalPosition().toPoint(), self.line.describe(*cell), self)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        cell = self.cell_at(event.position())
        if cell is not None and self.line.counts[cell]:
            self.selected = cell
            self.update()
            self.cell_clicked.emit(self.line.cell_memos(*cell))


class TimelinePanel(QWidget):
    """The tab: the grid, and under it the memos of the cell last clicked (a MemoList; opening one opens it)."""
    cell_clicked = Signal(list)

    def __init__(self, parent=None):
        from app.gui.memo_list import MemoList

        super().__init__(parent)
        self.view = TimelineView()
        self.caption = QLabel()
        self.caption.setStyleSheet("color: #6b7280")
        self.memo_list = MemoList()
        self.memo_list.setDragEnabled(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 3)
        layout.addWidget(self.caption)
        layout.addWidget(self.memo_list, 2)
        self.caption.hide()
        self.memo_list.hide()
        self.stale = True  # the library changed since the timeline was read
        self.reading = False
        self.view.cell_clicked.connect(self.cell_clicked)

    def set_timeline(self, line: Timeline) -> None:
        self.view.set_timeline(line)
        self.caption.hide()
        self.memo_list.hide()

    def show_cell_memos(self, memos: list) -> None:
        """The memos of the cell clicked, as the view named it."""
        cell = self.view.selected
        self.caption.setText(self.view.line.describe(*cell) if cell is not None else f"{len(memos)} memos")
        self.memo_list.show_memos(memos)
        self.caption.show()
        self.memo_list.show()
