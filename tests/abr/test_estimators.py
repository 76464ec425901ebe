"""Property tests of the throughput estimators (abr/estimators.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abr import (
    BandwidthEstimator,
    EwmaEstimator,
    HarmonicMeanEstimator,
    SlidingPercentileEstimator,
    ThroughputSample,
    UnknownNameError,
    create_estimator,
    estimator_names,
)

NAMES = ("ewma", "ewma-dashjs", "harmonic", "percentile")

# A download: 20 kB .. 5 MB in 0.06 .. 10 s (above every estimator's minimum).
big_samples = st.builds(
    lambda n, s: (n, s),
    st.integers(20_000, 5_000_000),
    st.floats(0.06, 10.0, allow_nan=False),
)
rates = st.floats(1e4, 1e9, allow_nan=False)


def sample_at(
    rate_bps: float, seconds: float, t: float = 0.0, latency: float = 0.0
) -> ThroughputSample:
    nbytes = max(1, round(rate_bps * seconds / 8))
    # recompute seconds so the sample's rate is exactly ``rate_bps`` despite rounding
    return ThroughputSample(nbytes, nbytes * 8 / rate_bps, t, latency)


def fresh(name: str) -> BandwidthEstimator:
    return create_estimator(name)


def test_registry_names_and_unknown() -> None:
    assert set(NAMES) <= set(estimator_names())
    for name in NAMES:
        est = fresh(name)
        assert est.estimate_bps() is None or name == "ewma"
        assert est.latency_s() is None
    with pytest.raises(UnknownNameError):
        create_estimator("no-such-estimator")


@pytest.mark.parametrize("name", NAMES)
@given(rate=rates, first=rates, durations=st.lists(st.floats(0.1, 4.0), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_constant_rate_converges(
    name: str, rate: float, first: float, durations: list[float]
) -> None:
    """After a different start, enough samples at one rate bring the estimate to it."""
    est = fresh(name)
    est.add_sample(sample_at(first, 2.0))
    # 120 s of download time is 15+ slow half-lives of every EWMA preset; 40 samples of
    # 16 kB+ outweigh the percentile's window (2000) and fill the harmonic one (5).
    t, count = 0.0, 0
    while t < 120.0 or count < 40:
        for d in durations:
            secs = max(d, 17_000 * 8 / rate)  # at least 16 kB, Shaka's minimum sample
            est.add_sample(sample_at(rate, secs))
            t, count = t + secs, count + 1
    value = est.estimate_bps()
    assert value is not None
    assert value == pytest.approx(rate, rel=1e-4)


def _counted(name: str, pairs: list[tuple[int, float]]) -> list[float]:
    if name == "ewma":
        return [n * 8 / s for n, s in pairs if n >= 16_000]
    if name == "ewma-dashjs":
        return [n * 8 / s for n, s in pairs if s >= 0.05]
    return [n * 8 / s for n, s in pairs]


@pytest.mark.parametrize("name", NAMES)
@given(pairs=st.lists(big_samples, min_size=1, max_size=40))
@settings(max_examples=80, deadline=None)
def test_estimate_between_min_and_max(name: str, pairs: list[tuple[int, float]]) -> None:
    """Whatever the samples, the estimate never leaves their range (or is the default)."""
    est = fresh(name)
    for i, (n, s) in enumerate(pairs):
        est.add_sample(ThroughputSample(n, s, float(i)))
    value = est.estimate_bps()
    counted = _counted(name, pairs)
    if name == "ewma" and sum(n for n, _ in pairs if n >= 16_000) < 128_000:
        assert value == 1_000_000.0  # Shaka's default until 128 kB are sampled
        return
    if (
        name == "percentile"
        and sum(s for _, s in pairs) < 2.0
        and sum(n for n, _ in pairs) < 512 * 1024
    ):
        assert value is None  # ExoPlayer's minimum before a first estimate
        return
    assert value is not None
    lo, hi = min(counted), max(counted)
    assert lo * (1 - 1e-9) <= value <= hi * (1 + 1e-9)


@given(
    before=rates,
    after=rates,
    pieces=st.lists(st.floats(0.05, 1.0), min_size=1, max_size=10),
    preset=st.sampled_from(["ewma", "ewma-dashjs"]),
)
@settings(max_examples=100, deadline=None)
def test_half_life_as_documented(
    before: float, after: float, pieces: list[float], preset: str
) -> None:
    """After one half-life of download time at a new rate, each EWMA is halfway there.

    The half-life counts seconds of download time, however those seconds are split into
    samples; ``pieces`` splits the half-life at random.
    """
    est = create_estimator(preset, min_sample_bytes=0, min_sample_s=0.0)
    assert isinstance(est, EwmaEstimator)
    fast_h, slow_h = (2.0, 5.0) if preset == "ewma" else (3.0, 8.0)
    for _ in range(50):  # 200 s at the old rate: the zero-factor correction is ~1
        est.add_sample(sample_at(before, 4.0))
    for half_life, read in ((fast_h, "fast"), (slow_h, "slow")):
        probe = create_estimator(preset, min_sample_bytes=0, min_sample_s=0.0)
        assert isinstance(probe, EwmaEstimator)
        for _ in range(50):
            probe.add_sample(sample_at(before, 4.0))
        total = sum(pieces)
        for p in pieces:
            rate_exact = after
            secs = p / total * half_life
            probe.add_sample(ThroughputSample(1, 0.0, 0.0))  # ignored: zero duration
            probe.add_sample(ThroughputSample(round(rate_exact * secs / 8), secs, 0.0))
        value = probe.fast_estimate_bps if read == "fast" else probe.slow_estimate_bps
        assert value is not None
        # rounding the byte counts moves each sample's rate by < 8 bits / secs
        slack = 8 / min(p / total * half_life for p in pieces) + 1e-6 * max(before, after)
        assert abs(value - (before + after) / 2) <= slack
        # the reported estimate is the smaller of the two averages
        fast, slow = probe.fast_estimate_bps, probe.slow_estimate_bps
        assert fast is not None and slow is not None
        assert probe.estimate_bps() == min(fast, slow)


def test_shaka_minimums() -> None:
    est = EwmaEstimator()
    est.add_sample(ThroughputSample(15_999, 0.001, 1.0))  # under 16 kB: ignored
    assert est.bytes_sampled == 0
    assert est.estimate_bps() == 1_000_000.0
    for i in range(6):  # 6 x 20 kB = 120 kB < 128 kB: still the default
        est.add_sample(ThroughputSample(20_000, 0.1, float(i)))
    assert est.estimate_bps() == 1_000_000.0
    est.add_sample(ThroughputSample(20_000, 0.1, 7.0))  # 140 kB: now measured
    assert est.estimate_bps() == pytest.approx(1_600_000.0)


def test_dashjs_ignores_cache_hits() -> None:
    est = EwmaEstimator.dashjs()
    est.add_sample(ThroughputSample(1_000_000, 0.01, 1.0, latency_s=0.001))
    assert est.estimate_bps() is None
    assert est.latency_s() is None  # a cache hit's latency is not the network's
    est.add_sample(ThroughputSample(1_000_000, 1.0, 2.0, latency_s=0.05))
    assert est.estimate_bps() == pytest.approx(8_000_000.0)


def test_harmonic_window_and_error() -> None:
    est = HarmonicMeanEstimator()
    for r in (1e6, 2e6, 4e6, 4e6, 4e6, 4e6, 4e6):
        est.add_sample(sample_at(r, 1.0))
    assert est.estimate_bps() == pytest.approx(4e6)  # the first two left the window
    est2 = HarmonicMeanEstimator(window=2)
    est2.add_sample(sample_at(1e6, 1.0))
    est2.add_sample(sample_at(3e6, 1.0))
    assert est2.estimate_bps() == pytest.approx(2 / (1 / 1e6 + 1 / 3e6))
    # predicted 1e6 against an actual 3e6: relative error 2/3
    assert est2.max_error() == pytest.approx(2 / 3)
    robust = est2.robust_estimate_bps()
    assert robust == pytest.approx(1.5e6 / (1 + 2 / 3))


def test_percentile_weights_by_sqrt_bytes() -> None:
    est = SlidingPercentileEstimator(min_total_bytes=0, min_elapsed_s=0.0)
    est.add_sample(ThroughputSample(10_000, 0.1, 0.0))  # weight 100 at 800 kbit/s
    est.add_sample(ThroughputSample(40_000, 0.1, 1.0))  # weight 200 at 3.2 Mbit/s
    assert est.estimate_bps() == pytest.approx(3_200_000.0)  # heavier sample holds the median
    # the window keeps 2000 of weight: 30 heavy samples push the old ones out entirely
    for i in range(30):
        est.add_sample(ThroughputSample(10_000, 0.01, 2.0 + i))  # weight 100, 8 Mbit/s
    assert est.estimate_bps() == pytest.approx(8_000_000.0)


@pytest.mark.parametrize("name", NAMES)
def test_latency_tracked_apart(name: str) -> None:
    est = fresh(name)
    for i in range(10):
        est.add_sample(sample_at(5e6, 1.0, float(i), latency=0.1))
    assert est.latency_s() == pytest.approx(0.1)
    est.add_sample(sample_at(5e6, 1.0, 11.0, latency=0.5))
    lat = est.latency_s()
    assert lat is not None
    # max(fast, slow): the fast average (half-life 1 sample) moved halfway
    assert lat == pytest.approx(0.3, rel=1e-3)  # zero-factor: 1 - 0.5 ** 11
    value = est.estimate_bps()
    assert value is not None and math.isclose(value, 5e6, rel_tol=1e-6)
