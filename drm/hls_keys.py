"""HLS ``EXT-X-KEY`` / ``EXT-X-SESSION-KEY`` tags: which DRM system, which init data.

``KEYFORMAT`` names the system: ``com.apple.streamingkeydelivery`` is FairPlay (an
``skd://`` URI), Widevine's UUID carries a PSSH in a ``data:`` URI, PlayReady's
``com.microsoft.playready`` a PlayReady Object; ``identity`` (the default) is HLS's own
AES key delivery, with no CDM involved.
"""

from __future__ import annotations

import base64
import binascii
import re
import urllib.parse
from dataclasses import dataclass

from drm.errors import DrmCode, DrmError
from drm.systems import WIDEVINE

FAIRPLAY_KEYFORMAT = "com.apple.streamingkeydelivery"
PLAYREADY_KEYFORMAT = "com.microsoft.playready"
WIDEVINE_KEYFORMAT = WIDEVINE.scheme_id_uri
CLEARKEY_KEYFORMAT = "org.w3.clearkey"
IDENTITY_KEYFORMAT = "identity"
_MAX_TAG = 64 * 1024
_ATTR = re.compile(r'\s*([A-Z0-9-]+)=("[^"\r\n]*"|[^",\r\n]*)\s*(?:,|$)')


@dataclass(frozen=True, slots=True)
class HlsKey:
    """One HLS key tag.

    ``system`` is ``"fairplay"``, ``"widevine"``, ``"playready"``, ``"clearkey"``,
    ``"identity"`` (HLS AES key delivery) or ``"unknown"``; None for ``METHOD=NONE``.
    """

    method: str
    uri: str | None
    iv: bytes | None
    keyformat: str
    keyformat_versions: str | None
    key_id: bytes | None
    session: bool

    @property
    def system(self) -> str | None:
        """The DRM system this key tag is for (see the class docs)."""
        if self.method == "NONE":
            return None
        fmt = self.keyformat.lower()
        return {
            FAIRPLAY_KEYFORMAT: "fairplay",
            WIDEVINE_KEYFORMAT: "widevine",
            PLAYREADY_KEYFORMAT: "playready",
            CLEARKEY_KEYFORMAT: "clearkey",
            IDENTITY_KEYFORMAT: "identity",
        }.get(fmt, "unknown")

    @property
    def data_uri_payload(self) -> bytes | None:
        """The bytes of a ``data:`` URI (a PSSH, a PRO, a raw key), else None."""
        if not self.uri or not self.uri.startswith("data:"):
            return None
        return decode_data_uri(self.uri)


def parse_ext_x_key(line: str) -> HlsKey:
    """Parse ``#EXT-X-KEY:...`` or ``#EXT-X-SESSION-KEY:...`` (or just its attribute list).

    A tag without ``METHOD``, with an unknown attribute syntax, or a malformed ``IV``
    raises ``DrmError(INIT_DATA_INVALID)``.
    """
    text = line.strip()
    if len(text) > _MAX_TAG:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "HLS key tag too long")
    session = text.startswith("#EXT-X-SESSION-KEY:")
    if text.startswith("#EXT-X-KEY:") or session:
        text = text.split(":", 1)[1]
    attrs = _attributes(text)
    method = attrs.get("METHOD")
    if not method:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"HLS key tag without METHOD: {line[:80]!r}")
    iv = None
    if "IV" in attrs:
        hex_iv = attrs["IV"]
        if hex_iv[:2] not in ("0x", "0X"):
            raise DrmError(DrmCode.INIT_DATA_INVALID, f"HLS IV {hex_iv!r} is not 0x-hex")
        try:
            iv = bytes.fromhex(hex_iv[2:].rjust(32, "0"))
        except ValueError:
            raise DrmError(DrmCode.INIT_DATA_INVALID, f"HLS IV {hex_iv!r} is not hex") from None
        if len(iv) != 16:
            raise DrmError(DrmCode.INIT_DATA_INVALID, f"HLS IV {hex_iv!r} is not 128 bits")
    key_id = None
    if "KEYID" in attrs:  # SAMPLE-AES with a KEYID attribute (some packagers)
        try:
            key_id = bytes.fromhex(attrs["KEYID"][2:])
        except ValueError:
            raise DrmError(DrmCode.INIT_DATA_INVALID, "HLS KEYID is not hex") from None
    return HlsKey(
        method=method,
        uri=attrs.get("URI"),
        iv=iv,
        keyformat=attrs.get("KEYFORMAT", IDENTITY_KEYFORMAT),
        keyformat_versions=attrs.get("KEYFORMATVERSIONS"),
        key_id=key_id,
        session=session,
    )


def _attributes(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        m = _ATTR.match(text, pos)
        if not m or m.end() == pos:
            raise DrmError(
                DrmCode.INIT_DATA_INVALID,
                f"malformed HLS attribute list at {text[pos : pos + 40]!r}",
            )
        value = m.group(2)
        out[m.group(1)] = value[1:-1] if value.startswith('"') else value.strip()
        pos = m.end()
    return out


def decode_data_uri(uri: str) -> bytes:
    """The payload of a ``data:`` URI (base64 or percent-encoded)."""
    if not uri.startswith("data:") or "," not in uri:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "not a data: URI")
    header, payload = uri[5:].split(",", 1)
    if header.split(";")[-1].lower() == "base64":
        cleaned = "".join(payload.split())
        try:
            return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise DrmError(DrmCode.INIT_DATA_INVALID, "data: URI is not valid base64") from None
    return urllib.parse.unquote_to_bytes(payload)
