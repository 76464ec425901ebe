"""WebVTT in fragmented MP4 (ISO/IEC 14496-30 ``wvtt``): segments into cues.

The init segment gives the timescale (``mdhd``) and the trex defaults; each media segment
has ``moof`` (``tfhd``, ``tfdt``, ``trun``) and ``mdat`` boxes. Every sample is a run of
boxes: ``vttc`` (a cue: ``payl`` text, ``sttg`` settings, ``iden`` id) or ``vtte`` (no
cue). A sample lasting from t to t + duration shows each of its cues for that time; a cue
split across samples or segments comes back as adjacent pieces (``CueTimeline`` joins
them). Any box that does not fit its parent is ``SUBTITLE_INVALID``, never an IndexError.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from player.errors import Code, PlayerError
from player.text.cue import Cue
from player.text.webvtt import parse_settings

__all__ = ["is_wvtt_init", "parse_wvtt"]

_CONTAINERS_INIT = (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex")


@dataclass(frozen=True, slots=True)
class _WvttTrack:
    """What a ``wvtt`` init segment says: the timescale and the trex defaults."""

    timescale: int
    default_duration: int = 0
    default_size: int = 0


def _boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """``(type, payload start, box end)`` for each box in ``data[start:end]``."""
    end = len(data) if end is None else end
    pos = start
    while pos < end:
        if end - pos < 8:
            raise PlayerError(Code.SUBTITLE_INVALID, f"truncated box header at byte {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise PlayerError(Code.SUBTITLE_INVALID, f"truncated large box at byte {pos}")
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise PlayerError(
                Code.SUBTITLE_INVALID,
                f"box {kind!r} at byte {pos} claims {size} bytes, {end - pos} remain",
            )
        yield kind, pos + header, pos + size
        pos += size


def _find(
    data: bytes, path: tuple[bytes, ...], start: int = 0, end: int | None = None
) -> list[tuple[int, int]]:
    """Payload spans of every box at ``path`` (a nesting of box types)."""
    found: list[tuple[int, int]] = []
    for kind, body, box_end in _boxes(data, start, end):
        if kind != path[0]:
            continue
        if len(path) == 1:
            found.append((body, box_end))
        else:
            found.extend(_find(data, path[1:], body, box_end))
    return found


def _u32(data: bytes, pos: int, end: int) -> int:
    if pos + 4 > end:
        raise PlayerError(Code.SUBTITLE_INVALID, f"field at byte {pos} runs past its box")
    return int(struct.unpack_from(">I", data, pos)[0])


def _u64(data: bytes, pos: int, end: int) -> int:
    if pos + 8 > end:
        raise PlayerError(Code.SUBTITLE_INVALID, f"field at byte {pos} runs past its box")
    return int(struct.unpack_from(">Q", data, pos)[0])


def is_wvtt_init(init: bytes) -> bool:
    """Whether ``init`` is an MP4 init segment whose sample entry is ``wvtt``."""
    try:
        stsd = _find(init, (b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"))
    except PlayerError:
        return False
    for body, end in stsd:
        # stsd: full box header (4) + entry count (4), then sample entries.
        for kind, _, _ in _boxes(init, body + 8, end):
            if kind == b"wvtt":
                return True
    return False


def _read_init(init: bytes) -> _WvttTrack:
    """The timescale and defaults of a ``wvtt`` init segment (``SUBTITLE_INVALID`` if it
    is not one)."""
    if not is_wvtt_init(init):
        raise PlayerError(Code.SUBTITLE_INVALID, "the init segment has no 'wvtt' sample entry")
    mdhd = _find(init, (b"moov", b"trak", b"mdia", b"mdhd"))
    if not mdhd:
        raise PlayerError(Code.SUBTITLE_INVALID, "the init segment has no 'mdhd' box")
    body, end = mdhd[0]
    version = init[body] if body < end else 0
    timescale = _u32(init, body + (20 if version == 1 else 12), end)
    if timescale <= 0:
        raise PlayerError(Code.SUBTITLE_INVALID, "the text track's timescale is 0")
    duration = size = 0
    trex = _find(init, (b"moov", b"mvex", b"trex"))
    if trex:
        tb, te = trex[0]
        duration = _u32(init, tb + 12, te)
        size = _u32(init, tb + 16, te)
    return _WvttTrack(timescale, duration, size)


def parse_wvtt(init: bytes, segment: bytes) -> list[Cue]:
    """The cues of one ``wvtt`` media segment, times in seconds on the media timeline.

    Raises ``PlayerError(SUBTITLE_INVALID)`` when the init segment is not ``wvtt`` or a
    box is malformed.
    """
    track = _read_init(init)
    cues: list[Cue] = []
    moof_start: int | None = None
    for kind, body, end in _boxes(segment):
        if kind == b"moof":
            moof_start = body - 8
            for traf_body, traf_end in _find(segment, (b"traf",), body, end):
                cues.extend(_traf(segment, traf_body, traf_end, moof_start, track))
    return cues


def _traf(data: bytes, body: int, end: int, moof_start: int, track: _WvttTrack) -> list[Cue]:
    duration, size, base = track.default_duration, track.default_size, moof_start
    decode_time = 0
    for kind, b, e in _boxes(data, body, end):
        if kind == b"tfhd":
            flags = _u32(data, b, e) & 0xFFFFFF
            pos = b + 8  # version/flags, track_ID
            if flags & 0x01:
                base = _u64(data, pos, e)
                pos += 8
            if flags & 0x02:
                pos += 4
            if flags & 0x08:
                duration = _u32(data, pos, e)
                pos += 4
            if flags & 0x10:
                size = _u32(data, pos, e)
        elif kind == b"tfdt":
            version = data[b] if b < e else 0
            decode_time = _u64(data, b + 4, e) if version == 1 else _u32(data, b + 4, e)
    cues: list[Cue] = []
    for kind, b, e in _boxes(data, body, end):
        if kind != b"trun":
            continue
        flags = _u32(data, b, e) & 0xFFFFFF
        version = data[b]
        count = _u32(data, b + 4, e)
        pos = b + 8
        offset = 0
        if flags & 0x01:
            offset = struct.unpack(">i", data[pos : pos + 4])[0] if pos + 4 <= e else 0
            pos += 4
        if flags & 0x04:
            pos += 4
        per_sample = 4 * bin(flags & 0xF00).count("1")
        if count * per_sample > e - pos:
            raise PlayerError(Code.SUBTITLE_INVALID, f"trun claims {count} samples, too many")
        sample_pos = base + offset
        for _ in range(count):
            d, s, cto = duration, size, 0
            if flags & 0x100:
                d = _u32(data, pos, e)
                pos += 4
            if flags & 0x200:
                s = _u32(data, pos, e)
                pos += 4
            if flags & 0x400:
                pos += 4
            if flags & 0x800:
                raw = _u32(data, pos, e)
                cto = raw - (1 << 32) if version == 1 and raw >= 1 << 31 else raw
                pos += 4
            if sample_pos < 0 or sample_pos + s > len(data):
                raise PlayerError(
                    Code.SUBTITLE_INVALID, f"a text sample at byte {sample_pos} lies outside mdat"
                )
            t0 = (decode_time + cto) / track.timescale
            cues.extend(_sample(data, sample_pos, sample_pos + s, t0, t0 + d / track.timescale))
            sample_pos += s
            decode_time += d
    return cues


def _sample(data: bytes, start: int, end: int, t0: float, t1: float) -> list[Cue]:
    cues: list[Cue] = []
    for kind, body, box_end in _boxes(data, start, end):
        if kind != b"vttc":
            continue  # vtte (empty) and vtta (comments) carry no cue
        text = ident = settings = ""
        for child, cb, ce in _boxes(data, body, box_end):
            value = data[cb:ce].decode("utf-8", errors="replace")
            if child == b"payl":
                text = value
            elif child == b"iden":
                ident = value
            elif child == b"sttg":
                settings = value
        cues.append(Cue(t0, t1, text, ident, parse_settings(settings)))
    return cues
