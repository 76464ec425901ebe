"""``mpc``: robustMPC, as Pensieve's evaluation runs it.

Sources: X. Yin, A. Jindal, V. Sekar, B. Sinopoli, "A Control-Theoretic Approach for
Dynamic Adaptive Video Streaming over HTTP" (SIGCOMM 2015); H. Mao, R. Netravali,
M. Alizadeh, "Neural Adaptive Video Streaming with Pensieve" (SIGCOMM 2017), file
``test/mpc.py`` (the robustMPC baseline).

Defaults, as Pensieve: horizon 5 segments (fewer near the end); the throughput forecast
is the harmonic mean of the last 5 measured downloads divided by ``1 + e``, where ``e``
is the largest relative error ``|forecast - actual| / actual`` of the last 5 forecasts
(each forecast being the harmonic mean of the 5 downloads before it, so the errors are
recomputed from the context's samples: no hidden state); every rung sequence over the
horizon is scored with linear QoE (bitrate in Mbit/s, rebuffer penalty 4.3 per second,
smoothness penalty 1 per Mbit/s of change) by simulating the buffer, and the first rung
of the best sequence is played (ties go to the sequence enumerated last, as Pensieve's
``>=`` does). Segment sizes are ``next_sizes`` when the context has them (used for every
step of the horizon), else bitrate x duration. The 6^5 = 7776 sequences are scored at
once with numpy.

For the exact robustMPC error term the context should carry at least the last 10
samples; with fewer, the forecasts of the oldest ones use the samples there are.
"""

from __future__ import annotations

import itertools
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from abr.interface import AbrContext, Decision
from abr.policies._common import decision, segment_bytes, validate_context
from abr.registry import register_policy

HORIZON = 5
PAST = 5  # downloads in the harmonic mean, forecasts in the error term
REBUFFER_PENALTY = 4.3
SMOOTH_PENALTY = 1.0
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


class MpcPolicy:
    """robustMPC (Yin et al. 2015, as in Pensieve); see the module docstring for defaults.

    ``robust=False`` gives plain (fastMPC-style) MPC on the harmonic mean alone.
    ``initial_quality`` is used before any throughput is known. Stateless: the forecast
    errors are recomputed from the samples, so it is deterministic and idempotent.
    """

    name = "mpc"

    def __init__(
        self,
        *,
        horizon: int = HORIZON,
        rebuffer_penalty: float = REBUFFER_PENALTY,
        smooth_penalty: float = SMOOTH_PENALTY,
        robust: bool = True,
        initial_quality: int = 0,
    ) -> None:
        if horizon < 1:
            raise ValueError("horizon must be at least 1")
        self.horizon = horizon
        self.rebuffer_penalty = rebuffer_penalty
        self.smooth_penalty = smooth_penalty
        self.robust = robust
        self.initial_quality = initial_quality

    def reset(self) -> None:
        """Nothing to forget: the forecast is recomputed from the context."""

    def forecast_bps(self, ctx: AbrContext) -> float | None:
        """The (robust) throughput forecast for the horizon, or None with no data."""
        bps = [s.bps for s in ctx.samples if s.bps > 0]
        if not bps:
            return ctx.throughput_bps if ctx.throughput_bps else None
        hm, err = robust_forecast(bps)
        return hm / (1.0 + err) if self.robust else hm

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
        seconds = np.array([segment_bytes(ctx, q) * 8.0 for q in range(len(ctx.ladder))]) / bw
        download = seconds[seqs]
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
        reward = r.sum(axis=1) - self.rebuffer_penalty * rebuffer - self.smooth_penalty * smooth
        best = len(reward) - 1 - int(np.argmax(reward[::-1]))
        q = int(seqs[best, 0])
        return decision(
            ctx, q, f"forecast {bw:.0f} bit/s, horizon {horizon}, value {reward[best]:.2f}"
        )


register_policy("mpc", MpcPolicy)
