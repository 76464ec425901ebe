"""What an init segment says about its encryption: scheme, default KID, IVs, PSSH boxes.

The decode path checks the default KID against the keys it holds *before* decoding,
because a wrong key does not fail loudly: the decoder returns garbage frames.
"""

from __future__ import annotations

from dataclasses import dataclass

from drm._boxes import Box, BoxError, Reader, children, find_path, iter_boxes
from drm.errors import DrmCode, DrmError
from drm.pssh import PsshBox, find_pssh_boxes

_SAMPLE_ENTRY_PATH = [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"]
# Bytes from the start of a sample entry's payload to its child boxes.
_VISUAL_ENTRY_HEADER = 78
_AUDIO_ENTRY_HEADER = 28
# QuickTime sound sample description versions 1 and 2 add 16 and 36 bytes.
_AUDIO_VERSION_EXTRA = {0: 0, 1: 16, 2: 36}


@dataclass(frozen=True, slots=True)
class TrackEncryption:
    """The protection of one track (one ``encv``/``enca`` sample entry).

    ``scheme`` is the ``schm`` scheme type (``"cenc"``, ``"cbcs"``, ``"cens"``, ``"cbc1"``);
    ``original_format`` the ``frma`` codec (``"avc1"`` ...); the rest is the ``tenc`` box.
    """

    track_id: int | None
    handler: str | None
    scheme: str
    scheme_version: int
    original_format: str | None
    default_kid: bytes | None
    is_protected: bool
    per_sample_iv_size: int
    constant_iv: bytes | None
    crypt_byte_block: int
    skip_byte_block: int


@dataclass(frozen=True, slots=True)
class ProtectionInfo:
    """The protection an init segment declares.

    ``scheme`` and ``default_kid`` come from the first protected track (None when the
    content is clear); ``tracks`` has every track's detail; ``pssh`` every PSSH box in
    ``moov``.
    """

    scheme: str | None
    default_kid: bytes | None
    pssh: list[PsshBox]
    tracks: tuple[TrackEncryption, ...] = ()

    @property
    def encrypted(self) -> bool:
        """Whether any track is encrypted."""
        return self.scheme is not None

    @property
    def key_ids(self) -> list[bytes]:
        """Every KID the content needs: the default KIDs and the PSSH KIDs, in order."""
        out: list[bytes] = []
        for t in self.tracks:
            if t.default_kid and t.is_protected and t.default_kid not in out:
                out.append(t.default_kid)
        for box in self.pssh:
            out.extend(k for k in box.key_ids if k not in out)
        return out


def parse_tenc(payload: bytes) -> tuple[bool, int, bytes | None, bytes | None, int, int]:
    """Read a ``tenc`` payload: ``(is_protected, iv_size, kid, constant_iv, crypt, skip)``."""
    try:
        r = Reader(payload)
        version, _flags = r.full_box_header()
        r.u8()  # reserved
        pattern = r.u8()
        crypt, skip = (pattern >> 4, pattern & 0x0F) if version > 0 else (0, 0)
        is_protected = r.u8() != 0
        iv_size = r.u8()
        kid = r.take(16)
        constant_iv = None
        if is_protected and iv_size == 0:
            constant_iv = r.take(r.u8())
    except BoxError as exc:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"malformed tenc box: {exc}") from None
    if iv_size not in (0, 8, 16):
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"tenc per-sample IV size {iv_size}")
    return is_protected, iv_size, (kid if any(kid) else None), constant_iv, crypt, skip


def _fourcc(raw: bytes) -> str:
    return raw.decode("latin-1")


def _track_protection(entry: Box, track_id: int | None, handler: str | None) -> TrackEncryption:
    if entry.type == b"encv":
        skip = _VISUAL_ENTRY_HEADER
    else:
        r = Reader(entry.data, entry.payload_start, entry.end)
        r.take(8)
        skip = _AUDIO_ENTRY_HEADER + _AUDIO_VERSION_EXTRA.get(r.u16(), 0)
    start = entry.payload_start + skip
    if start > entry.end:
        raise BoxError(f"{entry.type!r} sample entry too short")
    sinf = next((b for b in iter_boxes(entry.data, start, entry.end) if b.type == b"sinf"), None)
    if sinf is None:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"{entry.type!r} sample entry without sinf")
    fmt = scheme = None
    version = 0
    tenc: tuple[bool, int, bytes | None, bytes | None, int, int] | None = None
    for box in children(sinf):
        if box.type == b"frma":
            fmt = _fourcc(Reader(box.data, box.payload_start, box.end).take(4))
        elif box.type == b"schm":
            r = Reader(box.data, box.payload_start, box.end)
            r.full_box_header()
            scheme = _fourcc(r.take(4))
            version = r.u32()
        elif box.type == b"schi":
            for sub in children(box):
                if sub.type == b"tenc":
                    tenc = parse_tenc(sub.payload)
    if scheme is None:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "sinf without a schm scheme type")
    if tenc is None:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"{scheme} track without a tenc box")
    is_protected, iv_size, kid, constant_iv, crypt, skip_blocks = tenc
    return TrackEncryption(
        track_id,
        handler,
        scheme,
        version,
        fmt,
        kid,
        is_protected,
        iv_size,
        constant_iv,
        crypt,
        skip_blocks,
    )


def read_protection_info(init_segment: bytes) -> ProtectionInfo:
    """The protection an MP4 init segment declares (scheme, default KID, PSSH boxes).

    A clear init segment gives ``ProtectionInfo(None, None, [])``; bytes that are not a
    well-formed MP4 init segment raise ``DrmError(INIT_DATA_INVALID)`` (a malformed PSSH:
    ``PSSH_INVALID``).
    """
    data = bytes(init_segment)
    tracks: list[TrackEncryption] = []
    try:
        if not any(b.type == b"moov" for b in iter_boxes(data)):
            raise DrmError(DrmCode.INIT_DATA_INVALID, "no moov box: not an MP4 init segment")
        for trak in find_path(data, [b"moov", b"trak"]):
            track_id, handler = _track_header(trak)
            for stsd in _find_under(trak, _SAMPLE_ENTRY_PATH[2:]):
                r = Reader(stsd.data, stsd.payload_start, stsd.end)
                r.full_box_header()
                count = r.u32()
                for i, entry in enumerate(iter_boxes(stsd.data, r.pos, stsd.end)):
                    if i >= count:
                        break
                    if entry.type in (b"encv", b"enca"):
                        tracks.append(_track_protection(entry, track_id, handler))
        pssh = find_pssh_boxes(data)
    except BoxError as exc:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"malformed init segment: {exc}") from None
    first = next((t for t in tracks if t.is_protected), None)
    return ProtectionInfo(
        first.scheme if first else None, first.default_kid if first else None, pssh, tuple(tracks)
    )


def _find_under(box: Box, path: list[bytes]) -> list[Box]:
    level = [box]
    for btype in path:
        level = [c for b in level for c in children(b) if c.type == btype]
    return level


def _track_header(trak: Box) -> tuple[int | None, str | None]:
    track_id = handler = None
    for box in children(trak):
        if box.type == b"tkhd":
            r = Reader(box.data, box.payload_start, box.end)
            version, _ = r.full_box_header()
            r.take(16 if version == 1 else 8)
            track_id = r.u32()
        elif box.type == b"mdia":
            for sub in children(box):
                if sub.type == b"hdlr":
                    r = Reader(sub.data, sub.payload_start, sub.end)
                    r.full_box_header()
                    r.take(4)
                    handler = _fourcc(r.take(4))
    return track_id, handler
