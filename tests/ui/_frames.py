"""Reference pictures for pixel tests: frames decoded straight from a rung's files with
PyAV (not through the player), and picture comparison."""

from __future__ import annotations

import io
from pathlib import Path

import av
import numpy as np
from PyQt6.QtCore import QRect, Qt
from PyQt6.QtGui import QImage

from player.packager import PackageResult


def decode_frame(title: PackageResult, representation_id: str, pts: float) -> np.ndarray:
    """The RGB picture of rung ``representation_id`` at presentation time ``pts``."""
    track = next(t for t in title.video if t.id == representation_id)
    starts = [s / track.timescale for s in track.segment_starts]
    k = max(i for i, s in enumerate(starts) if s <= pts + 1e-6)
    data = (Path(title.dir) / track.init).read_bytes() + (
        Path(title.dir) / track.segments[k]
    ).read_bytes()
    best: tuple[float, np.ndarray] | None = None
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(container.streams.video[0]):
            if frame.time is None:
                continue
            gap = abs(frame.time - pts)
            if best is None or gap < best[0]:
                best = (gap, frame.to_ndarray(format="rgb24"))
    assert best is not None and best[0] < 0.005, f"no frame at {pts} in {track.segments[k]}"
    return best[1]


def qimage_to_array(image: QImage) -> np.ndarray:
    """An RGB888 QImage as an ``(h, w, 3)`` array."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h, stride = image.width(), image.height(), image.bytesPerLine()
    ptr = image.constBits()
    assert ptr is not None
    ptr.setsize(stride * h)
    rows = np.frombuffer(ptr, np.uint8).reshape(h, stride)
    return rows[:, : w * 3].reshape(h, w, 3).copy()


def scaled(rgb: np.ndarray, size: QRect) -> np.ndarray:
    """``rgb`` scaled to ``size`` with Qt's smooth filter (what the widget does)."""
    h, w = rgb.shape[:2]
    rgb = np.ascontiguousarray(rgb)
    image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return qimage_to_array(
        image.scaled(
            size.width(),
            size.height(),
            Qt.AspectRatioMode.IgnoreAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
    )


def mean_abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(np.abs(a.astype(np.int16) - b.astype(np.int16))))
