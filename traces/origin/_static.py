"""Static-file pieces of the origin: path resolution, content types, HTTP byte ranges."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# The types streaming clients care about; everything else falls back to mimetypes.
CONTENT_TYPES: dict[str, str] = {
    ".mpd": "application/dash+xml",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".m4s": "video/iso.segment",
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".m4a": "audio/mp4",
    ".cmfv": "video/mp4",
    ".cmfa": "audio/mp4",
    ".vtt": "text/vtt",
    ".ts": "video/mp2t",
    ".aac": "audio/aac",
    ".webm": "video/webm",
    ".json": "application/json",
    ".xml": "application/xml",
    ".key": "application/octet-stream",
}


def content_type_for(path: str | Path) -> str:
    """The Content-Type to serve a file with, from its extension."""
    suffix = PurePosixPath(str(path)).suffix.lower()
    if suffix in CONTENT_TYPES:
        return CONTENT_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(path))
    return guessed or "application/octet-stream"


def resolve_path(root: Path, url_path: str) -> Path | None:
    """The file under ``root`` that a (percent-decoded) URL path names, or None.

    None for anything that is not a regular file inside ``root``: ``..`` tricks, NUL
    bytes, symlinks that lead outside, folders.
    """
    if "\x00" in url_path:
        return None
    parts = [p for p in url_path.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        return None
    candidate = root.joinpath(*parts) if parts else root
    try:
        real = candidate.resolve(strict=True)
    except (OSError, RuntimeError):
        return None
    if not real.is_relative_to(root) or not real.is_file():
        return None
    return real


@dataclass(frozen=True, slots=True)
class ByteSpan:
    """An inclusive byte span ``[start, end]`` of a body of ``size`` bytes."""

    start: int
    end: int
    size: int

    @property
    def length(self) -> int:
        """Number of bytes in the span."""
        return self.end - self.start + 1

    def content_range(self) -> str:
        """The ``Content-Range`` header value of a 206 response."""
        return f"bytes {self.start}-{self.end}/{self.size}"


class RangeNotSatisfiable(Exception):
    """The Range header names no byte of the body: answer 416."""


def parse_range(header: str | None, size: int) -> ByteSpan | None:
    """The span a ``Range`` header asks for, None to send the whole body.

    One ``bytes=`` range is honoured (``a-b``, ``a-``, ``-n``); a header that is not
    well-formed, or asks for several ranges, is ignored as RFC 9110 allows (200 with the
    whole body). A well-formed range that starts past the end raises
    :class:`RangeNotSatisfiable`.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not (first.isdigit() or first == "") or not (last.isdigit() or last == ""):
        return None
    if first == "":
        if last == "":
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        return ByteSpan(max(0, size - suffix), size - 1, size)
    start = int(first)
    if last and int(last) < start:
        return None  # syntactically invalid: ignore the header
    if start >= size:
        raise RangeNotSatisfiable
    end = int(last) if last else size - 1
    return ByteSpan(start, min(end, size - 1), size)


@dataclass(frozen=True, slots=True)
class Body:
    """What a GET answers with: bytes in memory or a file, and its headers."""

    size: int
    content_type: str
    data: bytes | None = None
    path: Path | None = None
    cache_control: str | None = None

    @classmethod
    def of_bytes(cls, data: bytes, content_type: str, *, cache_control: str | None = None) -> Body:
        """A body held in memory (generated manifests, patched segments)."""
        return cls(len(data), content_type, data=data, cache_control=cache_control)

    @classmethod
    def of_file(cls, path: Path) -> Body:
        """A body read from a file as it is sent."""
        return cls(path.stat().st_size, content_type_for(path), path=path)
