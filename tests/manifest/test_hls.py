"""HLS features: master playlists, media playlists, live reloads, LL-HLS, and the m3u8
gaps we close."""

from __future__ import annotations

import base64
import struct

import pytest

from player.errors import Code, PlayerError
from player.manifest import (
    HlsPlaylistIndex,
    IndexRequest,
    LazyIndex,
    Presentation,
    TrackKind,
    hls_reload_interval,
    load_indexes,
    parse_manifest,
    refresh_presentation,
    reload_media_playlist,
)

MASTER_URL = "https://cdn.example.com/show/master.m3u8"
MEDIA_URL = "https://cdn.example.com/show/v/index.m3u8"

MASTER = b"""#EXTM3U
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://key-1",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="en",NAME="English",DEFAULT=YES,AUTOSELECT=YES,CHANNELS="2",URI="a/en.m3u8"
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aac",LANGUAGE="de",NAME="Deutsch",DEFAULT=NO,URI="a/de.m3u8"
#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",LANGUAGE="fr",NAME="Fr",FORCED=YES,CHARACTERISTICS="public.accessibility.transcribes-spoken-dialog",URI="s/fr.m3u8"
#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",LANGUAGE="en",NAME="CC",INSTREAM-ID="CC1"
#EXT-X-STREAM-INF:BANDWIDTH=800000,AVERAGE-BANDWIDTH=700000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",FRAME-RATE=29.970,AUDIO="aac",SUBTITLES="subs",CLOSED-CAPTIONS="cc"
v/360.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="aac"
https://other.example.com/720.m3u8
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=90000,RESOLUTION=640x360,CODECS="avc1.64001e",URI="v/360-iframes.m3u8"
"""

MEDIA = b"""#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:4
#EXT-X-MEDIA-SEQUENCE:100
#EXT-X-DISCONTINUITY-SEQUENCE:3
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z
#EXT-X-KEY:METHOD=AES-128,URI="keys/k1",IV=0x000102030405060708090a0b0c0d0e0f
#EXTINF:4.0,
#EXT-X-BYTERANGE:1000@720
media.mp4
#EXTINF:4.0,
#EXT-X-BYTERANGE:1500
media.mp4
#EXT-X-DISCONTINUITY
#EXT-X-KEY:METHOD=NONE
#EXT-X-GAP
#EXTINF:2.5,
other.mp4
#EXT-X-ENDLIST
"""


def media_index(pres: Presentation) -> HlsPlaylistIndex:
    index = pres.periods[0].tracks[0].representations[0].index
    assert isinstance(index, HlsPlaylistIndex)
    return index


def test_master_tracks_by_group() -> None:
    pres = parse_manifest(MASTER, MASTER_URL)
    assert pres.format == "hls" and len(pres.periods) == 1
    tracks = {t.id: t for t in pres.periods[0].tracks}
    variants = tracks["variants"]
    assert variants.kind == TrackKind.VIDEO
    r360, r720 = variants.representations
    assert (r360.bandwidth, r360.average_bandwidth, r360.width, r360.height) == (
        800000,
        700000,
        640,
        360,
    )
    assert r360.codecs == "avc1.64001e,mp4a.40.2" and r360.frame_rate == pytest.approx(29.97)
    assert r360.extra["audio"] == "aac" and r360.extra["subtitles"] == "subs"
    assert r360.base_urls == ("https://cdn.example.com/show/v/360.m3u8",)
    assert r720.base_urls == ("https://other.example.com/720.m3u8",)
    en = tracks["audio:aac:English"]
    assert (en.kind, en.language, en.group_id, en.is_default, en.label) == (
        TrackKind.AUDIO,
        "en",
        "aac",
        True,
        "English",
    )
    assert en.representations[0].channels == 2
    assert tracks["audio:aac:Deutsch"].is_default is False
    subs = tracks["subtitles:subs:Fr"]
    assert subs.kind == TrackKind.TEXT and subs.roles == ("forced-subtitle",)
    assert subs.accessibility == ("public.accessibility.transcribes-spoken-dialog",)
    cc = tracks["closed-captions:cc:CC"]
    assert cc.representations == [] and cc.extra["instream_id"] == "CC1"
    iframes = tracks["iframes"]
    assert iframes.is_iframe_only and iframes.representations[0].bandwidth == 90000
    fairplay = variants.protection[0]
    assert (fairplay.system, fairplay.system_id) == (
        "fairplay",
        "94ce86fb-07ff-4f43-adb8-93d2fa968ca2",
    )
    # No network: every media playlist is a request the engine fetches.
    for t in pres.periods[0].tracks:
        for r in t.representations:
            assert isinstance(r.index, IndexRequest) and r.index.kind == "hls-playlist"


def test_master_loads_lazily_through_a_loader() -> None:
    calls: list[str] = []

    def loader(url: str) -> bytes:
        calls.append(url)
        if url.endswith("360.m3u8"):
            return MEDIA
        raise OSError("unreachable")

    pres = parse_manifest(MASTER, MASTER_URL, loader=loader)
    assert calls == []  # nothing loaded while parsing
    rep = pres.periods[0].tracks[0].representations[0]
    index = rep.segments
    assert isinstance(index, LazyIndex)
    assert len(index) == 3 and calls == ["https://cdn.example.com/show/v/360.m3u8"]
    seg = index.by_number(101)
    assert seg is not None and seg.url == "https://cdn.example.com/show/v/media.mp4"
    with pytest.raises(PlayerError) as info:
        len(pres.periods[0].tracks[0].representations[1].segments)  # type: ignore[arg-type]
    assert info.value.code == Code.MEDIA_PLAYLIST_UNAVAILABLE


def test_load_indexes_resolves_what_it_can() -> None:
    pres = parse_manifest(MASTER, MASTER_URL)

    def loader(url: str) -> bytes:
        if url.endswith(("360.m3u8", "en.m3u8")):
            return MEDIA
        raise PlayerError(Code.BAD_HTTP_STATUS, "404")

    errors = load_indexes(pres, loader)
    tracks = {t.id: t for t in pres.periods[0].tracks}
    assert isinstance(tracks["variants"].representations[0].index, HlsPlaylistIndex)
    assert isinstance(tracks["variants"].representations[1].index, IndexRequest)
    assert isinstance(tracks["audio:aac:English"].representations[0].index, HlsPlaylistIndex)
    assert len(errors) == 4 and all(e.code == Code.MEDIA_PLAYLIST_UNAVAILABLE for e in errors)
    assert pres.is_live is False and pres.duration == pytest.approx(10.5)


def test_media_playlist_features() -> None:
    pres = parse_manifest(MEDIA, MEDIA_URL)
    assert pres.format == "hls" and not pres.is_live and pres.duration == pytest.approx(10.5)
    (track,) = pres.periods[0].tracks
    (rep,) = track.representations
    assert rep.base_urls == (MEDIA_URL,)
    index = media_index(pres)
    info = index.info
    assert (info.version, info.target_duration, info.media_sequence) == (7, 4.0, 100)
    assert (info.discontinuity_sequence, info.playlist_type, info.endlist) == (3, "VOD", True)
    s1, s2, s3 = index
    assert [s.number for s in index] == [100, 101, 102]
    assert [s.start for s in index] == [0.0, 4.0, 8.0]
    assert s1.byte_range is not None and (s1.byte_range.start, s1.byte_range.end) == (720, 1719)
    # BYTERANGE without an offset continues after the previous segment's range.
    assert s2.byte_range is not None and (s2.byte_range.start, s2.byte_range.end) == (1720, 3219)
    assert s1.init is not None and s1.init.byte_range is not None
    assert (s1.init.url, s1.init.byte_range.end) == ("https://cdn.example.com/show/v/init.mp4", 719)
    assert s1.key is not None and s1.key.method == "AES-128"
    assert s1.key.uri == "https://cdn.example.com/show/v/keys/k1"
    assert s1.key.iv == bytes(range(16)) and s1.key.keyformat == "identity"
    assert s2.key == s1.key and s3.key is None
    assert (s3.discontinuity, s3.gap, s2.discontinuity, s2.gap) == (True, True, False, False)
    assert s1.program_date_time == 1704067200.0
    assert s2.program_date_time == 1704067204.0
    assert index.at_time(5.0) == s2 and index.at_time(11.0) is None


def test_key_formats_become_protection() -> None:
    kid = bytes.fromhex("00112233445566778899aabbccddeeff")
    pssh = (
        struct.pack(
            ">I4sI16sI", 32 + 16, b"pssh", 0, bytes.fromhex("edef8ba979d64acea3c827dcd51d21ed"), 16
        )
        + kid
    )
    uri = "data:text/plain;base64," + base64.b64encode(pssh).decode()
    data = f"""#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-KEY:METHOD=SAMPLE-AES,URI="{uri}",KEYID=0x{kid.hex()},KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",KEYFORMATVERSIONS="1"
#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://k",KEYFORMAT="com.apple.streamingkeydelivery",KEYFORMATVERSIONS="1"
#EXTINF:4,
s1.mp4
#EXT-X-ENDLIST
""".encode()
    pres = parse_manifest(data, MEDIA_URL)
    protection = pres.periods[0].tracks[0].protection
    assert [(cp.system, cp.default_kid) for cp in protection] == [
        ("widevine", kid.hex()),
        ("fairplay", None),
    ]
    assert protection[0].pssh == pssh
    seg = media_index(pres).by_number(0)
    assert seg is not None and seg.key is not None and seg.key.keyformat.startswith("urn:uuid:")


def test_live_playlist_and_reload_rules() -> None:
    v1 = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:10\n" + b"".join(
        b"#EXTINF:6,\nseg%d.ts\n" % n for n in range(10, 13)
    )
    pres = parse_manifest(v1, MEDIA_URL)
    assert pres.is_live and pres.duration is None
    assert pres.live is not None and pres.live.target_duration == 6.0
    old = media_index(pres)
    assert [s.start for s in old] == [0.0, 6.0, 12.0]
    v2 = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-MEDIA-SEQUENCE:11\n" + b"".join(
        b"#EXTINF:6,\nseg%d.ts\n" % n for n in range(11, 14)
    )
    new, changed = reload_media_playlist(old, v2, MEDIA_URL)
    assert changed
    # Segment 11 keeps its place on the timeline; 13 follows.
    assert [(s.number, s.start) for s in new] == [(11, 6.0), (12, 12.0), (13, 18.0)]
    same, changed = reload_media_playlist(new, v2, MEDIA_URL)
    assert not changed and [s.start for s in same] == [6.0, 12.0, 18.0]
    assert hls_reload_interval(6.0, changed=True) == 6.0
    assert hls_reload_interval(6.0, changed=False) == 3.0
    assert hls_reload_interval(6.0, changed=False, part_target=1.0) == 0.5
    refreshed = refresh_presentation(pres, v2)
    assert [s.start for s in media_index(refreshed)] == [6.0, 12.0, 18.0]
    with pytest.raises(PlayerError):
        hls_reload_interval(0.0, changed=True)


def test_delta_update_fills_skipped_segments_from_the_previous_load() -> None:
    full = b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n" + b"".join(
        b"#EXTINF:4,\ns%d.mp4\n" % n for n in range(5)
    )
    old = media_index(parse_manifest(full, MEDIA_URL))
    delta = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:1\n"
        b"#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n#EXTINF:4,\ns4.mp4\n#EXTINF:4,\ns5.mp4\n"
    )
    new, _ = reload_media_playlist(old, delta, MEDIA_URL)
    assert [(s.number, s.start, s.url.rsplit("/", 1)[1]) for s in new] == [
        (1, 4.0, "s1.mp4"),
        (2, 8.0, "s2.mp4"),
        (3, 12.0, "s3.mp4"),
        (4, 16.0, "s4.mp4"),
        (5, 20.0, "s5.mp4"),
    ]


def test_low_latency_parts_and_hints() -> None:
    data = b"""#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-PART-INF:PART-TARGET=1.0
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=3.0
#EXT-X-MEDIA-SEQUENCE:7
#EXT-X-PART:DURATION=1.0,URI="p7.0.mp4",INDEPENDENT=YES
#EXT-X-PART:DURATION=1.0,URI="p7.1.mp4"
#EXTINF:2.0,
s7.mp4
#EXT-X-PART:DURATION=1.0,URI="all.mp4",BYTERANGE=500@0
#EXT-X-PART:DURATION=1.0,URI="all.mp4",BYTERANGE=400,GAP=YES
#EXT-X-PRELOAD-HINT:TYPE=PART,URI="all.mp4",BYTERANGE-START=900
#EXT-X-PRELOAD-HINT:TYPE=MAP,URI="init2.mp4"
#EXT-X-RENDITION-REPORT:URI="../a/index.m3u8",LAST-MSN=8,LAST-PART=1
"""
    pres = parse_manifest(data, MEDIA_URL)
    assert pres.live is not None and pres.live.part_target == 1.0
    index = media_index(pres)
    (seg,) = index
    assert [(p.url.rsplit("/", 1)[1], p.independent) for p in seg.parts] == [
        ("p7.0.mp4", True),
        ("p7.1.mp4", False),
    ]
    info = index.info
    a, b = info.pending_parts
    assert a.byte_range is not None and b.byte_range is not None
    assert (a.byte_range.start, a.byte_range.end, b.byte_range.start, b.byte_range.end) == (
        0,
        499,
        500,
        899,
    )
    assert (a.gap, b.gap) == (False, True)
    hint_part, hint_map = info.preload_hints
    assert hint_part.type == "PART" and hint_part.byte_range is not None
    assert (hint_part.byte_range.start, hint_part.byte_range.end) == (900, None)
    assert hint_map.type == "MAP" and hint_map.byte_range is None
    assert info.server_control == {"can_block_reload": True, "part_hold_back": 3.0}
    assert info.rendition_reports[0]["uri"] == "https://cdn.example.com/show/a/index.m3u8"


# --- m3u8's gaps, closed ---


def test_uri_lines_without_extinf_are_kept() -> None:
    """m3u8 silently drops a URI line that has no EXTINF before it."""
    data = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:5\n#EXTINF:4,\na.ts\nb.ts\n"
        b"#EXTINF:3,\nc.ts\n#EXT-X-ENDLIST\n"
    )
    index = media_index(parse_manifest(data, MEDIA_URL))
    assert [s.url.rsplit("/", 1)[1] for s in index] == ["a.ts", "b.ts", "c.ts"]
    assert [s.duration for s in index] == [4.0, 5.0, 3.0]  # b: the target duration
    assert index.info.estimated_numbers == (1,)
    assert any("no EXTINF" in n for n in index.info.notes)


def test_dateranges_after_the_last_segment_are_kept() -> None:
    """m3u8 loses EXT-X-DATERANGE tags that follow the last segment."""
    data = b"""#EXTM3U
#EXT-X-TARGETDURATION:4
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z
#EXT-X-DATERANGE:ID="early",START-DATE="2024-01-01T00:00:01Z",DURATION=2.0
#EXTINF:4,
a.ts
#EXTINF:4,
b.ts
#EXT-X-DATERANGE:ID="late",CLASS="com.apple.hls.interstitial",START-DATE="2024-01-01T00:00:06Z",END-DATE="2024-01-01T00:00:09Z",X-ASSET-URI="ad.m3u8"
"""
    events = parse_manifest(data, MEDIA_URL).periods[0].events
    assert [(e.id, e.start, e.duration) for e in events] == [
        ("early", 1.0, 2.0),
        ("late", 6.0, 3.0),
    ]
    assert events[1].scheme_id_uri == "com.apple.hls.interstitial"
    assert events[1].message is not None and 'X-ASSET-URI="ad.m3u8"' in events[1].message


def test_every_preload_hint_is_kept() -> None:
    """m3u8 keeps only the last EXT-X-PRELOAD-HINT."""
    data = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.mp4\n"
        b'#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p1.mp4"\n#EXT-X-PRELOAD-HINT:TYPE=MAP,URI="i.mp4"\n'
    )
    hints = media_index(parse_manifest(data, MEDIA_URL)).info.preload_hints
    assert [h.type for h in hints] == ["PART", "MAP"]


def test_invalid_numbers_in_tags_are_ignored_leniently() -> None:
    """m3u8 raises a bare ValueError on these; lenient players ignore them."""
    data = (
        b"#EXTM3U\n#EXT-X-TARGETDURATION:NaN\n#EXT-X-VERSION:x\n#EXT-X-MEDIA-SEQUENCE:abc\n"
        b"#EXTINF:4,\na.ts\n#EXT-X-ENDLIST\n"
    )
    index = media_index(parse_manifest(data, MEDIA_URL))
    assert index.info.target_duration is None and index.info.media_sequence == 0
    assert len(index.info.notes) == 3


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b"#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\n#EXT-X-BYTERANGE:abc\na.ts\n", 5),
        (b'#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0xZZ\n#EXTINF:4,\na.ts\n', 2),
        (b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=fast\nv.m3u8\n", 2),
        (b"#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=big\nv.m3u8\n", None),
        (b"#EXTM3U\n#EXT-X-PROGRAM-DATE-TIME:yesterday\n#EXTINF:4,\na.ts\n", 2),
    ],
)
def test_bad_playlists_are_typed_errors_naming_the_line(data: bytes, line: int | None) -> None:
    with pytest.raises(PlayerError) as info:
        parse_manifest(data, MEDIA_URL)
    assert info.value.code == Code.HLS_INVALID
    assert "internal" not in info.value.data
    if line is not None:
        assert info.value.data["line"] == line and f"line {line}" in info.value.message


def test_not_utf8() -> None:
    with pytest.raises(PlayerError) as info:
        parse_manifest(b"#EXTM3U\n#EXTINF:4,\n\xff\xfe.ts\n", MEDIA_URL)
    assert info.value.code == Code.HLS_INVALID and info.value.data["line"] == 3


def test_live_master_after_loading() -> None:
    live = b"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXT-X-PART-INF:PART-TARGET=0.5\n#EXTINF:6,\na.ts\n"
    pres = parse_manifest(MASTER, MASTER_URL)
    load_indexes(pres, lambda url: live)
    assert pres.is_live and pres.duration is None
    assert pres.live is not None and (pres.live.target_duration, pres.live.part_target) == (
        6.0,
        0.5,
    )
