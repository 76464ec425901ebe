"""``wvtt`` in fragmented MP4 and HLS WebVTT segments, as Shaka Packager writes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.errors import Code, PlayerError
from player.text import CueTimeline, is_wvtt_init, parse_text_segment, parse_webvtt, parse_wvtt
from tests.text.conftest import ShakaText


def _source_cues(shaka_text: ShakaText) -> list[tuple[float, float, str]]:
    doc = parse_webvtt(shaka_text.source.read_bytes())
    return [(c.start, c.end, c.plain_text) for c in doc.cues]


def test_wvtt_segments_give_back_the_source_cues(shaka_text: ShakaText) -> None:
    init = shaka_text.init.read_bytes()
    assert is_wvtt_init(init)
    timeline = CueTimeline()
    assert len(shaka_text.segments) >= 3
    for seg in shaka_text.segments:
        timeline.add(parse_wvtt(init, seg.read_bytes()))
    got = [(c.start, c.end, c.plain_text) for c in timeline.cues]
    assert got == _source_cues(shaka_text)  # millisecond timescale: exact
    first = timeline.cues[0]
    assert first.id == "1" and first.settings.line == 10.0 and first.settings.align == "start"


def test_a_cue_split_across_segments_is_joined(shaka_text: ShakaText) -> None:
    init = shaka_text.init.read_bytes()
    pieces = [c for seg in shaka_text.segments for c in parse_wvtt(init, seg.read_bytes())]
    # Shaka cuts the 3.0..5.5 cue at the 4 s segment boundary.
    assert sum(1 for c in pieces if c.id == "2") >= 2
    joined = [c for c in CueTimeline(pieces).cues if c.id == "2"]
    assert [(c.start, c.end) for c in joined] == [(3.0, 5.5)]


def test_hls_webvtt_segments_apply_the_timestamp_map(shaka_text: ShakaText) -> None:
    timeline = CueTimeline()
    offsets = set()
    for seg in shaka_text.hls_segments:
        data = seg.read_bytes()
        offsets.add(parse_webvtt(data).offset)
        timeline.add(parse_text_segment(b"", data))
    assert len(offsets) == 1
    (offset,) = offsets
    expected = [(s + offset, e + offset, t) for s, e, t in _source_cues(shaka_text)]
    got = [(c.start, c.end, c.plain_text) for c in timeline.cues]
    assert [g[2] for g in got] == [x[2] for x in expected]
    assert [t for g in got for t in g[:2]] == pytest.approx([t for x in expected for t in x[:2]])


def test_dispatch_by_content(shaka_text: ShakaText) -> None:
    init = shaka_text.init.read_bytes()
    seg = shaka_text.segments[0].read_bytes()
    assert parse_text_segment(init, seg) == parse_wvtt(init, seg)
    assert parse_text_segment(b"", shaka_text.source.read_bytes())[0].id == "1"
    with pytest.raises(PlayerError) as info:
        parse_text_segment(b"", b"<?xml version='1.0'?><tt/>")
    assert info.value.code is Code.SUBTITLE_INVALID


def test_a_video_init_segment_is_not_wvtt(tiny_title: object) -> None:
    title = tiny_title  # a PackageResult
    video_init = (Path(title.dir) / title.video[0].init).read_bytes()  # type: ignore[attr-defined]
    assert not is_wvtt_init(video_init)
    with pytest.raises(PlayerError) as info:
        parse_wvtt(video_init, b"")
    assert info.value.code is Code.SUBTITLE_INVALID


@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_corrupted_segments_raise_typed_errors_only(
    shaka_text: ShakaText, data: st.DataObject
) -> None:
    init = shaka_text.init.read_bytes()
    seg = bytearray(shaka_text.segments[1].read_bytes())
    which = data.draw(st.sampled_from(["truncate", "flip", "both"]))
    if which in ("truncate", "both"):
        seg = seg[: data.draw(st.integers(0, len(seg)))]
    if which in ("flip", "both") and seg:
        for _ in range(data.draw(st.integers(1, 6))):
            i = data.draw(st.integers(0, len(seg) - 1))
            seg[i] = data.draw(st.integers(0, 255))
    try:
        cues = parse_wvtt(init, bytes(seg))
    except PlayerError as err:
        assert err.code is Code.SUBTITLE_INVALID
        return
    assert all(isinstance(c.plain_text, str) for c in cues)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_random_init_bytes_raise_typed_errors_only(init: bytes) -> None:
    try:
        parse_wvtt(init, b"")
    except PlayerError as err:
        assert err.code is Code.SUBTITLE_INVALID
