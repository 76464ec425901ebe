"""A bounded ISO BMFF box reader: enough to find pssh, sinf/schm/tenc and senc.

Every read is checked against the buffer; a malformed box raises :class:`_BoxError`,
which the public parsers turn into a :class:`drm.DrmError` with their own code.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

#: Boxes whose payload is only child boxes (the ones on our paths).
CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex", b"sinf", b"schi"}
)
MAX_DEPTH = 16
MAX_BOXES = 100_000


class BoxError(ValueError):
    """A box is malformed (size out of range, truncated field, too deep)."""


@dataclass(frozen=True, slots=True)
class Box:
    """One box: its type, where its payload starts and ends in ``data``."""

    type: bytes
    start: int  # offset of the box header
    payload_start: int
    end: int
    data: bytes

    @property
    def payload(self) -> bytes:
        """The bytes after the header (a copy)."""
        return self.data[self.payload_start : self.end]


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid end to end in ``data[start:end]``."""
    end = len(data) if end is None else end
    if not 0 <= start <= end <= len(data):
        raise BoxError("box range outside the buffer")
    pos = start
    count = 0
    while pos < end:
        count += 1
        if count > MAX_BOXES:
            raise BoxError("too many boxes")
        if end - pos < 8:
            raise BoxError(f"truncated box header at offset {pos}")
        size, btype = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise BoxError(f"truncated 64-bit box size at offset {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if btype == b"uuid":
            header += 16
        if size < header or pos + size > end:
            raise BoxError(f"box {btype!r} at offset {pos} has size {size} out of range")
        yield Box(btype, pos, pos + header, pos + size, data)
        pos += size


def children(box: Box) -> Iterator[Box]:
    """The child boxes of a container box."""
    return iter_boxes(box.data, box.payload_start, box.end)


def find_path(data: bytes, path: list[bytes]) -> Iterator[Box]:
    """Every box reached from the top level through the container types in ``path``."""

    def walk(start: int, end: int, depth: int) -> Iterator[Box]:
        if depth >= len(path):
            return
        for box in iter_boxes(data, start, end):
            if box.type == path[depth]:
                if depth == len(path) - 1:
                    yield box
                else:
                    yield from walk(box.payload_start, box.end, depth + 1)

    return walk(0, len(data), 0)


class Reader:
    """Big-endian field reader over ``data[pos:end]`` that never reads past ``end``."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None) -> None:
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end

    def remaining(self) -> int:
        """Bytes left before ``end``."""
        return self.end - self.pos

    def take(self, n: int) -> bytes:
        """The next ``n`` bytes."""
        if n < 0 or self.pos + n > self.end:
            raise BoxError(f"field of {n} bytes runs past the end of its box")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def u8(self) -> int:
        """An unsigned byte."""
        return self.take(1)[0]

    def u16(self) -> int:
        """A big-endian unsigned 16-bit integer."""
        return int(struct.unpack(">H", self.take(2))[0])

    def u32(self) -> int:
        """A big-endian unsigned 32-bit integer."""
        return int(struct.unpack(">I", self.take(4))[0])

    def full_box_header(self) -> tuple[int, int]:
        """``(version, flags)`` of a full box."""
        word = self.u32()
        return word >> 24, word & 0xFFFFFF


def box_bytes(btype: bytes, payload: bytes) -> bytes:
    """A box with a 32-bit size."""
    return struct.pack(">I4s", 8 + len(payload), btype) + payload


def full_box_bytes(btype: bytes, version: int, flags: int, payload: bytes) -> bytes:
    """A full box with a 32-bit size."""
    return box_bytes(btype, struct.pack(">I", (version << 24) | (flags & 0xFFFFFF)) + payload)
