"""WebVTT parsing: cues, settings, markup, HLS timestamp maps, and typed errors."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.errors import Code, PlayerError
from player.text import Cue, CueSettings, parse_timestamp, parse_webvtt
from tests.text.conftest import VTT


def test_parses_cues_in_order_with_ids_settings_and_text() -> None:
    doc = parse_webvtt(VTT.encode())
    assert [(c.id, c.start, c.end) for c in doc.cues] == [
        ("1", 0.5, 2.0),
        ("2", 3.0, 5.5),
        ("3", 6.0, 7.25),
    ]
    first, second, third = doc.cues
    assert first.settings.line == 10.0 and not first.settings.snap_to_lines
    assert first.settings.align == "start"
    assert first.plain_text == "Hello there & welcome"
    assert [s.bold for s in first.spans] == [False, True, False]
    assert first.to_html() == "Hello <b>there</b> &amp; welcome"
    assert second.plain_text == "Second cue\ntwo lines"
    assert second.settings.position == 30.0 and second.settings.size == 40.0
    assert third.plain_text == "Third"  # the voice tag keeps its text
    assert doc.skipped == 0


def test_cue_box_follows_position_size_and_alignment() -> None:
    # position 30% centred with size 40%: the box spans 10%..50%.
    assert CueSettings(position=30.0, size=40.0).box() == (10.0, 40.0)
    # align:start anchors at the left edge, full width.
    assert CueSettings(align="start").box() == (0.0, 100.0)
    # A centred cue near the edge is narrowed to fit (WebVTT maximum size).
    assert CueSettings(position=90.0, size=50.0).box() == pytest.approx((80.0, 20.0))
    assert CueSettings(align="end", size=30.0).box() == (70.0, 30.0)


def test_timestamps_with_and_without_hours() -> None:
    assert parse_timestamp("01:02.345") == pytest.approx(62.345)
    assert parse_timestamp("10:00:00.001") == pytest.approx(36000.001)
    for bad in ("1:02.345", "00:60.000", "00:00:00,000", "00:00.1", "abc"):
        with pytest.raises(PlayerError) as info:
            parse_timestamp(bad)
        assert info.value.code is Code.SUBTITLE_INVALID


def test_x_timestamp_map_moves_cues_onto_the_media_timeline() -> None:
    text = (
        "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:01.000\n\n00:01.000 --> 00:02.000\nHi\n"
    )
    doc = parse_webvtt(text)
    # 900000 / 90 kHz = 10 s of media time is local time 1 s: cues move by +9 s.
    assert doc.offset == pytest.approx(9.0)
    assert (doc.cues[0].start, doc.cues[0].end) == pytest.approx((10.0, 11.0))


def test_crlf_bom_and_header_metadata_are_accepted() -> None:
    text = "\ufeffWEBVTT - a title\r\nKind: captions\r\n\r\n00:00.000 --> 00:01.000\r\nA\r\n"
    doc = parse_webvtt(text.encode())
    assert [c.plain_text for c in doc.cues] == ["A"]


def test_style_region_note_blocks_are_not_cues() -> None:
    text = (
        "WEBVTT\n\nSTYLE\n::cue { color: red }\n\nREGION\nid:top width:40%\n\n"
        "NOTE\nnothing\n\n00:00.000 --> 00:01.000 region:top\nA\n"
    )
    doc = parse_webvtt(text)
    assert doc.regions == ("top",)
    assert [(c.plain_text, c.settings.region) for c in doc.cues] == [("A", "top")]


def test_malformed_cues_are_skipped_not_fatal() -> None:
    text = (
        "WEBVTT\n\n00:00.000 --> xx\nbad end\n\n00:05.000 --> 00:04.000\nbackwards\n\n"
        "00:01.000 --> 00:02.000 line:abc size:200% align:diagonal\nkept\n"
    )
    doc = parse_webvtt(text)
    assert [c.plain_text for c in doc.cues] == ["kept"]
    assert doc.skipped == 2
    assert doc.cues[0].settings == CueSettings()  # bad settings are ignored


@pytest.mark.parametrize(
    "data",
    [b"", b"WEBVT", b"1\n00:00.000 --> 00:01.000\nno header\n", b"WEBVTTX\n", b"<tt>ttml</tt>"],
)
def test_not_webvtt_is_a_typed_error(data: bytes) -> None:
    with pytest.raises(PlayerError) as info:
        parse_webvtt(data)
    assert info.value.code is Code.SUBTITLE_INVALID


def test_oversized_input_is_refused() -> None:
    with pytest.raises(PlayerError) as info:
        parse_webvtt(b"WEBVTT\n\n" + b"x" * (16 * 1024 * 1024))
    assert info.value.code is Code.SUBTITLE_INVALID


def test_invalid_utf8_is_replaced() -> None:
    doc = parse_webvtt(b"WEBVTT\n\n00:00.000 --> 00:01.000\ncaf\xe9\n")
    assert doc.cues[0].plain_text == "caf\ufffd"


def test_unbalanced_markup_still_gives_text() -> None:
    cue = Cue(0, 1, "<i>open <b>both</i> after</b> <c.yellow>x</c> &lt;3")
    assert cue.plain_text == "open both after x <3"
    assert cue.to_html() == "<i>open </i><b><i>both</i></b><b> after</b> x &lt;3"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400).map(lambda b: b"WEBVTT\n\n" + b))
def test_any_bytes_after_the_signature_parse_or_raise_typed(data: bytes) -> None:
    try:
        doc = parse_webvtt(data)
    except PlayerError as err:
        assert err.code is Code.SUBTITLE_INVALID
        return
    for cue in doc.cues:
        assert cue.end >= cue.start
        cue.plain_text  # noqa: B018 - markup of any shape must render


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000_000),
            st.integers(0, 100_000),
            st.text(st.characters(blacklist_characters="\r\n\x00"), min_size=1, max_size=20),
        ),
        max_size=8,
    )
)
def test_written_cues_read_back(items: list[tuple[int, int, str]]) -> None:
    def ts(ms: int) -> str:
        h, rest = divmod(ms, 3_600_000)
        m, rest = divmod(rest, 60_000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d}.{ms:03d}"

    body = "".join(
        f"{ts(start)} --> {ts(start + length)}\n{text.strip() or 'x'}\n\n"
        for start, length, text in items
        if "-->" not in text
    )
    doc = parse_webvtt("WEBVTT\n\n" + body)
    expected = [
        (start / 1000, (start + length) / 1000)
        for start, length, text in items
        if "-->" not in text
    ]
    got = [t for c in doc.cues for t in (c.start, c.end)]
    assert got == pytest.approx([t for pair in expected for t in pair])
