"""The theme map: every memo a dot where its meaning puts it (app/map_layout.py keeps the layout from one
launch to the next, computed in a job), coloured by broad theme, its sub-themes in shades of that colour, each
theme labelled at its centre where its label fits; the open memo is ringed, and a click opens a memo.

Level of detail, so that 20,000 memos paint as quickly as 200: while more than DOT_LIMIT dots are in view the
map shows where memos are dense (cells of CELL px in the colour of the theme most of their memos are in, more
opaque where there are more) instead of dots; scrolling zooms in about the pointer (a click on a dense spot
zooms too) until the dots are few enough to draw. Labels that would cover another are left out until zooming in
makes room: broad themes are placed first, then larger sub-themes. Dots, labels and legend are drawn once per
view into an image; a repaint (hover, the open memo's ring) only copies it."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QImage, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from app.map_layout import MapPoints, theme_spots

MARGIN = 28
LEGEND_HEIGHT = 20
HINT_HEIGHT = 18  # the line at the top saying how to zoom
DOT_RADIUS = 6
UNSORTED_COLOUR = "#9ca3af"
DOT_LIMIT = 2500  # dots in view above which the map shows density instead
CELL = 9  # px: a density cell
MAX_ZOOM = 64.0
ZOOM_STEP = 1.25  # per wheel notch or + / - key
CLICK_SLOP = 4  # px a press may move and still be a click, not a drag
GRID = 4  # px: the cells in which label placement counts dots and covered ground
HALO_OFFSETS = [(dx, dy) for dx in (-1.5, 0, 1.5) for dy in (-1.5, 0, 1.5) if dx or dy]
HINT = "Scroll to zoom · drag to move · double-click an empty spot to see all"


def theme_colours(points: MapPoints) -> dict[int | None, QColor]:
    """A hue per broad theme (spread by the golden angle, in id order so a colour stays with its theme);
    its sub-themes are lighter and darker shades of it. Unsorted is grey."""
    colours: dict[int | None, QColor] = {None: QColor(UNSORTED_COLOUR)}
    broad = sorted(t for t, parent in points.parents.items() if parent is None or parent not in points.parents)
    for rank, theme_id in enumerate(broad):
        hue = (rank * 137.508 + 210) % 360
        colours[theme_id] = QColor.fromHslF(hue / 360, 0.62, 0.50)
        subs = sorted(t for t, parent in points.parents.items() if parent == theme_id)
        for index, sub in enumerate(subs):
            # lightness alternates either side of the parent's, further out for later sub-themes
            step = (index // 2 + 1) / (len(subs) // 2 + 1)
            lightness = 0.50 + (0.22 if index % 2 == 0 else -0.17) * step
            shift = (6 if index % 2 == 0 else -6) * (index // 2 + 1)
            colours[sub] = QColor.fromHslF(((hue + shift) % 360) / 360, 0.58, lightness)
    return colours


@dataclass
class ThemeLabel:
    theme_id: int
    text: str
    centre: QPointF
    broad: bool
    size: int
    top: float = 0.0  # the upper and lower edges of the theme's core dots (the half nearest its centre)
    bottom: float = 0.0
    region: bool = False  # a broad theme with sub-themes: its label names the region, not one clump


class ThemeMap(QWidget):
    memo_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points = MapPoints()
        self.selected_memo: int | None = None
        self.colours: dict[int | None, QColor] = {}
        self.loading = False
        self.zoom = 1.0
        self.centre = (0.5, 0.5)  # the map point at the middle of the view, in the map's [0, 1] units
        self._spots = []  # app.map_layout.ThemeSpot, broad first, larger first
        self._colour_index = np.zeros(0, dtype=np.int64)  # per memo: its colour's place in _palette
        self._palette: list[QColor] = []
        self._positions_cache: tuple[tuple, np.ndarray] | None = None
        self._placed_labels: tuple[tuple, list] | None = None
        self._image: tuple[tuple, QImage] | None = None  # (the view it was drawn for, dots + labels + legend)
        self._label_images: dict[tuple, QImage] = {}
        self._density: tuple[int, np.ndarray] | None = None  # (columns, memos per cell) of the density shown
        self._press: tuple[QPointF, tuple[float, float]] | None = None
        self._dragged = False
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumSize(200, 200)

    def set_points(self, points: MapPoints) -> None:
        self.points = points
        self.colours = theme_colours(points)
        themes = sorted({t for t in points.theme_ids if t is not None})
        self._palette = [self.colour_of(None)] + [self.colour_of(t) for t in themes]
        index = {t: i + 1 for i, t in enumerate(themes)}
        self._colour_index = np.array([index.get(t, 0) if t is not None else 0 for t in points.theme_ids],
                                      dtype=np.int64)
        self._spots = points.spots if points.spots is not None else theme_spots(points)
        self._label_images = {}  # names and colours may have changed
        self.loading = False
        self._forget_view()
        self.update()

    def set_loading(self, loading: bool) -> None:
        """A layout is being computed (the first one of a big library takes seconds)."""
        self.loading = loading
        self.update()

    def set_selected(self, memo_id: int | None) -> None:
        """Ring the open memo's dot."""
        if memo_id != self.selected_memo:
            self.selected_memo = memo_id
            self.update()

    def colour_of(self, theme_id: int | None) -> QColor:
        return self.colours.get(theme_id, QColor(UNSORTED_COLOUR))

    # -- the view: zoom and pan -----------------------------------------------------------------------

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Zoom in (factor > 1) or out keeping the map point under `anchor` (default: the middle) in place."""
        width, height = self._plot_size()
        anchor = anchor or QPointF(MARGIN + width / 2, MARGIN + height / 2)
        ax, ay = (anchor.x() - MARGIN) / width - 0.5, (anchor.y() - MARGIN) / height - 0.5
        under = (self.centre[0] + ax / self.zoom, self.centre[1] - ay / self.zoom)
        zoom = float(np.clip(self.zoom * factor, 1.0, MAX_ZOOM))
        self._set_view(zoom, (under[0] - ax / zoom, under[1] + ay / zoom))

    def reset_view(self) -> None:
        self._set_view(1.0, (0.5, 0.5))

    def _set_view(self, zoom: float, centre: tuple[float, float]) -> None:
        half = 0.5 / zoom  # the view never leaves the map
        centre = tuple(float(np.clip(c, half, 1 - half)) for c in centre)
        if (zoom, centre) != (self.zoom, self.centre):
            self.zoom, self.centre = zoom, centre
            self._forget_view()
            self.update()

    def _forget_view(self) -> None:
        self._positions_cache = self._placed_labels = self._image = None

    def _plot_size(self) -> tuple[float, float]:
        return max(1, self.width() - 2 * MARGIN), max(1, self.height() - 2 * MARGIN - LEGEND_HEIGHT)

    def _view_key(self) -> tuple:
        return self.width(), self.height(), self.zoom, self.centre, self.devicePixelRatioF()

    def _to_view(self, xy: np.ndarray) -> np.ndarray:
        width, height = self._plot_size()
        return np.column_stack([MARGIN + ((xy[:, 0] - self.centre[0]) * self.zoom + 0.5) * width,
                                MARGIN + (0.5 - (xy[:, 1] - self.centre[1]) * self.zoom) * height])

    # -- geometry -----------------------------------------------------------------------------------

    def _positions(self) -> np.ndarray:
        key = self._view_key()
        if self._positions_cache is None or self._positions_cache[0] != key:
            xy = self.points.xy
            self._positions_cache = (key, self._to_view(xy) if len(xy) else np.zeros((0, 2)))
        return self._positions_cache[1]

    def _in_view(self, positions: np.ndarray, slack: float = DOT_RADIUS + 2) -> np.ndarray:
        return ((positions[:, 0] > -slack) & (positions[:, 0] < self.width() + slack)
                & (positions[:, 1] > -slack) & (positions[:, 1] < self.height() - LEGEND_HEIGHT + slack))

    def shows_dots(self) -> bool:
        """Dots, not density: few enough memos in view."""
        return int(self._in_view(self._positions()).sum()) <= DOT_LIMIT

    def dot_position(self, row: int) -> QPointF:
        x, y = self._positions()[row]
        return QPointF(x, y)

    def dot_at(self, position: QPointF) -> int | None:
        positions = self._positions()
        if len(positions) == 0:
            return None
        distances = ((positions - [position.x(), position.y()]) ** 2).sum(axis=1)
        row = int(np.argmin(distances))
        return row if distances[row] <= (DOT_RADIUS + 4) ** 2 else None

    def labels(self) -> list[ThemeLabel]:
        """Every theme with memos on the map, at its centre in the current view, broad themes first, larger first."""
        if not self._spots:
            return []
        centres = self._to_view(np.array([spot.centre for spot in self._spots]))
        _, height = self._plot_size()
        labels = []
        for spot, (x, y) in zip(self._spots, centres):
            top = y - (spot.core_high - spot.centre[1]) * self.zoom * height - DOT_RADIUS - 1
            bottom = y + (spot.centre[1] - spot.core_low) * self.zoom * height + DOT_RADIUS + 1
            labels.append(ThemeLabel(spot.theme_id, spot.text, QPointF(x, y), spot.broad, spot.size, top, bottom,
                                     spot.region))
        return labels

    def label_rects(self) -> list[tuple[ThemeLabel, QRectF]]:
        """Where each shown label goes, centred on its theme: just above its dots (below, if taken), so the label
        does not hide them; a broad theme's region label right at the centre. Of the spots near, the one covering
        the fewest dots; a label that would cover another one is left out (zooming in makes room). Placed again
        only when the points or the view change."""
        key = self._view_key()
        if self._placed_labels is None or self._placed_labels[0] != key:
            self._placed_labels = (key, self._place_labels())
        return self._placed_labels[1]

    def _place_labels(self) -> list[tuple[ThemeLabel, QRectF]]:
        broad_font, sub_font = self._label_fonts()
        metrics = {True: QFontMetricsF(broad_font), False: QFontMetricsF(sub_font)}
        bounds = QRectF(self.rect()).adjusted(2, HINT_HEIGHT + 2, -2, -LEGEND_HEIGHT - 4)
        columns, rows = int(self.width() // GRID) + 2, int(self.height() // GRID) + 2
        # dots per grid cell, summed (an integral image): the dots under any rectangle in four lookups
        positions = self._positions()
        inside = self._in_view(positions, 0)
        cells = np.zeros((rows + 1, columns + 1))
        if inside.any():
            cx = np.clip((positions[inside, 0] // GRID).astype(int), 0, columns - 1)
            cy = np.clip((positions[inside, 1] // GRID).astype(int), 0, rows - 1)
            np.add.at(cells, (cy + 1, cx + 1), 1)
        dots = cells.cumsum(axis=0).cumsum(axis=1)
        taken = np.zeros((rows, columns), dtype=bool)  # ground covered by labels placed so far

        def span(rect: QRectF) -> tuple[int, int, int, int]:
            return (max(0, int(rect.top() // GRID)), min(rows, int(rect.bottom() // GRID) + 1),
                    max(0, int(rect.left() // GRID)), min(columns, int(rect.right() // GRID) + 1))

        placed: list[tuple[ThemeLabel, QRectF]] = []
        for label in self.labels():
            if not bounds.contains(label.centre):
                continue
            font_metrics = metrics[label.broad]
            width, height = font_metrics.horizontalAdvance(label.text) + 6, font_metrics.height() + 2
            tops = [label.top - height, label.bottom, label.top - 2 * height, label.bottom + height]
            middle = label.centre.y() - height / 2
            tops = [middle, middle - height, middle + height] + tops if label.region else tops + [middle]
            best, best_cost = None, None
            for rank, top in enumerate(tops):
                rect = QRectF(label.centre.x() - width / 2, top, width, height)
                rect.moveLeft(min(max(rect.left(), bounds.left()), bounds.right() - width))
                rect.moveTop(min(max(rect.top(), bounds.top()), bounds.bottom() - height))
                r0, r1, c0, c1 = span(rect)
                if taken[r0:r1, c0:c1].any():
                    continue
                covered = dots[r1, c1] - dots[r0, c1] - dots[r1, c0] + dots[r0, c0]
                cost = covered + 0.5 * rank
                if best_cost is None or cost < best_cost:
                    best, best_cost = rect, cost
            if best is not None:
                r0, r1, c0, c1 = span(best)
                taken[r0:r1, c0:c1] = True
                placed.append((label, best))
        return placed

    # -- painting -----------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        if not self.points.memo_ids:
            painter.fillRect(self.rect(), QColor("#ffffff"))
            painter.setPen(QColor("#6b7280"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Laying out the map…" if self.loading else
                             "The map appears once memos are transcribed and organised.")
            return
        key = self._view_key()
        if self._image is None or self._image[0] != key:
            self._image = (key, self._draw_view())
        painter.drawImage(0, 0, self._image[1])
        self._paint_selected(painter)

    def _draw_view(self) -> QImage:
        ratio = self.devicePixelRatioF()
        image = QImage(int(self.width() * ratio), int(self.height() * ratio), QImage.Format.Format_ARGB32_Premultiplied)
        image.setDevicePixelRatio(ratio)
        image.fill(QColor("#ffffff"))
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.shows_dots():
            self._paint_dots(painter)
        else:
            self._paint_density(painter)
        self._paint_labels(painter)
        self._paint_legend(painter)
        self._paint_hint(painter)
        painter.end()
        return image

    def _paint_dots(self, painter: QPainter) -> None:
        positions = self._positions()
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        for row in np.flatnonzero(self._in_view(positions)):
            painter.setBrush(self._palette[self._colour_index[row]])
            painter.drawEllipse(QPointF(*positions[row]), DOT_RADIUS, DOT_RADIUS)

    def _paint_density(self, painter: QPainter) -> None:
        """Each CELL-px cell in the colour of the theme most of its memos are in, more opaque the more memos."""
        positions = self._positions()
        inside = self._in_view(positions, 0)
        columns, rows = int(np.ceil(self.width() / CELL)), int(np.ceil(self.height() / CELL))
        cx = np.clip((positions[inside, 0] // CELL).astype(np.int64), 0, columns - 1)
        cy = np.clip((positions[inside, 1] // CELL).astype(np.int64), 0, rows - 1)
        cell = cy * columns + cx
        colours = len(self._palette)
        pairs, pair_counts = np.unique(cell * colours + self._colour_index[inside], return_counts=True)
        pair_cell = pairs // colours
        order = np.lexsort((pair_counts, pair_cell))  # by cell, then count: a cell's last pair is its theme
        last = np.r_[pair_cell[order][1:] != pair_cell[order][:-1], True]
        dominant = order[last]
        counts = np.bincount(cell, minlength=rows * columns)
        colour_of_cell = np.zeros(rows * columns, dtype=np.int64)
        colour_of_cell[pair_cell[dominant]] = pairs[dominant] % colours
        rgb = np.array([colour.getRgb()[:3] for colour in self._palette], dtype=np.float64)[colour_of_cell]
        alpha = np.where(counts > 0, 0.30 + 0.70 * np.log1p(counts) / np.log1p(max(1, counts.max())), 0.0)
        # premultiplied ARGB32 as bytes in memory order (little-endian: blue, green, red, alpha)
        pixels = np.empty((rows * columns, 4), dtype=np.uint8)
        pixels[:, 0], pixels[:, 1], pixels[:, 2] = (rgb[:, 2] * alpha), (rgb[:, 1] * alpha), (rgb[:, 0] * alpha)
        pixels[:, 3] = alpha * 255
        buffer = np.ascontiguousarray(pixels.reshape(rows, columns, 4))
        cells = QImage(buffer.data, columns, rows, columns * 4, QImage.Format.Format_ARGB32_Premultiplied)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        painter.drawImage(QRectF(0, 0, columns * CELL, rows * CELL), cells)
        painter.restore()
        self._density = (columns, counts)

    def _paint_hint(self, painter: QPainter) -> None:
        shown = int(self._in_view(self._positions(), 0).sum())
        text = HINT if shown == len(self.points.memo_ids) else f"{shown:,} of {len(self.points.memo_ids):,} memos in view · {HINT}"
        text = painter.fontMetrics().elidedText(text, Qt.TextElideMode.ElideLeft, self.width() - 2 * MARGIN)
        width = painter.fontMetrics().horizontalAdvance(text) + 8
        area = QRectF(self.width() - MARGIN - width, 2, width, HINT_HEIGHT)
        painter.fillRect(area, QColor(255, 255, 255, 220))
        painter.setPen(QColor("#6b7280"))
        painter.drawText(area, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_selected(self, painter: QPainter) -> None:
        """The open memo, above everything: its dot, ringed in dark ink."""
        if self.selected_memo is None or self.selected_memo not in self.points.memo_ids:
            return
        row = self.points.memo_ids.index(self.selected_memo)
        centre = self.dot_position(row)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setBrush(self.colour_of(self.points.theme_ids[row]))
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.drawEllipse(centre, DOT_RADIUS + 2, DOT_RADIUS + 2)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor("#111827"), 2.5))
        painter.drawEllipse(centre, DOT_RADIUS + 5, DOT_RADIUS + 5)

    def _label_fonts(self) -> tuple[QFont, QFont]:
        broad = QFont(self.font())
        broad.setBold(True)
        broad.setPointSizeF(self.font().pointSizeF() * 1.15)
        sub = QFont(self.font())
        sub.setPointSizeF(self.font().pointSizeF() * 0.95)
        return broad, sub

    def _paint_labels(self, painter: QPainter) -> None:
        for label, rect in self.label_rects():
            painter.drawImage(rect.topLeft(), self._label_image(label))

    def _label_image(self, label: ThemeLabel) -> QImage:
        """The label's text with a white halo that keeps it readable over the dots, drawn once per theme and
        font (zooming and panning only move it)."""
        ratio = self.devicePixelRatioF()
        key = (label.theme_id, label.text, label.broad, ratio, self.font().key())
        image = self._label_images.get(key)
        if image is None:
            broad_font, sub_font = self._label_fonts()
            font = broad_font if label.broad else sub_font
            metrics = QFontMetricsF(font)
            width, height = metrics.horizontalAdvance(label.text) + 6, metrics.height() + 2
            image = QImage(int(np.ceil(width * ratio)), int(np.ceil(height * ratio)),
                           QImage.Format.Format_ARGB32_Premultiplied)
            image.setDevicePixelRatio(ratio)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setFont(font)
            baseline = QPointF(3, 1 + metrics.ascent())
            painter.setPen(QColor(255, 255, 255, 235))
            for dx, dy in HALO_OFFSETS:
                painter.drawText(baseline + QPointF(dx, dy), label.text)
            painter.setPen(QColor("#111827") if label.broad else self.colour_of(label.theme_id).darker(190))
            painter.drawText(baseline, label.text)
            painter.end()
            self._label_images[key] = image
        return image

    def _paint_legend(self, painter: QPainter) -> None:
        """The broad themes' colours along the bottom, larger first, as many as fit."""
        x, y = MARGIN, self.height() - LEGEND_HEIGHT / 2 - 4
        entries = [(spot.theme_id, spot.text) for spot in self._spots if spot.broad]
        if None in self.colours and any(t is None for t in self.points.theme_ids):
            entries.append((None, "Unsorted"))
        metrics = painter.fontMetrics()
        for index, (theme_id, name) in enumerate(entries):
            width = metrics.horizontalAdvance(name)
            if x + width + 14 > self.width() - MARGIN:
                painter.setPen(QColor("#6b7280"))
                painter.drawText(QRectF(x, y - 9, 120, 18), Qt.AlignmentFlag.AlignVCenter,
                                 f"+{len(entries) - index} more")
                break
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.colour_of(theme_id))
            painter.drawEllipse(QPointF(x + 5, y), 5, 5)
            painter.setPen(QColor("#374151"))
            painter.drawText(QRectF(x + 14, y - 9, width + 4, 18), Qt.AlignmentFlag.AlignVCenter, name)
            x += width + 32

    # -- mouse and keys -------------------------------------------------------------------------------

    def wheelEvent(self, event) -> None:
        notches = event.angleDelta().y() / 120
        if notches:
            self.zoom_by(ZOOM_STEP ** notches, event.position())
        event.accept()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._press, self._dragged = (event.position(), self.centre), False

    def mouseMoveEvent(self, event) -> None:
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            start, centre = self._press
            delta = event.position() - start
            if self._dragged or abs(delta.x()) + abs(delta.y()) > CLICK_SLOP:
                self._dragged = True
                width, height = self._plot_size()
                self._set_view(self.zoom, (centre[0] - delta.x() / (width * self.zoom),
                                           centre[1] + delta.y() / (height * self.zoom)))
                QToolTip.hideText()
                return
        self._hover(event)

    def mouseReleaseEvent(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton or self._press is None:
            return
        dragged, self._press = self._dragged, None
        if dragged:
            return
        if not self.shows_dots():
            self.zoom_by(2.0, event.position())  # a dense spot: closer, until the dots show
            return
        row = self.dot_at(event.position())
        if row is not None:
            self.memo_clicked.emit(self.points.memo_ids[row])

    def mouseDoubleClickEvent(self, event) -> None:
        """On an empty spot: everything again. On memos: the same as a click (Qt sends no second press)."""
        empty = self.dot_at(event.position()) is None if self.shows_dots() else not self._memos_in_cell(event.position())
        if empty:
            self.reset_view()
        else:
            self._press, self._dragged = (event.position(), self.centre), False

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(1 / ZOOM_STEP)
        elif key in (Qt.Key.Key_0, Qt.Key.Key_Home):
            self.reset_view()
        else:
            super().keyPressEvent(event)

    def _hover(self, event) -> None:
        row = self.dot_at(event.position())
        if row is None or not self.shows_dots():
            QToolTip.hideText()
            self.unsetCursor()
            here = self._memos_in_cell(event.position()) if not self.shows_dots() else 0
            if here:  # density: how many are here, and how to see them
                self.setCursor(Qt.CursorShape.CrossCursor)
                QToolTip.showText(event.globalPosition().toPoint(),
                                  f"{here} memo{'s' if here > 1 else ''} here · click or scroll to zoom in", self)
            return
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        QToolTip.showText(event.globalPosition().toPoint(), f"{self.points.titles[row]}\n{self._where(row)}", self)

    def _memos_in_cell(self, position: QPointF) -> int:
        if self._density is None or self._image is None or self._image[0] != self._view_key():
            return 0
        columns, counts = self._density
        cell = int(position.y() // CELL) * columns + int(position.x() // CELL)
        return int(counts[cell]) if 0 <= cell < len(counts) and 0 <= position.x() < columns * CELL else 0

    def _where(self, row: int) -> str:
        theme_id = self.points.theme_ids[row]
        return "Unsorted" if theme_id is None else self._theme_path(theme_id)

    def _theme_path(self, theme_id: int) -> str:
        broad = self.points.broad_of(theme_id)
        name = self.points.theme_names.get(theme_id, "")
        return name if broad == theme_id else f"{self.points.theme_names.get(broad, '')} › {name}"
