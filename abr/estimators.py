"""Throughput estimators: dual EWMA, sliding harmonic mean, weighted sliding percentile.

Every estimator implements :class:`abr.interface.BandwidthEstimator`: feed it
:class:`~abr.interface.ThroughputSample` objects (one per finished download, as the
fetcher measures them) and read ``estimate_bps()`` and ``latency_s()``. They are pure:
no clock, no I/O, so the real-time player and the headless simulator get the same
numbers from the same samples.

Registered names (``abr.create_estimator(name, **overrides)``):

============== ============================== ========================================
name           class / preset                 defaults (from the anchors' source)
============== ============================== ========================================
``ewma``       :class:`EwmaEstimator` (Shaka) half-lives 2 s / 5 s of download time;
                                              samples under 16 kB ignored; the
                                              default 1 Mbit/s until 128 kB sampled
``ewma-dashjs`` :meth:`EwmaEstimator.dashjs`  half-lives 3 s / 8 s; downloads faster
                                              than 50 ms ignored (dash.js counts them
                                              as cache hits); None until a sample
``harmonic``   :class:`HarmonicMeanEstimator` harmonic mean of the last 5 samples
                                              (robustMPC); tracks prediction error
``percentile`` :class:`SlidingPercentileEstimator` median weighted by sqrt(bytes),
                                              total weight 2000 (ExoPlayer); None until
                                              2 s or 512 KiB transferred
============== ============================== ========================================

Latency (time to first byte) is tracked apart from throughput by every estimator: a
dual EWMA over samples counted one by one (half-lives of 1 and 2 samples, as dash.js
does for latency) that reports the larger, more cautious, of its two averages.
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from dataclasses import dataclass
from typing import Any

from abr.interface import ThroughputSample
from abr.registry import register_estimator

__all__ = [
    "EwmaEstimator",
    "HarmonicMeanEstimator",
    "LatencyTracker",
    "SlidingPercentileEstimator",
]


class _Ewma:
    """Exponentially weighted moving average with a half-life in units of weight.

    A sample of weight ``w`` moves the average by ``1 - 0.5 ** (w / half_life)`` of the
    way toward its value, so splitting a download into pieces does not change the result.
    The zero-factor correction (Shaka's) removes the bias toward the initial 0.
    """

    __slots__ = ("_alpha", "_estimate", "_total_weight", "half_life")

    def __init__(self, half_life: float) -> None:
        if not half_life > 0:
            raise ValueError(f"half-life must be positive, got {half_life!r}")
        self.half_life = half_life
        self._alpha = math.exp(math.log(0.5) / half_life)
        self._estimate = 0.0
        self._total_weight = 0.0

    def sample(self, weight: float, value: float) -> None:
        adj = self._alpha**weight
        new = value * (1.0 - adj) + adj * self._estimate
        if math.isfinite(new):
            self._estimate = new
            self._total_weight += weight

    @property
    def total_weight(self) -> float:
        return self._total_weight

    def estimate(self) -> float | None:
        if self._total_weight <= 0:
            return None
        zero_factor = 1.0 - self._alpha**self._total_weight
        return self._estimate / zero_factor if zero_factor > 0 else None


class LatencyTracker:
    """Time to first byte, averaged apart from throughput.

    A dual EWMA over samples counted one by one (half-lives ``fast`` and ``slow``
    samples; dash.js uses 1 and 2) reporting the larger average, so a latency spike is
    seen at once and forgotten slowly. Samples with no latency (``latency_s <= 0``) are
    skipped: the fetcher reports 0 when it could not measure it.
    """

    def __init__(self, fast: float = 1.0, slow: float = 2.0) -> None:
        self._fast = _Ewma(fast)
        self._slow = _Ewma(slow)

    def add(self, latency_s: float) -> None:
        """Record one time-to-first-byte measurement in seconds."""
        if 0.0 < latency_s < math.inf:
            # _Ewma.sample(1.0, latency_s) for both, inlined (a per-download call);
            # alpha ** 1.0 is alpha exactly, so the same floats come out.
            for ewma in (self._fast, self._slow):
                adj = ewma._alpha
                new = latency_s * (1.0 - adj) + adj * ewma._estimate
                if math.isfinite(new):
                    ewma._estimate = new
                    ewma._total_weight += 1.0

    def estimate_s(self) -> float | None:
        """The current latency estimate in seconds, or None before any sample."""
        fast, slow = self._fast.estimate(), self._slow.estimate()
        if fast is None or slow is None:
            return None
        return max(fast, slow)


class EwmaEstimator:
    """Dual EWMA of throughput weighted by download time (Shaka and dash.js).

    Each sample's rate enters a fast and a slow EWMA with weight = its download time in
    seconds; the estimate is the smaller of the two (quick to fall, slow to rise).
    Defaults are Shaka's ``EwmaBandwidthEstimator``:

    - ``fast_half_life_s`` 2.0, ``slow_half_life_s`` 5.0 (seconds of download time);
    - ``min_sample_bytes`` 16 000: smaller downloads are dominated by latency, ignored;
    - ``min_total_bytes`` 128 000: until that much is sampled, ``default_bps`` is
      reported (1 000 000, Shaka's ``defaultBandwidthEstimate``; None reports None);
    - ``min_sample_s`` 0: downloads faster than this are ignored (dash.js: 0.05 s for
      video, treated as cache hits).

    :meth:`dashjs` gives dash.js's preset (3 s / 8 s half-lives).
    """

    name = "ewma"

    def __init__(
        self,
        *,
        fast_half_life_s: float = 2.0,
        slow_half_life_s: float = 5.0,
        min_sample_bytes: int = 16_000,
        min_total_bytes: int = 128_000,
        default_bps: float | None = 1_000_000.0,
        min_sample_s: float = 0.0,
    ) -> None:
        self._fast = _Ewma(fast_half_life_s)
        self._slow = _Ewma(slow_half_life_s)
        self.min_sample_bytes = min_sample_bytes
        self.min_total_bytes = min_total_bytes
        self.default_bps = default_bps
        self.min_sample_s = min_sample_s
        self._bytes_sampled = 0
        self._latency = LatencyTracker()

    @classmethod
    def dashjs(cls, **overrides: Any) -> EwmaEstimator:
        """dash.js's throughput EWMA: half-lives 3 s / 8 s, no byte minimum, no default
        estimate, downloads under 50 ms ignored as cache hits."""
        params: dict[str, Any] = {
            "fast_half_life_s": 3.0,
            "slow_half_life_s": 8.0,
            "min_sample_bytes": 0,
            "min_total_bytes": 0,
            "default_bps": None,
            "min_sample_s": 0.05,
        }
        params.update(overrides)
        est = cls(**params)
        est.name = "ewma-dashjs"
        return est

    def add_sample(self, sample: ThroughputSample) -> None:
        """Feed one download; too small or too fast ones only update latency."""
        if sample.seconds < self.min_sample_s:
            return  # a cache hit says nothing about the network, latency included
        self._latency.add(sample.latency_s)
        if sample.nbytes < self.min_sample_bytes or sample.seconds <= 0:
            return
        bps = sample.bps
        self._bytes_sampled += sample.nbytes
        seconds = sample.seconds
        for ewma in (self._fast, self._slow):  # _Ewma.sample, inlined (per download)
            adj = ewma._alpha**seconds
            new = bps * (1.0 - adj) + adj * ewma._estimate
            if math.isfinite(new):
                ewma._estimate = new
                ewma._total_weight += seconds

    def estimate_bps(self) -> float | None:
        """min(fast, slow) once ``min_total_bytes`` are sampled, else ``default_bps``."""
        if self._bytes_sampled < self.min_total_bytes or self._fast.total_weight <= 0:
            return self.default_bps
        fast, slow = self._fast.estimate(), self._slow.estimate()
        if fast is None or slow is None:
            return self.default_bps
        return min(fast, slow)

    @property
    def fast_estimate_bps(self) -> float | None:
        """The fast EWMA alone (for plots and tests of the half-life)."""
        return self._fast.estimate()

    @property
    def slow_estimate_bps(self) -> float | None:
        """The slow EWMA alone."""
        return self._slow.estimate()

    @property
    def bytes_sampled(self) -> int:
        """Bytes of the samples that counted."""
        return self._bytes_sampled

    def latency_s(self) -> float | None:
        """Time-to-first-byte estimate in seconds."""
        return self._latency.estimate_s()


class HarmonicMeanEstimator:
    """Harmonic mean of the last ``window`` samples' rates (robustMPC, window 5).

    The harmonic mean is the rate at which equal-sized downloads would have gone, and
    one fast outlier barely lifts it. Before each sample the relative error of the
    estimate it replaces is recorded (``|predicted - actual| / actual``), so robustMPC
    can divide by ``1 + max_error()``; :meth:`robust_estimate_bps` does exactly that.
    Samples under ``min_sample_bytes`` (default 0) or of zero duration are skipped.
    """

    name = "harmonic"

    def __init__(self, *, window: int = 5, min_sample_bytes: int = 0) -> None:
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window!r}")
        self.window = window
        self.min_sample_bytes = min_sample_bytes
        self._rates: deque[float] = deque(maxlen=window)
        self._errors: deque[float] = deque(maxlen=window)
        self._latency = LatencyTracker()

    def add_sample(self, sample: ThroughputSample) -> None:
        """Feed one download."""
        self._latency.add(sample.latency_s)
        if sample.nbytes < self.min_sample_bytes or sample.seconds <= 0 or sample.nbytes <= 0:
            return
        bps = sample.bps
        predicted = self.estimate_bps()
        if predicted is not None:
            self._errors.append(abs(predicted - bps) / bps)
        self._rates.append(bps)

    def estimate_bps(self) -> float | None:
        """The harmonic mean of the window, or None before any sample."""
        if not self._rates:
            return None
        return len(self._rates) / sum(1.0 / r for r in self._rates)

    def max_error(self) -> float:
        """The largest relative prediction error over the last ``window`` samples."""
        return max(self._errors, default=0.0)

    def robust_estimate_bps(self) -> float | None:
        """robustMPC's discounted estimate: ``estimate / (1 + max_error())``."""
        est = self.estimate_bps()
        return None if est is None else est / (1.0 + self.max_error())

    def latency_s(self) -> float | None:
        """Time-to-first-byte estimate in seconds."""
        return self._latency.estimate_s()


@dataclass(slots=True)
class _WeightedRate:
    weight: float
    value: float


class SlidingPercentileEstimator:
    """A percentile of recent rates, each weighted by sqrt(bytes) (ExoPlayer).

    ExoPlayer's ``DefaultBandwidthMeter``: a sample's weight is the square root of its
    bytes; the oldest samples are dropped (the last one trimmed) so the total weight
    stays at ``max_weight`` (2000); the estimate is the weighted ``percentile`` (0.5).
    Until ``min_elapsed_s`` (2 s) of download time or ``min_total_bytes`` (512 KiB) have
    been seen, ``default_bps`` (None) is reported, as ExoPlayer reports its initial
    estimate.
    """

    name = "percentile"

    def __init__(
        self,
        *,
        max_weight: float = 2000.0,
        percentile: float = 0.5,
        min_elapsed_s: float = 2.0,
        min_total_bytes: int = 512 * 1024,
        default_bps: float | None = None,
    ) -> None:
        if not max_weight > 0:
            raise ValueError(f"max_weight must be positive, got {max_weight!r}")
        if not 0.0 <= percentile <= 1.0:
            raise ValueError(f"percentile must be in [0, 1], got {percentile!r}")
        self.max_weight = max_weight
        self.percentile = percentile
        self.min_elapsed_s = min_elapsed_s
        self.min_total_bytes = min_total_bytes
        self.default_bps = default_bps
        self._by_age: deque[_WeightedRate] = deque()
        self._total_weight = 0.0
        self._elapsed_s = 0.0
        self._total_bytes = 0
        self._latency = LatencyTracker()

    def add_sample(self, sample: ThroughputSample) -> None:
        """Feed one download."""
        self._latency.add(sample.latency_s)
        if sample.seconds <= 0:
            return
        self._elapsed_s += sample.seconds
        self._total_bytes += sample.nbytes
        weight = math.sqrt(sample.nbytes)
        if weight <= 0:
            return
        self._by_age.append(_WeightedRate(weight, sample.bps))
        self._total_weight += weight
        while self._total_weight > self.max_weight and self._by_age:
            excess = self._total_weight - self.max_weight
            oldest = self._by_age[0]
            if oldest.weight <= excess:
                self._by_age.popleft()
                self._total_weight -= oldest.weight
            else:
                oldest.weight -= excess
                self._total_weight -= excess

    def estimate_bps(self) -> float | None:
        """The weighted percentile once enough was transferred, else ``default_bps``."""
        enough = self._elapsed_s >= self.min_elapsed_s or self._total_bytes >= self.min_total_bytes
        if not enough or not self._by_age:
            return self.default_bps
        ordered = sorted(self._by_age, key=lambda s: s.value)
        cumulative: list[float] = []
        acc = 0.0
        for s in ordered:
            acc += s.weight
            cumulative.append(acc)
        # the first sample whose cumulative weight reaches the desired share
        i = bisect.bisect_left(cumulative, self.percentile * acc)
        return ordered[min(i, len(ordered) - 1)].value

    def latency_s(self) -> float | None:
        """Time-to-first-byte estimate in seconds."""
        return self._latency.estimate_s()


register_estimator("ewma", EwmaEstimator)
register_estimator("ewma-dashjs", EwmaEstimator.dashjs)
register_estimator("harmonic", HarmonicMeanEstimator)
register_estimator("percentile", SlidingPercentileEstimator)
