"""One subtitle segment as the player fetched it, whatever its format, into cues."""

from __future__ import annotations

from player.errors import Code, PlayerError
from player.text.cue import Cue
from player.text.webvtt import parse_webvtt
from player.text.wvtt import parse_wvtt

__all__ = ["parse_text_segment"]


def parse_text_segment(init: bytes, data: bytes) -> list[Cue]:
    """Cues of a text segment: WebVTT text (a sidecar file or an HLS/DASH segment) or
    ``wvtt`` in fragmented MP4 (``init`` is then its init segment).

    Raises ``PlayerError(SUBTITLE_INVALID)`` for anything else (TTML and CEA-608 are not
    read yet) or for a malformed segment.
    """
    head = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"WEBVTT"):
        return list(parse_webvtt(data).cues)
    if init or data[4:8] in (b"styp", b"moof", b"sidx", b"ftyp"):
        return parse_wvtt(init, data)
    raise PlayerError(
        Code.SUBTITLE_INVALID,
        f"unsupported subtitle format (starts with {data[:16]!r}); WebVTT and wvtt are read",
    )
