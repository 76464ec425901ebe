"""FairPlay init data: ``skd://`` key URIs, their content id and key id.

FairPlay's init data in EME (init data type ``"skd"``) is the key URI of the HLS
``EXT-X-KEY`` tag. The SPC is made for a *content id*: by Shaka Player's convention
(``FairPlay.defaultGetContentId``) the URI's host, which is also the whole asset id in the
common ``skd://<asset>`` form; servers that want more get :attr:`SkdUri.asset_id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drm.errors import DrmCode, DrmError

_HEX_KID = re.compile(
    r"(?<![0-9a-fA-F])([0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12})(?![0-9a-fA-F])"
)
_MAX_URI = 8192


@dataclass(frozen=True, slots=True)
class SkdUri:
    """A parsed ``skd://`` URI.

    ``content_id`` is the host (Shaka's default); ``asset_id`` everything after ``skd://``;
    ``key_id`` a 128-bit hex KID found in the URI (many services put one there), or None.
    """

    uri: str
    content_id: str
    asset_id: str
    key_id: bytes | None


def parse_skd_uri(uri: str | bytes) -> SkdUri:
    """Parse an ``skd://`` URI (text, UTF-8 or UTF-16 bytes as WebKit passes it)."""
    text = _as_text(uri).strip().strip("\x00")
    if len(text) > _MAX_URI:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "skd URI too long")
    if not text.lower().startswith("skd://"):
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"not an skd:// key URI: {text[:60]!r}")
    asset_id = text[len("skd://") :]
    if not asset_id:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "skd:// URI without a content id")
    # The URI's authority (host), as goog.Uri.getDomain gives it, case kept.
    content_id = re.split(r"[/?#]", asset_id, maxsplit=1)[0]
    match = _HEX_KID.search(asset_id)
    key_id = bytes.fromhex(match.group(1).replace("-", "")) if match else None
    return SkdUri(text, content_id or asset_id, asset_id, key_id)


def _as_text(uri: str | bytes) -> str:
    if isinstance(uri, str):
        return uri
    raw = bytes(uri)
    # WebKit's legacy FairPlay init data is UTF-16LE; EME's "skd" init data UTF-8.
    if len(raw) >= 2 and raw[1] == 0:
        encoding = "utf-16-le"
    elif len(raw) >= 2 and raw[0] == 0:
        encoding = "utf-16-be"
    else:
        encoding = "utf-8"
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "skd URI is not text") from None
