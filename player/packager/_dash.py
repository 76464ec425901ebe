"""The DASH MPD writer.

One Period; one video AdaptationSet with every rung; one audio AdaptationSet per
language; one text AdaptationSet per subtitle language (a sidecar WebVTT file). Segments
are addressed by a ``SegmentTemplate`` with ``$Number$`` (optionally with a
``SegmentTimeline`` of the measured durations) or, for single-file output, by
``SegmentBase`` pointing at the ``sidx``.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from player.packager.protection import CLEARKEY_SYSTEM_ID, COMMON_SYSTEM_ID, ClearKeyEncryption
from player.packager.result import PackagedTrack

MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
CENC_NS = "urn:mpeg:cenc:2013"
CLEARKEY_NS = "http://dashif.org/guidelines/clearKey"
DASHIF_NS = "https://dashif.org/CPS"

ET.register_namespace("", MPD_NS)
ET.register_namespace("cenc", CENC_NS)
ET.register_namespace("clearkey", CLEARKEY_NS)
ET.register_namespace("dashif", DASHIF_NS)


def _q(tag: str, ns: str = MPD_NS) -> str:
    return f"{{{ns}}}{tag}"


def iso_duration(seconds: float) -> str:
    """An ``xs:duration`` in seconds, e.g. ``PT60.000S``."""
    return f"PT{seconds:.3f}S"


def _sub(parent: ET.Element, tag: str, ns: str = MPD_NS, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, _q(tag, ns), {k: v for k, v in attrs.items()})


def _protection(parent: ET.Element, enc: ClearKeyEncryption) -> None:
    mp4 = _sub(parent, "ContentProtection", schemeIdUri="urn:mpeg:dash:mp4protection:2011")
    mp4.set("value", "cenc")
    mp4.set(_q("default_KID", CENC_NS), enc.key_id_uuid)
    common = _sub(parent, "ContentProtection", schemeIdUri=f"urn:uuid:{COMMON_SYSTEM_ID}")
    common.set("value", "cenc")
    _sub(common, "pssh", CENC_NS).text = enc.pssh_base64()
    clearkey = _sub(parent, "ContentProtection", schemeIdUri=f"urn:uuid:{CLEARKEY_SYSTEM_ID}")
    clearkey.set("value", "ClearKey1.0")
    if enc.license_url:
        laurl = _sub(clearkey, "Laurl", CLEARKEY_NS, Lic_type="EME-1.0")
        laurl.text = enc.license_url
        _sub(clearkey, "laurl", DASHIF_NS).text = enc.license_url
    _sub(clearkey, "pssh", CENC_NS).text = enc.pssh_base64()


def _timeline(parent: ET.Element, track: PackagedTrack) -> None:
    timeline = _sub(parent, "SegmentTimeline")
    durations = [
        b - a for a, b in zip(track.segment_starts, track.segment_starts[1:], strict=False)
    ]
    # The last segment has no successor: its duration is the measured one.
    durations.append(round(track.segment_durations[-1] * track.timescale))
    i = 0
    while i < len(durations):
        j = i
        while j + 1 < len(durations) and durations[j + 1] == durations[i]:
            j += 1
        attrs: dict[str, str] = {}
        if i == 0 or track.segment_starts[i] != track.segment_starts[i - 1] + durations[i - 1]:
            attrs["t"] = str(track.segment_starts[i])
        attrs["d"] = str(durations[i])
        if j > i:
            attrs["r"] = str(j - i)
        _sub(timeline, "S", **attrs)
        i = j + 1


def _addressing(
    rep: ET.Element, track: PackagedTrack, segment: Fraction, timeline: bool, single: bool
) -> None:
    if single:
        assert track.index_range is not None and track.init_range is not None
        _sub(rep, "BaseURL").text = track.init
        base = _sub(
            rep,
            "SegmentBase",
            timescale=str(track.timescale),
            indexRange=f"{track.index_range[0]}-{track.index_range[1]}",
            indexRangeExact="true",
        )
        _sub(base, "Initialization", range=f"{track.init_range[0]}-{track.init_range[1]}")
        return
    directory = track.init.rsplit("/", 1)[0]
    template = _sub(
        rep,
        "SegmentTemplate",
        timescale=str(track.timescale),
        initialization=track.init,
        media=f"{directory}/seg-$Number$.m4s",
        startNumber="1",
    )
    if timeline:
        _timeline(template, track)
    else:
        template.set("duration", str(round(segment * track.timescale)))


def write_mpd(
    path: Path,
    *,
    duration: float,
    segment: Fraction,
    video: Sequence[PackagedTrack],
    audio: Sequence[PackagedTrack],
    text: Sequence[PackagedTrack],
    timeline: bool,
    single_file: bool,
    encryption: ClearKeyEncryption | None,
) -> None:
    """Write the MPD describing the packaged tracks to ``path``."""
    max_seg = max(d for t in (*video, *audio) for d in t.segment_durations)
    mpd = ET.Element(
        _q("MPD"),
        {
            "profiles": (
                "urn:mpeg:dash:profile:isoff-on-demand:2011"
                if single_file
                else "urn:mpeg:dash:profile:isoff-live:2011"
            ),
            "type": "static",
            "mediaPresentationDuration": iso_duration(duration),
            "maxSegmentDuration": iso_duration(max_seg),
            # The bandwidth of each rendition is its peak segment rate, so one segment of
            # buffer is enough for continuous playout at that rate.
            "minBufferTime": iso_duration(max_seg),
        },
    )
    period = _sub(mpd, "Period", id="0", start="PT0S")
    set_id = 0
    if video:
        top = max(video, key=lambda t: (t.width or 0) * (t.height or 0))
        w, h = top.width or 1, top.height or 1
        g = math.gcd(w, h)
        aset = _sub(
            period,
            "AdaptationSet",
            id=str(set_id),
            contentType="video",
            mimeType="video/mp4",
            segmentAlignment="true",
            startWithSAP="1",
            maxWidth=str(max(t.width or 0 for t in video)),
            maxHeight=str(max(t.height or 0 for t in video)),
            maxFrameRate=top.frame_rate or "25",
            par=f"{w // g}:{h // g}",
        )
        if encryption is not None:
            _protection(aset, encryption)
        _sub(aset, "Role", schemeIdUri="urn:mpeg:dash:role:2011", value="main")
        for t in video:
            rep = _sub(
                aset,
                "Representation",
                id=t.id,
                bandwidth=str(t.bandwidth),
                codecs=t.codecs,
                width=str(t.width),
                height=str(t.height),
                frameRate=t.frame_rate or "25",
                sar="1:1",
            )
            _addressing(rep, t, segment, timeline, single_file)
        set_id += 1
    for i, t in enumerate(audio):
        aset = _sub(
            period,
            "AdaptationSet",
            id=str(set_id),
            contentType="audio",
            mimeType="audio/mp4",
            lang=t.language or "und",
            segmentAlignment="true",
            startWithSAP="1",
        )
        if t.label:
            _sub(aset, "Label").text = t.label
        if encryption is not None:
            _protection(aset, encryption)
        _sub(aset, "Role", schemeIdUri="urn:mpeg:dash:role:2011", value="main" if i == 0 else "dub")
        rep = _sub(
            aset,
            "Representation",
            id=t.id,
            bandwidth=str(t.bandwidth),
            codecs=t.codecs,
            audioSamplingRate=str(t.sample_rate or 48000),
        )
        _sub(
            rep,
            "AudioChannelConfiguration",
            schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011",
            value=str(t.channels or 2),
        )
        _addressing(rep, t, segment, timeline, single_file)
        set_id += 1
    for t in text:
        aset = _sub(
            period,
            "AdaptationSet",
            id=str(set_id),
            contentType="text",
            mimeType="text/vtt",
            lang=t.language or "und",
        )
        if t.label:
            _sub(aset, "Label").text = t.label
        _sub(aset, "Role", schemeIdUri="urn:mpeg:dash:role:2011", value="subtitle")
        rep = _sub(aset, "Representation", id=t.id, bandwidth=str(max(1, t.bandwidth)))
        _sub(rep, "BaseURL").text = t.init
        set_id += 1
    ET.indent(mpd, space="  ")
    body = ET.tostring(mpd, encoding="unicode", xml_declaration=False)
    path.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n", encoding="utf-8")
