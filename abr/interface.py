"""The ABR seam: an immutable :class:`AbrContext` in, a :class:`Decision` out.

A policy is anything with ``choose(ctx) -> Decision``. It may also implement
``should_abandon(ctx, progress) -> int | None`` to drop an in-flight download and name
the rung to refetch at. The engine (``player.engine``) and the headless simulator
(``traces``) build the same contexts, so a policy behaves identically in both.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


class PlaybackState(enum.StrEnum):
    """Where playback is, as a policy sees it."""

    STARTUP = "startup"  # nothing played yet
    PLAYING = "playing"
    STALLED = "stalled"  # rebuffering after playback started
    PAUSED = "paused"
    SEEKING = "seeking"


@dataclass(frozen=True, slots=True)
class Rung:
    """One quality level. ``index`` 0 is the lowest bitrate."""

    index: int
    bitrate_bps: int
    width: int | None = None
    height: int | None = None
    codecs: str | None = None
    id: str | None = None


@dataclass(frozen=True, slots=True)
class ThroughputSample:
    """One finished (or abandoned) download as measured by the fetcher."""

    nbytes: int
    seconds: float  # from request start to last byte, latency included
    end_time: float
    latency_s: float = 0.0  # time to first byte

    @property
    def bps(self) -> float:
        """Throughput in bits per second (0 for an empty or instant sample)."""
        return self.nbytes * 8 / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True, slots=True)
class DownloadProgress:
    """An in-flight download, for ``should_abandon``."""

    quality: int
    bytes_loaded: int
    bytes_total: int | None
    elapsed_s: float
    segment_duration: float


@dataclass(frozen=True, slots=True)
class AbrContext:
    """Everything a policy may look at when choosing the next segment's rung."""

    now: float
    ladder: tuple[Rung, ...]  # ascending bitrate
    segment_duration: float
    buffer_level: float  # seconds buffered ahead of the playhead
    buffer_target: float  # the engine's buffering goal
    buffer_capacity: float  # most the engine will ever buffer ahead
    throughput_bps: float | None  # the estimator's current estimate
    latency_s: float | None = None
    samples: tuple[ThroughputSample, ...] = ()  # most recent last
    last_quality: int | None = None
    state: PlaybackState = PlaybackState.STARTUP
    segment_number: int = 0  # index of the segment being chosen, 0-based
    segments_left: int | None = None  # including this one; None for live
    next_sizes: tuple[int | None, ...] | None = None  # bytes of the next segment per rung
    rebuffer_s: float = 0.0  # total so far
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def top(self) -> int:
        """Index of the highest rung."""
        return len(self.ladder) - 1


@dataclass(frozen=True, slots=True)
class Decision:
    """A policy's choice and why, in words for logs and the stats overlay."""

    quality: int
    reason: str = ""


@runtime_checkable
class AbrPolicy(Protocol):
    """What the engine calls. ``should_abandon`` is optional (see :func:`abandon_check`)."""

    name: str

    def choose(self, ctx: AbrContext) -> Decision:
        """The rung for the next segment."""
        ...


def abandon_check(policy: AbrPolicy, ctx: AbrContext, progress: DownloadProgress) -> int | None:
    """Call the policy's ``should_abandon`` when it has one; None means keep going."""
    fn = getattr(policy, "should_abandon", None)
    if fn is None:
        return None
    result = fn(ctx, progress)
    return None if result is None else int(result)


class BandwidthEstimator(Protocol):
    """A throughput estimator (ExoPlayer's ``BandwidthMeter``). Pure: no clock, no I/O."""

    def add_sample(self, sample: ThroughputSample) -> None:
        """Feed one measured download."""
        ...

    def estimate_bps(self) -> float | None:
        """Current estimate in bits/s, or None before enough data."""
        ...

    def latency_s(self) -> float | None:
        """Current time-to-first-byte estimate, tracked apart from throughput."""
        ...
