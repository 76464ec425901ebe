"""The simulated link: exact integration, latency, payload share, Pensieve's view, noise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from player.errors import PlayerError
from traces.sim import Link, pensieve_view
from traces.trace import Trace


@settings(max_examples=60, deadline=None)
@given(
    rates=st.lists(st.just(0.0) | st.floats(1e3, 5e6), min_size=1, max_size=8),
    nbytes=st.integers(1, 3_000_000),
    start=st.floats(0.0, 100.0),
    rtt=st.sampled_from([0.0, 0.08, 0.3]),
    payload=st.sampled_from([1.0, 0.95, 0.5]),
)
def test_transfer_delivers_exactly_its_bytes(
    rates: list[float], nbytes: int, start: float, rtt: float, payload: float
) -> None:
    if max(rates) <= 0:
        rates[0] = 1e5
    trace = Trace.from_periods([1.5] * len(rates), rates)
    link = Link(trace, rtt_s=rtt, payload_factor=payload)
    t = link.request(nbytes, start)
    assert t.first_byte == pytest.approx(start + rtt)
    # The trace carries nbytes / payload bytes between first byte and completion.
    carried = trace.bytes_between(start + rtt, t.done)
    assert carried == pytest.approx(nbytes / payload, rel=1e-9, abs=1e-3)
    assert link.delivered(t, t.done) == nbytes
    assert link.delivered(t, t.first_byte) == 0
    mid = (t.first_byte + t.done) / 2
    assert 0 <= link.delivered(t, mid) <= nbytes


def test_pensieve_latency_does_not_move_the_trace() -> None:
    trace = Trace.from_periods([1.0, 1.0], [8e6, 0.8e6])  # 1 MB/s then 0.1 MB/s
    sabre_like = Link(trace, rtt_s=0.5)
    pensieve_like = Link(trace, rtt_s=0.5, latency_pauses_trace=True)
    a = sabre_like.request(500_000, 0.0)
    b = pensieve_like.request(500_000, 0.0)
    assert a.done == pytest.approx(0.5 + 0.5)  # its bytes flow in [0.5, 1.0) of the trace
    assert b.done == pytest.approx(0.5 + 0.5)  # bytes in [0, 0.5), then the round trip
    assert b.trace_start == 0.0 and a.trace_start == 0.5
    # The next request starts where the trace stood: Pensieve's trace lags by the RTT.
    assert pensieve_like.trace_time(b.done) == pytest.approx(0.5)
    assert sabre_like.trace_time(a.done) == pytest.approx(1.0)


def test_pensieve_view_shifts_rates_to_the_interval_ending_at_each_sample() -> None:
    trace = Trace([0.0, 1.0, 3.0], [1e6, 2e6, 3e6], duration=4.0, name="t")
    view = pensieve_view(trace)
    assert view.starts.tolist() == [0.0, 1.0]
    assert view.rates_bps.tolist() == [2e6, 3e6]
    assert view.duration == 3.0


def test_noise_is_seeded() -> None:
    trace = Trace.constant(1e6)
    a = [Link(trace, noise=0.2, seed=7).request(100_000, 0.0).done for _ in range(2)]
    b = Link(trace, noise=0.2, seed=8).request(100_000, 0.0).done
    assert a[0] == a[1] != b
    link = Link(trace, noise=0.2, seed=7)
    times = [link.request(100_000, 0.0).done for _ in range(50)]
    assert min(times) >= 0.8 / 1.2 - 1e-9 and max(times) <= 0.8 / 0.8 + 1e-9
    assert len(set(times)) > 40


@pytest.mark.parametrize(
    "kwargs",
    [{"rtt_s": -1.0}, {"payload_factor": 0.0}, {"payload_factor": 1.5}, {"noise": 1.0},
     {"offset_s": float("nan")}],
)  # fmt: skip
def test_bad_link_parameters_are_typed_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(PlayerError) as info:
        Link(Trace.constant(1e6), **kwargs)  # type: ignore[arg-type]
    assert info.value.code == 7002
