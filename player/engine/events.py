"""What the engine emits: actions for its driver and observable events.

Actions tell the driver what to do: :class:`Fetch` a URL (with alternatives), :class:`Abort`
a request, :class:`Flush` the sink and re-feed it from the engine's buffer, and
:class:`WaitUntil` a time (call ``tick`` then at the latest). Every other item is an
observable :class:`PlayerEvent` with the time it happened; the real-time Player forwards
them to callbacks, the async iterator and the analytics sink, and :mod:`player.stats`
derives the session's stats from them.

They are plain slotted dataclasses, not frozen ones: the engine makes several per segment
and a frozen dataclass costs about four times as much to build. Treat them as read-only.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass
from typing import Any, ClassVar

from player.errors import PlayerError
from player.manifest.model import ByteRange, InitSegment, Segment, TrackKind

__all__ = [
    "Abandoned",
    "Abort",
    "Action",
    "Downloaded",
    "Ended",
    "Error",
    "Evicted",
    "Fetch",
    "FetchPurpose",
    "Flush",
    "LiveJump",
    "ManifestUpdated",
    "PlaybackStarted",
    "PlayerEvent",
    "QualityChanged",
    "RequestFailed",
    "Resumed",
    "Seeked",
    "Seeking",
    "SegmentAppended",
    "Stalled",
    "StreamFetched",
    "TrackChanged",
    "WaitUntil",
]


class FetchPurpose(enum.StrEnum):
    """Why a URL is fetched."""

    MEDIA = "media"
    INIT = "init"
    INDEX = "index"  # a DASH sidx or an HLS media playlist (IndexRequest)
    MANIFEST = "manifest"


@dataclass(slots=True)
class Fetch:
    """Fetch ``url`` (``urls`` are the alternatives, preferred first, failed origins last)
    and report back with ``progress``/``complete``/``failed`` under ``request_id``."""

    request_id: int
    purpose: FetchPurpose
    url: str
    urls: tuple[str, ...]
    byte_range: ByteRange | None = None
    track: TrackKind | None = None
    segment: Segment | None = None
    init: InitSegment | None = None  # the init segment the media needs
    quality: int | None = None
    representation_id: str | None = None
    bitrate_bps: int | None = None
    attempt: int = 1


@dataclass(slots=True)
class Abort:
    """Cancel an in-flight request; do not report on it again."""

    request_id: int
    reason: str = ""


@dataclass(slots=True)
class Flush:
    """Drop what the sink holds and re-feed it, in order, from the engine's buffer
    (``Engine.buffered_segments(kind, position)``) from ``position`` on."""

    position: float


@dataclass(slots=True)
class WaitUntil:
    """Nothing needs doing before ``time`` unless another event arrives; call ``tick``
    then. Only the last WaitUntil of a batch counts."""

    time: float


@dataclass(slots=True)
class PlayerEvent:
    """An observable event; ``time`` is on the driver's clock."""

    type: ClassVar[str] = "event"
    time: float

    def to_record(self) -> dict[str, Any]:
        """A JSON-ready dict with ``type`` and every field (for analytics sinks)."""
        rec: dict[str, Any] = {"type": self.type}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, PlayerError):
                value = value.to_json()
            elif isinstance(value, enum.Enum):
                value = value.value
            rec[f.name] = value
        return rec


@dataclass(slots=True)
class PlaybackStarted(PlayerEvent):
    """The first frame can be shown: ``start_s`` is buffered and play was requested."""

    type: ClassVar[str] = "playback_started"
    position: float


@dataclass(slots=True)
class Stalled(PlayerEvent):
    """The playhead reached the end of the buffer (a rebuffer starts)."""

    type: ClassVar[str] = "stalled"
    position: float


@dataclass(slots=True)
class Resumed(PlayerEvent):
    """Playback resumed after a stall of ``stall_s`` seconds."""

    type: ClassVar[str] = "resumed"
    position: float
    stall_s: float


@dataclass(slots=True)
class Seeking(PlayerEvent):
    """A seek was requested (from ``from_position`` to ``position``)."""

    type: ClassVar[str] = "seeking"
    from_position: float
    position: float


@dataclass(slots=True)
class Seeked(PlayerEvent):
    """The seek completed: playback can go on from ``position``."""

    type: ClassVar[str] = "seeked"
    position: float


@dataclass(slots=True)
class QualityChanged(PlayerEvent):
    """The appended quality of a track changed (``old_quality`` None for the first)."""

    type: ClassVar[str] = "quality_changed"
    track: TrackKind
    old_quality: int | None
    quality: int
    bitrate_bps: int
    representation_id: str
    position: float  # presentation time where the new quality starts
    reason: str = ""


@dataclass(slots=True)
class SegmentAppended(PlayerEvent):
    """A media segment was downloaded and added to the buffer."""

    type: ClassVar[str] = "segment_appended"
    track: TrackKind
    number: int
    start: float
    duration: float
    quality: int
    bitrate_bps: int
    nbytes: int


@dataclass(slots=True)
class Downloaded(PlayerEvent):
    """A request finished (or was aborted) after moving ``nbytes`` in ``seconds``."""

    type: ClassVar[str] = "downloaded"
    purpose: FetchPurpose
    track: TrackKind | None
    url: str
    nbytes: int
    seconds: float
    aborted: bool = False


@dataclass(slots=True)
class Abandoned(PlayerEvent):
    """The ABR policy dropped an in-flight download to refetch at a lower quality."""

    type: ClassVar[str] = "abandoned"
    track: TrackKind
    number: int
    quality: int
    new_quality: int
    nbytes: int


@dataclass(slots=True)
class RequestFailed(PlayerEvent):
    """A request failed; the engine will retry (on another origin, after a refresh)
    unless ``will_retry`` is False."""

    type: ClassVar[str] = "request_failed"
    purpose: FetchPurpose
    track: TrackKind | None
    url: str
    error: PlayerError
    attempt: int
    will_retry: bool


@dataclass(slots=True)
class Evicted(PlayerEvent):
    """Buffered media was dropped (behind the playhead, or over the byte cap)."""

    type: ClassVar[str] = "evicted"
    track: TrackKind
    start: float
    end: float
    nbytes: int


@dataclass(slots=True)
class ManifestUpdated(PlayerEvent):
    """A refreshed manifest (or live media playlist) was applied."""

    type: ClassVar[str] = "manifest_updated"
    is_live: bool


@dataclass(slots=True)
class LiveJump(PlayerEvent):
    """The playhead fell out of the live window and jumped back near the live edge."""

    type: ClassVar[str] = "live_jump"
    from_position: float
    position: float


@dataclass(slots=True)
class TrackChanged(PlayerEvent):
    """The audio or text track changed (``track_id`` None: text turned off)."""

    type: ClassVar[str] = "track_changed"
    track: TrackKind
    track_id: str | None
    language: str | None


@dataclass(slots=True)
class StreamFetched(PlayerEvent):
    """Every segment up to the end is buffered (the sink may drain)."""

    type: ClassVar[str] = "stream_fetched"


@dataclass(slots=True)
class Ended(PlayerEvent):
    """Playback reached the end of the presentation."""

    type: ClassVar[str] = "ended"
    position: float


@dataclass(slots=True)
class Error(PlayerEvent):
    """An error; ``fatal`` means the engine stopped."""

    type: ClassVar[str] = "error"
    error: PlayerError
    fatal: bool


Action = Fetch | Abort | Flush | WaitUntil | PlayerEvent
