"""Where fetched media goes: the seam between the Player and the decode path.

The Player hands every init and media segment to a :class:`MediaSink`. The decode path
(``player.decode``) is one sink; :class:`NullSink` discards media for headless use; an app
may supply its own. A sink that renders owns the playback clock: when
:meth:`MediaSink.position` returns a time, the Player uses it as the playhead, so the
position the engine sees is the one the viewer shows (audio clock leads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from player.manifest.model import TrackKind


@dataclass(frozen=True, slots=True)
class MediaChunk:
    """One media segment as fetched, with what a decoder needs to place it."""

    kind: TrackKind
    representation_id: str
    number: int
    start: float  # presentation time
    duration: float
    init: bytes  # the init segment in force for this chunk
    data: bytes
    discontinuity: bool = False


@dataclass(slots=True)
class SinkStats:
    """What a sink reports into the Player's stats."""

    frames_decoded: int = 0
    frames_rendered: int = 0
    dropped_frames: int = 0
    audio_samples: int = 0
    first_frame_at: float | None = None  # monotonic time the first frame was shown
    errors: list[str] = field(default_factory=list)


@runtime_checkable
class MediaSink(Protocol):
    """Receives media in presentation order per track and (optionally) renders it."""

    async def append(self, chunk: MediaChunk) -> None:
        """Queue a segment; awaits when the sink's bounded queue is full (backpressure)."""
        ...

    def flush(self, position: float) -> None:
        """Drop everything queued (a seek); the next chunk starts at ``position``."""
        ...

    def set_keys(self, keys: dict[str, str]) -> None:
        """Content keys (KID hex -> key hex) for encrypted media, from the CDM."""
        ...

    def set_playing(self, playing: bool) -> None:
        """Start or pause the sink's clock."""
        ...

    def position(self) -> float | None:
        """The presentation time being shown, or None if the sink keeps no clock."""
        ...

    def end_of_stream(self) -> None:
        """No more chunks will come; render what is queued."""
        ...

    @property
    def stats(self) -> SinkStats:
        """Counters for the Player's stats."""
        ...

    async def close(self) -> None:
        """Stop workers and release resources."""
        ...


class NullSink:
    """Discards media; the Player keeps the clock itself (headless, ``--no-decode``)."""

    def __init__(self) -> None:
        self._stats = SinkStats()

    async def append(self, chunk: MediaChunk) -> None:
        """Discard the chunk."""

    def flush(self, position: float) -> None:
        """Nothing is queued."""

    def set_keys(self, keys: dict[str, str]) -> None:
        """Keys are not needed when nothing is decoded."""

    def set_playing(self, playing: bool) -> None:
        """No clock to start."""

    def position(self) -> float | None:
        """No clock: the Player's own clock is the playhead."""
        return None

    def end_of_stream(self) -> None:
        """Nothing to drain."""

    @property
    def stats(self) -> SinkStats:
        """All zero."""
        return self._stats

    async def close(self) -> None:
        """Nothing to release."""
