"""A TEST REFERENCE session model: Pensieve's chunk-level simulator, faithfully.

This is not a second player. It reproduces the published model of Pensieve's
``sim/fixed_env.py`` (H. Mao et al., SIGCOMM 2017) so the session-level properties of
``abr.testing`` can be exercised before and independently of ``traces``' simulator,
which drives the real engine and is the default runner of ``check_policy``:

- a piecewise-constant link; each chunk is fetched whole at 0.95 of the link rate
  (payload share) plus one 80 ms round trip, looping the trace when it runs out;
- the buffer drains during the fetch; what the fetch takes beyond the buffer is
  rebuffering; a fetched chunk adds its duration;
- above the buffer cap (60 s) the client sleeps in 500 ms steps until under it;
- no abandonment, no seeking, one track.

The throughput estimate handed to policies is the minimum of a fast and a slow
exponentially weighted average weighted by download time (half-lives 3 s and 8 s, as
dash.js v4), starting once the first chunk has arrived; or any
:class:`abr.BandwidthEstimator` given as ``estimator``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from abr.interface import (
    AbrContext,
    AbrPolicy,
    BandwidthEstimator,
    PlaybackState,
    Rung,
    ThroughputSample,
)
from abr.qoe import SegmentRecord

PAYLOAD_SHARE = 0.95
RTT_S = 0.08
BUFFER_CAP_S = 60.0
SLEEP_STEP_S = 0.5


class EwmaEstimate:
    """Min of two download-time-weighted EWMAs (dash.js v4 half-lives 3 s and 8 s)."""

    def __init__(self, fast_half_life: float = 3.0, slow_half_life: float = 8.0) -> None:
        self._alphas = (0.5 ** (1.0 / fast_half_life), 0.5 ** (1.0 / slow_half_life))
        self._est = [0.0, 0.0]
        self._weight = 0.0

    def add(self, bps: float, seconds: float) -> None:
        for i, base in enumerate(self._alphas):
            a = base**seconds
            self._est[i] = a * self._est[i] + (1.0 - a) * bps
        self._weight += seconds

    def estimate(self) -> float | None:
        if self._weight <= 0:
            return None
        # Zero-bias correction, as Shaka and dash.js do.
        corrected = [
            e / (1.0 - base**self._weight) for e, base in zip(self._est, self._alphas, strict=True)
        ]
        return float(min(corrected))


class _Link:
    """Pensieve's mahimahi-style trace walk."""

    def __init__(self, bandwidth: Sequence[tuple[float, float]]) -> None:
        pieces = [(float(d), float(b)) for d, b in bandwidth if d > 0]
        if not pieces:
            raise ValueError("the bandwidth trace has no piece of positive duration")
        self.pieces = pieces
        self.i = 0
        self.left = pieces[0][0]  # seconds left in the current piece

    def _advance(self) -> None:
        self.i = (self.i + 1) % len(self.pieces)
        self.left = self.pieces[self.i][0]

    def fetch(self, nbytes: float) -> float:
        """Seconds to deliver ``nbytes`` at the payload share of the link (no RTT)."""
        sent, elapsed, idle = 0.0, 0.0, 0.0
        while True:
            rate = self.pieces[self.i][1] / 8.0 * PAYLOAD_SHARE
            can = rate * self.left
            if sent + can >= nbytes and rate > 0:
                t = (nbytes - sent) / rate
                self.left -= t
                return elapsed + t
            sent += can
            elapsed += self.left
            idle = idle + self.left if rate <= 0 else 0.0
            if idle > 3600:
                raise ValueError("the link delivered nothing for an hour")
            self._advance()

    def sleep(self, seconds: float) -> None:
        while seconds > 0:
            if self.left > seconds:
                self.left -= seconds
                return
            seconds -= self.left
            self._advance()


class PensieveReferenceRunner:
    """Runs a policy through Pensieve's simulator model; see the module docstring."""

    def __init__(
        self,
        *,
        buffer_cap_s: float = BUFFER_CAP_S,
        rtt_s: float = RTT_S,
        first_quality: int | None = None,
        sizes: Sequence[Sequence[int]] | None = None,  # [rung][segment] bytes
        keep_samples: int = 20,
        estimator: Callable[[], BandwidthEstimator] | None = None,
    ) -> None:
        self.estimator = estimator
        self.buffer_cap_s = buffer_cap_s
        self.rtt_s = rtt_s
        self.first_quality = first_quality
        self.sizes = sizes
        self.keep_samples = keep_samples

    def run(
        self,
        policy: AbrPolicy,
        bandwidth: Sequence[tuple[float, float]],
        ladder: Sequence[Rung],
        segment_duration: float,
        n_segments: int,
    ) -> list[SegmentRecord]:
        ladder = tuple(ladder)
        link = _Link(bandwidth)
        est = EwmaEstimate()
        other = self.estimator() if self.estimator is not None else None
        now, buffer, total_rebuffer = 0.0, 0.0, 0.0
        last_q: int | None = None
        samples: list[ThroughputSample] = []
        records: list[SegmentRecord] = []
        for k in range(n_segments):
            next_sizes: tuple[int | None, ...] | None = None
            if self.sizes is not None:
                next_sizes = tuple(
                    int(self.sizes[q][k % len(self.sizes[q])]) for q in range(len(ladder))
                )
            ctx = AbrContext(
                now=now,
                ladder=ladder,
                segment_duration=segment_duration,
                buffer_level=buffer,
                buffer_target=self.buffer_cap_s,
                buffer_capacity=self.buffer_cap_s,
                throughput_bps=est.estimate() if other is None else other.estimate_bps(),
                latency_s=self.rtt_s,
                samples=tuple(samples[-self.keep_samples :]),
                last_quality=last_q,
                state=PlaybackState.STARTUP if k == 0 else PlaybackState.PLAYING,
                segment_number=k,
                segments_left=n_segments - k,
                next_sizes=next_sizes,
                rebuffer_s=total_rebuffer,
            )
            if k == 0 and self.first_quality is not None:
                q = self.first_quality
            else:
                q = policy.choose(ctx).quality
            if not 0 <= q < len(ladder):
                raise AssertionError(f"policy chose rung {q} of a {len(ladder)}-rung ladder")
            nbytes = (
                next_sizes[q]
                if next_sizes is not None and next_sizes[q]
                else ladder[q].bitrate_bps * segment_duration / 8.0
            )
            assert nbytes is not None
            delay = link.fetch(nbytes) + self.rtt_s
            rebuffer = max(delay - buffer, 0.0)
            buffer = max(buffer - delay, 0.0) + segment_duration
            now += delay
            sample = ThroughputSample(int(nbytes), delay, now, self.rtt_s)
            samples.append(sample)
            est.add(sample.bps, delay)
            if other is not None:
                other.add_sample(sample)
            if k > 0:
                total_rebuffer += rebuffer
            if buffer > self.buffer_cap_s:
                sleep = math.ceil((buffer - self.buffer_cap_s) / SLEEP_STEP_S) * SLEEP_STEP_S
                buffer -= sleep
                link.sleep(sleep)
                now += sleep
            records.append(
                SegmentRecord(
                    index=k,
                    quality=q,
                    bitrate_bps=ladder[q].bitrate_bps,
                    duration_s=segment_duration,
                    rebuffer_s=rebuffer,
                    buffer_s=buffer,
                    download_s=delay,
                    nbytes=int(nbytes),
                    end_time=now,
                )
            )
            last_q = q
        return records
