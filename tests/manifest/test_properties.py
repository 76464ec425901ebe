"""Property tests: template and timeline expansion against a direct reference
computation, and mutated real manifests that must give a model or a PlayerError."""

from __future__ import annotations

import contextlib
import itertools
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from urllib.parse import urljoin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from player.errors import PlayerError
from player.manifest import IndexRequest, Presentation, SegmentIndex, parse_manifest
from tests.manifest.conftest import FIXTURES, MUST_FAIL, rows

URL = "https://cdn.example.com/a/manifest.mpd"


def _mpd(segment_info: str, period_ms: int | None) -> bytes:
    attrs = f'mediaPresentationDuration="PT{period_ms / 1000:.3f}S"' if period_ms else ""
    return (
        f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" {attrs}><Period>'
        f'<AdaptationSet mimeType="video/mp4">{segment_info}'
        '<Representation id="rep-1" bandwidth="123456"/></AdaptationSet></Period></MPD>'
    ).encode()


def _index(data: bytes) -> SegmentIndex:
    pres = parse_manifest(data, URL)
    index = pres.periods[0].tracks[0].representations[0].index
    assert isinstance(index, SegmentIndex)
    return index


def _fill(media: str, number: int, time: int) -> str:
    """The reference template filler: Python's own printf formatting."""

    def sub(m: re.Match[str]) -> str:
        name, fmt = m.group(1), m.group(2)
        if name == "RepresentationID":
            return "rep-1"
        value = {"Number": number, "Time": time, "Bandwidth": 123456}[name]
        return (fmt or "%d") % value

    return re.sub(r"\$(RepresentationID|Number|Time|Bandwidth)(%0\d+d)?\$", sub, media)


template_fields = st.lists(
    st.sampled_from(
        [
            "$Number$",
            "$Number%05d$",
            "$Time$",
            "$Bandwidth$",
            "$Bandwidth%09d$",
            "$RepresentationID$",
            "seg",
            "-",
            "/",
        ]
    ),
    min_size=1,
    max_size=5,
).map(lambda parts: "".join(parts) + "$Number$.m4s")


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(
    timescale=st.integers(1, 96000),
    duration=st.integers(1, 10**7),
    start_number=st.integers(0, 10**6),
    pto=st.integers(0, 10**9),
    period_ms=st.integers(1, 600_000),
    media=template_fields,
)
def test_template_expansion_matches_reference(
    timescale: int, duration: int, start_number: int, pto: int, period_ms: int, media: str
) -> None:
    period = Fraction(period_ms, 1000)
    count = math.ceil(period * timescale / duration)
    if count > 300:
        return  # reference expansion is linear; big indexes are covered by lookups below
    index = _index(
        _mpd(
            f'<SegmentTemplate timescale="{timescale}" duration="{duration}" '
            f'startNumber="{start_number}" presentationTimeOffset="{pto}" media="{media}"/>',
            period_ms,
        )
    )
    segs = list(index)
    assert len(segs) == len(index) == count
    for i, seg in enumerate(segs):
        start = Fraction(i * duration, timescale)
        end = min(Fraction((i + 1) * duration, timescale), period)
        assert seg.number == start_number + i
        assert seg.start == pytest.approx(float(start), rel=1e-12, abs=1e-9)
        assert seg.duration == pytest.approx(float(end - start), rel=1e-9, abs=1e-9)
        assert seg.url == urljoin(URL, _fill(media, seg.number, pto + i * duration))
        assert index.by_number(seg.number) == seg
        mid = float(start + (end - start) / 2)
        if end > start:
            assert index.at_time(mid) == seg
    assert index.by_number(start_number - 1) is None
    assert index.by_number(start_number + count) is None


@settings(max_examples=100, deadline=2000)
@given(
    timescale=st.integers(1, 10**6),
    duration=st.integers(1, 10**6),
    seconds=st.integers(1, 10**9),
    probe=st.floats(0, 1, allow_nan=False),
)
def test_huge_template_lookups_match_reference(
    timescale: int, duration: int, seconds: int, probe: float
) -> None:
    """Millions of segments cost nothing: lookups by time and number are arithmetic."""
    index = _index(
        _mpd(
            f'<SegmentTemplate timescale="{timescale}" duration="{duration}" media="$Number$"/>',
            None,
        ).replace(
            b'type="static"', f'type="static" mediaPresentationDuration="PT{seconds}S"'.encode()
        )
    )
    count = math.ceil(Fraction(seconds) * timescale / duration)
    assert len(index) == count
    t = probe * seconds
    seg = index.at_time(t)
    if t >= seconds:
        assert seg is None
        return
    assert seg is not None
    expected_i = min(count - 1, math.floor(Fraction(t) * timescale / duration))
    assert seg.number == 1 + expected_i


@dataclass(frozen=True)
class S:
    t: int | None
    d: int
    r: int
    n: int | None


@st.composite
def timelines(draw: st.DrawFn) -> tuple[list[S], int | None, int]:
    """A valid SegmentTimeline (no overlaps, numbers increasing) and a period end."""
    entries: list[S] = []
    t_next = 0
    number = draw(st.integers(0, 1000))
    start_number = number
    total = 0
    for _ in range(draw(st.integers(1, 6))):
        gap = draw(st.sampled_from([None, 0, 1, 7, 1000]))
        t = None if gap is None else t_next + gap
        d = draw(st.integers(1, 5000))
        r = draw(st.integers(0, 20))
        jump = draw(st.sampled_from([None, None, 0, 3, 100]))
        n = None if jump is None else number + jump
        entries.append(S(t, d, r, n))
        start = t_next if t is None else t
        number = (number if n is None else n) + r + 1
        t_next = start + (r + 1) * d
        total += r + 1
    period_end: int | None = None
    if draw(st.booleans()):
        # An open repeat on the last S: it runs to the period end.
        last = entries[-1]
        extra = draw(st.integers(1, 50))
        period_end = t_next + extra * last.d - draw(st.integers(0, last.d - 1))
        entries[-1] = S(last.t, last.d, -1, last.n)
    return entries, period_end, start_number


def _reference(
    entries: list[S], period_end: int | None, start_number: int
) -> list[tuple[int, int, int]]:
    out: list[tuple[int, int, int]] = []
    t_next, number = 0, start_number
    for idx, s in enumerate(entries):
        t = t_next if s.t is None else s.t
        if s.n is not None:
            number = s.n
        if s.r >= 0:
            reps = s.r + 1
        else:
            end = entries[idx + 1].t if idx + 1 < len(entries) else period_end
            assert end is not None
            reps = math.ceil((end - t) / s.d)
        for j in range(reps):
            out.append((number, t + j * s.d, s.d))
            number += 1
        t_next = t + reps * s.d
    return out


@settings(max_examples=150, deadline=2000)
@given(timeline=timelines(), timescale=st.sampled_from([1, 10, 1000, 90000]))
def test_timeline_expansion_matches_reference(
    timeline: tuple[list[S], int | None, int], timescale: int
) -> None:
    entries, period_end, start_number = timeline
    s_elems = "".join(
        "<S"
        + (f' t="{s.t}"' if s.t is not None else "")
        + f' d="{s.d}"'
        + (f' r="{s.r}"' if s.r else "")
        + (f' n="{s.n}"' if s.n is not None else "")
        + "/>"
        for s in entries
    )
    period_ms = None
    if period_end is not None:
        # Express the period end exactly in milliseconds: scale the timescale to match.
        period_ms = period_end * 1000 // timescale
        period_end = Fraction(period_ms * timescale, 1000)  # type: ignore[assignment]
        if period_ms == 0 or period_end <= max(  # type: ignore[operator]
            (s.t or 0) for s in entries
        ):
            return
    data = _mpd(
        f'<SegmentTemplate timescale="{timescale}" startNumber="{start_number}" '
        f'media="$Number$_$Time$"><SegmentTimeline>{s_elems}</SegmentTimeline></SegmentTemplate>',
        period_ms,
    )
    index = _index(data)
    expected = _reference(entries, period_end, start_number)  # type: ignore[arg-type]
    got = list(index)
    assert len(got) == len(expected) == len(index)
    for seg, (number, t, d) in zip(got, expected, strict=True):
        assert seg.number == number
        assert seg.start == pytest.approx(t / timescale, rel=1e-12, abs=1e-12)
        assert seg.duration == pytest.approx(d / timescale, rel=1e-12)
        assert seg.url.endswith(f"/{number}_{t}")
        assert index.by_number(number) == seg
        assert index.at_time((t + d / 2) / timescale) == seg
    # In a gap, at_time gives the segment after it.
    for (_n1, t1, d1), (n2, t2, _d2) in itertools.pairwise(expected):
        if t2 > t1 + d1:
            nxt = index.at_time((t1 + d1 + t2) / 2 / timescale)
            assert nxt is not None and nxt.number == n2


# --- mutated real manifests ---

CORPUS = [
    r.file
    for r in rows()
    if r.file not in MUST_FAIL and (FIXTURES / r.file).stat().st_size < 40_000
]
HUGE = ["99999999999999999999999999", "18446744073709551616", "-1", "-99999", "0", "1e308"]


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    file = draw(st.sampled_from(CORPUS))
    data = bytearray((FIXTURES / file).read_bytes())
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(
            st.sampled_from(["flip", "drop_line", "number", "truncate", "dup_line", "drop_element"])
        )
        if not data:
            break
        if kind == "flip":
            pos = draw(st.integers(0, len(data) - 1))
            data[pos] = draw(st.integers(0, 255))
        elif kind in ("drop_line", "dup_line"):
            lines = bytes(data).split(b"\n")
            k = draw(st.integers(0, len(lines) - 1))
            if kind == "drop_line":
                del lines[k]
            else:
                lines.insert(k, lines[k])
            data = bytearray(b"\n".join(lines))
        elif kind == "number":
            spots = [m.span() for m in re.finditer(rb"\d+", bytes(data))]
            if spots:
                a, b = draw(st.sampled_from(spots))
                data[a:b] = draw(st.sampled_from(HUGE)).encode()
        elif kind == "drop_element":
            spots = [m.span() for m in re.finditer(rb"<(\w+)[^<>]*?(/>|>[^<]*</\1>)", bytes(data))]
            if spots:
                a, b = draw(st.sampled_from(spots))
                del data[a:b]
        else:
            data = data[: draw(st.integers(0, len(data)))]
    return file, bytes(data)


def _exercise(pres: Presentation) -> None:
    """Use the model the way the engine would; only PlayerError may come out."""
    for period in pres.periods:
        for track in period.tracks:
            for rep in track.representations:
                index = rep.index
                if isinstance(index, IndexRequest):
                    with contextlib.suppress(PlayerError):
                        index.resolve(b"\x00\x00\x00\x10sidx\x00\x00\x00\x00junk")
                    continue
                if not isinstance(index, SegmentIndex):
                    continue
                try:
                    first = index.first_number
                    index.by_number(first)
                    index.at_time(0.0)
                    index.at_time(1e12)
                    index.available(1.7e9)
                    if index.last_number is not None:
                        index.by_number(index.last_number)
                        list(itertools.islice(iter(index), 20))
                except PlayerError:
                    pass


@settings(
    max_examples=200,
    deadline=3000,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=mutated())
def test_mutated_manifests_give_a_model_or_a_player_error(case: tuple[str, bytes]) -> None:
    file, data = case
    url = (FIXTURES / file).as_uri()
    try:
        pres = parse_manifest(data, url)
    except PlayerError as err:
        # A foreseen failure: not one wrapped from an unexpected exception.
        assert "internal" not in err.data, err
        return
    _exercise(pres)
