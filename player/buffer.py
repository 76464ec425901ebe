"""Per-track buffered ranges, the buffer goals, and eviction.

The engine keeps one :class:`TrackBuffer` per active track (video, audio, text). A track
buffer is an ordered list of :class:`BufferedSegment` (start, end, bytes, quality and,
in the real-time Player, the payload), so it knows both *what time* is buffered and *how
many bytes* that costs. :class:`BufferGoals` is the one place the buffering goals live
(documented with their defaults in ``docs/PLAYER.md``).

Audio and video are kept aligned by the engine: playback may only advance to the end of
the *shorter* of the two contiguous buffered ranges (:meth:`TrackBuffer.contiguous_end`),
and the scheduler always fetches for the track that is furthest behind.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from player.errors import Code, PlayerError

__all__ = ["BufferGoals", "BufferedSegment", "TrackBuffer"]


@dataclass(frozen=True, slots=True)
class BufferGoals:
    """How much the engine buffers, when it starts and resumes, and what it keeps.

    =====================  =========  ============================================
    field                  default    meaning
    =====================  =========  ============================================
    ``start_s``            2.0        buffered ahead before playback starts (and
                                      after a seek into unbuffered time)
    ``resume_s``           4.0        buffered ahead before playback resumes after
                                      a stall (more than ``start_s``: a stall means
                                      the network is worse than thought)
    ``goal_s``             30.0       fetch while less than this is buffered ahead
    ``behind_s``           30.0       keep this much behind the playhead (instant
                                      seek back), evict the rest
    ``max_bytes``          200 MiB    hard cap on the bytes held across all tracks
    ``gap_tolerance_s``    0.3        gaps up to this are played through (encoder
                                      priming, rounding in segment timelines)
    ``refill_step_s``      0.0        when the goal holds fetching back, fetch again
                                      on a grid of this step from the end of the
                                      last download (Pensieve sleeps 500 ms steps);
                                      0: as soon as the level is under the goal
    =====================  =========  ============================================

    The anchors: Shaka buffers 10 s ahead (rebufferingGoal 0 to 2 s, bufferBehind 30 s);
    ExoPlayer buffers up to 50 s and starts at 1 to 2.5 s, 2 to 5 s after a rebuffer.
    """

    start_s: float = 2.0
    resume_s: float = 4.0
    goal_s: float = 30.0
    behind_s: float = 30.0
    max_bytes: int = 200 * 1024 * 1024
    gap_tolerance_s: float = 0.3
    refill_step_s: float = 0.0

    def __post_init__(self) -> None:
        for name in (
            "start_s",
            "resume_s",
            "goal_s",
            "behind_s",
            "gap_tolerance_s",
            "refill_step_s",
        ):
            value = getattr(self, name)
            if not value >= 0:  # also rejects NaN
                raise PlayerError(Code.INVALID_CONFIG, f"buffer {name} must be >= 0, not {value}")
        if self.goal_s < self.start_s or self.goal_s < self.resume_s:
            raise PlayerError(
                Code.INVALID_CONFIG,
                f"buffer goal_s ({self.goal_s}) must be at least start_s ({self.start_s}) "
                f"and resume_s ({self.resume_s})",
            )
        if self.max_bytes <= 0:
            raise PlayerError(
                Code.INVALID_CONFIG, f"buffer max_bytes must be > 0, not {self.max_bytes}"
            )


class BufferedSegment:
    """One media segment held in a track buffer.

    ``payload`` is the media bytes when a real-time driver keeps them (so a seek within
    the buffer or a track switch can re-feed the sink); the simulator stores None and
    only ``nbytes`` counts.
    """

    __slots__ = (
        "bitrate_bps",
        "discontinuity",
        "end",
        "init_key",
        "nbytes",
        "number",
        "payload",
        "quality",
        "start",
    )

    def __init__(
        self,
        start: float,
        end: float,
        nbytes: int,
        quality: int,
        number: int,
        bitrate_bps: int = 0,
        payload: bytes | None = None,
        init_key: object = None,
        discontinuity: bool = False,
    ) -> None:
        self.start = start
        self.end = end
        self.nbytes = nbytes
        self.quality = quality
        self.number = number
        self.bitrate_bps = bitrate_bps
        self.payload = payload
        self.init_key = init_key
        self.discontinuity = discontinuity

    def __repr__(self) -> str:
        return (
            f"BufferedSegment({self.start:.3f}-{self.end:.3f}, #{self.number}, "
            f"q{self.quality}, {self.nbytes} B)"
        )


class TrackBuffer:
    """The segments buffered for one track, ordered by start time, never overlapping.

    ``segments`` is the buffered segments in time order and ``nbytes`` their total size;
    both are read-only for callers (a plain attribute, not a copy: the engine reads them
    on every event).
    """

    __slots__ = ("_run_hi", "_run_lo", "_starts", "gap_tolerance", "nbytes", "segments")

    def __init__(self, gap_tolerance: float = 0.3) -> None:
        self.segments: list[BufferedSegment] = []
        self._starts: list[float] = []
        self.gap_tolerance = gap_tolerance
        self.nbytes = 0
        # The last run found by contiguous_end: any pos in [lo, hi) has the same end.
        self._run_lo = math.inf
        self._run_hi = math.inf

    def __len__(self) -> int:
        return len(self.segments)

    def add(self, seg: BufferedSegment) -> list[BufferedSegment]:
        """Insert ``seg``, replacing any segment it overlaps; returns those replaced."""
        segs = self.segments
        # Common case first: appending after the last segment.
        if not segs or seg.start >= segs[-1].end - 1e-6:
            if (
                segs
                and self._run_hi == segs[-1].end
                and seg.start <= self._run_hi + self.gap_tolerance
            ):
                # It continues the cached run (contiguous_end's own test): the run's end
                # moves with it, no rescan needed.
                self._run_hi = seg.end
            else:
                self._run_lo = math.inf
            segs.append(seg)
            self._starts.append(seg.start)
            self.nbytes += seg.nbytes
            return []
        self._run_lo = math.inf
        lo = bisect.bisect_right(self._starts, seg.start)
        # The segment before may overlap too.
        if lo > 0 and segs[lo - 1].end > seg.start + 1e-6:
            lo -= 1
        hi = lo
        while hi < len(segs) and segs[hi].start < seg.end - 1e-6:
            hi += 1
        removed = segs[lo:hi]
        for r in removed:
            self.nbytes -= r.nbytes
        segs[lo:hi] = [seg]
        self._starts[lo:hi] = [seg.start]
        self.nbytes += seg.nbytes
        return removed

    def contiguous_end(self, pos: float) -> float | None:
        """End of the buffered run that contains ``pos`` (or starts within the gap
        tolerance after it), bridging gaps up to the tolerance; None when ``pos`` is
        not buffered."""
        if self._run_lo <= pos < self._run_hi:
            return self._run_hi
        segs = self.segments
        if not segs:
            return None
        tol = self.gap_tolerance
        # The last segment starting at or before pos (+ tolerance) must still cover pos;
        # if it ends before pos, no later one starts early enough either.
        i = bisect.bisect_right(self._starts, pos + tol) - 1
        if i < 0 or segs[i].end <= pos:
            return None
        lo = min(pos, segs[i].start)
        end = segs[i].end
        n = len(segs)
        i += 1
        while i < n and segs[i].start <= end + tol:
            end = segs[i].end
            i += 1
        self._run_lo = lo
        self._run_hi = end
        return end

    def level(self, pos: float) -> float:
        """Seconds buffered contiguously ahead of ``pos`` (0 when not buffered)."""
        end = self.contiguous_end(pos)
        return 0.0 if end is None else max(0.0, end - pos)

    @property
    def end(self) -> float | None:
        """End of the last buffered segment."""
        return self.segments[-1].end if self.segments else None

    def ranges(self) -> list[tuple[float, float]]:
        """Buffered time as merged ``(start, end)`` ranges (gaps up to the tolerance bridged)."""
        out: list[tuple[float, float]] = []
        tol = self.gap_tolerance
        for s in self.segments:
            if out and s.start <= out[-1][1] + tol:
                out[-1] = (out[-1][0], max(out[-1][1], s.end))
            else:
                out.append((s.start, s.end))
        return out

    def segments_from(self, pos: float) -> list[BufferedSegment]:
        """Segments that end after ``pos``, in order (what a sink needs after a flush)."""
        return [s for s in self.segments if s.end > pos + 1e-6]

    def evict_before(self, t: float) -> list[BufferedSegment]:
        """Remove segments that end at or before ``t``; returns them."""
        self._run_lo = math.inf
        segs = self.segments
        k = 0
        n = len(segs)
        while k < n and segs[k].end <= t:
            k += 1
        if k == 0:
            return []
        removed = segs[:k]
        del segs[:k]
        del self._starts[:k]
        for r in removed:
            self.nbytes -= r.nbytes
        return removed

    def evict_from(self, t: float) -> list[BufferedSegment]:
        """Remove segments that end after ``t`` (the part ahead); returns them."""
        self._run_lo = math.inf
        segs = self.segments
        k = len(segs)
        while k > 0 and segs[k - 1].end > t + 1e-6:
            k -= 1
        removed = segs[k:]
        if removed:
            del segs[k:]
            del self._starts[k:]
            for r in removed:
                self.nbytes -= r.nbytes
        return removed

    def pop_last(self) -> BufferedSegment | None:
        """Remove and return the furthest-ahead segment."""
        self._run_lo = math.inf
        if not self.segments:
            return None
        seg = self.segments.pop()
        self._starts.pop()
        self.nbytes -= seg.nbytes
        return seg

    def clear(self) -> list[BufferedSegment]:
        """Remove everything; returns what was removed."""
        self._run_lo = math.inf
        removed = self.segments
        self.segments = []
        self._starts = []
        self.nbytes = 0
        return removed
