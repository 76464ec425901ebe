"""Just enough ISO-BMFF to loop fMP4 segments: track timescales from an init segment, and
shifting a media segment's decode times (``tfdt``, ``sidx``) by a whole loop."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from fractions import Fraction

from player.errors import Code, PlayerError


def _boxes(data: bytes | bytearray, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, box start, box end) of the boxes laid end to end in ``data[start:end]``."""
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                break
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise PlayerError(
                Code.BOX_INVALID, f"box {kind!r} at {pos} overruns its parent", data={"at": pos}
            )
        yield kind, pos, pos + size
        pos += size


def track_timescales(init: bytes) -> dict[int, int]:
    """``{track_ID: media timescale}`` of every track in an init segment's ``moov``."""
    out: dict[int, int] = {}
    for kind, s, e in _boxes(init, 0, len(init)):
        if kind != b"moov":
            continue
        for tkind, ts, te in _boxes(init, s + 8, e):
            if tkind != b"trak":
                continue
            track_id = timescale = None
            for ckind, cs, ce in _boxes(init, ts + 8, te):
                if ckind == b"tkhd":
                    version = init[cs + 8]
                    track_id = struct.unpack_from(">I", init, cs + (28 if version else 20))[0]
                elif ckind == b"mdia":
                    for mkind, ms, _me in _boxes(init, cs + 8, ce):
                        if mkind == b"mdhd":
                            version = init[ms + 8]
                            off = ms + (28 if version else 20)
                            timescale = struct.unpack_from(">I", init, off)[0]
            if track_id is not None and timescale:
                out[track_id] = timescale
    return out


def shift_decode_times(
    segment: bytes, shift_s: Fraction, timescales: dict[int, int], default_timescale: int
) -> bytes:
    """A copy of a media segment whose ``tfdt`` base media decode times (and ``sidx``
    earliest presentation times) are ``shift_s`` seconds later, in each track's
    timescale (from ``timescales``, else ``default_timescale``; ``sidx`` has its own).

    Raises ``PlayerError(UNSUPPORTED_FEATURE)`` if a 32-bit field would overflow (after
    about 13 hours of looping at 90 kHz): widening it would move every byte after it.
    """
    out = bytearray(segment)
    for kind, s, e in _boxes(out, 0, len(out)):
        if kind == b"sidx":
            # sidx: header 8, version/flags 4, reference_ID 4, timescale 4, then the time.
            (timescale,) = struct.unpack_from(">I", out, s + 16)
            _add(out, s + 20, out[s + 8] == 1, round(shift_s * timescale))
        elif kind == b"moof":
            for tkind, ts, te in _boxes(out, s + 8, e):
                if tkind != b"traf":
                    continue
                timescale = default_timescale
                for ckind, cs, _ce in _boxes(out, ts + 8, te):
                    if ckind == b"tfhd":
                        track_id = struct.unpack_from(">I", out, cs + 12)[0]
                        timescale = timescales.get(track_id, default_timescale)
                    elif ckind == b"tfdt":
                        _add(out, cs + 12, out[cs + 8] == 1, round(shift_s * timescale))
    return bytes(out)


def _add(out: bytearray, offset: int, wide: bool, delta: int) -> None:
    fmt = ">Q" if wide else ">I"
    (value,) = struct.unpack_from(fmt, out, offset)
    value += delta
    if value >= (1 << (64 if wide else 32)):
        raise PlayerError(
            Code.UNSUPPORTED_FEATURE,
            "looped decode time overflows a 32-bit tfdt/sidx field; restart the origin",
        )
    struct.pack_into(fmt, out, offset, value)
