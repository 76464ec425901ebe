"""Property tests of the origin's parsers: byte ranges, fault specs, box walking."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.errors import Code, PlayerError
from traces.origin import FaultSpec, Outage, content_type_for, parse_faults
from traces.origin._mp4 import shift_decode_times, track_timescales
from traces.origin._static import RangeNotSatisfiable, parse_range

sizes = st.integers(0, 10_000)
positions = st.integers(0, 20_000)


@given(sizes, positions, st.one_of(st.none(), positions))
@settings(max_examples=300)
def test_range_spans_stay_inside_the_body(size: int, first: int, last: int | None) -> None:
    header = f"bytes={first}-" + ("" if last is None else str(last))
    try:
        span = parse_range(header, size)
    except RangeNotSatisfiable:
        assert first >= size
        return
    if span is None:  # ignored: last < first
        assert last is not None and last < first
        return
    assert 0 <= span.start <= span.end < size
    assert span.start == first
    assert span.end == (size - 1 if last is None else min(last, size - 1))
    assert span.content_range() == f"bytes {span.start}-{span.end}/{size}"


@given(sizes, st.integers(0, 20_000))
def test_suffix_ranges(size: int, n: int) -> None:
    try:
        span = parse_range(f"bytes=-{n}", size)
    except RangeNotSatisfiable:
        assert n == 0 or size == 0
        return
    assert span is not None and span.end == size - 1
    assert span.length == min(n, size)


probs = st.sampled_from([0.0, 0.01, 0.05, 0.1, 0.2])
durs = st.sampled_from([0.25, 0.5, 1.0, 2.0, 10.0])


@given(probs, probs, probs, probs, probs, durs, durs, st.integers(500, 599), st.booleans())
def test_fault_specs_round_trip(
    e: float,
    r: float,
    t: float,
    s: float,
    f: float,
    d1: float,
    d2: float,
    status: int,
    outage: bool,
) -> None:
    spec = FaultSpec(
        error_rate=e,
        error_status=status if e else 503,
        reset_rate=r,
        truncate_rate=t,
        stall_rate=s,
        stall_s=d1 if s else 0.0,
        slow_first_byte_rate=f,
        slow_first_byte_s=d2 if f else 0.0,
        outages=(Outage(d1, d2),) if outage else (),
        every_s=20.0 if outage else None,
        paths=("*.m4s",),
        seed=5,
    )
    assert parse_faults(str(spec)) == spec


def test_content_types() -> None:
    assert content_type_for("a/b/manifest.MPD") == "application/dash+xml"
    assert content_type_for("x.m4s") == "video/iso.segment"
    assert content_type_for("x.vtt") == "text/vtt"
    assert content_type_for("x.unknownext") == "application/octet-stream"


def test_box_walker_refuses_overruns() -> None:
    bad = b"\x00\x00\x01\x00moof" + b"\x00" * 16  # claims 256 bytes, has 24
    with pytest.raises(PlayerError) as info:
        shift_decode_times(bad, Fraction(10), {}, 1000)
    assert info.value.code is Code.BOX_INVALID
    assert track_timescales(b"") == {}


def test_tfdt_shift_and_overflow() -> None:
    def box(kind: bytes, payload: bytes) -> bytes:
        return (8 + len(payload)).to_bytes(4, "big") + kind + payload

    tfhd = box(b"tfhd", b"\x00\x02\x00\x00" + (1).to_bytes(4, "big"))
    tfdt0 = box(b"tfdt", b"\x00\x00\x00\x00" + (1000).to_bytes(4, "big"))
    tfdt1 = box(b"tfdt", b"\x01\x00\x00\x00" + (1000).to_bytes(8, "big"))
    for tfdt, width in ((tfdt0, 4), (tfdt1, 8)):
        seg = box(b"moof", box(b"traf", tfhd + tfdt)) + box(b"mdat", b"xyz")
        out = shift_decode_times(seg, Fraction(2), {1: 90000}, 1000)
        assert len(out) == len(seg)
        at = out.index(b"tfdt") + 8
        assert int.from_bytes(out[at : at + width], "big") == 1000 + 2 * 90000
        assert out.endswith(b"mdat" + b"xyz")
    seg = box(b"moof", box(b"traf", tfhd + tfdt0))
    with pytest.raises(PlayerError) as info:
        shift_decode_times(seg, Fraction(100_000), {1: 90000}, 1000)
    assert info.value.code is Code.UNSUPPORTED_FEATURE
