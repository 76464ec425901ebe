"""Trace arithmetic: exact integration, its inverse, looping; property tests."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from player.errors import Code, PlayerError
from traces import Trace


@st.composite
def traces(draw: st.DrawFn) -> Trace:
    n = draw(st.integers(1, 12))
    durations = draw(st.lists(st.floats(0.01, 20.0), min_size=n, max_size=n))
    rates = draw(st.lists(st.floats(0.0, 1e8), min_size=n, max_size=n))
    assume(sum(d * r for d, r in zip(durations, rates, strict=True)) > 1.0)
    return Trace.from_periods(durations, rates)


times = st.floats(0.0, 2000.0)


def test_piecewise_integral_by_hand() -> None:
    # 2 s at 1 Mbit/s, then 1 s at 0, then 1 s at 4 Mbit/s; loops after 4 s.
    t = Trace.from_periods([2, 1, 1], [1e6, 0, 4e6])
    assert t.duration == 4.0
    assert t.total_bits == 6e6
    assert t.bits_between(0, 2) == 2e6
    assert t.bits_between(1, 3) == 1e6
    assert t.bits_between(2.5, 3.5) == 2e6
    assert t.bits_between(3.5, 4.5) == 2e6 + 0.5e6  # across the loop point
    assert t.bytes_between(0, 8) == 12e6 / 8
    assert t.rate_at(2.5) == 0 and t.rate_at(4.1) == 1e6
    # Inverse: 2.5 Mbit from t=1 is 1 Mbit to 2 s, the gap, then 1.5 Mbit at 4 Mbit/s.
    assert t.time_to_deliver(2.5e6 / 8, 1.0) == pytest.approx(2.0 + 1.5 / 4)
    # Exactly one loop's bits from 0 ends at 4 s, not later.
    assert t.time_to_deliver(6e6 / 8, 0.0) == pytest.approx(4.0)
    # A request that starts inside the outage waits for it to end.
    assert t.time_to_deliver(1e6 / 8, 2.0) == pytest.approx(1.0 + 0.25)
    assert t.mean_bps == 1.5e6


def test_vectorised_matches_scalar() -> None:
    t = Trace.from_periods([1.5, 0.5, 3], [2e6, 1e5, 7e6])
    ts = np.linspace(0, 50, 301)
    vec = t.cumulative_bits(ts)
    scal = np.array([t.cumulative_bits(float(x)) for x in ts])
    np.testing.assert_allclose(vec, scal, rtol=1e-12)


@given(traces(), times, times)
@settings(max_examples=200, deadline=None)
def test_bytes_between_is_monotone_and_additive(tr: Trace, a: float, b: float) -> None:
    t0, t1 = min(a, b), max(a, b)
    mid = (t0 + t1) / 2
    whole = tr.bits_between(t0, t1)
    assert whole >= 0
    assert whole == pytest.approx(
        tr.bits_between(t0, mid) + tr.bits_between(mid, t1), rel=1e-9, abs=1e-3
    )
    assert tr.bits_between(t0, t1 + 1.0) >= whole - 1e-6
    # Never more than the peak rate allows.
    assert whole <= float(tr.rates_bps.max()) * (t1 - t0) * (1 + 1e-9) + 1e-3


@given(traces(), times, st.floats(1.0, 1e7))
@settings(max_examples=200, deadline=None)
def test_time_to_deliver_inverts_bytes_between(tr: Trace, start: float, nbytes: float) -> None:
    dt = tr.time_to_deliver(nbytes, start)
    assert math.isfinite(dt) and dt >= 0
    assert tr.bytes_between(start, start + dt) == pytest.approx(nbytes, rel=1e-6, abs=1e-3)
    # And it is the earliest such time: a little earlier delivers less.
    if dt > 1e-6:
        assert tr.bytes_between(start, start + dt * (1 - 1e-6)) < nbytes


@given(traces(), st.floats(0.0, 500.0), st.integers(1, 5))
@settings(max_examples=100, deadline=None)
def test_looping_repeats_the_trace(tr: Trace, t: float, k: int) -> None:
    d = tr.duration
    # Away from period edges, where float rounding of t + k*d may cross the boundary.
    assume(float(np.min(np.abs(np.append(tr.starts, d) - t % d))) > 1e-6)
    assert tr.rate_at(t % d) == tr.rate_at(t % d + k * d)
    assert tr.bits_between(t, t + k * d) == pytest.approx(k * tr.total_bits, rel=1e-9)


@given(traces(), st.floats(0.1, 50.0), times, times)
@example(Trace.from_periods([0.01, 0.01], [0.0, 114.0]), 3.0, 0.1, 0.1)  # on a loop point
@example(Trace.from_periods([0.01, 0.01], [0.0, 114.0]), 3.0, 0.01 / 3, 0.1)  # on a start
@settings(max_examples=100, deadline=None)
def test_time_scaling_shrinks_only_the_time_axis(tr: Trace, k: float, a: float, b: float) -> None:
    fast = tr.time_scaled(k)
    t0, t1 = min(a, b), max(a, b)
    # "Trace time = new time * k" holds in real numbers; in floats the query t0 * k, the
    # scaled starts s / k and the scaled loop length d / k are each rounded, so a query
    # within a few ulps of a period start or loop point may land on either side of it
    # (0.1 * 3 is 15 loops of 0.02 plus 4e-17, while 0.1 % (0.02 / 3) is just short of 5
    # loops of 0.02 / 3). Both periods are then right; away from boundaries it is exact.
    u = t0 * k
    near = 8 * math.ulp(max(u, tr.duration))
    assert fast.rate_at(t0) in {tr.rate_at(u), tr.rate_at(u - near), tr.rate_at(u + near)}
    assert fast.bits_between(t0, t1) == pytest.approx(
        tr.bits_between(t0 * k, t1 * k) / k, rel=1e-6, abs=1e-3
    )


@pytest.mark.parametrize(
    ("starts", "rates", "kwargs"),
    [
        ([], [], {}),
        ([0, 1], [1e6], {}),
        ([1, 2], [1e6, 1e6], {}),  # must start at 0
        ([0, 2, 1], [1, 1, 1], {}),  # not increasing
        ([0], [-1.0], {}),
        ([0], [float("nan")], {}),
        ([0, 1], [0, 0], {}),  # delivers nothing: a transfer would never end
        ([0, 5], [1, 1], {"duration": 5.0}),
        ([0], [1e6], {"latency_s": [0.1, 0.2]}),
        (["x"], [1e6], {}),
    ],
)
def test_invalid_traces_are_typed_errors(
    starts: list[float], rates: list[float], kwargs: dict[str, object]
) -> None:
    with pytest.raises(PlayerError) as info:
        Trace(starts, rates, **kwargs)  # type: ignore[arg-type]
    assert info.value.code is Code.TRACE_INVALID


def test_latency_per_period_and_scaling_argument() -> None:
    t = Trace([0, 1], [1e6, 2e6], duration=2, latency_s=[0.02, 0.05])
    assert t.latency_at(0.5) == 0.02 and t.latency_at(1.5) == 0.05 and t.latency_at(2.5) == 0.02
    with pytest.raises(PlayerError) as info:
        t.time_scaled(0)
    assert info.value.code is Code.INVALID_ARGUMENT
