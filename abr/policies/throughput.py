"""``throughput``: the rate-based rule set dash.js runs by default next to BOLA.

Source: dash.js (v4) ``ThroughputRule``, ``InsufficientBufferRule`` and
``AbandonRequestsRule``, combined the way dash.js's rules collection combines them (the
lowest proposal wins).

- ThroughputRule: the highest rung at most ``safety_factor`` (dash.js
  ``bandwidthSafetyFactor``, 0.9) times the estimate, less the latency's dead time.
- InsufficientBufferRule: once playing, cap at the rung for
  ``estimate * buffer_level / segment_duration * 0.5``; rung 0 while stalled; the first
  2 segments are exempt (dash.js ``SEGMENT_IGNORE_COUNT``).
- AbandonRequestsRule: after a 0.5 s grace time, if the download at its measured rate
  would take more than 1.8 segment durations and the rung is not the lowest, abandon it
  for the rung the measured rate (times the safety factor) sustains, when that rung's
  whole segment is smaller than what is left of this one.
"""

from __future__ import annotations

from abr.interface import AbrContext, Decision, DownloadProgress, PlaybackState
from abr.policies._common import (
    decision,
    quality_for_bitrate,
    segment_bytes,
    validate_context,
)
from abr.registry import register_policy

#: dash.js ``settings.streaming.abr.bandwidthSafetyFactor``.
SAFETY_FACTOR = 0.9
#: dash.js ``InsufficientBufferRule.INSUFFICIENT_BUFFER_SAFETY_FACTOR``.
INSUFFICIENT_BUFFER_SAFETY_FACTOR = 0.5
#: dash.js ``InsufficientBufferRule.SEGMENT_IGNORE_COUNT``.
SEGMENT_IGNORE_COUNT = 2
#: dash.js ``AbandonRequestsRule.ABANDON_MULTIPLIER`` and ``GRACE_TIME_THRESHOLD`` (s).
ABANDON_MULTIPLIER = 1.8
GRACE_TIME_S = 0.5


def throughput_quality(ctx: AbrContext, safety_factor: float = SAFETY_FACTOR) -> int | None:
    """dash.js ThroughputRule: the rung for the safe estimate; None with no estimate."""
    if ctx.throughput_bps is None:
        return None
    return quality_for_bitrate(
        ctx.ladder,
        ctx.throughput_bps * safety_factor,
        latency_s=ctx.latency_s,
        segment_duration=ctx.segment_duration,
    )


def insufficient_buffer_cap(ctx: AbrContext) -> int | None:
    """dash.js InsufficientBufferRule: the highest rung the buffer can afford, or None."""
    if ctx.state is PlaybackState.STALLED:
        return 0
    if ctx.state is PlaybackState.STARTUP or ctx.segment_number < SEGMENT_IGNORE_COUNT:
        return None
    if ctx.throughput_bps is None:
        return None
    affordable = (
        ctx.throughput_bps
        * (ctx.buffer_level / ctx.segment_duration)
        * INSUFFICIENT_BUFFER_SAFETY_FACTOR
    )
    return quality_for_bitrate(
        ctx.ladder, affordable, latency_s=ctx.latency_s, segment_duration=ctx.segment_duration
    )


class ThroughputPolicy:
    """dash.js's throughput rules: safe estimate, insufficient-buffer cap, abandonment.

    Defaults: ``safety_factor=0.9``; ``initial_quality=0`` is used before any estimate
    exists (dash.js starts from its initial bitrate, 1 Mbit/s by default; the lowest rung
    is the safe equivalent for an unknown ladder). Stateless, so ``reset`` does nothing.
    """

    name = "throughput"

    def __init__(self, *, safety_factor: float = SAFETY_FACTOR, initial_quality: int = 0) -> None:
        if not 0 < safety_factor <= 1:
            raise ValueError(f"safety_factor must be in (0, 1], not {safety_factor}")
        self.safety_factor = safety_factor
        self.initial_quality = initial_quality

    def reset(self) -> None:
        """Nothing to forget: the rule is a function of the context."""

    def choose(self, ctx: AbrContext) -> Decision:
        """The lower of the throughput rung and the insufficient-buffer cap."""
        validate_context(ctx)
        q = throughput_quality(ctx, self.safety_factor)
        if q is None:
            start = self.initial_quality if ctx.last_quality is None else ctx.last_quality
            return decision(ctx, start, "no throughput estimate yet")
        reason = f"{self.safety_factor:g} x {ctx.throughput_bps:.0f} bit/s"
        cap = insufficient_buffer_cap(ctx)
        if cap is not None and cap < q:
            return decision(ctx, cap, f"insufficient buffer ({ctx.buffer_level:.1f} s)")
        return decision(ctx, q, reason)

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        """dash.js AbandonRequestsRule (see the module docstring); None keeps going."""
        validate_context(ctx)
        return abandon_for_throughput(ctx, progress, self.safety_factor)


def abandon_for_throughput(
    ctx: AbrContext, progress: DownloadProgress, safety_factor: float = SAFETY_FACTOR
) -> int | None:
    """dash.js AbandonRequestsRule as a function: the rung to refetch at, or None."""
    if progress.quality <= 0 or progress.elapsed_s <= GRACE_TIME_S or progress.bytes_loaded <= 0:
        return None
    total = (
        float(progress.bytes_total)
        if progress.bytes_total
        else segment_bytes(ctx, min(progress.quality, ctx.top))
    )
    remaining = total - progress.bytes_loaded
    if remaining <= 0:
        return None
    measured_bps = progress.bytes_loaded * 8.0 / progress.elapsed_s
    estimated_total_s = total * 8.0 / measured_bps
    if estimated_total_s < progress.segment_duration * ABANDON_MULTIPLIER:
        return None
    new_q = quality_for_bitrate(ctx.ladder, measured_bps * safety_factor)
    if new_q >= progress.quality:
        return None
    current_bitrate = ctx.ladder[min(progress.quality, ctx.top)].bitrate_bps
    other_total = total * ctx.ladder[new_q].bitrate_bps / current_bitrate
    if remaining > other_total:
        return new_q
    return None


register_policy("throughput", ThroughputPolicy)
