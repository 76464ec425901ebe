"""``hybrid``: throughput-led at low buffer, BOLA-E at high buffer, with hysteresis.

Sources: dash.js ``abrDynamic`` (K. Spiteri, R. Sitaraman, D. Sparacio, MMSys 2018:
"DYNAMIC" switches from the throughput rule to BOLA once the buffer is high and back
when it runs low); ExoPlayer ``AdaptiveTrackSelection`` (``minDurationForQualityIncrease``
and ``maxDurationForQualityDecrease``: no step up until enough is buffered, no step down
while plenty is); BOLA-E and dash.js's ThroughputRule for the two modes.
"""

from __future__ import annotations

from dataclasses import dataclass

from abr.interface import AbrContext, Decision, DownloadProgress, PlaybackState
from abr.policies._common import (
    PerSegmentState,
    decision,
    quality_for_bitrate,
    segment_bytes,
    validate_context,
)
from abr.policies.bola import BolaParameters, BolaState, bola_abandon, bola_parameters, bola_step
from abr.policies.throughput import SAFETY_FACTOR, abandon_for_throughput
from abr.registry import register_policy


@dataclass(frozen=True, slots=True)
class HybridState:
    """Mode and BOLA's own state (kept current in both modes)."""

    bola_mode: bool = False
    bola: BolaState = BolaState()


def bola_params_free(params: BolaParameters, buffer: float) -> int:
    return params.quality_for_buffer(buffer)


class HybridPolicy:
    """See the module docstring."""

    name = "hybrid"

    def __init__(
        self,
        *,
        safety_factor: float = SAFETY_FACTOR,
        enter_bola_s: float = 18.0,
        leave_bola_s: float = 9.0,
        bola_buffer_s: float | None = None,
        min_increase_s: float = 10.0,
        max_decrease_s: float = 25.0,
        sustain_samples: int = 3,
        risk_safety: float = 1.0,
        initial_quality: int = 0,
        free_above_s: float = 1e9,
        over_rungs: int = 99,
        free_ratio: float = 1e9,
        sustain_below_s: float = 1e9,
    ) -> None:
        self.sustain_below_s = sustain_below_s
        self.free_ratio = free_ratio
        self.free_above_s = free_above_s
        self.over_rungs = over_rungs
        self.safety_factor = safety_factor
        self.enter_bola_s = enter_bola_s
        self.leave_bola_s = leave_bola_s
        self.bola_buffer_s = bola_buffer_s
        self.min_increase_s = min_increase_s
        self.max_decrease_s = max_decrease_s
        self.sustain_samples = sustain_samples
        self.risk_safety = risk_safety
        self.initial_quality = initial_quality
        self._state: PerSegmentState[HybridState] = PerSegmentState(HybridState())

    def reset(self) -> None:
        """Forget the session."""
        self._state.reset()

    def _params(self, ctx: AbrContext) -> BolaParameters | None:
        target = ctx.buffer_target if self.bola_buffer_s is None else self.bola_buffer_s
        return bola_parameters(ctx.ladder, target)

    def _scaled(self, ctx: AbrContext, seconds: float) -> float:
        # Thresholds are for a deep buffer; a shallow one scales them down with its target.
        return min(seconds, seconds * ctx.buffer_target / 30.0) if ctx.buffer_target else seconds

    def choose(self, ctx: AbrContext) -> Decision:
        """The rung for the next segment."""
        validate_context(ctx)
        state = self._state.current(ctx)
        params = self._params(ctx)
        if params is None:
            return decision(ctx, 0, "one bitrate")
        q_bola, bola_reason, bola_state = bola_step(ctx, state.bola, params, self.initial_quality)
        est = ctx.throughput_bps
        last = ctx.last_quality
        if est is None:
            self._state.stage(ctx, HybridState(state.bola_mode, bola_state))
            start = self.initial_quality if last is None else last
            return decision(ctx, start, "no throughput estimate yet")
        buffer = ctx.buffer_level
        enter = self._scaled(ctx, self.enter_bola_s)
        leave = self._scaled(ctx, self.leave_bola_s)
        bola_mode = state.bola_mode
        if ctx.state in (PlaybackState.STALLED, PlaybackState.SEEKING):
            bola_mode = False
        elif not bola_mode and buffer >= enter:
            bola_mode = True
        elif bola_mode and buffer < leave:
            bola_mode = False
        q_tp = quality_for_bitrate(
            ctx.ladder,
            est * self.safety_factor,
            latency_s=ctx.latency_s,
            segment_duration=ctx.segment_duration,
        )
        if bola_mode:
            q, reason = q_bola, f"bola: {bola_reason}"
            if buffer >= self.free_above_s:
                qb = bola_params_free(params, buffer)
                q = min(max(q, qb), q_tp + self.over_rungs)
        else:
            q, reason = q_tp, f"throughput: {self.safety_factor:g} x {est:.0f} bit/s"

        # Quick downgrade: never start a segment the estimate says will outlast the buffer.
        cap = ctx.top
        if ctx.segment_number > 0 and ctx.state is not PlaybackState.STARTUP:
            latency = ctx.latency_s or 0.0
            budget = buffer * self.risk_safety
            cap = 0
            for i in range(ctx.top, -1, -1):
                if segment_bytes(ctx, i) * 8.0 / est + latency <= budget:
                    cap = i
                    break
        if last is not None:
            if q > last:
                sustained = [s.bps for s in ctx.samples[-self.sustain_samples :] if s.bps > 0]
                easy = bool(sustained) and min(sustained) >= self.free_ratio * ctx.ladder[q].bitrate_bps
                if buffer < self._scaled(ctx, self.min_increase_s) and not easy:
                    q, reason = last, f"hold: {buffer:.1f} s buffered is too little to step up"
                elif sustained and buffer < self.sustain_below_s:
                    floor = quality_for_bitrate(
                        ctx.ladder,
                        min(sustained) * self.safety_factor,
                        latency_s=ctx.latency_s,
                        segment_duration=ctx.segment_duration,
                    )
                    if floor < q:
                        q = max(last, floor)
                        reason += ", step up limited to what recent downloads sustained"
            elif q < last and buffer >= self._scaled(ctx, self.max_decrease_s) and last <= cap:
                q, reason = last, f"hold: {buffer:.1f} s buffered, no need to step down"
        if q > cap:
            q, reason = cap, f"buffer at risk: {buffer:.1f} s"
        self._state.stage(ctx, HybridState(bola_mode, bola_state))
        return decision(ctx, q, reason)

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        """BOLA-E's abandonment in BOLA mode, dash.js's AbandonRequestsRule otherwise."""
        validate_context(ctx)
        state = self._state.latest()
        params = self._params(ctx)
        if params is None:
            return None
        if state.bola_mode:
            return bola_abandon(ctx, progress, params, state.bola.placeholder)
        return abandon_for_throughput(ctx, progress, self.safety_factor)


register_policy("hybrid", HybridPolicy)
