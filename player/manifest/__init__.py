"""The manifest model and the DASH/HLS parsers that fill it."""

from player.manifest.model import (
    ByteRange,
    ContentProtection,
    Event,
    IndexRequest,
    InitSegment,
    LiveInfo,
    Part,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    SegmentKey,
    Track,
    TrackKind,
)

__all__ = [
    "ByteRange",
    "ContentProtection",
    "Event",
    "IndexRequest",
    "InitSegment",
    "LiveInfo",
    "Part",
    "Period",
    "Presentation",
    "Representation",
    "Segment",
    "SegmentIndex",
    "SegmentKey",
    "Track",
    "TrackKind",
]
