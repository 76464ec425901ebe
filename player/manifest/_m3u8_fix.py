"""Running ``m3u8`` on a playlist with its gaps closed.

``m3u8.parse`` does the line-by-line work; around it:

* before: numeric tags it would ``int()`` into a bare ValueError (``TARGETDURATION:NaN``,
  ``MEDIA-SEQUENCE:gobble``, ``VERSION:NaN``) are dropped as lenient players do, with a
  note; an EXTINF with an unreadable duration, or a URI line with no EXTINF at all
  (which ``m3u8`` silently drops), gets the target duration in force, noted as estimated;
* during (its ``custom_tags_parser`` hook): the current line is tracked so an error can
  name it; every ``EXT-X-DATERANGE`` (``m3u8`` loses those after the last segment), every
  ``EXT-X-PRELOAD-HINT`` (it keeps only the last) and every ``EXT-X-KEY`` (it keeps one
  per segment, though keys of several KEYFORMATs apply together) is recorded with the
  position of the segment it precedes;
* after: any exception becomes ``PlayerError(HLS_INVALID)`` naming the line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import m3u8

from player.errors import Code, PlayerError

_ATTR = re.compile(r'([A-Za-z0-9_-]+)=("[^"]*"|[^,]*)')
_INT = re.compile(r"^[+-]?\d{1,18}$")
_NUM = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d{1,3})?$")
_MASTER_TAGS = ("#EXT-X-STREAM-INF", "#EXT-X-I-FRAME-STREAM-INF", "#EXT-X-IMAGE-STREAM-INF")
_SEGMENT_TAGS = ("#EXTINF", "#EXT-X-BYTERANGE", "#EXT-X-PART:", "#EXT-X-ENDLIST")


def attribute_list(text: str) -> dict[str, str]:
    """An HLS attribute list (``A=1,B="x,y"``) as a dict, quotes removed."""
    out: dict[str, str] = {}
    for m in _ATTR.finditer(text):
        value = m.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        out[m.group(1).upper()] = value
    return out


@dataclass
class Recorded:
    """What the hook recorded: (segment position, line, attributes) per tag."""

    dateranges: list[tuple[int, int, dict[str, str], str]] = field(default_factory=list)
    preload_hints: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    keys: list[tuple[int, int, dict[str, str]]] = field(default_factory=list)
    bitrates: list[tuple[int, int]] = field(default_factory=list)


@dataclass
class RawPlaylist:
    """``m3u8``'s dict plus what we recorded and what we had to fix."""

    data: dict[str, Any]
    recorded: Recorded
    is_master: bool
    segment_lines: list[int]  # original line of each segment's URI
    estimated: set[int]  # positions of segments whose duration was not given
    notes: list[str]


def is_master_text(lines: list[str]) -> bool:
    """Whether the playlist is a multivariant (master) playlist."""
    return any(line.lstrip().startswith(_MASTER_TAGS) for line in lines)


def _line_error(lineno: int, line: str, why: str) -> PlayerError:
    shown = line if len(line) <= 80 else line[:80] + "..."
    return PlayerError(Code.HLS_INVALID, f"line {lineno}: {why}: {shown!r}", data={"line": lineno})


def preprocess(text: str) -> tuple[list[str], list[int], set[int], list[str], bool]:
    """The fixed lines, their original line numbers, estimated segment positions, notes
    and whether this is a master playlist."""
    lines = text.splitlines()
    master = is_master_text(lines)
    if master and any(line.lstrip().startswith("#EXTINF") for line in lines):
        n = next(i for i, line in enumerate(lines, 1) if line.lstrip().startswith("#EXTINF"))
        raise _line_error(n, lines[n - 1], "a master playlist cannot hold media segments")
    first_target: float | None = None
    for line in lines:
        s = line.strip()
        if s.startswith("#EXT-X-TARGETDURATION:"):
            v = s.split(":", 1)[1].strip()
            if _NUM.match(v) and 0 < float(v) < 1e9:
                first_target = float(v)
                break
    out: list[str] = []
    origin: list[int] = []
    estimated: set[int] = set()
    notes: list[str] = []
    target = first_target
    pending_extinf = False
    segments = 0
    for lineno, raw in enumerate(lines, 1):
        s = raw.strip()
        if s.startswith("#EXT-X-TARGETDURATION:"):
            v = s.split(":", 1)[1].strip()
            if not _NUM.match(v) or not (0 < float(v) < 1e9):
                notes.append(f"line {lineno}: ignored invalid EXT-X-TARGETDURATION {v!r}")
                continue
            target = float(v)
            s = f"#EXT-X-TARGETDURATION:{math.ceil(target)}"
        elif s.startswith(("#EXT-X-MEDIA-SEQUENCE:", "#EXT-X-DISCONTINUITY-SEQUENCE:")):
            tag, v = s.split(":", 1)
            if not _INT.match(v.strip()):
                notes.append(f"line {lineno}: ignored invalid {tag[1:]} {v.strip()!r}")
                continue
        elif s.startswith("#EXT-X-VERSION:"):
            v = s.split(":", 1)[1].strip()
            if not (v.isdigit() and len(v) < 6):
                notes.append(f"line {lineno}: ignored invalid EXT-X-VERSION {v!r}")
                continue
        elif s.startswith("#EXT-X-BITRATE:"):
            v = s.split(":", 1)[1].strip()
            if not (v.isdigit() and len(v) < 15):
                notes.append(f"line {lineno}: ignored invalid EXT-X-BITRATE {v!r}")
                continue
        elif s.startswith("#EXTINF:") and not master:
            body = s[len("#EXTINF:") :]
            dur_text, _comma, title = body.partition(",")
            if not _NUM.match(dur_text.strip()) or not (0 <= float(dur_text) < 1e9):
                est = target if target is not None else 0.0
                notes.append(
                    f"line {lineno}: EXTINF duration {dur_text.strip()[:20]!r} unreadable; "
                    f"using the target duration {est}"
                )
                estimated.add(segments)
                s = f"#EXTINF:{est},{title}"
            pending_extinf = True
        elif s.startswith("#EXTINF") and not master:
            # "#EXTINF" with no colon at all: m3u8 would mis-split it.
            est = target if target is not None else 0.0
            notes.append(f"line {lineno}: EXTINF without a duration; using {est}")
            estimated.add(segments)
            s = f"#EXTINF:{est},"
            pending_extinf = True
        elif s and not s.startswith("#") and not master:
            if not pending_extinf:
                est = target if target is not None else 0.0
                notes.append(
                    f"line {lineno}: segment {s[:60]!r} has no EXTINF; using the target "
                    f"duration {est}"
                )
                estimated.add(segments)
                out.append(f"#EXTINF:{est},")
                origin.append(lineno)
            pending_extinf = False
            segments += 1
        out.append(s)
        origin.append(lineno)
    return out, origin, estimated, notes, master


def run_m3u8(text: str) -> RawPlaylist:
    """Parse playlist text with ``m3u8``, gaps closed (see the module docstring)."""
    lines, origin, estimated, notes, master = preprocess(text)
    # m3u8 strips the whole text first; drop leading blank lines so its line numbers
    # index ours.
    while lines and not lines[0]:
        del lines[0], origin[0]
    recorded = Recorded()
    current = [0]

    def hook(line: str, lineno: int, data: dict[str, Any], state: dict[str, Any]) -> bool:
        current[0] = lineno
        position = len(data["segments"])
        if line.startswith("#EXT-X-DATERANGE:"):
            recorded.dateranges.append(
                (position, origin[lineno - 1], attribute_list(line.split(":", 1)[1]), line)
            )
        elif line.startswith("#EXT-X-PRELOAD-HINT:"):
            recorded.preload_hints.append((position, attribute_list(line.split(":", 1)[1])))
        elif line.startswith("#EXT-X-KEY:"):
            recorded.keys.append(
                (position, origin[lineno - 1], attribute_list(line.split(":", 1)[1]))
            )
        elif line.startswith("#EXT-X-BITRATE:"):
            recorded.bitrates.append((position, int(line.split(":", 1)[1])))
        return False

    try:
        data = m3u8.parse("\n".join(lines), custom_tags_parser=hook)
    except PlayerError:
        raise
    except Exception as exc:  # m3u8 raises ValueError, KeyError, IndexError, TypeError...
        n = current[0]
        # The failing line is the one after the last tag the hook saw, or that tag.
        lineno = origin[n - 1] if 0 < n <= len(origin) else 0
        raise PlayerError(
            Code.HLS_INVALID,
            f"playlist line {lineno}: cannot be read ({type(exc).__name__}: {exc})",
            data={"line": lineno},
        ) from None
    uri_lines = [origin[i] for i, s in enumerate(lines) if s and not s.startswith("#")]
    return RawPlaylist(data, recorded, master, uri_lines, estimated, notes)
