"""Helpers for the packager tests: read manifests with plain parsers, decode with PyAV."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import m3u8

NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011", "cenc": "urn:mpeg:cenc:2013"}


@dataclass
class DecodedSegment:
    keyframe_first: bool
    first_time: float  # presentation time of the first frame, seconds
    duration: float  # frames * frame duration (video) or samples / rate (audio)
    frames: int
    samples: int
    checksums: list[int]


def decode(
    init: bytes, media: bytes, *, key: str | None = None, keep: bool = False
) -> DecodedSegment:
    """Decode init + media with PyAV (as a player decoding one segment would)."""
    options = {"decryption_key": key} if key else {}
    with av.open(io.BytesIO(init + media), options=options) as container:
        stream = container.streams[0]
        kind = stream.type
        # Read stream properties before the container closes (PyAV crashes after).
        rate = Fraction(stream.average_rate or stream.guessed_rate or 1) if kind == "video" else 0
        frames = list(container.decode(stream))
    assert frames, "segment decoded to no frames"
    first = frames[0]
    if kind == "video":
        sums = [hash(f.to_ndarray().tobytes()) for f in frames] if keep else []
        return DecodedSegment(
            bool(first.key_frame),
            float(first.time or 0.0),
            float(len(frames) / rate),
            len(frames),
            0,
            sums,
        )
    samples = sum(f.samples for f in frames)
    sums = [hash(f.to_ndarray().tobytes()) for f in frames] if keep else []
    return DecodedSegment(
        True, float(first.time or 0.0), samples / first.sample_rate, len(frames), samples, sums
    )


def mpd_root(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def dash_segments(
    mpd: ET.Element, rep_id: str, duration: float
) -> list[tuple[str, tuple[int, int] | None]]:
    """(url, byte range) of every media segment of a Representation, expanding the
    SegmentTemplate ($Number$ with @duration or a SegmentTimeline) or a SegmentBase."""
    rep = mpd.find(f".//mpd:Representation[@id='{rep_id}']", NS)
    assert rep is not None, rep_id
    tmpl = rep.find("mpd:SegmentTemplate", NS)
    if tmpl is None:
        base = rep.find("mpd:BaseURL", NS)
        assert base is not None and rep.find("mpd:SegmentBase", NS) is not None
        return [(str(base.text), None)]  # ranges come from the sidx
    media = tmpl.get("media", "")
    start = int(tmpl.get("startNumber", "1"))
    timeline = tmpl.find("mpd:SegmentTimeline", NS)
    if timeline is not None:
        count = sum(1 + int(s.get("r", "0")) for s in timeline.findall("mpd:S", NS))
    else:
        scale = int(tmpl.get("timescale", "1"))
        seg = int(tmpl.get("duration", "0")) / scale
        count = -(-round(duration * 1000) // round(seg * 1000))
    return [(media.replace("$Number$", str(n)), None) for n in range(start, start + count)]


def timeline_durations(mpd: ET.Element, rep_id: str) -> list[float]:
    rep = mpd.find(f".//mpd:Representation[@id='{rep_id}']", NS)
    assert rep is not None
    tmpl = rep.find("mpd:SegmentTemplate", NS)
    assert tmpl is not None
    scale = int(tmpl.get("timescale", "1"))
    out: list[float] = []
    timeline = tmpl.find("mpd:SegmentTimeline", NS)
    assert timeline is not None
    for s in timeline.findall("mpd:S", NS):
        out += [int(s.get("d", "0")) / scale] * (1 + int(s.get("r", "0")))
    return out


def hls_media(master: Path) -> dict[str, m3u8.M3U8]:
    """Every media playlist the master names, by its URI relative to the master."""
    playlist = m3u8.load(str(master))
    uris = [p.uri for p in playlist.playlists] + [m.uri for m in playlist.media if m.uri]
    return {uri: m3u8.load(str(master.parent / uri)) for uri in uris}
