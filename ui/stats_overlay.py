"""Stats for nerds: what the Player reports, over the picture, and a live chart.

:class:`StatsOverlay` lists the resolution and codec on screen, the bitrate of the rung
playing, buffer ahead, the bandwidth estimate, dropped frames and the ABR policy, each
taken from a :class:`~ui.session.Snapshot`. :class:`LiveChart` plots buffer level,
bitrate and estimate over the last minute, with a mark at every quality switch the
viewer saw (the rung on screen changed).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from PyQt6.QtCore import QPointF, QRectF, QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath, QPaintEvent, QPen
from PyQt6.QtWidgets import (
    QFrame,
    QGridLayout,
    QLabel,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ui.session import Snapshot

__all__ = ["ChartPoint", "LiveChart", "StatsOverlay", "format_bitrate", "stats_rows"]

_WINDOW_S = 60.0  # seconds of history the chart shows
_MIN_SPAN_S = 10.0  # the shortest time axis
_RATE_FLOOR = 100_000.0  # bit/s at the bottom of the rate axis (or lower if needed)
_BUFFER = QColor(102, 187, 106)
_BITRATE = QColor(255, 167, 38)
_ESTIMATE = QColor(66, 165, 245)
_SWITCH = QColor(236, 64, 122)


def format_bitrate(bps: float | None) -> str:
    """``850 kbit/s`` / ``12.4 Mbit/s``; ``–`` when unknown."""
    if bps is None:
        return "–"
    if bps >= 10_000_000:
        return f"{bps / 1e6:.1f} Mbit/s"
    if bps >= 1_000_000:
        return f"{bps / 1e6:.2f} Mbit/s"
    return f"{bps / 1e3:.0f} kbit/s"


def stats_rows(snap: Snapshot) -> list[tuple[str, str]]:
    """The overlay's rows for ``snap``: what is shown, in order."""
    if snap.resolution is not None:
        res = f"{snap.resolution[0]}x{snap.resolution[1]}"
        if snap.playing_quality is not None and snap.ladder:
            res += f"  (rung {snap.playing_quality + 1} of {len(snap.ladder)})"
    else:
        res = "–"
    quality = "Auto" if snap.manual_quality is None else f"fixed rung {snap.manual_quality + 1}"
    s = snap.stats
    return [
        ("Resolution", res),
        ("Codec", snap.video_codec or "–"),
        ("Bitrate", format_bitrate(snap.bitrate_bps)),
        ("Buffer ahead", f"{snap.buffer_ahead_s:.1f} s"),
        ("Bandwidth estimate", format_bitrate(snap.estimate_bps)),
        ("Dropped frames", f"{snap.dropped_frames} of {snap.frames_decoded}"),
        ("ABR policy", f"{snap.policy} ({snap.estimator}), {quality}"),
        ("Switches", str(s.switches)),
        ("Rebuffers", f"{s.rebuffer_count} ({s.rebuffer_s:.1f} s)"),
        ("State", snap.state),
        ("Audio device", snap.audio_device or "–"),
    ]


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One sample of the chart."""

    time: float
    buffer_s: float
    bitrate_bps: float | None
    estimate_bps: float | None


class LiveChart(QWidget):
    """Buffer level (left axis, seconds), bitrate and estimate (right axis, bit/s) over
    the last minute; a vertical mark where the rung on screen changed."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: deque[ChartPoint] = deque(maxlen=2000)
        self._switches: deque[tuple[float, int, int]] = deque(maxlen=200)
        self._last_quality: int | None = None
        self.setMinimumSize(300, 120)

    def sizeHint(self) -> QSize:
        return QSize(360, 140)

    @property
    def points(self) -> list[ChartPoint]:
        """The samples held."""
        return list(self._points)

    @property
    def switches(self) -> list[tuple[float, int, int]]:
        """``(time, from rung, to rung)`` of each switch seen."""
        return list(self._switches)

    def clear(self) -> None:
        """Forget the history (a new title)."""
        self._points.clear()
        self._switches.clear()
        self._last_quality = None
        self.update()

    def add(self, snap: Snapshot) -> None:
        """Add a sample; a change of the rung on screen is marked as a switch."""
        if snap.time <= 0:
            return
        q = snap.playing_quality
        if q is not None:
            if self._last_quality is not None and q != self._last_quality:
                self._switches.append((snap.time, self._last_quality, q))
            self._last_quality = q
        self._points.append(
            ChartPoint(snap.time, snap.buffer_ahead_s, snap.bitrate_bps, snap.estimate_bps)
        )
        self.update()

    def paintEvent(self, event: QPaintEvent | None) -> None:
        p = QPainter(self)
        try:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            font = QFont(self.font())
            font.setPixelSize(10)
            p.setFont(font)
            plot = QRectF(30, 14, max(10, self.width() - 72), max(10, self.height() - 30))
            p.fillRect(QRectF(self.rect()), QColor(0, 0, 0, 0))
            p.setPen(QPen(QColor(255, 255, 255, 60), 1))
            p.drawRect(plot)
            pts = list(self._points)
            if not pts:
                return
            t1 = pts[-1].time
            # The time axis grows with the session up to a minute, then scrolls.
            span = min(_WINDOW_S, max(_MIN_SPAN_S, t1 - pts[0].time))
            t0 = t1 - span
            pts = [pt for pt in pts if pt.time >= t0]
            buf_max = max(10.0, max(pt.buffer_s for pt in pts) * 1.15)
            rates = [r for pt in pts for r in (pt.bitrate_bps, pt.estimate_bps) if r]
            rate_max = max(rates) * 1.3 if rates else 1e6
            rate_min = min(_RATE_FLOOR, min(rates) / 1.3) if rates else _RATE_FLOOR
            # Rates on a log axis: on a fast link the estimate is 100x the bitrate and a
            # linear axis would flatten the bitrate line into the floor.
            log_lo, log_span = math.log(rate_min), math.log(rate_max / rate_min)

            def x(t: float) -> float:
                return plot.left() + plot.width() * (t - t0) / span

            def y(v: float, top: float) -> float:
                return plot.bottom() - plot.height() * min(1.0, v / top)

            def y_rate(v: float) -> float:
                frac = (math.log(max(v, rate_min)) - log_lo) / log_span
                return plot.bottom() - plot.height() * min(1.0, max(0.0, frac))

            for t, old, new in self._switches:
                if t < t0:
                    continue
                p.setPen(QPen(_SWITCH, 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(x(t), plot.top()), QPointF(x(t), plot.bottom()))
                p.drawText(QPointF(x(t) + 2, plot.top() + 10), "▲" if new > old else "▼")
            self._line(p, [(x(pt.time), y(pt.buffer_s, buf_max)) for pt in pts], _BUFFER, False)
            bitrate = [(x(pt.time), y_rate(pt.bitrate_bps)) for pt in pts if pt.bitrate_bps]
            self._line(p, bitrate, _BITRATE, True)
            estimate = [(x(pt.time), y_rate(pt.estimate_bps)) for pt in pts if pt.estimate_bps]
            self._line(p, estimate, _ESTIMATE, False)
            p.setPen(QColor(220, 220, 220))
            p.drawText(QPointF(2, plot.top() + 8), f"{buf_max:.0f}s")
            p.drawText(QPointF(2, plot.bottom()), "0")
            for value, yy in ((rate_max, plot.top() + 8), (rate_min, plot.bottom() - 11)):
                number, unit = format_bitrate(value).split()
                p.drawText(QPointF(plot.right() + 3, yy), number)
                p.drawText(QPointF(plot.right() + 3, yy + 11), unit)
            legend = [
                (_BUFFER, "buffer"),
                (_BITRATE, "bitrate"),
                (_ESTIMATE, "estimate"),
                (_SWITCH, "switch"),
            ]
            lx = plot.left()
            for color, name in legend:
                p.setPen(color)
                p.drawText(QPointF(lx, self.height() - 3), f"■ {name}")
                lx += p.fontMetrics().horizontalAdvance(f"■ {name}") + 10
        finally:
            p.end()

    @staticmethod
    def _line(p: QPainter, xy: list[tuple[float, float]], color: QColor, steps: bool) -> None:
        if len(xy) < 2:
            return
        path = QPainterPath(QPointF(*xy[0]))
        prev_y = xy[0][1]
        for px, py in xy[1:]:
            if steps:  # a bitrate holds until it changes
                path.lineTo(QPointF(px, prev_y))
            path.lineTo(QPointF(px, py))
            prev_y = py
        p.setPen(QPen(color, 1.6))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)


class StatsOverlay(QFrame):
    """The "stats for nerds" panel: rows of values and the live chart."""

    closeRequested = pyqtSignal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statsOverlay")
        self.setStyleSheet(
            "#statsOverlay { background: rgba(10, 10, 10, 200); border-radius: 6px; }"
            "QLabel { color: #eee; background: transparent; }"
            "QToolButton { color: #eee; border: none; }"
        )
        mono = QFont("monospace")
        mono.setStyleHint(QFont.StyleHint.Monospace)
        mono.setPixelSize(12)
        self._grid = QGridLayout()
        self._grid.setHorizontalSpacing(12)
        self._grid.setVerticalSpacing(1)
        self._values: dict[str, QLabel] = {}
        for row, (name, value) in enumerate(stats_rows(Snapshot())):
            key = QLabel(name, self)
            key.setFont(mono)
            val = QLabel(value, self)
            val.setFont(mono)
            val.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self._grid.addWidget(key, row, 0)
            self._grid.addWidget(val, row, 1)
            self._values[name] = val
        close = QToolButton(self)
        close.setText("✕")
        close.setToolTip("Close (I)")
        close.clicked.connect(self.closeRequested)
        self._grid.addWidget(close, 0, 2, Qt.AlignmentFlag.AlignRight)
        self.chart = LiveChart(self)
        box = QVBoxLayout(self)
        box.setContentsMargins(10, 8, 10, 8)
        box.addLayout(self._grid)
        box.addWidget(self.chart)
        self.snapshot: Snapshot | None = None

    def show_snapshot(self, snap: Snapshot) -> None:
        """Show ``snap``'s values and add it to the chart."""
        self.snapshot = snap
        self.chart.add(snap)
        if not self.isVisible():
            return  # the chart keeps its history; the labels catch up when shown
        self._fill(snap)

    def showEvent(self, event: object) -> None:
        if self.snapshot is not None:
            self._fill(self.snapshot)

    def _fill(self, snap: Snapshot) -> None:
        for name, value in stats_rows(snap):
            self._values[name].setText(value)

    def values(self) -> dict[str, str]:
        """The text of every row as shown."""
        return {name: label.text() for name, label in self._values.items()}

    def clear(self) -> None:
        """Forget the title's history."""
        self.snapshot = None
        self.chart.clear()
        self._fill(Snapshot())
