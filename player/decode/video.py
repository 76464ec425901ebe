"""Video: segments of one track in, decoded frames with presentation times out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
from av.video.frame import VideoFrame as AvVideoFrame

from player.decode._codec import SegmentRef, StreamDecoder, check_segment
from player.decode.keys import KeyCheck, normalize_keys

_DEFAULT_FRAME_DURATION = 1 / 30
# Two frames closer than this (seconds) are the same frame decoded twice (a switch overlap).
_SAME_TIME = 1e-6


class VideoFrame:
    """One decoded picture: presentation time and size, pixels on demand.

    Conversion to RGB costs about as much as decoding at 1080p, so it happens only when an
    output asks for it (a dropped frame is never converted); :attr:`rgb` is cached.
    """

    __slots__ = ("_frame", "_rgb", "duration", "height", "pts", "representation_id", "width")

    def __init__(
        self, frame: AvVideoFrame, pts: float, duration: float, representation_id: str
    ) -> None:
        self._frame = frame
        self._rgb: np.ndarray[Any, np.dtype[np.uint8]] | None = None
        self.pts = pts
        self.duration = duration
        self.width = frame.width
        self.height = frame.height
        self.representation_id = representation_id

    @property
    def rgb(self) -> np.ndarray[Any, np.dtype[np.uint8]]:
        """The picture as an ``(height, width, 3)`` uint8 RGB24 array (QImage Format_RGB888)."""
        if self._rgb is None:
            self._rgb = np.asarray(self.to_ndarray("rgb24"), dtype=np.uint8)
        return self._rgb

    def to_ndarray(self, format: str = "rgb24") -> np.ndarray[Any, Any]:
        """The picture in any pixel format PyAV converts to (``"rgba"``, ``"yuv420p"``, ...).

        ``"yuv420p"`` gives the decoder's planes stacked as one ``(h * 3 / 2, w)`` array;
        high-bit-depth formats (``"yuv420p10le"``) come as uint16.
        """
        out: np.ndarray[Any, Any] = self._frame.to_ndarray(format=format)
        return out

    @property
    def av_frame(self) -> AvVideoFrame:
        """The underlying ``av.VideoFrame`` (for zero-copy planes or hardware formats)."""
        return self._frame

    def __repr__(self) -> str:
        return (
            f"VideoFrame(pts={self.pts:.6f}, {self.width}x{self.height}, "
            f"rep={self.representation_id!r})"
        )


class VideoDecoder:
    """Decodes the successive segments of one video track, across quality switches.

    One decoder is kept while the init segment stays the same, so frame threads never
    drain at segment boundaries. When a chunk brings a different init segment (a switch),
    the old decoder is drained first, then the new rung's decoder starts at that segment's
    first (key) frame: no gap, and a frame whose time was already output is dropped rather
    than shown twice. Frames come out in presentation order with times in seconds.
    """

    def __init__(self, *, threads: int = 0, keys: KeyCheck | None = None) -> None:
        self._threads = threads
        self._keys = keys or KeyCheck()
        self._dec: StreamDecoder | None = None
        self._last_pts: float | None = None
        self._start: float | None = None
        #: Frames dropped because their time had already been output (switch overlap).
        self.duplicates = 0

    def decode(
        self,
        init: bytes,
        media: bytes,
        *,
        keys: Mapping[str, str] | None = None,
        representation_id: str = "",
        number: int = -1,
        discontinuity: bool = False,
    ) -> Iterator[VideoFrame]:
        """Decode one media segment; yields the frames that became ready, in order.

        Checks run before any frame is decoded: the segment's structure
        (``CORRUPT_SEGMENT``), and for encrypted content the default KID against ``keys``
        (``NO_USABLE_KEY`` / ``KEY_ID_MISMATCH``). Frames held in the decoder's reorder
        delay come out with the next segment or :meth:`drain`.
        """
        ref = SegmentRef(representation_id, number)
        check_segment(init, media, ref)
        options = self._keys.options(
            init, normalize_keys(keys or {}), representation_id=representation_id
        )
        return self._run(init, media, options, ref, discontinuity)

    def _run(
        self,
        init: bytes,
        media: bytes,
        options: dict[str, str],
        ref: SegmentRef,
        discontinuity: bool,
    ) -> Iterator[VideoFrame]:
        dec = self._dec
        if dec is not None and (discontinuity or not dec.same_rung(init, ref)):
            yield from self.drain()
            if discontinuity:
                self._last_pts = None
            dec = None
        if dec is None:
            dec = self._dec = StreamDecoder("video", init, media, ref, self._threads)
        packets = dec.packets(media, options, ref)
        for packet in packets:
            for frame in dec.decode(packet, ref):
                out = self._accept(frame, dec)
                if out is not None:
                    yield out

    def drain(self) -> Iterator[VideoFrame]:
        """Flush the current decoder (end of stream or before a switch) and close it."""
        dec, self._dec = self._dec, None
        if dec is None:
            return
        try:
            for frame in dec.decode(None, dec.ref):
                out = self._accept(frame, dec)
                if out is not None:
                    yield out
        finally:
            dec.close()

    def reset(self, position: float | None = None) -> None:
        """Forget the decoder and its frames (a seek); skip frames that end before ``position``."""
        if self._dec is not None:
            self._dec.close()
        self._dec = None
        self._last_pts = None
        self._start = position

    def close(self) -> None:
        """Release the decoder."""
        self.reset()

    def _accept(self, frame: AvVideoFrame | object, dec: StreamDecoder) -> VideoFrame | None:
        if not isinstance(frame, AvVideoFrame):
            return None
        tb = frame.time_base or dec.time_base
        if frame.duration and frame.duration > 0:
            duration = float(frame.duration * tb)
        elif dec.frame_rate:
            duration = float(1 / Fraction(dec.frame_rate))
        else:
            duration = _DEFAULT_FRAME_DURATION
        if frame.pts is None:  # no timestamp: the next slot after the last frame
            pts = (self._last_pts + duration) if self._last_pts is not None else 0.0
        else:
            pts = float(frame.pts * tb)
        if self._last_pts is not None and pts <= self._last_pts + _SAME_TIME:
            self.duplicates += 1
            return None
        if self._start is not None and pts + duration <= self._start + _SAME_TIME:
            return None  # before the seek target: decoded only as a reference
        self._last_pts = pts
        return VideoFrame(frame, pts, duration, dec.ref.representation_id)
