"""The one manifest model that DASH and HLS both parse into.

``Presentation -> Period -> Track -> Representation -> SegmentIndex -> Segment``.
Times are seconds (floats) on the presentation timeline: a segment's ``start`` already
includes its period's start and is free of presentationTimeOffset. Byte ranges are
inclusive at both ends, as in HTTP ``Range`` headers.

A representation's segments are either ready (a :class:`SegmentIndex`) or still to be
fetched (an :class:`IndexRequest`: a DASH SegmentBase sidx or an HLS media playlist).
The sans-I/O engine fetches what an ``IndexRequest`` names and calls its ``resolve``.
"""

from __future__ import annotations

import abc
import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal


class TrackKind(enum.StrEnum):
    """What a track carries."""

    VIDEO = "video"
    AUDIO = "audio"
    TEXT = "text"
    IMAGE = "image"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class ByteRange:
    """An inclusive byte range ``[start, end]``; ``end`` None means to the end."""

    start: int
    end: int | None = None

    @property
    def length(self) -> int | None:
        """Number of bytes, or None when open-ended."""
        return None if self.end is None else self.end - self.start + 1

    def header(self) -> str:
        """The HTTP ``Range`` header value."""
        return f"bytes={self.start}-" + ("" if self.end is None else str(self.end))


@dataclass(frozen=True, slots=True)
class SegmentKey:
    """HLS ``EXT-X-KEY`` (or session key) in force for a segment."""

    method: str  # NONE, AES-128, SAMPLE-AES, SAMPLE-AES-CTR, ...
    uri: str | None = None
    iv: bytes | None = None
    keyformat: str = "identity"
    keyformat_versions: str | None = None


@dataclass(frozen=True, slots=True)
class InitSegment:
    """The initialization segment (DASH Initialization, HLS ``EXT-X-MAP``)."""

    urls: tuple[str, ...]
    byte_range: ByteRange | None = None

    @property
    def url(self) -> str:
        """The preferred URL; the rest of :attr:`urls` are alternative origins."""
        return self.urls[0]


@dataclass(frozen=True, slots=True)
class Part:
    """An LL-HLS partial segment (``EXT-X-PART``)."""

    url: str
    duration: float
    independent: bool = False
    byte_range: ByteRange | None = None
    gap: bool = False


@dataclass(frozen=True, slots=True)
class Segment:
    """One media segment, addressed by number and by presentation time."""

    number: int
    start: float
    duration: float
    urls: tuple[str, ...]
    byte_range: ByteRange | None = None
    init: InitSegment | None = None
    discontinuity: bool = False
    gap: bool = False
    key: SegmentKey | None = None
    program_date_time: float | None = None  # POSIX seconds
    parts: tuple[Part, ...] = ()

    @property
    def url(self) -> str:
        """The preferred URL; the rest of :attr:`urls` are alternative origins."""
        return self.urls[0]

    @property
    def end(self) -> float:
        """Presentation time at which the segment ends."""
        return self.start + self.duration


class SegmentIndex(abc.ABC):
    """A lazy, ordered index of segments.

    Implementations (template, timeline, list, sidx, HLS playlist) compute segments on
    demand: an index over millions of segments costs nothing until iterated, and lookups
    by time or number are O(log n) or better. ``first_number``/``last_number`` bound the
    numbers; for a live index they describe the whole known timeline and
    :meth:`available` narrows them to what can be fetched at a wall-clock time.
    """

    @property
    @abc.abstractmethod
    def first_number(self) -> int:
        """Number of the first segment."""

    @property
    @abc.abstractmethod
    def last_number(self) -> int | None:
        """Number of the last segment; None when unbounded (live without an end)."""

    @abc.abstractmethod
    def by_number(self, number: int) -> Segment | None:
        """The segment with this number, or None if out of range."""

    @abc.abstractmethod
    def at_time(self, t: float) -> Segment | None:
        """The segment whose ``[start, end)`` contains ``t`` (clamped to the first one
        when ``t`` is before it), or None past the end."""

    def available(self, wall_time: float | None = None) -> tuple[int, int] | None:
        """Numbers ``(first, last)`` fetchable at ``wall_time`` (POSIX seconds).

        Static indexes return their whole range; live ones their availability window.
        None when nothing is available.
        """
        last = self.last_number
        if last is None or last < self.first_number:
            return None
        return (self.first_number, last)

    def __len__(self) -> int:
        last = self.last_number
        if last is None:
            raise TypeError("an unbounded live index has no length")
        return max(0, last - self.first_number + 1)

    def __iter__(self) -> Iterator[Segment]:
        last = self.last_number
        if last is None:
            raise TypeError("iterate an unbounded index through available()")
        for n in range(self.first_number, last + 1):
            seg = self.by_number(n)
            if seg is not None:
                yield seg

    @property
    def init(self) -> InitSegment | None:
        """The init segment shared by the index, when there is one."""
        return None


@dataclass(slots=True)
class IndexRequest:
    """Segments that must be fetched before they are known.

    ``kind`` is ``"sidx"`` (DASH SegmentBase: fetch ``url`` with ``byte_range``) or
    ``"hls-playlist"`` (fetch the media playlist at ``url``). ``resolve(data)`` turns the
    fetched bytes into the index (raising ``PlayerError`` on bad data).
    """

    kind: Literal["sidx", "hls-playlist"]
    urls: tuple[str, ...]
    byte_range: ByteRange | None
    resolve: Callable[[bytes], SegmentIndex]
    init: InitSegment | None = None

    @property
    def url(self) -> str:
        """The preferred URL."""
        return self.urls[0]


@dataclass(frozen=True, slots=True)
class BaseUrlInfo:
    """One resolved DASH BaseURL (an origin) with the attributes that rank it.

    ``priority``/``weight`` are DVB's ``@dvb:priority``/``@dvb:weight`` (None when not
    given: DVB treats that as 1). ``availability_time_offset`` is the offset in force (set
    here or inherited from the nearest BaseURL above); ``own_availability_time_offset``
    the value on this element itself.
    """

    url: str
    service_location: str | None = None
    priority: int | None = None
    weight: int | None = None
    availability_time_offset: float | None = None
    availability_time_complete: bool | None = None
    own_availability_time_offset: float | None = None


@dataclass(frozen=True, slots=True)
class PreloadHint:
    """An LL-HLS ``EXT-X-PRELOAD-HINT``: a resource the server will soon make available."""

    type: str  # "PART" or "MAP" (others are kept as written)
    url: str
    byte_range: ByteRange | None = None


@dataclass(frozen=True, slots=True)
class ContentProtection:
    """One DRM system's signalling for a track (DASH ContentProtection / HLS key).

    ``system`` is a name from :mod:`drm` (``"cenc"`` for the mp4protection element,
    ``"clearkey"``, ``"widevine"``, ``"playready"``, ``"fairplay"``, or ``"unknown"``);
    ``system_id`` the lowercase UUID when the scheme names one; ``default_kid`` 32
    lowercase hex digits; ``pssh`` the raw PSSH box bytes (decoded ``cenc:pssh``).
    """

    scheme_id_uri: str
    system: str
    system_id: str | None = None
    value: str | None = None  # "cenc", "cbcs", ... on the mp4protection element
    default_kid: str | None = None
    pssh: bytes | None = None
    license_url: str | None = None
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(slots=True)
class Representation:
    """One encoding of a track (a rung of the ladder)."""

    id: str
    bandwidth: int
    codecs: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    audio_sampling_rate: int | None = None
    channels: int | None = None
    average_bandwidth: int | None = None
    base_urls: tuple[str, ...] = ()
    index: SegmentIndex | IndexRequest | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    base_url_info: tuple[BaseUrlInfo, ...] = ()
    label: str | None = None

    @property
    def segments(self) -> SegmentIndex | None:
        """The ready index, or None while an :class:`IndexRequest` is pending."""
        return self.index if isinstance(self.index, SegmentIndex) else None


@dataclass(frozen=True, slots=True)
class Event:
    """An EventStream event (DASH) or a DATERANGE (HLS)."""

    scheme_id_uri: str
    value: str | None
    id: str | None
    start: float
    duration: float | None
    message: str | None = None


@dataclass(slots=True)
class Track:
    """An adaptation set (DASH) or a rendition group member (HLS)."""

    id: str
    kind: TrackKind
    representations: list[Representation]
    language: str | None = None
    codecs: str | None = None
    mime_type: str | None = None
    label: str | None = None
    roles: tuple[str, ...] = ()
    accessibility: tuple[str, ...] = ()
    protection: tuple[ContentProtection, ...] = ()
    group_id: str | None = None
    is_default: bool = False
    is_iframe_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Period:
    """A period of the presentation (HLS: one period)."""

    id: str | None
    start: float
    duration: float | None
    tracks: list[Track]
    events: list[Event] = field(default_factory=list)

    def tracks_of(self, kind: TrackKind) -> list[Track]:
        """Tracks of one kind, in manifest order."""
        return [t for t in self.tracks if t.kind == kind]


@dataclass(slots=True)
class LiveInfo:
    """What a dynamic MPD or a live HLS playlist says about updates and the window."""

    availability_start_time: float | None = None  # POSIX seconds
    time_shift_buffer_depth: float | None = None
    minimum_update_period: float | None = None
    suggested_presentation_delay: float | None = None
    availability_time_offset: float = 0.0
    target_duration: float | None = None  # HLS
    part_target: float | None = None  # LL-HLS
    publish_time: float | None = None


@dataclass(slots=True)
class Presentation:
    """A parsed manifest: what a player needs to know to play a title."""

    format: Literal["dash", "hls"]
    url: str
    periods: list[Period]
    is_live: bool = False
    duration: float | None = None
    min_buffer_time: float | None = None
    locations: tuple[str, ...] = ()
    live: LiveInfo | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def all_tracks(self) -> Sequence[Track]:
        """Every track of every period, in order."""
        return [t for p in self.periods for t in p.tracks]
