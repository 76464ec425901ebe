"""Structural checks of fMP4 segments before they reach the demuxer.

The MP4 demuxer reads a truncated or garbled fragment without complaint and returns fewer
packets (or none), which would show as a silent gap. Walking the top-level boxes first
turns such a segment into a typed, recoverable ``CORRUPT_SEGMENT`` the engine can refetch.
Only top-level boxes are walked; what is inside them (tenc, pssh) is ``drm``'s parser.
"""

from __future__ import annotations

import struct

from player.errors import Code, PlayerError

# Box types that may stand at the top level of an init or media segment.
_KNOWN_TOP_LEVEL = frozenset(
    {
        b"ftyp",
        b"styp",
        b"moov",
        b"moof",
        b"mdat",
        b"sidx",
        b"ssix",
        b"prft",
        b"emsg",
        b"free",
        b"skip",
        b"uuid",
        b"pssh",
        b"mfra",
        b"meta",
        b"udta",
    }
)
_MAX_BOXES = 100_000


def top_level_boxes(data: bytes) -> list[tuple[bytes, int, int]]:
    """``(type, start, end)`` of the boxes laid end to end in ``data``.

    Raises ``ValueError`` with a reason when a box header is truncated or a size points
    outside the buffer.
    """
    boxes: list[tuple[bytes, int, int]] = []
    pos = 0
    end = len(data)
    while pos < end:
        if len(boxes) >= _MAX_BOXES:
            raise ValueError("too many boxes")
        if end - pos < 8:
            raise ValueError(f"truncated box header at offset {pos}")
        size, btype = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise ValueError(f"truncated 64-bit box size at offset {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:  # "extends to the end of the file"
            size = end - pos
        if size < header or pos + size > end:
            raise ValueError(
                f"box {btype!r} at offset {pos} claims {size} bytes, {end - pos} remain"
            )
        boxes.append((btype, pos, pos + size))
        pos += size
    return boxes


def check_init(init: bytes, *, representation_id: str = "") -> None:
    """Raise ``PlayerError(INIT_SEGMENT_INVALID)`` unless ``init`` holds a ``moov`` box."""
    try:
        types = [t for t, _, _ in top_level_boxes(init)]
    except ValueError as exc:
        raise PlayerError(
            Code.INIT_SEGMENT_INVALID,
            f"init segment of {representation_id!r} is malformed: {exc}",
            recoverable=True,
            data={"representation_id": representation_id},
        ) from None
    if b"moov" not in types:
        raise PlayerError(
            Code.INIT_SEGMENT_INVALID,
            f"init segment of {representation_id!r} has no moov box",
            recoverable=True,
            data={"representation_id": representation_id},
        )


def check_media(data: bytes, *, representation_id: str = "", number: int = -1) -> None:
    """Raise ``PlayerError(CORRUPT_SEGMENT, recoverable=True)`` unless ``data`` is whole.

    A whole media segment is boxes laid end to end, with at least one ``moof`` followed by
    an ``mdat``, and no unknown top-level box (random bytes read as a box type).
    """
    detail = {"representation_id": representation_id, "number": number}
    try:
        boxes = top_level_boxes(data)
    except ValueError as exc:
        raise PlayerError(
            Code.CORRUPT_SEGMENT,
            f"segment {number} of {representation_id!r} is truncated or garbled: {exc}",
            recoverable=True,
            data=detail,
        ) from None
    types = [t for t, _, _ in boxes]
    unknown = [t for t in types if t not in _KNOWN_TOP_LEVEL]
    if unknown:
        raise PlayerError(
            Code.CORRUPT_SEGMENT,
            f"segment {number} of {representation_id!r} has unknown top-level box {unknown[0]!r}",
            recoverable=True,
            data=detail,
        )
    if b"moof" not in types or b"mdat" not in types[types.index(b"moof") :]:
        raise PlayerError(
            Code.CORRUPT_SEGMENT,
            f"segment {number} of {representation_id!r} has no moof+mdat fragment",
            recoverable=True,
            data=detail,
        )
