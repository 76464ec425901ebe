"""``throughput``: the rate-based rule set dash.js runs by default next to BOLA.

Source: dash.js (v4) ``ThroughputRule``, ``InsufficientBufferRule`` and
``AbandonRequestsRule``, combined the way dash.js's rules collection combines them (the
lowest proposal wins).

- ThroughputRule: the highest rung at most ``safety_factor`` (dash.js
  ``bandwidthSafetyFactor``, 0.9) times the estimate, less the latency's dead time.
  This alone is the first choice (no rung played yet) and where a step down lands.
- Hysteresis (Shaka ``AbrConfiguration``; dash.js's rule has none, so an estimate
  jittering around ``rung / 0.9`` flips between two rungs every segment): once a rung is
  playing, step up only to rungs at most ``upgrade_target`` (Shaka's
  ``bandwidthUpgradeTarget``, 0.85) times the estimate, and keep the rung while it is at
  most ``downgrade_target`` (Shaka's ``bandwidthDowngradeTarget``, 0.95) times the
  estimate. Holding needs an estimate of ``rung / 0.95``, climbing one of
  ``next rung / 0.85``: jitter narrower than that band never switches.
- InsufficientBufferRule: once playing, cap at the rung for
  ``estimate * buffer_level / segment_duration * 0.5``; rung 0 while stalled; the first
  2 segments are exempt (dash.js ``SEGMENT_IGNORE_COUNT``). With hysteresis too (ours):
  the cap does not force the rung playing down while its download at the estimate
  takes at most ``hold_buffer_share`` (0.75) of the buffer. A buffer that refills in
  whole segments (a byte-capped buffer of large segments) swings by a segment each
  time; dash.js's rule alone flips the rung at every trough though no stall is near.
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
#: Shaka ``AbrConfiguration.bandwidthUpgradeTarget``: climb only to rungs this far under.
UPGRADE_TARGET = 0.85
#: Shaka ``AbrConfiguration.bandwidthDowngradeTarget``: keep a rung while this far under.
DOWNGRADE_TARGET = 0.95
#: dash.js ``InsufficientBufferRule.INSUFFICIENT_BUFFER_SAFETY_FACTOR``.
INSUFFICIENT_BUFFER_SAFETY_FACTOR = 0.5
#: Ours: the cap keeps the rung playing while its download takes at most this much of
#: the buffer (the rule's own 0.5 still governs climbing).
HOLD_BUFFER_SHARE = 0.75
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


def hysteresis_quality(
    ctx: AbrContext,
    last: int,
    *,
    safety_factor: float = SAFETY_FACTOR,
    upgrade_target: float = UPGRADE_TARGET,
    downgrade_target: float = DOWNGRADE_TARGET,
) -> int | None:
    """The throughput rung with hysteresis around ``last``; None with no estimate.

    Up to the highest rung under ``upgrade_target`` x the estimate when that is above
    ``last``; else ``last`` while it is under ``downgrade_target`` x the estimate; else
    down to the ThroughputRule's rung (``safety_factor``). All net of the latency's dead
    time, as :func:`throughput_quality`.
    """
    if ctx.throughput_bps is None:
        return None

    def rung(factor: float) -> int:
        assert ctx.throughput_bps is not None
        return quality_for_bitrate(
            ctx.ladder,
            ctx.throughput_bps * factor,
            latency_s=ctx.latency_s,
            segment_duration=ctx.segment_duration,
        )

    up = rung(upgrade_target)
    if up > last:
        return up
    if rung(downgrade_target) >= last:
        return last
    return min(rung(safety_factor), last)


def insufficient_buffer_cap(
    ctx: AbrContext, last: int | None = None, hold_buffer_share: float | None = None
) -> int | None:
    """dash.js InsufficientBufferRule: the highest rung the buffer can afford, or None.

    With ``last`` and ``hold_buffer_share``, the rung ``last`` is kept (the cap is
    ``last``) while its download at the estimate takes at most that share of the buffer.
    """
    if ctx.state is PlaybackState.STALLED:
        return 0
    if ctx.state is PlaybackState.STARTUP or ctx.segment_number < SEGMENT_IGNORE_COUNT:
        return None
    if ctx.throughput_bps is None:
        return None

    def affordable(share: float) -> int:
        assert ctx.throughput_bps is not None
        bps = ctx.throughput_bps * (ctx.buffer_level / ctx.segment_duration) * share
        return quality_for_bitrate(
            ctx.ladder, bps, latency_s=ctx.latency_s, segment_duration=ctx.segment_duration
        )

    cap = affordable(INSUFFICIENT_BUFFER_SAFETY_FACTOR)
    if (
        last is not None
        and hold_buffer_share is not None
        and cap < last
        and affordable(hold_buffer_share) >= last
    ):
        return last
    return cap


class ThroughputPolicy:
    """dash.js's throughput rules with Shaka's hysteresis: safe estimate, upgrade and
    downgrade targets around the rung playing, insufficient-buffer cap, abandonment.

    Defaults: ``safety_factor=0.9`` (dash.js), ``upgrade_target=0.85`` and
    ``downgrade_target=0.95`` (Shaka), ``hold_buffer_share=0.75`` (ours); they must
    satisfy ``0 < upgrade_target <= safety_factor <= downgrade_target <= 1`` and
    ``0.5 <= hold_buffer_share <= 1``. ``upgrade_target = downgrade_target =
    safety_factor`` with ``hold_buffer_share=0.5`` is dash.js's rule set alone.
    ``initial_quality=0`` is used before any estimate exists (dash.js starts from its
    initial bitrate, 1 Mbit/s by default; the lowest rung is the safe equivalent for an
    unknown ladder). Stateless (the rung playing is the context's ``last_quality``), so
    ``reset`` does nothing.
    """

    name = "throughput"

    def __init__(
        self,
        *,
        safety_factor: float = SAFETY_FACTOR,
        upgrade_target: float = UPGRADE_TARGET,
        downgrade_target: float = DOWNGRADE_TARGET,
        hold_buffer_share: float = HOLD_BUFFER_SHARE,
        initial_quality: int = 0,
    ) -> None:
        if not 0 < safety_factor <= 1:
            raise ValueError(f"safety_factor must be in (0, 1], not {safety_factor}")
        if not 0 < upgrade_target <= safety_factor <= downgrade_target <= 1:
            raise ValueError(
                "need 0 < upgrade_target <= safety_factor <= downgrade_target <= 1, not "
                f"{upgrade_target}, {safety_factor}, {downgrade_target}"
            )
        self.safety_factor = safety_factor
        self.upgrade_target = upgrade_target
        if not INSUFFICIENT_BUFFER_SAFETY_FACTOR <= hold_buffer_share <= 1:
            raise ValueError(f"hold_buffer_share must be in [0.5, 1], not {hold_buffer_share}")
        self.downgrade_target = downgrade_target
        self.hold_buffer_share = hold_buffer_share
        self.initial_quality = initial_quality

    def reset(self) -> None:
        """Nothing to forget: the rule is a function of the context."""

    def choose(self, ctx: AbrContext) -> Decision:
        """The lower of the throughput rung (with hysteresis) and the buffer's cap."""
        validate_context(ctx)
        if ctx.throughput_bps is None:
            start = self.initial_quality if ctx.last_quality is None else ctx.last_quality
            return decision(ctx, start, "no throughput estimate yet")
        last = ctx.last_quality
        est = ctx.throughput_bps
        if last is None:
            q = quality_for_bitrate(
                ctx.ladder,
                est * self.safety_factor,
                latency_s=ctx.latency_s,
                segment_duration=ctx.segment_duration,
            )
            reason = f"{self.safety_factor:g} x {est:.0f} bit/s"
        else:
            held = self._hysteresis(ctx, last)
            q = last if held is None else held
            if q > last:
                reason = f"up: {self.upgrade_target:g} x {est:.0f} bit/s"
            elif q == last:
                reason = f"hold: {self.downgrade_target:g} x {est:.0f} bit/s"
            else:
                reason = f"down: {self.safety_factor:g} x {est:.0f} bit/s"
        cap = insufficient_buffer_cap(ctx, ctx.last_quality, self.hold_buffer_share)
        if cap is not None and cap < q:
            return decision(ctx, cap, f"insufficient buffer ({ctx.buffer_level:.1f} s)")
        return decision(ctx, q, reason)

    def _hysteresis(self, ctx: AbrContext, last: int) -> int | None:
        return hysteresis_quality(
            ctx,
            last,
            safety_factor=self.safety_factor,
            upgrade_target=self.upgrade_target,
            downgrade_target=self.downgrade_target,
        )

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
