"""The entry points: detect DASH or HLS, parse, refresh a live manifest.

Safety rules applied here for both formats: the input is bytes the caller fetched (a
string is taken as content, never as a path or URL to open); more than
:data:`MAX_MANIFEST_BYTES` is refused; and whatever goes wrong comes out as a
``PlayerError`` of the MANIFEST category.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlsplit

from player.errors import Code, PlayerError
from player.manifest._dash import parse_dash
from player.manifest._hls import (
    HlsPlaylistIndex,
    media_presentation,
    parse_hls,
    parse_media_playlist,
)
from player.manifest.model import Presentation, SegmentIndex

#: Manifests larger than this are refused (MANIFEST_TOO_LARGE).
MAX_MANIFEST_BYTES = 16 * 1024 * 1024

_HLS_LINE = re.compile(rb"^\s*#EXT", re.M)
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def _as_bytes(data: bytes | bytearray | memoryview | str) -> bytes:
    if isinstance(data, str):
        if len(data) > MAX_MANIFEST_BYTES:
            raise _too_large(len(data))
        return data.encode("utf-8")
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise PlayerError(Code.UNKNOWN_FORMAT, f"a manifest is bytes, not {type(data).__name__}")


def _too_large(n: int) -> PlayerError:
    return PlayerError(
        Code.MANIFEST_TOO_LARGE,
        f"manifest of {n} bytes exceeds the {MAX_MANIFEST_BYTES} byte limit",
        data={"size": n},
    )


def detect_format(data: bytes, url: str = "") -> Literal["dash", "hls"]:
    """``"dash"`` for XML, ``"hls"`` for a playlist; ``PlayerError(UNKNOWN_FORMAT)`` else.

    Content decides; the URL's extension only breaks the tie for an empty playlist.
    """
    head = data[:8192]
    if head.startswith(b"\xef\xbb\xbf"):
        head = head[3:]
    elif head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            head = head.decode("utf-16").encode("utf-8", "replace")
        except UnicodeDecodeError:
            head = b""
    stripped = head.lstrip()
    if stripped.startswith(b"<"):
        return "dash"
    if _HLS_LINE.search(head):
        return "hls"
    path = urlsplit(url).path.lower() if url else ""
    if not stripped and path.endswith((".m3u8", ".m3u")):
        return "hls"
    shown = stripped[:20]
    raise PlayerError(
        Code.UNKNOWN_FORMAT,
        f"neither an MPD nor an HLS playlist (starts with {shown!r})",
        data={"url": url},
    )


def parse_manifest(
    data: bytes | bytearray | memoryview | str,
    url: str,
    loader: Callable[[str], bytes] | None = None,
) -> Presentation:
    """Parse a DASH MPD or an HLS playlist fetched from ``url``.

    ``url`` is only used to resolve relative references, never opened. With a
    ``loader(url) -> bytes``, an HLS master's media playlists load on first use;
    without one they stay :class:`~player.manifest.model.IndexRequest`\\ s.
    """
    raw = _as_bytes(data)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise _too_large(len(raw))
    fmt = detect_format(raw, url)
    try:
        if fmt == "dash":
            return parse_dash(raw, url)
        return parse_hls(raw, url, loader)
    except PlayerError:
        raise
    except (ArithmeticError, LookupError, ValueError, TypeError, AttributeError) as exc:
        # Anything a dependency raises that our checks did not foresee is still a
        # manifest error for the caller; data["internal"] marks it for our own tests.
        raise PlayerError(
            Code.DASH_INVALID if fmt == "dash" else Code.HLS_INVALID,
            f"{fmt} manifest could not be read: {type(exc).__name__}: {exc}",
            data={"internal": True},
        ) from exc
    except RecursionError:
        raise PlayerError(
            Code.DASH_INVALID if fmt == "dash" else Code.HLS_INVALID,
            "manifest nests too deeply",
        ) from None


def refresh_presentation(
    previous: Presentation, data: bytes, url: str | None = None
) -> Presentation:
    """The presentation after a manifest update (a live MPD re-fetched at its Location or
    URL, or a single HLS media playlist reloaded onto the previous timeline)."""
    url = url or previous.url
    if previous.format == "hls" and previous.extra.get("hls_media_playlist"):
        old = previous.periods[0].tracks[0].representations[0].index
        if isinstance(old, HlsPlaylistIndex):
            index, _changed = reload_media_playlist(old, data, url)
            return media_presentation(index, url)
    return parse_manifest(data, url)


def reload_media_playlist(
    previous: SegmentIndex, data: bytes, url: str
) -> tuple[HlsPlaylistIndex, bool]:
    """Reload a live HLS media playlist: (the new index on the old timeline, changed?).

    ``changed`` is False when the playlist is byte-identical to the previous load, which
    is what the reload interval rule (:func:`hls_reload_interval`) asks about.
    """
    raw = _as_bytes(data)
    if len(raw) > MAX_MANIFEST_BYTES:
        raise _too_large(len(raw))
    prev = previous if isinstance(previous, HlsPlaylistIndex) else None
    try:
        index = parse_media_playlist(raw, url, previous=prev)
    except PlayerError:
        raise
    except (ArithmeticError, LookupError, ValueError, TypeError, AttributeError) as exc:
        raise PlayerError(
            Code.HLS_INVALID,
            f"media playlist could not be read: {type(exc).__name__}: {exc}",
            data={"internal": True},
        ) from exc
    changed = prev is None or prev.info.digest != index.info.digest
    return index, changed


def hls_reload_interval(
    target_duration: float, changed: bool, *, part_target: float | None = None
) -> float:
    """Seconds to wait before reloading a live media playlist (RFC 8216 6.3.4).

    After a load that changed the playlist: the target duration; after one that did not:
    half of it. For a low-latency playlist (``part_target`` given) the part target takes
    the target duration's place.
    """
    base = part_target if part_target is not None and part_target > 0 else target_duration
    if base <= 0:
        raise PlayerError(Code.INVALID_ATTRIBUTE, f"target duration {base} is not positive")
    return base if changed else base / 2
