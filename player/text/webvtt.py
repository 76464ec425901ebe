"""WebVTT text: parse a file or an HLS/DASH subtitle segment into cues.

Follows the W3C WebVTT parsing rules where they matter to a player: the ``WEBVTT``
signature is required (anything else is ``SUBTITLE_INVALID``); NOTE, STYLE and REGION
blocks are skipped (regions are kept by id); a block whose timing line is malformed is
skipped, as browsers do, and counted in :attr:`WebVttDocument.skipped`. Bytes that are
not UTF-8 are replaced, never fatal. HLS segments may carry
``X-TIMESTAMP-MAP=LOCAL:...,MPEGTS:...``: cue times are then moved onto the media
timeline (``MPEGTS / 90000 - LOCAL``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from player.errors import Code, PlayerError
from player.text.cue import Cue, CueSettings

__all__ = [
    "MAX_WEBVTT_BYTES",
    "WebVttDocument",
    "parse_settings",
    "parse_timestamp",
    "parse_webvtt",
]

MAX_WEBVTT_BYTES = 16 * 1024 * 1024
"""Larger subtitle files are refused (``SUBTITLE_INVALID``): no real one comes close."""

_TIMESTAMP = re.compile(r"^(?:(\d{2,}):)?([0-5]\d):([0-5]\d)\.(\d{3})$")
_ARROW = "-->"
_MPEGTS_HZ = 90000
_MPEGTS_WRAP = 1 << 33


@dataclass(frozen=True, slots=True)
class WebVttDocument:
    """A parsed WebVTT file: cues in file order, region ids, and what was skipped."""

    cues: tuple[Cue, ...]
    regions: tuple[str, ...] = ()
    offset: float = 0.0  # seconds added to every cue (from X-TIMESTAMP-MAP)
    skipped: int = 0  # blocks dropped for a malformed timing line


def parse_timestamp(text: str) -> float:
    """``[hh:]mm:ss.ttt`` in seconds; raises ``SUBTITLE_INVALID`` when malformed."""
    m = _TIMESTAMP.match(text.strip())
    if m is None:
        raise PlayerError(Code.SUBTITLE_INVALID, f"bad WebVTT timestamp {text.strip()[:40]!r}")
    hours = int(m.group(1) or 0)
    return hours * 3600 + int(m.group(2)) * 60 + int(m.group(3)) + int(m.group(4)) / 1000


def parse_webvtt(data: bytes | str, *, offset: float = 0.0) -> WebVttDocument:
    """Parse WebVTT ``data``; every cue time is shifted by ``offset`` seconds (plus the
    file's own ``X-TIMESTAMP-MAP``).

    Raises ``PlayerError(SUBTITLE_INVALID)`` when the data is not WebVTT (no signature)
    or is larger than :data:`MAX_WEBVTT_BYTES`.
    """
    if len(data) > MAX_WEBVTT_BYTES:
        raise PlayerError(
            Code.SUBTITLE_INVALID,
            f"WebVTT of {len(data)} bytes is over the {MAX_WEBVTT_BYTES}-byte limit",
        )
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    text = (
        text.removeprefix("\ufeff")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\0", "\ufffd")
    )
    lines = text.split("\n")
    first = lines[0]
    if not (first == "WEBVTT" or (first.startswith("WEBVTT") and first[6] in " \t")):
        raise PlayerError(
            Code.SUBTITLE_INVALID,
            f"not WebVTT: the first line is {first[:40]!r}, not 'WEBVTT'",
        )
    blocks = _blocks(lines)
    header = blocks.pop(0)
    shift = offset + _timestamp_map(header)
    cues: list[Cue] = []
    regions: list[str] = []
    skipped = 0
    for block in blocks:
        head = block[0]
        if _keyword(head, "NOTE") or _keyword(head, "STYLE"):
            continue
        if _keyword(head, "REGION"):
            region = _region_id(block[1:])
            if region:
                regions.append(region)
            continue
        cue = _cue(block, shift)
        if cue is None:
            skipped += 1
        else:
            cues.append(cue)
    return WebVttDocument(tuple(cues), tuple(regions), shift, skipped)


def _blocks(lines: list[str]) -> list[list[str]]:
    """Lines grouped into blank-line separated blocks; the first is the header.

    A timing line inside the header ends it (the WebVTT rules allow a cue to follow the
    header without a blank line).
    """
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        if line.strip() == "":
            if current:
                blocks.append(current)
                current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    header = blocks[0]
    for i, line in enumerate(header[1:], start=1):
        if _ARROW in line:
            return [header[:i], header[i:], *blocks[1:]]
    return blocks


def _keyword(line: str, word: str) -> bool:
    return line == word or (line.startswith(word) and line[len(word)] in " \t")


def _timestamp_map(header: list[str]) -> float:
    for line in header:
        if not line.startswith("X-TIMESTAMP-MAP="):
            continue
        local = mpegts = None
        for part in line[len("X-TIMESTAMP-MAP=") :].split(","):
            key, _, value = part.strip().partition(":")
            if key == "LOCAL":
                local = parse_timestamp(value)
            elif key == "MPEGTS":
                if not value.isdigit():
                    raise PlayerError(Code.SUBTITLE_INVALID, f"bad MPEGTS value {value[:20]!r}")
                mpegts = int(value) % _MPEGTS_WRAP
        if local is None or mpegts is None:
            raise PlayerError(Code.SUBTITLE_INVALID, f"incomplete {line[:80]!r}")
        return mpegts / _MPEGTS_HZ - local
    return 0.0


def _region_id(lines: list[str]) -> str:
    for line in lines:
        for setting in line.split():
            key, _, value = setting.partition(":")
            if key == "id" and value:
                return value
    return ""


def _cue(block: list[str], shift: float) -> Cue | None:
    ident = ""
    if _ARROW not in block[0]:
        if len(block) < 2 or _ARROW not in block[1]:
            return None
        ident, block = block[0], block[1:]
    start_text, _, rest = block[0].partition(_ARROW)
    parts = rest.split(maxsplit=1)
    try:
        start = parse_timestamp(start_text)
        end = parse_timestamp(parts[0] if parts else "")
    except PlayerError:
        return None
    if end < start:
        return None
    settings = parse_settings(parts[1] if len(parts) > 1 else "")
    payload = "\n".join(line for line in block[1:] if _ARROW not in line)
    return Cue(start + shift, end + shift, payload, ident, settings)


def parse_settings(text: str) -> CueSettings:
    """A cue settings string (``line:10% align:start``); unknown or malformed settings
    are ignored, as the WebVTT rules say."""
    values: dict[str, object] = {}
    for setting in text.split():
        key, sep, value = setting.partition(":")
        if not sep or not value:
            continue
        if key == "vertical" and value in ("rl", "lr"):
            values["vertical"] = value
        elif key == "line":
            _line(value, values)
        elif key == "position":
            pos, _, align = value.partition(",")
            number = _percent(pos)
            if number is None:
                continue
            values["position"] = number
            if align in ("line-left", "center", "line-right"):
                values["position_align"] = align
        elif key == "size":
            number = _percent(value)
            if number is not None:
                values["size"] = number
        elif key == "align" and value in ("start", "center", "end", "left", "right"):
            values["align"] = value
        elif key == "region":
            values["region"] = value
    return CueSettings(**values)  # type: ignore[arg-type]


def _line(value: str, values: dict[str, object]) -> None:
    pos, _, align = value.partition(",")
    if pos.endswith("%"):
        number = _percent(pos)
        if number is None:
            return
        values["line"], values["snap_to_lines"] = number, False
    else:
        if not re.fullmatch(r"-?\d+(\.\d+)?", pos):
            return
        values["line"], values["snap_to_lines"] = float(pos), True
    if align in ("start", "center", "end"):
        values["line_align"] = align


def _percent(value: str) -> float | None:
    if not re.fullmatch(r"\d+(\.\d+)?%", value):
        return None
    number = float(value[:-1])
    return number if 0 <= number <= 100 else None
