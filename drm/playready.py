"""PlayReady init data: the PlayReady Object (PRO) and its WRMHEADER.

A PRO is little-endian: total length (u32), record count (u16), then records of type
(u16), length (u16) and value. Record type 1 holds the WRMHEADER, UTF-16LE XML whose
key ids are base64 GUIDs, i.e. the KID with its first three fields byte-swapped. Versions
4.0 (one ``DATA/KID``), 4.1 (``PROTECTINFO/KID@VALUE``) and 4.2/4.3 (``PROTECTINFO/KIDS``)
are read; ``LA_URL`` is the license server.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from drm.errors import DrmCode, DrmError

WRM_HEADER_RECORD = 1
EMBEDDED_LICENSE_STORE_RECORD = 3
WRM_HEADER_NAMESPACE = "http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader"
_MAX_RECORDS = 64
_CUSTOM = re.compile(r"<(?:\w+:)?CUSTOMATTRIBUTES\b[^>]*>(.*?)</(?:\w+:)?CUSTOMATTRIBUTES>", re.S)


def guid_to_kid(guid_le: bytes) -> bytes:
    """A KID from its PlayReady GUID form (first three fields little-endian)."""
    g = bytes(guid_le)
    if len(g) != 16:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "a PlayReady KID is 16 bytes")
    return g[3::-1] + g[5:3:-1] + g[7:5:-1] + g[8:]


#: The conversion is its own inverse.
kid_to_guid = guid_to_kid


@dataclass(frozen=True, slots=True)
class WrmHeader:
    """A parsed WRMHEADER.

    ``key_ids`` are KIDs in the byte order of ``tenc`` and ``cenc:default_KID`` (already
    converted from PlayReady's GUID form); ``algorithm`` is ``"AESCTR"``, ``"AESCBC"`` or
    ``"COCKTAIL"`` when stated.
    """

    version: str
    key_ids: tuple[bytes, ...]
    algorithm: str | None
    la_url: str | None
    lui_url: str | None
    ds_id: str | None
    custom_attributes: str | None
    xml: str


@dataclass(frozen=True, slots=True)
class PlayReadyObject:
    """A parsed PlayReady Object: its records and, when present, the WRMHEADER."""

    records: tuple[tuple[int, bytes], ...]
    wrm_header: WrmHeader | None

    def to_bytes(self) -> bytes:
        """The object serialized again."""
        return _pack_records(self.records)


def _fail(why: str) -> DrmError:
    return DrmError(DrmCode.INIT_DATA_INVALID, f"malformed PlayReady init data: {why}")


def parse_playready_object(data: bytes | str) -> PlayReadyObject:
    """Parse a PRO: bytes (a PSSH's data) or base64 text (an MPD's ``mspr:pro``)."""
    raw = _b64(data) if isinstance(data, str) else bytes(data)
    if len(raw) < 6:
        raise _fail("shorter than its header")
    total, count = struct.unpack_from("<IH", raw)
    if total != len(raw):
        raise _fail(f"length field {total} but {len(raw)} bytes")
    if count > _MAX_RECORDS:
        raise _fail(f"{count} records")
    pos = 6
    records: list[tuple[int, bytes]] = []
    for _ in range(count):
        if pos + 4 > len(raw):
            raise _fail("truncated record header")
        rtype, size = struct.unpack_from("<HH", raw, pos)
        pos += 4
        if pos + size > len(raw):
            raise _fail("record runs past the end")
        records.append((rtype, raw[pos : pos + size]))
        pos += size
    if pos != len(raw):
        raise _fail("stray bytes after the records")
    header = next((parse_wrm_header(v) for t, v in records if t == WRM_HEADER_RECORD), None)
    return PlayReadyObject(tuple(records), header)


def parse_wrm_header(xml: bytes | str) -> WrmHeader:
    """Parse a WRMHEADER: UTF-16LE bytes (as in a PRO) or text."""
    if isinstance(xml, bytes):
        try:
            text = xml.decode("utf-16-le")
        except UnicodeDecodeError:
            raise _fail("WRMHEADER is not UTF-16LE") from None
    else:
        text = xml
    text = text.lstrip("\ufeff")
    try:
        root = SafeET.fromstring(text)
    except (ET.ParseError, DefusedXmlException, ValueError) as exc:
        raise _fail(f"WRMHEADER is not well-formed XML ({exc})") from None
    if _local(root.tag) != "WRMHEADER":
        raise _fail(f"root element is {_local(root.tag)!r}, not WRMHEADER")
    version = root.get("version", "")
    data = _child(root, "DATA")
    if data is None:
        raise _fail("WRMHEADER without DATA")
    kids: list[bytes] = []
    algorithm: str | None = None
    for el in data.iter():
        name = _local(el.tag)
        if name == "KID":
            value = el.get("VALUE") or (el.text or "").strip()
            if value:
                kids.append(guid_to_kid(_b64(value)))
            algorithm = algorithm or el.get("ALGID")
        elif name == "ALGID" and el.text:
            algorithm = algorithm or el.text.strip()
    # Kept as written: servers read their own markup from it, namespace and all.
    custom = _CUSTOM.search(text)
    return WrmHeader(
        version=version,
        key_ids=tuple(kids),
        algorithm=algorithm,
        la_url=_text(_child(data, "LA_URL")),
        lui_url=_text(_child(data, "LUI_URL")),
        ds_id=_text(_child(data, "DS_ID")),
        custom_attributes=custom.group(1) if custom else None,
        xml=text,
    )


def build_wrm_header(
    key_ids: list[bytes],
    la_url: str | None = None,
    *,
    algorithm: str = "AESCTR",
    version: str = "4.3.0.0",
) -> str:
    """A WRMHEADER for ``key_ids`` (``tenc`` byte order): 4.0.0.0 for one CTR key, else 4.3."""
    if not key_ids or any(len(k) != 16 for k in key_ids):
        raise _fail("a WRMHEADER needs 16-byte key ids")
    url = f"<LA_URL>{escape(la_url)}</LA_URL>" if la_url else ""
    b64 = [base64.b64encode(kid_to_guid(k)).decode() for k in key_ids]
    if version == "4.0.0.0":
        if len(key_ids) != 1 or algorithm != "AESCTR":
            raise _fail("WRMHEADER 4.0 holds one AESCTR key")
        body = (
            "<PROTECTINFO><KEYLEN>16</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>"
            f"<KID>{b64[0]}</KID>{url}"
        )
    else:
        kids = "".join(f'<KID ALGID="{escape(algorithm)}" VALUE="{k}"></KID>' for k in b64)
        body = f"<PROTECTINFO><KIDS>{kids}</KIDS></PROTECTINFO>{url}"
    return (
        f'<WRMHEADER xmlns="{WRM_HEADER_NAMESPACE}" version="{version}">'
        f"<DATA>{body}</DATA></WRMHEADER>"
    )


def build_playready_object(wrm_header: str) -> bytes:
    """A PRO holding one WRMHEADER record."""
    return _pack_records(((WRM_HEADER_RECORD, wrm_header.encode("utf-16-le")),))


def _pack_records(records: tuple[tuple[int, bytes], ...]) -> bytes:
    body = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in records)
    return struct.pack("<IH", 6 + len(body), len(records)) + body


def _b64(text: str) -> bytes:
    cleaned = "".join(text.split())
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise _fail("invalid base64") from None


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(el: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in el if _local(c.tag) == name), None)


def _text(el: ET.Element | None) -> str | None:
    if el is None or not (el.text or "").strip():
        return None
    return (el.text or "").strip()
