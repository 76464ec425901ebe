"""PSSH boxes (ISO/IEC 23001-7 ``pssh``, versions 0 and 1): build, parse and find them.

A PSSH box carries one DRM system's init data: its system id, for version 1 the key ids
it covers, and opaque system data (a Widevine protobuf, a PlayReady Object, ...). They
appear in ``moov`` and ``moof``, base64-encoded in an MPD's ``cenc:pssh``, and
concatenated as EME's ``"cenc"`` init data. The PIFF 1.1 ``uuid`` form of the box (used
by Smooth Streaming) is read too.
"""

from __future__ import annotations

import base64
import binascii
import struct
import uuid
from dataclasses import dataclass

from drm._boxes import Box, BoxError, Reader, box_bytes, iter_boxes
from drm.errors import DrmCode, DrmError
from drm.systems import DrmSystem, system_by_id

#: The extended type of the PIFF 1.1 ProtectionSystemSpecificHeaderBox (``uuid`` box).
PIFF_PSSH_UUID = uuid.UUID("d08a4f18-10f3-4a82-b6c8-32d8aba183d3").bytes
# A PSSH lists at most this many key ids: far above any real one, and keeps parsing bounded.
MAX_KEY_IDS = 4096


@dataclass(frozen=True, slots=True)
class PsshBox:
    """One parsed PSSH box.

    ``system_id`` is 16 bytes; ``key_ids`` the 16-byte KIDs of a version 1 box (empty for
    version 0); ``data`` the system-specific payload.
    """

    version: int
    system_id: bytes
    key_ids: tuple[bytes, ...]
    data: bytes

    @property
    def system(self) -> DrmSystem | None:
        """The known DRM system of :attr:`system_id`, or None."""
        return system_by_id(self.system_id)

    @property
    def system_name(self) -> str:
        """The short system name (``"widevine"`` ...), or ``"unknown"``."""
        found = self.system
        return found.name if found else "unknown"

    def to_bytes(self) -> bytes:
        """The box serialized again (always the standard ``pssh`` form)."""
        return build_pssh(self.system_id, list(self.key_ids), self.data, self.version)

    def to_base64(self) -> str:
        """The box as an MPD's ``cenc:pssh`` text."""
        return base64.b64encode(self.to_bytes()).decode("ascii")


def build_pssh(
    system_id: bytes, key_ids: list[bytes], data: bytes = b"", version: int = 1
) -> bytes:
    """A ``pssh`` box for ``system_id`` (16 bytes) covering ``key_ids`` (16 bytes each).

    Version 0 boxes cannot list key ids, so ``key_ids`` must then be empty.
    """
    if len(system_id) != 16:
        raise DrmError(DrmCode.PSSH_INVALID, "a PSSH system id is 16 bytes")
    if version not in (0, 1):
        raise DrmError(DrmCode.PSSH_INVALID, f"PSSH version {version} is not 0 or 1")
    if any(len(k) != 16 for k in key_ids):
        raise DrmError(DrmCode.PSSH_INVALID, "a key id is 16 bytes")
    if version == 0 and key_ids:
        raise DrmError(DrmCode.PSSH_INVALID, "a version 0 PSSH cannot list key ids")
    body = struct.pack(">I", version << 24) + bytes(system_id)
    if version == 1:
        body += struct.pack(">I", len(key_ids)) + b"".join(bytes(k) for k in key_ids)
    body += struct.pack(">I", len(data)) + bytes(data)
    return box_bytes(b"pssh", body)


def _parse_pssh_box(box: Box) -> PsshBox:
    try:
        r = Reader(box.data, box.payload_start, box.end)
        version, _flags = r.full_box_header()
        if box.type == b"uuid":
            # PIFF: the extended type came before the full-box header; no key ids.
            if box.data[box.payload_start - 16 : box.payload_start] != PIFF_PSSH_UUID:
                raise BoxError("not a PIFF pssh uuid box")
            system_id = r.take(16)
            key_ids: list[bytes] = []
        else:
            if version > 1:
                raise BoxError(f"unknown PSSH version {version}")
            system_id = r.take(16)
            key_ids = []
            if version == 1:
                count = r.u32()
                if count > MAX_KEY_IDS or count * 16 > r.remaining():
                    raise BoxError(f"KID count {count} does not fit the box")
                key_ids = [r.take(16) for _ in range(count)]
        size = r.u32()
        data = r.take(size)
        if r.remaining():
            raise BoxError(f"{r.remaining()} stray bytes after the PSSH data")
    except BoxError as exc:
        raise DrmError(DrmCode.PSSH_INVALID, f"malformed PSSH box: {exc}") from None
    return PsshBox(version, system_id, tuple(key_ids), data)


def _is_pssh(box: Box) -> bool:
    if box.type == b"pssh":
        return True
    return box.type == b"uuid" and box.data[box.payload_start - 16 : box.payload_start] == (
        PIFF_PSSH_UUID
    )


def parse_pssh(data: bytes | str) -> PsshBox:
    """Parse one PSSH box: bytes, or base64 text as in an MPD's ``cenc:pssh``.

    Anything but exactly one well-formed PSSH box raises ``DrmError(PSSH_INVALID)``.
    """
    raw = _decode_b64(data) if isinstance(data, str) else bytes(data)
    try:
        boxes = list(iter_boxes(raw))
    except BoxError as exc:
        raise DrmError(DrmCode.PSSH_INVALID, f"malformed PSSH box: {exc}") from None
    if len(boxes) != 1 or not _is_pssh(boxes[0]):
        raise DrmError(DrmCode.PSSH_INVALID, "data is not exactly one PSSH box")
    return _parse_pssh_box(boxes[0])


def parse_pssh_list(data: bytes) -> list[PsshBox]:
    """Parse concatenated PSSH boxes (EME's ``"cenc"`` init data); other boxes are an error."""
    try:
        boxes = list(iter_boxes(bytes(data)))
    except BoxError as exc:
        raise DrmError(DrmCode.PSSH_INVALID, f"malformed PSSH box list: {exc}") from None
    out = []
    for box in boxes:
        if not _is_pssh(box):
            raise DrmError(DrmCode.PSSH_INVALID, f"unexpected box {box.type!r} in PSSH list")
        out.append(_parse_pssh_box(box))
    if not out:
        raise DrmError(DrmCode.PSSH_INVALID, "no PSSH box in the init data")
    return out


def find_pssh_boxes(mp4_bytes: bytes) -> list[PsshBox]:
    """Every PSSH box at the top level and in ``moov`` and ``moof`` of an MP4 fragment.

    Works on an init segment, a media segment, both concatenated, or bare PSSH boxes.
    A malformed box structure raises ``DrmError(INIT_DATA_INVALID)``, a malformed PSSH
    ``DrmError(PSSH_INVALID)``.
    """
    data = bytes(mp4_bytes)
    found: list[PsshBox] = []
    try:
        for top in iter_boxes(data):
            if _is_pssh(top):
                found.append(_parse_pssh_box(top))
            elif top.type in (b"moov", b"moof"):
                for child in iter_boxes(data, top.payload_start, top.end):
                    if _is_pssh(child):
                        found.append(_parse_pssh_box(child))
    except BoxError as exc:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"malformed MP4 boxes: {exc}") from None
    return found


def _decode_b64(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise DrmError(DrmCode.PSSH_INVALID, "PSSH text is not valid base64") from None
