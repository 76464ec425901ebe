"""Session statistics derived from the engine's events: the stats record of ARCHITECTURE.md.

:class:`StatsCollector` is fed every :class:`~player.engine.PlayerEvent` (the Player does
this; the headless simulator can too) and :meth:`StatsCollector.snapshot` gives a
:class:`PlaybackStats`. Because the numbers are computed from the events and nothing
else, they always agree with them: ``rebuffer_s`` is the sum of the stalls
(``Resumed.stall_s``, plus a stall still going on), ``switches`` the number of video
``QualityChanged`` events after the first.

``qoe_lin`` is Pensieve's linear QoE (``abr.qoe.qoe_lin``) over the video segments in
the order they were appended: bitrate in Mbit/s, minus 4.3 x the rebuffering that
happened while each was fetched, minus the bitrate change, summed over chunks 1..N-1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from player.engine.events import (
    Downloaded,
    Ended,
    Error,
    PlaybackStarted,
    PlayerEvent,
    QualityChanged,
    Resumed,
    SegmentAppended,
    Stalled,
)
from player.manifest.model import TrackKind

__all__ = ["PlaybackStats", "StatsCollector", "Switch"]


@dataclass(frozen=True, slots=True)
class Switch:
    """One video quality switch: ``time`` since loading began, ``position`` the
    presentation time where the new quality starts."""

    time: float
    position: float
    from_quality: int
    to_quality: int
    from_bitrate_bps: int
    to_bitrate_bps: int
    reason: str = ""


@dataclass(slots=True)
class PlaybackStats:
    """What a session reports (times in seconds, on the Player's clock)."""

    time_to_first_frame_s: float | None = None
    rebuffer_count: int = 0
    rebuffer_s: float = 0.0
    switches: int = 0
    avg_bitrate_kbps: float | None = None
    time_weighted_bitrate_kbps: float | None = None
    qoe_lin: float | None = None
    bytes: int = 0
    dropped_frames: int = 0
    frames_decoded: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    estimated_bandwidth_bps: float | None = None
    switch_history: list[Switch] = field(default_factory=list)
    segments: int = 0
    played_s: float = 0.0
    ended: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON record ``abrkit play --json`` prints."""
        return {
            "time_to_first_frame_s": _r(self.time_to_first_frame_s),
            "rebuffer_count": self.rebuffer_count,
            "rebuffer_s": _r(self.rebuffer_s),
            "switches": self.switches,
            "avg_bitrate_kbps": _r(self.avg_bitrate_kbps, 1),
            "time_weighted_bitrate_kbps": _r(self.time_weighted_bitrate_kbps, 1),
            "qoe_lin": _r(self.qoe_lin),
            "bytes": self.bytes,
            "dropped_frames": self.dropped_frames,
            "frames_decoded": self.frames_decoded,
            "errors": list(self.errors),
            "estimated_bandwidth_kbps": _r(
                None
                if self.estimated_bandwidth_bps is None
                else self.estimated_bandwidth_bps / 1e3,
                1,
            ),
            "switch_history": [
                {
                    "time": _r(s.time),
                    "position": _r(s.position),
                    "from": s.from_quality,
                    "to": s.to_quality,
                    "from_kbps": s.from_bitrate_bps // 1000,
                    "to_kbps": s.to_bitrate_bps // 1000,
                    "reason": s.reason,
                }
                for s in self.switch_history
            ],
            "segments": self.segments,
            "played_s": _r(self.played_s),
            "ended": self.ended,
        }


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None else round(x, digits)


class StatsCollector:
    """Accumulates events into :class:`PlaybackStats`; ``start_time`` is when loading began
    (time to first frame counts from it)."""

    def __init__(self, start_time: float) -> None:
        self.start_time = start_time
        self._first_frame: float | None = None
        self._stalls: list[tuple[float, float | None]] = []  # (start, end or None)
        self._switches: list[Switch] = []
        self._video: list[tuple[float, int, float]] = []  # (append time, bitrate, duration)
        self._bytes = 0
        self._errors: list[dict[str, Any]] = []
        self._ended = False
        self._last_quality: int | None = None
        self._last_bitrate = 0

    def add_bytes(self, nbytes: int) -> None:
        """Bytes moved outside the engine (the first manifest)."""
        self._bytes += nbytes

    def add_error(self, record: dict[str, Any]) -> None:
        """A non-engine error (a sink's, a callback's) for the ``errors`` list."""
        self._errors.append(record)

    def on_event(self, ev: PlayerEvent) -> None:
        """Account for one event."""
        t = type(ev)
        if t is Downloaded:
            assert isinstance(ev, Downloaded)
            self._bytes += ev.nbytes
        elif t is SegmentAppended:
            assert isinstance(ev, SegmentAppended)
            if ev.track is TrackKind.VIDEO:
                self._video.append((ev.time, ev.bitrate_bps, ev.duration))
        elif t is QualityChanged:
            assert isinstance(ev, QualityChanged)
            if ev.track is TrackKind.VIDEO:
                if ev.old_quality is not None:
                    self._switches.append(
                        Switch(
                            ev.time - self.start_time,
                            ev.position,
                            ev.old_quality,
                            ev.quality,
                            self._last_bitrate,
                            ev.bitrate_bps,
                            ev.reason,
                        )
                    )
                self._last_bitrate = ev.bitrate_bps
        elif t is Stalled:
            self._stalls.append((ev.time, None))
        elif t is Resumed:
            assert isinstance(ev, Resumed)
            if self._stalls and self._stalls[-1][1] is None:
                start = self._stalls[-1][0]
                self._stalls[-1] = (start, start + ev.stall_s)
        elif t is PlaybackStarted:
            if self._first_frame is None:
                self._first_frame = ev.time
        elif t is Ended:
            self._ended = True
        elif t is Error:
            assert isinstance(ev, Error)
            rec = ev.error.to_json()
            rec["fatal"] = ev.fatal
            rec["time"] = round(ev.time - self.start_time, 3)
            self._errors.append(rec)

    def snapshot(
        self,
        now: float,
        *,
        estimate_bps: float | None = None,
        dropped_frames: int = 0,
        frames_decoded: int = 0,
        played_s: float = 0.0,
    ) -> PlaybackStats:
        """The stats as of ``now`` (a stall still going on counts up to ``now``)."""
        stalls = [(s, e if e is not None else max(s, now)) for s, e in self._stalls]
        video = self._video
        avg = tw = qoe = None
        if video:
            avg = sum(b for _, b, _ in video) / len(video) / 1000
            total = sum(d for _, _, d in video)
            if total > 0:
                tw = sum(b * d for _, b, d in video) / total / 1000
            qoe = _qoe_lin(video, stalls)
        return PlaybackStats(
            time_to_first_frame_s=None
            if self._first_frame is None
            else self._first_frame - self.start_time,
            rebuffer_count=len(stalls),
            rebuffer_s=sum(e - s for s, e in stalls),
            switches=len(self._switches),
            avg_bitrate_kbps=avg,
            time_weighted_bitrate_kbps=tw,
            qoe_lin=qoe,
            bytes=self._bytes,
            dropped_frames=dropped_frames,
            frames_decoded=frames_decoded,
            errors=list(self._errors),
            estimated_bandwidth_bps=estimate_bps,
            switch_history=list(self._switches),
            segments=len(video),
            played_s=played_s,
            ended=self._ended,
        )


def _qoe_lin(video: list[tuple[float, int, float]], stalls: list[tuple[float, float]]) -> float:
    """Pensieve's linear QoE; chunk n's rebuffering is the stall time between the
    appends of chunks n-1 and n."""
    bitrates = [b / 1000 for _, b, _ in video]
    rebuf: list[float] = []
    prev = float("-inf")
    for t, _, _ in video:
        rebuf.append(sum(max(0.0, min(e, t) - max(s, prev)) for s, e in stalls))
        prev = t
    # Stalls after the last append (the title ran dry at the end) count on the last chunk.
    rebuf[-1] += sum(max(0.0, e - max(s, prev)) for s, e in stalls if e > prev)
    try:
        from abr.qoe import qoe_lin
    except ImportError:  # pragma: no cover - abr.qoe ships with abrkit
        mbps = [b / 1000 for b in bitrates]
        return sum(
            mbps[n] - 4.3 * rebuf[n] - abs(mbps[n] - mbps[n - 1]) for n in range(1, len(mbps))
        )
    return float(qoe_lin(bitrates, rebuf))
