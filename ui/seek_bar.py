"""The seek bar: played and buffered time of the title, dragged or clicked to seek."""

from __future__ import annotations

from collections.abc import Sequence

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent
from PyQt6.QtWidgets import QSizePolicy, QToolTip, QWidget

__all__ = ["SeekBar", "format_time"]

_GROOVE = 4  # px, the bar's thickness
_HANDLE = 7  # px, the handle's radius


def format_time(seconds: float | None) -> str:
    """``m:ss`` (``h:mm:ss`` past an hour); ``--:--`` when unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "--:--"
    s = int(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class SeekBar(QWidget):
    """Shows the playhead and buffered ranges; ``seekRequested(seconds)`` when the
    viewer clicks or finishes dragging."""

    seekRequested = pyqtSignal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._duration: float | None = None
        self._position = 0.0
        self._buffered: tuple[tuple[float, float], ...] = ()
        self._drag: float | None = None
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def sizeHint(self) -> QSize:
        return QSize(400, 2 * _HANDLE + 8)

    # -- state ------------------------------------------------------------------------

    def set_duration(self, duration: float | None) -> None:
        """The title's length (None: live or unknown, the bar is inert)."""
        self._duration = duration if duration and duration > 0 else None
        self.update()

    def set_position(self, position: float) -> None:
        """Move the playhead (ignored while the viewer drags)."""
        self._position = max(0.0, position)
        self.update()

    def set_buffered(self, ranges: Sequence[tuple[float, float]]) -> None:
        """The buffered ``(start, end)`` ranges, in seconds."""
        self._buffered = tuple((float(s), float(e)) for s, e in ranges)
        self.update()

    @property
    def duration(self) -> float | None:
        """The title's length."""
        return self._duration

    @property
    def position(self) -> float:
        """The playhead shown (the drag position while dragging)."""
        return self._drag if self._drag is not None else self._position

    @property
    def buffered(self) -> tuple[tuple[float, float], ...]:
        """The buffered ranges shown."""
        return self._buffered

    # -- geometry ---------------------------------------------------------------------

    def _groove(self) -> QRectF:
        return QRectF(_HANDLE, (self.height() - _GROOVE) / 2, self.width() - 2 * _HANDLE, _GROOVE)

    def x_for(self, seconds: float) -> float:
        """The x coordinate of a time."""
        g = self._groove()
        if not self._duration:
            return g.left()
        return g.left() + g.width() * min(1.0, max(0.0, seconds / self._duration))

    def time_at(self, x: float) -> float:
        """The time under x coordinate ``x``."""
        g = self._groove()
        if not self._duration or g.width() <= 0:
            return 0.0
        return self._duration * min(1.0, max(0.0, (x - g.left()) / g.width()))

    # -- Qt ---------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            g = self._groove()
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(255, 255, 255, 45))
            p.drawRoundedRect(g, 2, 2)
            if self._duration:
                p.setBrush(QColor(255, 255, 255, 150))
                for start, end in self._buffered:
                    x0, x1 = self.x_for(start), self.x_for(end)
                    if x1 > x0:
                        p.drawRect(QRectF(x0, g.top(), x1 - x0, g.height()))
                x = self.x_for(self.position)
                p.setBrush(QColor(229, 57, 53))
                p.drawRoundedRect(QRectF(g.left(), g.top(), x - g.left(), g.height()), 2, 2)
                p.drawEllipse(QPointF(x, g.center().y()), _HANDLE, _HANDLE)
        finally:
            p.end()

    def mousePressEvent(self, event: QMouseEvent | None) -> None:
        if event is None or not self._duration:
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self._drag = self.time_at(event.position().x())
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent | None) -> None:
        if event is None or not self._duration:
            return
        t = self.time_at(event.position().x())
        if self._drag is not None:
            self._drag = t
            self.update()
        QToolTip.showText(event.globalPosition().toPoint(), format_time(t), self)

    def mouseReleaseEvent(self, event: QMouseEvent | None) -> None:
        if event is None or self._drag is None:
            return
        target = self.time_at(event.position().x())
        self._drag = None
        self._position = target
        self.update()
        self.seekRequested.emit(target)
