"""``mpc``: robustMPC, as Pensieve's evaluation runs it, made stable for a player.

Sources: X. Yin, A. Jindal, V. Sekar, B. Sinopoli, "A Control-Theoretic Approach for
Dynamic Adaptive Video Streaming over HTTP" (SIGCOMM 2015); H. Mao, R. Netravali,
M. Alizadeh, "Neural Adaptive Video Streaming with Pensieve" (SIGCOMM 2017), file
``test/mpc.py`` (the robustMPC baseline).

robustMPC, as Pensieve runs it: horizon 5 segments (fewer near the end); the throughput
forecast is the harmonic mean of the last 5 measured downloads divided by ``1 + e``,
where ``e`` is the largest relative error ``|forecast - actual| / actual`` of the last 5
forecasts (each forecast being the harmonic mean of the 5 downloads before it, so the
errors are recomputed from the context's samples: no hidden state); every rung sequence
over the horizon is scored with linear QoE (bitrate in Mbit/s, rebuffer penalty 4.3 per
second, smoothness penalty 1 per Mbit/s of change) by simulating the buffer, and the
first rung of the best sequence is played (ties go to the sequence enumerated last, as
Pensieve's ``>=`` does). Segment sizes are ``next_sizes`` when the context has them (used
for every step of the horizon), else bitrate x duration. The 6^5 = 7776 sequences are
scored at once with numpy. :meth:`MpcPolicy.pensieve` is exactly that.

The default ``mpc`` departs from Pensieve's code in four documented ways, each because
Pensieve's loop is unstable in a player (it flips rungs under constant bandwidth and
plans stalls it could avoid):

1. **Request latency** (``latency_aware``). Pensieve measures throughput as bytes over
   the whole request time and predicts a download as bytes over that throughput, so a
   fixed round trip makes small segments look slower than large ones: under constant
   bandwidth the measured rate depends on the rung played, the robust error term is
   never zero and the forecast swings with every switch. We measure each sample net of
   its time to first byte and predict ``latency + bytes / forecast``, with the latency
   the context's (``ctx.latency_s``, the estimator's view; else the samples' mean).
2. **Rebuffer penalty scaled to the ladder** (``rebuffer_penalty=None``). Pensieve's
   4.3 is its ladder's top bitrate in Mbit/s (a second of stall costs as much as a
   segment at the top rung). A fixed 4.3 makes stalls nearly free on a 50 Mbit/s
   ladder (MPC then stalls on purpose every segment) and costs 20 top segments a
   second on a ladder topping at 200 kbit/s; the default is the top rung's bitrate in
   Mbit/s, which is 4.3 on Pensieve's ladder.
3. **No planned stall on the segment requested now** (``stall_guard``). The first step
   of the chosen plan must arrive (by the forecast) before the buffer runs dry whenever
   some rung can: linear QoE may trade a few milliseconds of stall for a rung's worth of
   bitrate, but a player should not start a download it expects to stall on.
4. **Hysteresis** (``up_factor``, ``dips``). Near a rung boundary Pensieve's MPC keeps
   the buffer just deep enough for its five-segment window and cycles through it every
   few segments (2 2 2 2 2 1 1 0 1 2 ...). As Shaka's upgrade and downgrade targets do
   for a rate rule, we make climbing harder than holding: every step of a plan above
   the rung playing is planned on ``up_factor`` (0.9) of the forecast, so a step up
   waits until the buffer carries it with margin, and then lasts. And a plan may step
   down only to protect the buffer, never to bank time for a climb back to (or past)
   the rung playing later in the window (``dips=False``): the forecast is flat over the
   window and its end values no buffer, so a dip that lets one more high segment into
   the window looks like a gain, and the executed dip is followed by a re-plan, not
   the climb. Steps up are not made dearer than Pensieve makes them: under linear QoE
   stepping up now and stepping up next segment score alike, so an extra switch cost
   there (or breaking ties towards the rung playing) defers every step up for good.

Rewards equal up to float rounding (relative 1e-9) are ties, in both variants, resolved
as Pensieve's ``>=`` resolves equal rewards: the sequence enumerated last (the highest
first rung). Pensieve's own arithmetic (kbit/s over 1000) can round such a tie either
way; we do not reproduce its rounding, only its order.

For the exact robustMPC error term the context should carry at least the last 10
samples; with fewer, the forecasts of the oldest ones use the samples there are.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from abr.interface import AbrContext, Decision, ThroughputSample
from abr.policies._common import decision, segment_bytes, validate_context
from abr.registry import register_policy

HORIZON = 5
PAST = 5  # downloads in the harmonic mean, forecasts in the error term
#: Pensieve's rebuffer penalty (its ladder's top bitrate, 4.3 Mbit/s).
PENSIEVE_REBUFFER_PENALTY = 4.3
SMOOTH_PENALTY = 1.0
#: A plan stepping up is scored on this share of the forecast (Pensieve: 1; Shaka's
#: upgrade/downgrade targets, 0.85 / 0.95, are 0.89 apart).
UP_FACTOR = 0.9
#: Rewards this close (relative to their size) are a tie: float rounding, not a preference.
TIE_TOLERANCE = 1e-9
#: Above this many sequences the search is pruned to rungs near the last one.
MAX_SEQUENCES = 200_000


@lru_cache(maxsize=32)
def _sequences(rungs: tuple[int, ...], horizon: int) -> npt.NDArray[np.intp]:
    """Every rung sequence of ``horizon`` steps over ``rungs``, in product order."""
    return np.array(list(itertools.product(rungs, repeat=horizon)), dtype=np.intp).reshape(
        -1, horizon
    )


def harmonic_mean(values: list[float]) -> float:
    """The harmonic mean of positive values."""
    return len(values) / sum(1.0 / v for v in values)


def robust_forecast(samples_bps: list[float], past: int = PAST) -> tuple[float, float]:
    """``(harmonic mean, max relative error)`` of the last ``past`` downloads/forecasts."""
    hm = harmonic_mean(samples_bps[-past:])
    errors: list[float] = []
    for j in range(max(0, len(samples_bps) - past), len(samples_bps)):
        if j == 0:
            errors.append(0.0)  # nothing was forecast before the first download
            continue
        forecast = harmonic_mean(samples_bps[max(0, j - past) : j])
        errors.append(abs(forecast - samples_bps[j]) / samples_bps[j])
    return hm, max(errors)


def net_bps(sample: ThroughputSample) -> float:
    """The sample's throughput once its bytes flowed: time to first byte left out."""
    transfer = sample.seconds - sample.latency_s
    if sample.nbytes <= 0 or transfer <= 0:
        return sample.bps
    return sample.nbytes * 8.0 / transfer


class MpcPolicy:
    """robustMPC (Yin et al. 2015, as in Pensieve) with four stabilising departures.

    See the module docstring. ``rebuffer_penalty``: per second of stall (None: the top
    rung's bitrate in Mbit/s); ``smooth_penalty``: per Mbit/s of change; ``robust=False``
    gives plain (fastMPC-style) MPC on the harmonic mean alone; ``latency_aware``,
    ``stall_guard``, ``up_factor`` and ``dips`` are the departures (1, 3, 4).
    ``initial_quality`` is used before any throughput is known. Stateless: the forecast
    errors are recomputed from the samples, so it is deterministic and idempotent.
    :meth:`pensieve` builds Pensieve's robustMPC exactly.
    """

    name = "mpc"

    def __init__(
        self,
        *,
        horizon: int = HORIZON,
        rebuffer_penalty: float | None = None,
        smooth_penalty: float = SMOOTH_PENALTY,
        robust: bool = True,
        latency_aware: bool = True,
        stall_guard: bool = True,
        dips: bool = False,
        up_factor: float = UP_FACTOR,
        initial_quality: int = 0,
    ) -> None:
        if horizon < 1:
            raise ValueError("horizon must be at least 1")
        if rebuffer_penalty is not None and not rebuffer_penalty >= 0:
            raise ValueError(f"rebuffer_penalty must be >= 0, not {rebuffer_penalty}")
        if not smooth_penalty >= 0:
            raise ValueError(f"smooth_penalty must be >= 0, not {smooth_penalty}")
        if not 0 < up_factor <= 1:
            raise ValueError(f"up_factor must be in (0, 1], not {up_factor}")
        self.horizon = horizon
        self.rebuffer_penalty = rebuffer_penalty
        self.smooth_penalty = smooth_penalty
        self.robust = robust
        self.latency_aware = latency_aware
        self.stall_guard = stall_guard
        self.dips = dips
        self.up_factor = up_factor
        self.initial_quality = initial_quality

    @classmethod
    def pensieve(cls, *, initial_quality: int = 0) -> MpcPolicy:
        """Pensieve's robustMPC (``test/mpc.py``) exactly: none of the departures."""
        return cls(
            rebuffer_penalty=PENSIEVE_REBUFFER_PENALTY,
            latency_aware=False,
            stall_guard=False,
            dips=True,
            up_factor=1.0,
            initial_quality=initial_quality,
        )

    def reset(self) -> None:
        """Nothing to forget: the forecast is recomputed from the context."""

    def forecast_bps(self, ctx: AbrContext) -> float | None:
        """The (robust) throughput forecast for the horizon, or None with no data."""
        measured = (net_bps(s) if self.latency_aware else s.bps for s in ctx.samples)
        bps = [b for b in measured if b > 0]
        if not bps:
            return ctx.throughput_bps if ctx.throughput_bps else None
        hm, err = robust_forecast(bps)
        return hm / (1.0 + err) if self.robust else hm

    def _latency(self, ctx: AbrContext) -> float:
        if not self.latency_aware:
            return 0.0
        if ctx.latency_s is not None:
            return ctx.latency_s
        recent = ctx.samples[-PAST:]
        return sum(s.latency_s for s in recent) / len(recent) if recent else 0.0

    def choose(self, ctx: AbrContext) -> Decision:
        """The first rung of the best sequence over the horizon."""
        validate_context(ctx)
        last = ctx.last_quality if ctx.last_quality is not None else self.initial_quality
        last = max(0, min(ctx.top, last))
        bw = self.forecast_bps(ctx)
        if bw is None:
            return decision(ctx, last, "no throughput yet")
        horizon = self.horizon
        if ctx.segments_left is not None:
            horizon = max(1, min(horizon, ctx.segments_left))
        rungs = tuple(range(len(ctx.ladder)))
        while len(rungs) ** horizon > MAX_SEQUENCES and len(rungs) > 3:
            # Prune far rungs symmetrically around the last one; keeps big ladders fast.
            lo, hi = rungs[0], rungs[-1]
            rungs = rungs[1:] if last - lo > hi - last else rungs[:-1]
        seqs = _sequences(rungs, horizon)
        rates = np.array([r.bitrate_bps for r in ctx.ladder], dtype=np.float64) / 1e6
        penalty = rates[-1] if self.rebuffer_penalty is None else self.rebuffer_penalty
        seconds = np.array([segment_bytes(ctx, q) * 8.0 for q in range(len(ctx.ladder))]) / bw
        download = seconds[seqs]
        if self.up_factor < 1.0:
            # Rungs above the one playing are planned on a lower forecast, in every step
            # (a plan that steps up later must not get the margin for free).
            download = np.where(seqs > last, download / self.up_factor, download)
        download = download + self._latency(ctx)
        buffer = np.full(len(seqs), ctx.buffer_level)
        rebuffer = np.zeros(len(seqs))
        for t in range(horizon):
            d = download[:, t]
            rebuffer += np.maximum(d - buffer, 0.0)
            buffer = np.maximum(buffer - d, 0.0) + ctx.segment_duration
        r = rates[seqs]
        smooth = np.abs(r[:, 0] - rates[last])
        if horizon > 1:
            smooth = smooth + np.abs(np.diff(r, axis=1)).sum(axis=1)
        reward = r.sum(axis=1) - penalty * rebuffer - self.smooth_penalty * smooth
        if not self.dips:
            # A step down is for the buffer's sake, never to bank time for a climb back
            # to (or past) the rung playing later in the window: the forecast is flat
            # over the window, and the window's end values no buffer.
            dip = (seqs[:, 0] < last) & (seqs.max(axis=1) >= last)
            reward = np.where(dip, -np.inf, reward)
        if self.stall_guard:
            fits = download[:, 0] <= ctx.buffer_level
            if fits.any():
                reward = np.where(fits, reward, -np.inf)
        top = float(np.max(reward))
        # The last of the sequences within float rounding of the best (Pensieve's >=).
        best = int(np.flatnonzero(reward >= top - TIE_TOLERANCE * max(1.0, abs(top)))[-1])
        q = int(seqs[best, 0])
        return decision(
            ctx, q, f"forecast {bw:.0f} bit/s, horizon {horizon}, value {reward[best]:.2f}"
        )


register_policy("mpc", MpcPolicy)
