"""The picture: decoded frames scaled with their aspect ratio, subtitles drawn over them.

:class:`FrameBuffer` is the decode path's ``VideoOutput``: the presenter thread hands it
each frame at its time; it converts the frame to a ``QImage`` there (off the Qt thread)
and keeps only the latest, then signals the widget. :class:`VideoWidget` paints that
frame letterboxed into its rect, the cues active at the frame's time where their
settings put them, and a "Buffering" badge while playback waits for data.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from PyQt6.QtCore import QObject, QPointF, QRect, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import (
    QColor,
    QFont,
    QImage,
    QPainter,
    QPaintEvent,
    QTextDocument,
    QTextOption,
)
from PyQt6.QtWidgets import QSizePolicy, QWidget

from player import Cue, CueTimeline, VideoFrame

__all__ = ["FrameBuffer", "ShownFrame", "VideoWidget", "fit_rect"]

_SUBTITLE_HEIGHT = 0.047  # subtitle font size, fraction of the picture height
_SUBTITLE_MARGIN = 0.05  # distance of auto-placed cues from the bottom edge


@dataclass(frozen=True, slots=True)
class ShownFrame:
    """A decoded frame ready to paint, with where it came from."""

    image: QImage
    pts: float
    representation_id: str
    width: int
    height: int


class FrameBuffer(QObject):
    """The ``VideoOutput`` the decode path presents to; thread-safe, keeps the latest frame."""

    frameReady = pyqtSignal()

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._latest: ShownFrame | None = None
        self._pending = False
        self.presented = 0

    def present(self, frame: VideoFrame) -> None:
        """Called on the presenter thread at the frame's time."""
        rgb = np.ascontiguousarray(frame.rgb)
        h, w = int(rgb.shape[0]), int(rgb.shape[1])
        # QImage borrows the array's memory (PyQt takes any buffer; its stubs say bytes),
        # so copy() before the array goes away.
        image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()  # type: ignore[call-overload]
        shown = ShownFrame(image, frame.pts, frame.representation_id, w, h)
        with self._lock:
            self._latest = shown
            self.presented += 1
            notify = not self._pending
            self._pending = True
        if notify:  # one queued signal at a time: a slow Qt thread never builds a backlog
            self.frameReady.emit()

    def take(self) -> ShownFrame | None:
        """The latest frame (Qt thread); re-arms the signal."""
        with self._lock:
            self._pending = False
            return self._latest

    def peek(self) -> ShownFrame | None:
        """The latest frame, from any thread."""
        with self._lock:
            return self._latest

    def clear(self) -> None:
        """Forget the frame (a new title)."""
        with self._lock:
            self._latest = None


def fit_rect(frame_w: int, frame_h: int, area: QRect) -> QRect:
    """The largest rect of the frame's aspect ratio centred in ``area`` (letterboxing)."""
    if frame_w <= 0 or frame_h <= 0 or area.width() <= 0 or area.height() <= 0:
        return QRect(area)
    scale = min(area.width() / frame_w, area.height() / frame_h)
    w = max(1, round(frame_w * scale))
    h = max(1, round(frame_h * scale))
    x = area.x() + (area.width() - w) // 2
    y = area.y() + (area.height() - h) // 2
    return QRect(x, y, w, h)


class VideoWidget(QWidget):
    """Paints the current frame, its subtitles and the buffering badge."""

    doubleClicked = pyqtSignal()
    clicked = pyqtSignal()

    def __init__(self, frames: FrameBuffer, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frames = frames
        self._shown: ShownFrame | None = None
        self._timeline: CueTimeline | None = None
        self._buffering = False
        self._message = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setMinimumSize(160, 90)
        frames.frameReady.connect(self._on_frame)

    # -- state ------------------------------------------------------------------------

    @property
    def shown(self) -> ShownFrame | None:
        """The frame on screen (its ``pts`` is the picture's presentation time)."""
        return self._shown

    def set_timeline(self, timeline: CueTimeline | None) -> None:
        """Draw cues from ``timeline`` (None: no subtitles)."""
        self._timeline = timeline
        self.update()

    def set_buffering(self, buffering: bool) -> None:
        """Show or hide the buffering badge."""
        if buffering != self._buffering:
            self._buffering = buffering
            self.update()

    @property
    def buffering(self) -> bool:
        """Whether the buffering badge shows."""
        return self._buffering

    def set_message(self, text: str) -> None:
        """A line shown over the picture while there is none (loading, building)."""
        self._message = text
        self.update()

    def clear(self) -> None:
        """Drop the picture (a new title)."""
        self._frames.clear()
        self._shown = None
        self.update()

    def video_rect(self) -> QRect:
        """Where the picture is drawn (letterboxed in the widget)."""
        s = self._shown
        if s is None:
            return QRect(self.rect())
        return fit_rect(s.width, s.height, self.rect())

    def active_cues(self) -> list[Cue]:
        """The cues drawn now (those active at the shown frame's time)."""
        if self._timeline is None or self._shown is None:
            return []
        return self._timeline.active(self._shown.pts)

    def sizeHint(self) -> QSize:
        return QSize(960, 540)

    # -- Qt ---------------------------------------------------------------------------

    def _on_frame(self) -> None:
        shown = self._frames.take()
        if shown is not None and shown is not self._shown:
            self._shown = shown
            self.update()

    def mouseDoubleClickEvent(self, event: object) -> None:
        self.doubleClicked.emit()

    def mouseReleaseEvent(self, event: object) -> None:
        self.clicked.emit()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        try:
            p.fillRect(self.rect(), QColor(0, 0, 0))
            shown = self._shown
            if shown is not None:
                p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                target = self.video_rect()
                p.drawImage(QRectF(target), shown.image)
                self._paint_cues(p, target)
            elif self._message:
                self._badge(p, self._message)
            if self._buffering:
                self._badge(p, "Buffering…")
        finally:
            p.end()

    def _badge(self, p: QPainter, text: str) -> None:
        font = QFont(self.font())
        font.setPixelSize(max(12, self.height() // 24))
        p.setFont(font)
        metrics = p.fontMetrics()
        w = metrics.horizontalAdvance(text) + 32
        h = metrics.height() + 16
        box = QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(box, 8, 8)
        p.setPen(QColor(240, 240, 240))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_cues(self, p: QPainter, video: QRect) -> None:
        cues = self.active_cues()
        if not cues:
            return
        px = max(10, round(video.height() * _SUBTITLE_HEIGHT))
        line_h = px * 1.25
        bottom = video.bottom() - video.height() * _SUBTITLE_MARGIN
        # Auto-placed cues stack upwards from the bottom; later cues sit above earlier.
        for cue in reversed(cues):
            doc, rect = self._layout(cue, video, px)
            s = cue.settings
            if s.line is None:
                rect.moveBottom(bottom)
                bottom = rect.top() - px * 0.3
            elif s.snap_to_lines:
                n = int(s.line)
                if n >= 0:
                    rect.moveTop(video.top() + n * line_h)
                else:
                    rect.moveBottom(video.bottom() + (n + 1) * line_h)
            else:
                y = video.top() + video.height() * s.line / 100
                if s.line_align == "center":
                    rect.moveCenter(QPointF(rect.center().x(), y))
                elif s.line_align == "end":
                    rect.moveBottom(y)
                else:
                    rect.moveTop(y)
            # Keep the cue on the picture whatever the settings say.
            if rect.bottom() > video.bottom():
                rect.moveBottom(video.bottom())
            if rect.top() < video.top():
                rect.moveTop(video.top())
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, 190))
            p.drawRect(rect)
            p.save()
            p.translate(rect.topLeft())
            doc.drawContents(p)
            p.restore()

    def _layout(self, cue: Cue, video: QRect, px: int) -> tuple[QTextDocument, QRectF]:
        left_pct, width_pct = cue.settings.box()
        box_w = max(px * 2.0, video.width() * width_pct / 100)
        doc = QTextDocument()
        font = QFont(self.font())
        font.setPixelSize(px)
        doc.setDefaultFont(font)
        doc.setDocumentMargin(px * 0.2)
        align = {
            "start": Qt.AlignmentFlag.AlignLeft,
            "left": Qt.AlignmentFlag.AlignLeft,
            "end": Qt.AlignmentFlag.AlignRight,
            "right": Qt.AlignmentFlag.AlignRight,
        }.get(cue.settings.align, Qt.AlignmentFlag.AlignHCenter)
        option = QTextOption(align)
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        doc.setDefaultTextOption(option)
        doc.setDefaultStyleSheet("body { color: white; }")
        doc.setHtml(f"<body>{cue.to_html()}</body>")
        doc.setTextWidth(box_w)
        # The background hugs the text: shrink the box to the text's ideal width.
        ideal = min(box_w, doc.idealWidth() + 2 * doc.documentMargin())
        x = video.left() + video.width() * left_pct / 100
        if align == Qt.AlignmentFlag.AlignHCenter:
            x += (box_w - ideal) / 2
        elif align == Qt.AlignmentFlag.AlignRight:
            x += box_w - ideal
        doc.setTextWidth(ideal)
        return doc, QRectF(x, 0, ideal, doc.size().height())
