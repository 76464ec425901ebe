"""DASH features, one MPD each: addressing modes, BaseURLs, periods, live, DRM signalling,
descriptors, events, and the mpegdash gaps we close."""

from __future__ import annotations

import base64
import struct

import pytest

from player.errors import Code, PlayerError
from player.manifest import (
    IndexRequest,
    Presentation,
    SegmentIndex,
    TrackKind,
    parse_manifest,
)

URL = "https://cdn.example.com/title/manifest.mpd"
NS = 'xmlns="urn:mpeg:dash:schema:mpd:2011"'


def mpd(body: str, attrs: str = 'type="static" mediaPresentationDuration="PT8S"') -> bytes:
    return f'<?xml version="1.0"?>\n<MPD {NS} {attrs}>\n{body}\n</MPD>'.encode()


def parse(body: str, attrs: str = 'type="static" mediaPresentationDuration="PT8S"') -> Presentation:
    return parse_manifest(mpd(body, attrs), URL)


def only_index(pres: Presentation) -> SegmentIndex:
    index = pres.periods[0].tracks[0].representations[0].index
    assert isinstance(index, SegmentIndex)
    return index


def video(inner: str, rep: str = 'id="v1" bandwidth="500000"', rep_inner: str = "") -> str:
    return (
        f'<Period><AdaptationSet mimeType="video/mp4" codecs="avc1.64001f">{inner}'
        f"<Representation {rep}>{rep_inner}</Representation></AdaptationSet></Period>"
    )


# --- SegmentTemplate ---


def test_template_identifiers_and_widths() -> None:
    pres = parse(
        video(
            '<SegmentTemplate timescale="1000" duration="2000" startNumber="7" '
            'initialization="$RepresentationID$/init-$Bandwidth$.mp4" '
            'media="$RepresentationID$/$Bandwidth%08d$/n$Number%05d$-x$Number%x$-$$.m4s"/>'
        )
    )
    index = only_index(pres)
    assert (index.first_number, index.last_number, len(index)) == (7, 10, 4)
    seg = index.by_number(8)
    assert seg is not None
    assert seg.url == "https://cdn.example.com/title/v1/00500000/n00008-x8-$.m4s"
    assert (seg.start, seg.duration) == (2.0, 2.0)
    assert index.init is not None
    assert index.init.url == "https://cdn.example.com/title/v1/init-500000.mp4"
    assert seg.init == index.init


def test_template_time_with_duration_counts_from_pto() -> None:
    pres = parse(
        video(
            '<SegmentTemplate timescale="90000" duration="180000" presentationTimeOffset="900000" '
            'media="t$Time$.m4s"/>'
        )
    )
    index = only_index(pres)
    first = index.by_number(1)
    assert first is not None and first.url.endswith("/t900000.m4s") and first.start == 0.0
    second = index.by_number(2)
    assert second is not None and second.url.endswith("/t1080000.m4s")


def test_last_template_segment_ends_with_the_period() -> None:
    index = only_index(
        parse(video('<SegmentTemplate timescale="1" duration="3" media="$Number$.m4s"/>'))
    )
    assert len(index) == 3  # 8 s / 3 s
    assert [s.duration for s in index] == [3.0, 3.0, 2.0]


def test_end_number_caps_the_template() -> None:
    index = only_index(
        parse(video('<SegmentTemplate duration="1" endNumber="4" media="$Number$.m4s"/>'))
    )
    assert (index.first_number, index.last_number) == (1, 4)


@pytest.mark.parametrize(
    "media",
    ["$Numbr$.m4s", "$Number.m4s", "$RepresentationID%05d$.m4s", "$Number%0999d$"],
)
def test_bad_templates_are_typed_errors(media: str) -> None:
    with pytest.raises(PlayerError) as info:
        parse(video(f'<SegmentTemplate duration="1" media="{media}"/>'))
    assert info.value.code == Code.TEMPLATE_INVALID
    assert "AdaptationSet" in info.value.message  # names where


def test_template_attributes_inherit_across_levels() -> None:
    body = (
        '<Period><SegmentTemplate timescale="1000" media="p/$Number$.m4s" startNumber="0"/>'
        '<AdaptationSet mimeType="audio/mp4"><SegmentTemplate duration="4000"/>'
        '<Representation id="a" bandwidth="1"><SegmentTemplate media="r/$Number$.m4s"/>'
        "</Representation></AdaptationSet></Period>"
    )
    index = only_index(parse(body))
    assert [s.url.rsplit("/", 2)[-2:] for s in index] == [["r", "0.m4s"], ["r", "1.m4s"]]
    assert [s.duration for s in index] == [4.0, 4.0]


# --- SegmentTimeline ---


def test_timeline_t_d_r_and_gaps() -> None:
    index = only_index(
        parse(
            video(
                '<SegmentTemplate timescale="10" media="$Time$.m4s" startNumber="3">'
                '<SegmentTimeline><S t="5" d="20" r="2"/><S d="10"/><S t="100" d="15" r="1"/>'
                "</SegmentTimeline></SegmentTemplate>"
            )
        )
    )
    got = [(s.number, s.start, s.duration, s.url.rsplit("/", 1)[1]) for s in index]
    assert got == [
        (3, 0.5, 2.0, "5.m4s"),
        (4, 2.5, 2.0, "25.m4s"),
        (5, 4.5, 2.0, "45.m4s"),
        (6, 6.5, 1.0, "65.m4s"),
        (7, 10.0, 1.5, "100.m4s"),
        (8, 11.5, 1.5, "115.m4s"),
    ]
    assert index.at_time(8.0) == index.by_number(7)  # in the gap: the next segment
    assert index.at_time(0.0) == index.by_number(3)  # before the first: the first
    assert index.at_time(13.0) is None


def test_timeline_r_minus_one_until_next_t_and_period_end() -> None:
    index = only_index(
        parse(
            video(
                '<SegmentTemplate timescale="1" media="$Number$.m4s">'
                '<SegmentTimeline><S t="0" d="2" r="-1"/><S t="5" d="1" r="-1"/>'
                "</SegmentTimeline></SegmentTemplate>"
            )
        )
    )
    assert [(s.start, s.duration) for s in index] == [
        (0.0, 2.0),
        (2.0, 2.0),
        (4.0, 1.0),  # cut short where the next S@t starts
        (5.0, 1.0),
        (6.0, 1.0),
        (7.0, 1.0),
    ]


def test_timeline_n_and_k() -> None:
    index = only_index(
        parse(
            video(
                '<SegmentTemplate timescale="1" media="$Number$.m4s" startNumber="1">'
                '<SegmentTimeline><S t="0" d="2" r="1"/><S n="10" d="4" k="2"/>'
                "</SegmentTimeline></SegmentTemplate>"
            )
        )
    )
    assert [(s.number, s.start, s.duration) for s in index] == [
        (1, 0.0, 2.0),
        (2, 2.0, 2.0),
        (10, 4.0, 2.0),  # S@k=2: the 4 s covers two segments
        (11, 6.0, 2.0),
    ]
    assert index.by_number(5) is None


def test_empty_timeline_has_no_segments() -> None:
    index = only_index(
        parse(
            video(
                '<SegmentTemplate media="$Number$.m4s" startNumber="5">'
                "<SegmentTimeline/></SegmentTemplate>"
            )
        )
    )
    assert len(index) == 0 and list(index) == [] and index.at_time(0) is None


def test_huge_timeline_is_lazy() -> None:
    index = only_index(
        parse(
            video(
                '<SegmentTemplate timescale="1000" media="$Number$.m4s">'
                '<SegmentTimeline><S t="0" d="1000" r="99999999999"/></SegmentTimeline>'
                "</SegmentTemplate>"
            ),
            attrs='type="static"',
        )
    )
    assert len(index) == 100_000_000_000
    seg = index.at_time(12_345_678_901.5)
    assert seg is not None and seg.number == 12_345_678_902
    assert index.by_number(100_000_000_000) is not None


# --- SegmentList and SegmentBase ---


def test_segment_list_with_media_ranges_and_timeline() -> None:
    index = only_index(
        parse(
            video(
                "",
                rep_inner=(
                    "<BaseURL>media/v1.mp4</BaseURL>"
                    '<SegmentList timescale="1000">'
                    '<Initialization range="0-799"/>'
                    '<SegmentTimeline><S d="4000" r="1"/></SegmentTimeline>'
                    '<SegmentURL mediaRange="800-1999"/><SegmentURL media="b.mp4"'
                    ' mediaRange="2000-2999"/>'
                    "</SegmentList>"
                ),
            )
        )
    )
    segs = list(index)
    assert [(s.url, s.byte_range.start, s.byte_range.end) for s in segs if s.byte_range] == [
        ("https://cdn.example.com/title/media/v1.mp4", 800, 1999),
        ("https://cdn.example.com/title/media/b.mp4", 2000, 2999),
    ]
    assert index.init is not None and index.init.byte_range is not None
    assert (index.init.url, index.init.byte_range.end) == (
        "https://cdn.example.com/title/media/v1.mp4",
        799,
    )


def _sidx(refs: list[tuple[int, int]], timescale: int = 1000, first_offset: int = 0) -> bytes:
    body = struct.pack(">BxxxIIIIHH", 0, 1, timescale, 0, first_offset, 0, len(refs))
    for size, duration in refs:
        body += struct.pack(">III", size, duration, 0x90000000)
    return struct.pack(">I4s", 8 + len(body), b"sidx") + body


def test_segment_base_index_request_resolves_sidx() -> None:
    pres = parse(
        video(
            "",
            rep_inner=(
                "<BaseURL>v1.mp4</BaseURL>"
                '<SegmentBase indexRange="900-955" timescale="1000" presentationTimeOffset="0">'
                '<Initialization range="0-899"/></SegmentBase>'
            ),
        )
    )
    request = pres.periods[0].tracks[0].representations[0].index
    assert isinstance(request, IndexRequest) and request.kind == "sidx"
    assert request.byte_range is not None
    assert (request.byte_range.start, request.byte_range.end) == (900, 955)
    assert request.init is not None and request.init.byte_range is not None
    data = _sidx([(1000, 4000), (1200, 4000)])
    assert len(data) == 56
    index = request.resolve(data)
    assert [(s.start, s.duration, s.byte_range.start, s.byte_range.end) for s in index] == [  # type: ignore[union-attr]
        (0.0, 4.0, 956, 1955),
        (4.0, 4.0, 1956, 3155),
    ]
    assert all(s.url == "https://cdn.example.com/title/v1.mp4" for s in index)
    with pytest.raises(PlayerError) as info:
        request.resolve(b"\x00\x00\x00\x08free")
    assert info.value.code == Code.SIDX_INVALID


def test_segment_base_without_index_is_one_segment() -> None:
    index = only_index(parse(video("", rep_inner="<BaseURL>v.mp4</BaseURL><SegmentBase/>")))
    assert len(index) == 1
    seg = index.by_number(1)
    assert seg is not None and (seg.start, seg.duration) == (0.0, 8.0)


# --- BaseURLs ---


def test_base_urls_at_every_level_and_alternatives_in_order() -> None:
    body = (
        "<BaseURL>https://a.example.com/root/</BaseURL>"
        '<BaseURL serviceLocation="b">https://b.example.com/root/</BaseURL>'
        "<Period><BaseURL>p/</BaseURL>"
        '<AdaptationSet mimeType="video/mp4"><BaseURL>as/</BaseURL>'
        '<SegmentTemplate duration="4" media="$Number$.m4s"/>'
        '<Representation id="r" bandwidth="1"><BaseURL>rep/</BaseURL></Representation>'
        "</AdaptationSet></Period>"
    )
    pres = parse(body)
    rep = pres.periods[0].tracks[0].representations[0]
    assert rep.base_urls == (
        "https://a.example.com/root/p/as/rep/",
        "https://b.example.com/root/p/as/rep/",
    )
    seg = only_index(pres).by_number(1)
    assert seg is not None and seg.urls == (
        "https://a.example.com/root/p/as/rep/1.m4s",
        "https://b.example.com/root/p/as/rep/1.m4s",
    )
    assert rep.base_url_info[1].service_location == "b"


def test_dvb_priority_and_weight_order_origins() -> None:
    body = (
        '<BaseURL dvb:priority="2" dvb:weight="1">https://low.example.com/</BaseURL>'
        '<BaseURL dvb:priority="1" dvb:weight="10">https://main1.example.com/</BaseURL>'
        '<BaseURL dvb:priority="1" dvb:weight="90">https://main2.example.com/</BaseURL>'
        + video('<SegmentTemplate duration="4" media="$Number$.m4s"/>')
    )
    data = mpd(body).replace(b"<MPD ", b'<MPD xmlns:dvb="urn:dvb:dash:dash-extensions:2014-1" ')
    rep = parse_manifest(data, URL).periods[0].tracks[0].representations[0]
    assert rep.base_urls == (
        "https://main2.example.com/",
        "https://main1.example.com/",
        "https://low.example.com/",
    )
    assert [(b.priority, b.weight) for b in rep.base_url_info] == [(1, 90), (1, 10), (2, 1)]


# --- periods, PTO, Location ---


def test_multi_period_starts_inferred_and_pto_removed() -> None:
    body = (
        '<Period id="a" duration="PT4S">'
        '<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="10" duration="20" '
        'presentationTimeOffset="1000" media="a$Time$.m4s"/>'
        '<Representation id="v" bandwidth="1"/></AdaptationSet></Period>'
        '<Period id="b">'
        '<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="10" media="b$Number$.m4s">'
        '<SegmentTimeline><S t="500" d="20" r="1"/></SegmentTimeline></SegmentTemplate>'
        '<SegmentTemplate/><Representation id="v" bandwidth="1"/></AdaptationSet></Period>'
    )
    data = mpd(body, 'type="static" mediaPresentationDuration="PT8S"')
    data = data.replace(b"<SegmentTemplate/>", b"")
    pres = parse_manifest(data, URL)
    (a, b) = pres.periods
    assert (a.id, a.start, a.duration) == ("a", 0.0, 4.0)
    assert (b.id, b.start, b.duration) == ("b", 4.0, 4.0)
    ia = a.tracks[0].representations[0].index
    ib = b.tracks[0].representations[0].index
    assert isinstance(ia, SegmentIndex) and isinstance(ib, SegmentIndex)
    assert [(s.start, s.url.rsplit("/", 1)[1]) for s in ia] == [
        (0.0, "a1000.m4s"),
        (2.0, "a1020.m4s"),
    ]
    # The second period's timeline starts at t=500 with no PTO: 50 s after its start.
    assert [s.start for s in ib] == [54.0, 56.0]


def test_location_resolved() -> None:
    pres = parse("<Location>../live/next.mpd</Location>" + video(""))
    assert pres.locations == ("https://cdn.example.com/live/next.mpd",)


# --- dynamic MPDs ---


def test_dynamic_window_for_a_wall_time() -> None:
    attrs = (
        'type="dynamic" availabilityStartTime="1970-01-01T00:01:40Z" '
        'timeShiftBufferDepth="PT10S" minimumUpdatePeriod="PT2S" '
        'suggestedPresentationDelay="PT6S" publishTime="1970-01-01T00:03:00Z"'
    )
    pres = parse(
        '<Period start="PT10S"><AdaptationSet mimeType="video/mp4">'
        '<SegmentTemplate duration="2" startNumber="1" media="$Number$.m4s" '
        'availabilityTimeOffset="1.5"/>'
        '<Representation id="v" bandwidth="1"/></AdaptationSet></Period>',
        attrs,
    )
    assert pres.is_live and pres.duration is None
    live = pres.live
    assert live is not None
    assert (live.availability_start_time, live.time_shift_buffer_depth) == (100.0, 10.0)
    assert (live.minimum_update_period, live.suggested_presentation_delay) == (2.0, 6.0)
    assert (live.publish_time, live.availability_time_offset) == (180.0, 1.5)
    index = only_index(pres)
    assert index.last_number is None
    # At wall 150: 40 s into the period. Ends <= 41.5 are available: segments 1..20;
    # ends > 30 are kept: segment 15 (28..30) is gone, 16 (30..32) is in.
    assert index.available(150.0) == (16, 20)
    assert index.available(105.0) is None  # before the period starts
    seg = index.by_number(20)
    assert seg is not None and (seg.start, seg.end) == (48.0, 50.0)


def test_dynamic_timeline_with_open_repeat() -> None:
    pres = parse(
        '<Period start="PT0S"><AdaptationSet mimeType="video/mp4">'
        '<SegmentTemplate timescale="1" media="$Time$.m4s"><SegmentTimeline>'
        '<S t="100" d="4" r="-1"/></SegmentTimeline></SegmentTemplate>'
        '<Representation id="v" bandwidth="1"/></AdaptationSet></Period>',
        'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z"',
    )
    index = only_index(pres)
    assert index.last_number is None
    with pytest.raises(TypeError):
        len(index)
    assert index.available(109.0) == (1, 2)  # [0,4) and [4,8) have ended at 9 s
    seg = index.by_number(1000)
    assert seg is not None and seg.url.endswith("/4096.m4s")


# --- ContentProtection ---

PSSH = base64.b64encode(
    struct.pack(
        ">I4sI16sI", 32 + 4, b"pssh", 0, bytes.fromhex("edef8ba979d64acea3c827dcd51d21ed"), 4
    )
    + b"abcd"
).decode()


def test_content_protection_systems_kids_pssh_and_license_urls() -> None:
    cps = (
        '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cbcs" '
        'cenc:default_KID="9EB4050D-E44B-4802-932E-27D75083E266"/>'
        '<ContentProtection schemeIdUri="urn:uuid:EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED">'
        f"<cenc:pssh>\n  {PSSH}\n</cenc:pssh><dashif:Laurl>https://wv.example.com/lic</dashif:Laurl>"
        "</ContentProtection>"
        '<ContentProtection schemeIdUri="urn:uuid:9a04f079-9840-4286-ab92-e65be0885f95">'
        '<ms:laurl licenseUrl="https://pr.example.com/rightsmanager.asmx"/>'
        "<mspr:pro>AAAA</mspr:pro></ContentProtection>"
        '<ContentProtection schemeIdUri="urn:uuid:1077efec-c0b2-4d02-ace3-3c1e52e2fb4b">'
        '<clearkey:Laurl Lic_type="EME-1.0">https://ck.example.com/license</clearkey:Laurl>'
        "</ContentProtection>"
        '<ContentProtection schemeIdUri="urn:uuid:94ce86fb-07ff-4f43-adb8-93d2fa968ca2"/>'
        '<ContentProtection schemeIdUri="urn:uuid:00000000-0000-0000-0000-000000000001"/>'
    )
    # Only cenc is declared: dashif, ms, mspr and clearkey prefixes are left undeclared.
    data = mpd(video(cps)).replace(b"<MPD ", b'<MPD xmlns:cenc="urn:mpeg:cenc:2013" ')
    track = parse_manifest(data, URL).periods[0].tracks[0]
    got = [(cp.system, cp.system_id, cp.default_kid, cp.license_url) for cp in track.protection]
    kid = "9eb4050de44b4802932e27d75083e266"
    assert got == [
        ("cenc", None, kid, None),
        ("widevine", "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed", kid, "https://wv.example.com/lic"),
        (
            "playready",
            "9a04f079-9840-4286-ab92-e65be0885f95",
            kid,
            "https://pr.example.com/rightsmanager.asmx",
        ),
        ("clearkey", "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b", kid, "https://ck.example.com/license"),
        ("fairplay", "94ce86fb-07ff-4f43-adb8-93d2fa968ca2", kid, None),
        ("unknown", "00000000-0000-0000-0000-000000000001", kid, None),
    ]
    assert track.protection[0].value == "cbcs"
    assert track.protection[1].pssh == base64.b64decode(PSSH)
    assert ("pro", "AAAA") in track.protection[2].extra


def test_bad_pssh_is_a_typed_error() -> None:
    cps = (
        '<ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed">'
        "<cenc:pssh>not base64!</cenc:pssh></ContentProtection>"
    )
    with pytest.raises(PlayerError) as info:
        parse(video(cps))
    assert info.value.code == Code.INVALID_ATTRIBUTE and "pssh" in info.value.message


# --- roles, labels, languages, accessibility, events, images ---


def test_roles_labels_languages_accessibility() -> None:
    body = (
        "<Period>"
        '<AdaptationSet mimeType="audio/mp4" lang="fr" codecs="mp4a.40.2">'
        '<Role schemeIdUri="urn:mpeg:dash:role:2011" value="dub"/>'
        '<Accessibility schemeIdUri="urn:tva:metadata:cs:AudioPurposeCS:2007" value="1"/>'
        "<Label>Français</Label>"
        "<AudioChannelConfiguration"
        ' schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="6"/>'
        '<Representation id="a" bandwidth="128000" audioSamplingRate="48000">'
        "<BaseURL>a.mp4</BaseURL></Representation>"
        "</AdaptationSet>"
        '<AdaptationSet contentType="text" mimeType="text/vtt" lang="de">'
        '<Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>'
        '<Representation id="t" bandwidth="100"><BaseURL>de.vtt</BaseURL></Representation>'
        "</AdaptationSet>"
        '<AdaptationSet mimeType="video/mp4" codecs="avc1.64001f" frameRate="30000/1001">'
        '<Accessibility schemeIdUri="urn:scte:dash:cc:cea-608:2015" value="CC1=eng;CC3=spa"/>'
        '<Representation id="v" bandwidth="1" width="640" height="360">'
        "<BaseURL>v.mp4</BaseURL></Representation>"
        "</AdaptationSet></Period>"
    )
    audio, text, vid = parse(body).periods[0].tracks
    assert (audio.kind, audio.language, audio.label, audio.roles, audio.accessibility) == (
        TrackKind.AUDIO,
        "fr",
        "Français",
        ("dub",),
        ("1",),
    )
    arep = audio.representations[0]
    assert (arep.channels, arep.audio_sampling_rate, arep.codecs) == (6, 48000, "mp4a.40.2")
    assert (text.kind, text.language, text.roles) == (TrackKind.TEXT, "de", ("subtitle",))
    assert isinstance(text.representations[0].index, SegmentIndex)
    assert len(text.representations[0].index) == 1  # a sidecar file: one segment
    assert vid.kind == TrackKind.VIDEO
    assert vid.representations[0].frame_rate == pytest.approx(29.97, abs=1e-3)
    assert vid.extra["captions"] == [
        {"channel": "CC1", "language": "eng"},
        {"channel": "CC3", "language": "spa"},
    ]


def test_event_stream() -> None:
    body = (
        '<Period start="PT10S" duration="PT20S">'
        '<EventStream schemeIdUri="urn:example:ad" value="v" timescale="1000">'
        '<Event presentationTime="2500" duration="1000" id="ad-1">payload</Event>'
        '<Event presentationTime="5000" messageData="md"/></EventStream>'
        + video("")[len("<Period>") :]
    )
    (period,) = parse(body, 'type="static"').periods
    e1, e2 = period.events
    assert (e1.scheme_id_uri, e1.value, e1.id, e1.start, e1.duration, e1.message) == (
        "urn:example:ad",
        "v",
        "ad-1",
        12.5,
        1.0,
        "payload",
    )
    assert (e2.start, e2.duration, e2.message, e2.id) == (15.0, None, "md", None)


def test_image_adaptation_set() -> None:
    body = (
        '<Period><AdaptationSet contentType="image" mimeType="image/jpeg">'
        '<SegmentTemplate media="thumb_$Number$.jpg" duration="10"/>'
        '<Representation id="thumbs" bandwidth="10000" width="1280" height="720">'
        '<EssentialProperty schemeIdUri="http://dashif.org/thumbnail_tile" value="5x4"/>'
        "</Representation></AdaptationSet></Period>"
    )
    track = parse(body, 'type="static" mediaPresentationDuration="PT100S"').periods[0].tracks[0]
    rep = track.representations[0]
    assert (track.kind, rep.extra["tiles"], rep.width) == (TrackKind.IMAGE, (5, 4), 1280)
    assert isinstance(rep.index, SegmentIndex) and len(rep.index) == 10


# --- mpegdash's gaps, closed ---


def test_false_is_false() -> None:
    """mpegdash reads any non-empty string, "false" too, as True."""
    pres = parse(
        '<Period><AdaptationSet mimeType="video/mp4" segmentAlignment="false" '
        'bitstreamSwitching="true">'
        '<BaseURL availabilityTimeComplete="false">x/</BaseURL>'
        '<SegmentTemplate duration="2" media="$Number$.m4s"/>'
        '<Representation id="v" bandwidth="1"/></AdaptationSet></Period>'
    )
    track = pres.periods[0].tracks[0]
    assert track.extra["segment_alignment"] is False
    assert track.extra["bitstream_switching"] is True
    assert track.representations[0].base_url_info[0].availability_time_complete is False


def test_undeclared_prefixes_are_declared() -> None:
    """mpegdash (and any namespace-aware parser) rejects prefixes real MPDs forget."""
    data = (
        b'<MPD type="static" yt:foo="1" mediaPresentationDuration="PT2S">'
        b'<Period><AdaptationSet mimeType="video/mp4"><ContentProtection '
        b'schemeIdUri="urn:mpeg:dash:mp4protection:2011"'
        b' cenc:default_KID="00112233445566778899aabbccddeeff"/>'
        b'<SegmentTemplate duration="2" media="$Number$.m4s"/>'
        b'<Representation id="v" bandwidth="1"/></AdaptationSet></Period></MPD>'
    )
    track = parse_manifest(data, URL).periods[0].tracks[0]
    assert track.protection[0].default_kid == "00112233445566778899aabbccddeeff"


def test_string_ids_where_mpegdash_wants_integers() -> None:
    pres = parse(
        '<Period><AdaptationSet id="video-main" group="main" mimeType="video/mp4">'
        '<SegmentTemplate duration="2" media="$Number$.m4s"/>'
        '<Representation id="v" bandwidth="1"/></AdaptationSet>'
        '<EventStream schemeIdUri="urn:x"><Event id="splice-7" presentationTime="1"/></EventStream>'
        "</Period>"
    )
    track = pres.periods[0].tracks[0]
    assert (track.id, track.group_id) == ("video-main", "main")
    assert pres.periods[0].events[0].id == "splice-7"


@pytest.mark.parametrize(
    ("attr", "value"),
    [
        ("bandwidth", "fast"),
        ("bandwidth", "-1"),
        ("bandwidth", "1_000"),
        ("width", "12.5"),
        ("bandwidth", "9" * 5000),
    ],
)
def test_bad_numbers_are_typed_errors_naming_where(attr: str, value: str) -> None:
    rep = 'id="v" bandwidth="1"'.replace('bandwidth="1"', f'{attr}="{value}"')
    if attr != "bandwidth":
        rep += ' bandwidth="1"'
    with pytest.raises(PlayerError) as info:
        parse(video('<SegmentTemplate duration="2" media="$Number$.m4s"/>', rep=rep))
    err = info.value
    assert err.code == Code.INVALID_ATTRIBUTE
    assert f"@{attr}=" in err.message and "Representation[id=v]" in err.message
    assert "line" in err.message and err.data["line"] == 3


def test_zero_timescale_and_zero_duration_are_refused() -> None:
    for seg in (
        '<SegmentTemplate timescale="0" duration="2" media="$Number$.m4s"/>',
        '<SegmentTemplate duration="0" media="$Number$.m4s"/>',
        '<SegmentTemplate media="$Number$.m4s"><SegmentTimeline><S d="0"/></SegmentTimeline>'
        "</SegmentTemplate>",
    ):
        with pytest.raises(PlayerError) as info:
            parse(video(seg))
        assert info.value.code in (Code.INVALID_ATTRIBUTE, Code.DASH_INVALID)


def test_bad_durations_and_dates_name_the_attribute() -> None:
    with pytest.raises(PlayerError) as info:
        parse(video(""), 'type="static" mediaPresentationDuration="ten seconds"')
    assert info.value.code == Code.INVALID_ATTRIBUTE
    assert "mediaPresentationDuration" in info.value.message
    with pytest.raises(PlayerError) as info:
        parse(video(""), 'type="dynamic" availabilityStartTime="yesterday"')
    assert "availabilityStartTime" in info.value.message


def test_no_period_and_wrong_root() -> None:
    with pytest.raises(PlayerError) as info:
        parse_manifest(mpd(""), URL)
    assert info.value.code == Code.NO_PERIODS
    with pytest.raises(PlayerError) as info:
        parse_manifest(b"<html><body>not found</body></html>", URL)
    assert info.value.code == Code.DASH_INVALID and "<html>" in info.value.message


def test_refresh_presentation_reparses_a_live_mpd() -> None:
    from player.manifest import refresh_presentation

    def live(repeat: int) -> bytes:
        return mpd(
            '<Location>https://cdn2.example.com/live.mpd</Location><Period start="PT0S">'
            '<AdaptationSet mimeType="video/mp4"><SegmentTemplate timescale="1" media="$Time$.m4s">'
            f'<SegmentTimeline><S t="0" d="2" r="{repeat}"/></SegmentTimeline></SegmentTemplate>'
            '<Representation id="v" bandwidth="1"/></AdaptationSet></Period>',
            'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z"'
            ' minimumUpdatePeriod="PT2S"',
        )

    first = parse_manifest(live(2), URL)
    assert len(only_index(first)) == 3
    again = refresh_presentation(first, live(5), first.locations[0])
    assert len(only_index(again)) == 6 and again.url == "https://cdn2.example.com/live.mpd"
    seg = only_index(again).by_number(6)
    assert seg is not None and seg.url == "https://cdn2.example.com/10.m4s"


def test_representation_protection_inherits_the_adaptation_set_kid() -> None:
    body = (
        '<Period><AdaptationSet mimeType="video/mp4">'
        '<ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" '
        'cenc:default_KID="00112233-4455-6677-8899-aabbccddeeff"/>'
        '<SegmentTemplate duration="2" media="$Number$.m4s"/>'
        '<Representation id="v" bandwidth="1">'
        '<ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed"/>'
        "</Representation></AdaptationSet></Period>"
    )
    rep = parse(body).periods[0].tracks[0].representations[0]
    wv = next(cp for cp in rep.extra["protection"] if cp.system == "widevine")
    assert wv.default_kid == "00112233445566778899aabbccddeeff"
