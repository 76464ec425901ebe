"""player.text: subtitles. WebVTT (sidecar files, HLS and DASH segments) and ``wvtt`` in
fragmented MP4 parse into :class:`Cue` s; a :class:`CueTimeline` says which are on
screen at a position, and each cue's :class:`CueSettings` says where.
"""

from player.text.cue import Cue, CueSettings, TextSpan
from player.text.segment import parse_text_segment
from player.text.timeline import CueTimeline
from player.text.webvtt import WebVttDocument, parse_timestamp, parse_webvtt
from player.text.wvtt import is_wvtt_init, parse_wvtt

__all__ = [
    "Cue",
    "CueSettings",
    "CueTimeline",
    "TextSpan",
    "WebVttDocument",
    "is_wvtt_init",
    "parse_text_segment",
    "parse_timestamp",
    "parse_webvtt",
    "parse_wvtt",
]
