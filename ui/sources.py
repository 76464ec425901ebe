"""What the viewer can open: a DASH/HLS URL, a local manifest (file or folder), a title
of the offline store, or the built-in sample title. Typed text becomes a
:class:`Source`; bad input is a ``PlayerError`` in plain words."""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import unquote, urlparse

from player import Code, PlayerError

__all__ = [
    "OFFLINE_PREFIX",
    "Source",
    "SourceKind",
    "default_offline_store",
    "find_manifest",
    "parse_source",
]

OFFLINE_PREFIX = "offline:"
_MANIFEST_SUFFIXES = (".mpd", ".m3u8")
_FOLDER_MANIFESTS = ("manifest.mpd", "master.m3u8")


class SourceKind(StrEnum):
    """Where a title comes from."""

    URL = "url"
    LOCAL = "local"
    SAMPLE = "sample"
    OFFLINE = "offline"  # a title in the offline store, by id


@dataclass(frozen=True, slots=True)
class Source:
    """A title to open: ``url`` for remote ones, ``path`` (a manifest) for local ones."""

    kind: SourceKind
    text: str  # as typed or remembered; "" for the sample
    url: str | None = None
    path: Path | None = None
    title_id: str | None = None  # offline titles

    @property
    def title(self) -> str:
        """A short name for the window title and the recent list."""
        if self.kind is SourceKind.SAMPLE:
            return "abrkit sample"
        if self.kind is SourceKind.OFFLINE:
            return f"offline title {self.title_id}"
        if self.path is not None:
            if self.path.name in _FOLDER_MANIFESTS:  # a packaged folder: name it by folder
                kind = "DASH" if self.path.suffix == ".mpd" else "HLS"
                return f"{self.path.parent.name} ({kind})"
            return self.path.name
        parsed = urlparse(self.url or self.text)
        return Path(unquote(parsed.path)).name or parsed.netloc


SAMPLE = Source(SourceKind.SAMPLE, "")


def default_offline_store() -> Path:
    """Where ``abrkit download`` keeps titles: ``$ABRKIT_STORE``, else
    ``$XDG_DATA_HOME/abrkit/offline`` (``~/.local/share/abrkit/offline``)."""
    env = os.environ.get("ABRKIT_STORE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "abrkit" / "offline"


def find_manifest(path: Path) -> Path:
    """The manifest a local path names: the file itself, or a folder's ``manifest.mpd`` /
    ``master.m3u8`` (or its only ``.mpd``/``.m3u8``)."""
    if path.is_file():
        if path.suffix.lower() not in _MANIFEST_SUFFIXES:
            raise PlayerError(
                Code.UNKNOWN_FORMAT,
                f"{path.name} is not a DASH (.mpd) or HLS (.m3u8) manifest; package media "
                "files first with `abrkit package`",
                data={"path": str(path)},
            )
        return path
    if path.is_dir():
        for name in _FOLDER_MANIFESTS:
            if (path / name).is_file():
                return path / name
        found = sorted(p for p in path.iterdir() if p.suffix.lower() in _MANIFEST_SUFFIXES)
        if len(found) == 1:
            return found[0]
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"the folder {path} holds {'no' if not found else 'several'} manifests; "
            "open the .mpd or .m3u8 file itself",
            data={"path": str(path)},
        )
    raise PlayerError(
        Code.INVALID_ARGUMENT, f"no such file or folder: {path}", data={"path": str(path)}
    )


def parse_source(text: str | None) -> Source:
    """The :class:`Source` for typed text: empty or ``sample`` is the sample title,
    ``http(s)://`` a URL, ``offline:ID`` a title of the offline store, ``file://`` or an
    existing path a local title."""
    text = (text or "").strip()
    if not text or text == "sample":
        return SAMPLE
    if text.startswith(OFFLINE_PREFIX):
        title_id = text[len(OFFLINE_PREFIX) :].strip()
        if not title_id or not all(c.isalnum() or c in "-_" for c in title_id):
            raise PlayerError(Code.INVALID_ARGUMENT, f"bad offline title id {title_id!r}")
        return Source(SourceKind.OFFLINE, f"{OFFLINE_PREFIX}{title_id}", title_id=title_id)
    parsed = urlparse(text)
    if parsed.scheme in ("http", "https"):
        if not parsed.netloc:
            raise PlayerError(Code.MALFORMED_URL, f"the URL {text!r} has no host")
        return Source(SourceKind.URL, text, url=text)
    if parsed.scheme == "file":
        return Source(SourceKind.LOCAL, text, path=find_manifest(Path(unquote(parsed.path))))
    if parsed.scheme and len(parsed.scheme) > 1:  # "C:" style drive letters are paths
        raise PlayerError(
            Code.UNSUPPORTED_SCHEME,
            f"cannot open {parsed.scheme}: addresses; use http(s), a file or a folder",
        )
    path = Path(text).expanduser()
    return Source(SourceKind.LOCAL, str(path.resolve()), path=find_manifest(path.resolve()))
