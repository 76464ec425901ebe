"""The ISO BMFF Segment Index box (``sidx``, ISO/IEC 14496-12 8.16.3) turned into segments.

A DASH SegmentBase names the byte range of the index (``@indexRange``); the engine
fetches it and :func:`parse_sidx` reads the references. Offsets in a sidx count from the
first byte after the box, so the caller says where in the file the fetched bytes began.
Hierarchical indexes (references to further sidx boxes) are followed when the referenced
boxes are inside the fetched bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from player.errors import Code, PlayerError

_MAX_DEPTH = 8


@dataclass(frozen=True, slots=True)
class SidxReference:
    """One media subsegment: absolute byte offset and size in the file, and timing."""

    offset: int
    size: int
    start: int  # in the sidx timescale, earliest_presentation_time included
    duration: int
    starts_with_sap: bool
    sap_type: int


@dataclass(frozen=True, slots=True)
class Sidx:
    """A parsed index: timescale and the flattened media references in order."""

    timescale: int
    earliest_presentation_time: int
    references: tuple[SidxReference, ...]


def _fail(message: str) -> PlayerError:
    return PlayerError(Code.SIDX_INVALID, f"sidx: {message}")


def _find_box(data: bytes, pos: int, box_type: bytes) -> tuple[int, int, int] | None:
    """(box start, payload start, box end) of the first top-level box of this type."""
    n = len(data)
    while pos + 8 <= n:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > n:
                raise _fail("truncated box header")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = n - pos
        if size < header:
            raise _fail(f"box {kind!r} at byte {pos} has invalid size {size}")
        if kind == box_type:
            return pos, pos + header, pos + size
        pos += size
    return None


def parse_sidx(data: bytes, data_offset: int = 0) -> Sidx:
    """Parse the first ``sidx`` box in ``data`` (which began at file byte ``data_offset``).

    Raises ``PlayerError(SIDX_INVALID)`` when there is no valid sidx.
    """
    found = _find_box(data, 0, b"sidx")
    if found is None:
        raise _fail("no sidx box in the index range")
    refs: list[SidxReference] = []
    timescale, ept = _read(data, found, data_offset, refs, 0, None)
    return Sidx(timescale, ept, tuple(refs))


def _read(
    data: bytes,
    found: tuple[int, int, int],
    data_offset: int,
    out: list[SidxReference],
    depth: int,
    start_override: int | None,
) -> tuple[int, int]:
    if depth > _MAX_DEPTH:
        raise _fail("sidx hierarchy too deep")
    box_start, pos, box_end = found
    if box_end > len(data):
        raise _fail(f"box of {box_end - box_start} bytes truncated to {len(data) - box_start}")
    try:
        version = data[pos]
        pos += 4  # version + flags
        _ref_id, timescale = struct.unpack_from(">II", data, pos)
        pos += 8
        if version == 0:
            ept, first_offset = struct.unpack_from(">II", data, pos)
            pos += 8
        else:
            ept, first_offset = struct.unpack_from(">QQ", data, pos)
            pos += 16
        _reserved, count = struct.unpack_from(">HH", data, pos)
        pos += 4
        if pos + 12 * count > box_end:
            raise _fail(f"{count} references do not fit in the box")
        if timescale == 0:
            raise _fail("timescale is 0")
        offset = data_offset + box_end + first_offset
        t = ept if start_override is None else start_override
        for _ in range(count):
            a, duration, c = struct.unpack_from(">III", data, pos)
            pos += 12
            ref_type, size = a >> 31, a & 0x7FFFFFFF
            if size == 0:
                raise _fail("a reference has size 0")
            if ref_type == 1:
                local = offset - data_offset
                sub = _find_box(data, local, b"sidx") if 0 <= local < len(data) else None
                if sub is None or sub[0] != local:
                    raise PlayerError(
                        Code.SIDX_INVALID,
                        "sidx: a hierarchical reference points outside the fetched index "
                        f"range (byte {offset})",
                    )
                _read(data, sub, data_offset, out, depth + 1, t)
            else:
                out.append(SidxReference(offset, size, t, duration, bool(c >> 31), (c >> 28) & 7))
            offset += size
            t += duration
    except (struct.error, IndexError):  # fields past the end of a short (or empty) box
        raise _fail("truncated box") from None
    return timescale, ept
