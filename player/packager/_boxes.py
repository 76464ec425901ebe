"""Just enough ISO BMFF (MP4) box reading and writing for the packager.

The packager lets FFmpeg's muxers write fragmented MP4 and then needs to know what they
wrote (segment durations from ``tfdt``/``trun``, the timescale from ``mdhd``, the codec
configuration from ``stsd``) and to add what they do not write (a ``pssh`` in ``moov``, a
``sidx`` for single-file output). Everything here works on ``bytes``.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

from player.errors import Code, PlayerError

# Boxes whose payload is a sequence of boxes.
_CONTAINERS = frozenset(
    {"moov", "trak", "mdia", "minf", "stbl", "moof", "traf", "mvex", "edts", "dinf", "sinf", "schi"}
)


@dataclass(frozen=True, slots=True)
class Box:
    """One box: its type, where it starts in the buffer, its total size and header size."""

    type: str
    offset: int
    size: int
    header: int

    @property
    def end(self) -> int:
        """Offset just past the box."""
        return self.offset + self.size

    @property
    def body(self) -> int:
        """Offset of the payload (after the header)."""
        return self.offset + self.header


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid end to end in ``data[start:end]``."""
    end = len(data) if end is None else end
    off = start
    while off < end:
        if off + 8 > end:
            raise PlayerError(Code.BOX_INVALID, f"truncated box header at offset {off}")
        size, raw = struct.unpack_from(">I4s", data, off)
        header = 8
        if size == 1:
            if off + 16 > end:
                raise PlayerError(Code.BOX_INVALID, f"truncated largesize at offset {off}")
            size = struct.unpack_from(">Q", data, off + 8)[0]
            header = 16
        elif size == 0:
            size = end - off
        if size < header or off + size > end:
            raise PlayerError(Code.BOX_INVALID, f"box size {size} out of bounds at offset {off}")
        yield Box(raw.decode("latin-1"), off, size, header)
        off += size


def find_box(data: bytes, path: str, start: int = 0, end: int | None = None) -> Box | None:
    """The first box at ``path`` (e.g. ``"moov/trak/mdia/mdhd"``), descending containers."""
    first, _, rest = path.partition("/")
    for box in iter_boxes(data, start, end):
        if box.type == first:
            if not rest:
                return box
            if box.type in _CONTAINERS:
                found = find_box(data, rest, box.body, box.end)
                if found is not None:
                    return found
    return None


def find_all(data: bytes, box_type: str, start: int = 0, end: int | None = None) -> list[Box]:
    """Every box of ``box_type`` at any depth inside containers, in file order."""
    found: list[Box] = []
    for box in iter_boxes(data, start, end):
        if box.type == box_type:
            found.append(box)
        if box.type in _CONTAINERS:
            found.extend(find_all(data, box_type, box.body, box.end))
    return found


def make_box(box_type: str, payload: bytes) -> bytes:
    """A plain box."""
    return struct.pack(">I4s", 8 + len(payload), box_type.encode("latin-1")) + payload


def make_full_box(box_type: str, version: int, flags: int, payload: bytes) -> bytes:
    """A full box (version and 24-bit flags before the payload)."""
    return make_box(box_type, struct.pack(">I", (version << 24) | flags) + payload)


def _u32(data: bytes, off: int) -> int:
    return int(struct.unpack_from(">I", data, off)[0])


def _u64(data: bytes, off: int) -> int:
    return int(struct.unpack_from(">Q", data, off)[0])


def timescale(init: bytes) -> int:
    """The media timescale (``mdhd``) of the single track in an init segment."""
    mdhd = find_box(init, "moov/trak/mdia/mdhd")
    if mdhd is None:
        raise PlayerError(Code.INIT_SEGMENT_INVALID, "init segment has no mdhd")
    version = init[mdhd.body]
    return _u32(init, mdhd.body + (20 if version == 1 else 12))


def sample_entry(init: bytes) -> tuple[str, dict[str, bytes]]:
    """The sample entry type (``avc1``, ``hvc1``, ``mp4a``, ``encv``...) and the payloads
    of the boxes inside it (``avcC``, ``hvcC``, ``esds``, ``sinf``...)."""
    stsd = find_box(init, "moov/trak/mdia/minf/stbl/stsd")
    if stsd is None:
        raise PlayerError(Code.INIT_SEGMENT_INVALID, "init segment has no stsd")
    entries = list(iter_boxes(init, stsd.body + 8, stsd.end))
    if not entries:
        raise PlayerError(Code.INIT_SEGMENT_INVALID, "stsd has no sample entry")
    entry = entries[0]
    # Visual sample entries have 78 bytes of fixed fields, audio ones 28.
    audio = entry.type in {"mp4a", "enca", "Opus", "ac-3", "ec-3"}
    children_at = entry.body + (28 if audio else 78)
    children: dict[str, bytes] = {}
    for child in iter_boxes(init, children_at, entry.end):
        children[child.type] = init[child.body : child.end]
        if child.type == "sinf":
            for sub in find_all(init, "frma", child.body, child.end):
                children["frma"] = init[sub.body : sub.end]
            for sub in find_all(init, "tenc", child.body, child.end):
                children["tenc"] = init[sub.body : sub.end]
    return entry.type, children


def _trex_default_duration(init: bytes) -> int:
    trex = find_box(init, "moov/mvex/trex")
    return 0 if trex is None else _u32(init, trex.body + 12)


@dataclass(frozen=True, slots=True)
class Fragment:
    """One ``moof`` + ``mdat`` pair of a media segment."""

    offset: int  # of the moof in the segment
    size: int  # moof + mdat
    decode_time: int  # tfdt, in the track timescale
    duration: int  # sum of sample durations, in the track timescale
    samples: int
    first_is_sync: bool


def fragments(media: bytes, init: bytes) -> list[Fragment]:
    """The fragments of a media segment (ignoring ``styp``/``sidx``/``emsg`` boxes)."""
    default_duration = _trex_default_duration(init)
    frags: list[Fragment] = []
    boxes = list(iter_boxes(media))
    for i, box in enumerate(boxes):
        if box.type != "moof":
            continue
        if i + 1 >= len(boxes) or boxes[i + 1].type != "mdat":
            raise PlayerError(Code.BOX_INVALID, "moof not followed by mdat")
        mdat = boxes[i + 1]
        tfdt = find_box(media, "traf/tfdt", box.body, box.end)
        tfhd = find_box(media, "traf/tfhd", box.body, box.end)
        if tfdt is None or tfhd is None:
            raise PlayerError(Code.BOX_INVALID, "moof without tfdt/tfhd")
        decode_time = (
            _u64(media, tfdt.body + 4) if media[tfdt.body] == 1 else _u32(media, tfdt.body + 4)
        )
        duration, samples, first_sync = _traf_timing(media, box, tfhd, default_duration)
        frags.append(
            Fragment(box.offset, mdat.end - box.offset, decode_time, duration, samples, first_sync)
        )
    return frags


def _traf_timing(media: bytes, moof: Box, tfhd: Box, trex_duration: int) -> tuple[int, int, bool]:
    tf_flags = _u32(media, tfhd.body) & 0xFFFFFF
    pos = tfhd.body + 8  # version/flags + track_ID
    if tf_flags & 0x01:
        pos += 8  # base-data-offset
    if tf_flags & 0x02:
        pos += 4  # sample-description-index
    default_duration = trex_duration
    if tf_flags & 0x08:
        default_duration = _u32(media, pos)
        pos += 4
    if tf_flags & 0x10:
        pos += 4
    default_flags = _u32(media, pos) if tf_flags & 0x20 else 0
    total = 0
    count = 0
    first_sync = True
    for trun in find_all(media, "trun", moof.body, moof.end):
        flags = _u32(media, trun.body) & 0xFFFFFF
        n = _u32(media, trun.body + 4)
        p = trun.body + 8
        if flags & 0x01:
            p += 4
        first_flags = None
        if flags & 0x04:
            first_flags = _u32(media, p)
            p += 4
        for k in range(n):
            dur = default_duration
            sflags = default_flags
            if flags & 0x100:
                dur = _u32(media, p)
                p += 4
            if flags & 0x200:
                p += 4
            if flags & 0x400:
                sflags = _u32(media, p)
                p += 4
            if flags & 0x800:
                p += 4
            if k == 0 and count == 0:
                if first_flags is not None:
                    sflags = first_flags
                # sample_is_non_sync_sample is bit 16 of the sample flags.
                first_sync = not (sflags >> 16) & 1
            total += dur
        count += n
    return total, count, first_sync


def insert_into_moov(init: bytes, extra: bytes) -> bytes:
    """``init`` with ``extra`` (whole boxes) appended inside ``moov``, sizes fixed up.

    Fragmented files address their samples relative to each ``moof``, so growing the
    ``moov`` moves no sample data offsets.
    """
    moov = find_box(init, "moov")
    if moov is None or moov.header != 8:
        raise PlayerError(Code.INIT_SEGMENT_INVALID, "init segment has no plain moov")
    new_size = moov.size + len(extra)
    head = struct.pack(">I4s", new_size, b"moov")
    return init[: moov.offset] + head + init[moov.body : moov.end] + extra + init[moov.end :]


def strip_boxes(data: bytes, types: frozenset[str]) -> bytes:
    """``data`` without its top-level boxes of the given types."""
    return b"".join(data[b.offset : b.end] for b in iter_boxes(data) if b.type not in types)


def build_sidx(
    reference_id: int,
    timescale: int,
    earliest_presentation_time: int,
    references: list[tuple[int, int]],
    first_offset: int = 0,
) -> bytes:
    """A version-1 ``sidx`` box indexing media ``references`` of ``(size, duration)``.

    Each reference is one segment (a ``moof`` + ``mdat`` starting with a SAP of type 1);
    ``first_offset`` is the distance from the end of this box to the first reference.
    """
    body = struct.pack(
        ">IIQQHH",
        reference_id,
        timescale,
        earliest_presentation_time,
        first_offset,
        0,
        len(references),
    )
    for size, duration in references:
        if size >= 1 << 31:
            raise PlayerError(Code.BOX_INVALID, f"segment of {size} bytes too large for sidx")
        # reference_type 0 (media), starts_with_SAP 1, SAP_type 1, SAP_delta_time 0
        body += struct.pack(">III", size, duration, (1 << 31) | (1 << 28))
    return make_full_box("sidx", 1, 0, body)


@dataclass(frozen=True, slots=True)
class SidxReference:
    """One entry of a parsed ``sidx``: byte range and time span of a subsegment."""

    offset: int  # absolute, in the file the sidx came from
    size: int
    start: int  # presentation time, timescale units
    duration: int
    starts_with_sap: bool


def parse_sidx(data: bytes, box: Box) -> tuple[int, list[SidxReference]]:
    """The timescale and references of a ``sidx`` box found in ``data``."""
    version = data[box.body]
    p = box.body + 4
    _reference_id, scale = struct.unpack_from(">II", data, p)
    p += 8
    if version == 0:
        ept, first = struct.unpack_from(">II", data, p)
        p += 8
    else:
        ept, first = struct.unpack_from(">QQ", data, p)
        p += 16
    (count,) = struct.unpack_from(">2xH", data, p)
    p += 4
    if p + 12 * count > box.end:
        raise PlayerError(Code.SIDX_INVALID, "sidx reference count exceeds the box")
    refs: list[SidxReference] = []
    offset = box.end + first
    t = ept
    for _ in range(count):
        a, dur, c = struct.unpack_from(">III", data, p)
        p += 12
        size = a & 0x7FFFFFFF
        refs.append(SidxReference(offset, size, t, dur, bool(c >> 31)))
        offset += size
        t += dur
    return scale, refs
