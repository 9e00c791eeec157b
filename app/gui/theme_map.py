"""The theme map: every memo a dot where its meaning puts it (app/map_layout.py keeps the layout from one
launch to the next), coloured by broad theme, its sub-themes in shades of that colour, every theme labelled at
its centre; the open memo is ringed, and a click opens a memo."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from app.map_layout import MapPoints

MARGIN = 28
LEGEND_HEIGHT = 20
DOT_RADIUS = 6
UNSORTED_COLOUR = "#9ca3af"


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
        self._placed_labels: tuple[tuple, list] | None = None  # (the size they were placed for, the labels)
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)

    def set_points(self, points: MapPoints) -> None:
        self.points = points
        self.colours = theme_colours(points)
        self._placed_labels = None
        self.loading = False
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

    # -- geometry -----------------------------------------------------------------------------------

    def _positions(self) -> np.ndarray:
        width, height = self.width() - 2 * MARGIN, self.height() - 2 * MARGIN - LEGEND_HEIGHT
        xy = self.points.xy
        if len(xy) == 0:
            return np.zeros((0, 2))
        return np.column_stack([MARGIN + xy[:, 0] * width, MARGIN + (1 - xy[:, 1]) * height])

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
        """Every theme with memos on the map, at the median of its memos' dots (a broad theme's include its
        sub-themes'), broad themes first, larger first."""
        positions = self._positions()
        members: dict[int, list[int]] = {}
        for row, theme_id in enumerate(self.points.theme_ids):
            if theme_id is None:
                continue
            members.setdefault(theme_id, []).append(row)
            broad = self.points.broad_of(theme_id)
            if broad != theme_id:
                members.setdefault(broad, []).append(row)
        with_subs = {self.points.broad_of(t) for t in self.points.theme_ids if self.points.broad_of(t) != t}
        labels = []
        for theme_id, rows in members.items():
            if theme_id not in self.points.theme_names:
                continue
            dots = positions[rows]
            centre = np.median(dots, axis=0)  # a theme split in two clumps: by the larger one
            distance = np.linalg.norm(dots - centre, axis=1)
            core = dots[distance <= np.median(distance)]
            broad = self.points.broad_of(theme_id) == theme_id
            labels.append(ThemeLabel(theme_id, self.points.theme_names[theme_id], QPointF(*centre), broad,
                                     len(rows), float(core[:, 1].min()) - DOT_RADIUS - 1,
                                     float(core[:, 1].max()) + DOT_RADIUS + 1, theme_id in with_subs))
        return sorted(labels, key=lambda label: (not label.broad, -label.size, label.theme_id))

    # -- painting -----------------------------------------------------------------------------------

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.points.memo_ids:
            painter.setPen(QColor("#6b7280"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "Laying out the map…" if self.loading else
                             "The map appears once memos are transcribed and organised.")
            return
        positions = self._positions()
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        selected_row = None
        for row, theme_id in enumerate(self.points.theme_ids):
            if self.points.memo_ids[row] == self.selected_memo:
                selected_row = row
                continue
            painter.setBrush(self.colour_of(theme_id))
            painter.drawEllipse(QPointF(*positions[row]), DOT_RADIUS, DOT_RADIUS)
        self._paint_labels(painter)
        if selected_row is not None:  # last, above the labels: the open memo is always visible
            centre = QPointF(*positions[selected_row])
            painter.setBrush(self.colour_of(self.points.theme_ids[selected_row]))
            painter.setPen(QPen(QColor("#ffffff"), 2))
            painter.drawEllipse(centre, DOT_RADIUS + 2, DOT_RADIUS + 2)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor("#111827"), 2.5))
            painter.drawEllipse(centre, DOT_RADIUS + 5, DOT_RADIUS + 5)
        self._paint_legend(painter)

    def _label_fonts(self) -> tuple[QFont, QFont]:
        broad = QFont(self.font())
        broad.setBold(True)
        broad.setPointSizeF(self.font().pointSizeF() * 1.15)
        sub = QFont(self.font())
        sub.setPointSizeF(self.font().pointSizeF() * 0.95)
        return broad, sub

    def label_rects(self) -> list[tuple[ThemeLabel, QRectF]]:
        """Where each label goes, centred on its theme: just above its dots (below, if taken), so the label
        does not hide them; a broad theme's region label right at the centre. Of the spots near, the one
        covering no other label and the fewest dots. Placed again only when the points or the size change."""
        wanted = (self.width(), self.height())
        if self._placed_labels is None or self._placed_labels[0] != wanted:
            self._placed_labels = (wanted, self._place_labels())
        return self._placed_labels[1]

    def _place_labels(self) -> list[tuple[ThemeLabel, QRectF]]:
        broad_font, sub_font = self._label_fonts()
        placed: list[tuple[ThemeLabel, QRectF]] = []
        bounds = QRectF(self.rect()).adjusted(2, 2, -2, -LEGEND_HEIGHT - 4)
        positions = self._positions()
        for label in self.labels():
            metrics = QFontMetricsF(broad_font if label.broad else sub_font)
            width, height = metrics.horizontalAdvance(label.text) + 6, metrics.height() + 2
            tops = [label.top - height, label.bottom, label.top - 2 * height, label.bottom + height]
            middle = label.centre.y() - height / 2
            tops = [middle, middle - height, middle + height] + tops if label.region else tops + [middle]
            best, best_cost = None, None
            for rank, top in enumerate(tops):
                rect = QRectF(label.centre.x() - width / 2, top, width, height)
                rect.moveLeft(min(max(rect.left(), bounds.left()), bounds.right() - width))
                rect.moveTop(min(max(rect.top(), bounds.top()), bounds.bottom() - height))
                # covering another label is worst, then every dot hidden, then being further from the first spot
                covered = ((positions[:, 0] > rect.left() - 2) & (positions[:, 0] < rect.right() + 2)
                           & (positions[:, 1] > rect.top() - 2) & (positions[:, 1] < rect.bottom() + 2)).sum()
                cost = 1000 * sum(rect.intersects(other) for _, other in placed) + covered + 0.5 * rank
                if best_cost is None or cost < best_cost:
                    best, best_cost = rect, cost
            placed.append((label, best))
        return placed

    def _paint_labels(self, painter: QPainter) -> None:
        broad_font, sub_font = self._label_fonts()
        for label, rect in self.label_rects():
            font = broad_font if label.broad else sub_font
            colour = QColor("#111827") if label.broad else self.colour_of(label.theme_id).darker(190)
            path = QPainterPath()
            metrics = QFontMetricsF(font)
            baseline = QPointF(rect.left() + 3, rect.top() + 1 + metrics.ascent())
            path.addText(baseline, font, label.text)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(QPen(QColor(255, 255, 255, 230), 4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                                Qt.PenJoinStyle.RoundJoin))
            painter.drawPath(path)  # a white halo keeps the label readable over the dots
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawPath(path)

    def _paint_legend(self, painter: QPainter) -> None:
        """The broad themes' colours along the bottom, as many as fit."""
        x, y = MARGIN, self.height() - LEGEND_HEIGHT / 2 - 4
        shown = {self.points.broad_of(t) for t in self.points.theme_ids}
        broad = [label.theme_id for label in self.labels() if label.broad]
        entries = [(t, self.points.theme_names[t]) for t in broad if t in shown]
        if None in shown:
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

    # -- mouse --------------------------------------------------------------------------------------

    def mouseMoveEvent(self, event) -> None:
        row = self.dot_at(event.position())
        if row is None:
            QToolTip.hideText()
            self.unsetCursor()
        else:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            theme_id = self.points.theme_ids[row]
            where = "Unsorted" if theme_id is None else self._theme_path(theme_id)
            QToolTip.showText(event.globalPosition().toPoint(), f"{self.points.titles[row]}\n{where}", self)

    def _theme_path(self, theme_id: int) -> str:
        broad = self.points.broad_of(theme_id)
        name = self.points.theme_names.get(theme_id, "")
        return name if broad == theme_id else f"{self.points.theme_names.get(broad, '')} › {name}"

    def mousePressEvent(self, event) -> None:
        row = self.dot_at(event.position())
        if row is not None:
            self.memo_clicked.emit(self.points.memo_ids[row])
