"""The theme map: every memo's embedding projected to 2-D (PCA), dots coloured by theme; click opens a memo."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QToolTip, QWidget

from app.display import memo_title

MARGIN = 28
DOT_RADIUS = 6


@dataclass
class MapPoints:
    memo_ids: list[int] = field(default_factory=list)
    xy: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))  # in [0, 1]
    theme_ids: list[int | None] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    theme_names: dict[int, str] = field(default_factory=dict)


def project(vectors: np.ndarray) -> np.ndarray:
    """The first two principal components of `vectors`, scaled into [0, 1] (PCA by SVD, deterministic)."""
    if len(vectors) == 0:
        return np.zeros((0, 2))
    centred = vectors - vectors.mean(axis=0)
    if len(vectors) == 1:
        return np.full((1, 2), 0.5)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    components = vt[:2]
    # SVD signs are arbitrary: fix them so the map does not flip between refreshes.
    signs = np.sign(components[np.arange(len(components)), np.abs(components).argmax(axis=1)])
    xy = centred @ (components * signs[:, None]).T
    if xy.shape[1] == 1:
        xy = np.column_stack([xy, np.zeros(len(xy))])
    low, high = xy.min(axis=0), xy.max(axis=0)
    return (xy - low) / np.where(high - low > 1e-9, high - low, 1.0)


def load_map_points(db) -> MapPoints:
    """Read every embedded memo and project it (runs in a background job)."""
    from organize.embeddings import MODEL_NAME
    from storage import memos as store
    from storage import organizing as org

    ids, vectors = org.load_embeddings(db, MODEL_NAME)
    memos = {memo.id: memo for memo in store.list_memos(db)}
    return MapPoints(
        memo_ids=ids, xy=project(vectors),
        theme_ids=[memos[i].theme_id if i in memos else None for i in ids],
        titles=[memo_title(memos[i]) if i in memos else str(i) for i in ids],
        theme_names={t.id: t.name for t in org.list_themes(db)},
    )


def theme_colour(theme_id: int | None) -> QColor:
    if theme_id is None:
        return QColor("#9ca3af")
    return QColor.fromHsv((theme_id * 137) % 360, 170, 215)


class ThemeMap(QWidget):
    memo_clicked = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.points = MapPoints()
        self.setMouseTracking(True)
        self.setMinimumSize(200, 200)

    def set_points(self, points: MapPoints) -> None:
        self.points = points
        self.update()

    def dot_position(self, row: int) -> QPointF:
        x, y = self.points.xy[row]
        width, height = self.width() - 2 * MARGIN, self.height() - 2 * MARGIN - 20
        return QPointF(MARGIN + x * width, MARGIN + (1 - y) * height)

    def dot_at(self, position: QPointF) -> int | None:
        best, best_distance = None, (DOT_RADIUS + 4) ** 2
        for row in range(len(self.points.memo_ids)):
            delta = self.dot_position(row) - position
            distance = delta.x() ** 2 + delta.y() ** 2
            if distance <= best_distance:
                best, best_distance = row, distance
        return best

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if not self.points.memo_ids:
            painter.setPen(QColor("#6b7280"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter,
                             "The map appears once memos are transcribed and organised.")
            return
        painter.setPen(QPen(QColor("#ffffff"), 1.5))
        for row, theme_id in enumerate(self.points.theme_ids):
            painter.setBrush(theme_colour(theme_id))
            painter.drawEllipse(self.dot_position(row), DOT_RADIUS, DOT_RADIUS)
        # legend along the bottom
        x = MARGIN
        y = self.height() - 16
        present = [t for t in self.points.theme_names if t in set(self.points.theme_ids)]
        for theme_id in present + ([None] if None in self.points.theme_ids else []):
            name = self.points.theme_names.get(theme_id, "Unsorted")
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme_colour(theme_id))
            painter.drawEllipse(QPointF(x + 5, y), 5, 5)
            painter.setPen(QColor("#374151"))
            width = painter.fontMetrics().horizontalAdvance(name)
            painter.drawText(QRectF(x + 14, y - 9, width + 4, 18), Qt.AlignmentFlag.AlignVCenter, name)
            x += width + 32

    def mouseMoveEvent(self, event) -> None:
        row = self.dot_at(event.position())
        if row is None:
            QToolTip.hideText()
            self.unsetCursor()
        else:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
            QToolTip.showText(event.globalPosition().toPoint(), self.points.titles[row], self)

    def mousePressEvent(self, event) -> None:
        row = self.dot_at(event.position())
        if row is not None:
            self.memo_clicked.emit(self.points.memo_ids[row])
