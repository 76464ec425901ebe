"""The abrkit packager: encode a source into a bitrate ladder, publish DASH and HLS.

``package(src, out_dir, ...)`` encodes with PyAV (closed GOPs at every segment boundary,
VBR with a peak limit), writes fragmented MP4 per track and our own MPD and HLS
playlists over the same segments. ``build_sample()`` builds the built-in sample title.
"""

from __future__ import annotations

from player.packager.ladder import (
    DEFAULT_LADDER,
    Ladder,
    RungSpec,
    make_ladder,
    parse_ladder,
    parse_rung,
)
from player.packager.package import Subtitles, package
from player.packager.protection import ClearKeyEncryption
from player.packager.result import PackagedTrack, PackageResult
from player.packager.sample import build_sample, cache_root

__all__ = [
    "DEFAULT_LADDER",
    "ClearKeyEncryption",
    "Ladder",
    "PackageResult",
    "PackagedTrack",
    "RungSpec",
    "Subtitles",
    "build_sample",
    "cache_root",
    "make_ladder",
    "package",
    "parse_ladder",
    "parse_rung",
]
