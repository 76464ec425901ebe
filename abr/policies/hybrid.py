"""``hybrid``: throughput-led at low buffer, BOLA-E at high buffer, with hysteresis.

Sources: dash.js ``abrDynamic`` (K. Spiteri, R. Sitaraman, D. Sparacio, MMSys 2018,
"DYNAMIC": the throughput rule while the buffer is low, BOLA once it is high, with a gap
between the two thresholds); ExoPlayer ``AdaptiveTrackSelection``
(``minDurationForQualityIncrease``: no step up until enough is buffered;
``maxDurationForQualityDecrease``: no step down while enough is buffered); BOLA-E
(:mod:`abr.policies.bola`) and dash.js's ThroughputRule (:mod:`abr.policies.throughput`)
for the two modes.

The rule, per segment:

1. Mode, with hysteresis: BOLA from ``enter_bola_s`` (18 s, dash.js) of buffer until it
   falls under ``leave_bola_s`` (9 s, dash.js); throughput mode after a stall or seek.
2. Throughput mode: the rung for ``safety_factor`` (0.9) x the estimate (with the
   latency's dead time). BOLA mode: BOLA-E with its own buffer target ``bola_buffer_s``
   (30 s, so it uses a deep buffer without waiting for it to fill); its BOLA-O guard
   (never climb past the rung the estimate sustains) holds below ``bola_free_s`` (25 s);
   above, BOLA may go at most one rung past it.
3. Hysteresis on increases: none while less than ``min_increase_s`` (5 s) is buffered,
   unless the last downloads all ran at 1.5x the new rung; below 15 s of buffer, an
   increase goes no higher than the slowest of the last 3 downloads sustains.
4. Hysteresis on decreases: none while ``max_decrease_s`` (9 s) or more is buffered and
   a segment's worth would still be once this segment, at the rung playing, arrived at
   the estimate (under a collapsing rate a deep buffer goes in one download) ...
5. End of the title (the last ``end_segments``, 5, robustMPC's horizon; playing): climb
   to the highest rung at which every remaining segment, at ``safety_factor`` x the
   estimate, arrives with a segment's worth still buffered; what is buffered when the
   last one arrives would otherwise never be spent (robustMPC gets this from its
   horizon shrinking at the end) ...
6. ... except the quick downgrade that overrides all of the above: never start a segment
   the estimate says will take longer than the buffer lasts (the highest rung that fits).

The defaults were tuned on Pensieve's setting (EnvivioDash3 ladder, 4 s chunks, 60 s
buffer) over the FCC, Norway 3G and Puffer traces, against ``mpc``; rules 4's second
condition and 5 were added when ``mpc`` was made stable and overtook it on Norway 3G. Deterministic:
the state (mode, BOLA's placeholder) advances once per segment.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

#: A step up below ``min_increase_s`` is allowed when downloads ran this much faster.
EASY_RATIO = 1.5
#: Below this buffer level an increase is capped by the slowest recent download.
SUSTAIN_BELOW_S = 15.0
SUSTAIN_SAMPLES = 3


@dataclass(frozen=True, slots=True)
class HybridState:
    """The mode and BOLA's own state (kept current in both modes)."""

    bola_mode: bool = False
    bola: BolaState = field(default_factory=BolaState)


#: Segments a step up above the sustainable rung must be able to last.
UP_DWELL_SEGMENTS = 3


class HybridPolicy:
    """Throughput at low buffer, BOLA-E at high buffer, hysteresis; see the module doc."""

    name = "hybrid"

    def __init__(
        self,
        *,
        safety_factor: float = SAFETY_FACTOR,
        enter_bola_s: float = 18.0,
        leave_bola_s: float = 9.0,
        bola_buffer_s: float = 30.0,
        bola_free_s: float = 25.0,
        min_increase_s: float = 5.0,
        max_decrease_s: float = 9.0,
        end_segments: int = 5,
        initial_quality: int = 0,
    ) -> None:
        if not 0 < safety_factor <= 1:
            raise ValueError(f"safety_factor must be in (0, 1], not {safety_factor}")
        if end_segments < 0:
            raise ValueError(f"end_segments must be >= 0, not {end_segments}")
        if leave_bola_s > enter_bola_s:
            raise ValueError("leave_bola_s must not exceed enter_bola_s")
        self.safety_factor = safety_factor
        self.enter_bola_s = enter_bola_s
        self.leave_bola_s = leave_bola_s
        self.bola_buffer_s = bola_buffer_s
        self.bola_free_s = bola_free_s
        self.min_increase_s = min_increase_s
        self.max_decrease_s = max_decrease_s
        self.end_segments = end_segments
        self.initial_quality = initial_quality
        self._state: PerSegmentState[HybridState] = PerSegmentState(HybridState())

    def reset(self) -> None:
        """Forget the session."""
        self._state.reset()

    def _params(self, ctx: AbrContext) -> BolaParameters | None:
        return bola_parameters(ctx.ladder, min(self.bola_buffer_s, ctx.buffer_capacity))

    def _scaled(self, ctx: AbrContext, seconds: float) -> float:
        # The thresholds assume a deep buffer; a shallow engine target scales them down.
        return min(seconds, seconds * ctx.buffer_target / 30.0)

    def _at_end(self, ctx: AbrContext) -> bool:
        left = ctx.segments_left
        return left is not None and left <= self.end_segments and ctx.state is PlaybackState.PLAYING

    def _rung(self, ctx: AbrContext, bps: float) -> int:
        return quality_for_bitrate(
            ctx.ladder, bps, latency_s=ctx.latency_s, segment_duration=ctx.segment_duration
        )

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
        if est is None or est <= 0:
            self._state.stage(ctx, HybridState(state.bola_mode, bola_state))
            return decision(
                ctx, self.initial_quality if last is None else last, "no throughput estimate yet"
            )
        buffer = ctx.buffer_level
        bola_mode = state.bola_mode
        if ctx.state in (PlaybackState.STALLED, PlaybackState.SEEKING):
            bola_mode = False
        elif not bola_mode and buffer >= self._scaled(ctx, self.enter_bola_s):
            bola_mode = True
        elif bola_mode and buffer < self._scaled(ctx, self.leave_bola_s):
            bola_mode = False
        self._state.stage(ctx, HybridState(bola_mode, bola_state))

        if bola_mode:
            q, reason = q_bola, f"bola: {bola_reason}"
            if buffer >= self._scaled(ctx, self.bola_free_s):
                # Deep buffer: BOLA's own rung, up to one past what the estimate sustains.
                q = min(max(q, params.quality_for_buffer(buffer)), self._rung(ctx, est) + 1)
            sustained = self._rung(ctx, est * self.safety_factor)
            hold_s = self._scaled(ctx, self.max_decrease_s)
            while q > sustained and q > (last if last is not None else 0):
                # Above what the throughput sustains the buffer drains; step up only as
                # far as the buffer pays for a few segments before the hold ends, so a
                # step up is a stay, not a spike.
                drain = ctx.segment_duration * (ctx.ladder[q].bitrate_bps / est - 1.0)
                if buffer - UP_DWELL_SEGMENTS * drain >= hold_s:
                    break
                q -= 1
            if q < sustained:
                # BOLA maps a middling buffer to a low rung; with the buffer healthy (we
                # are in BOLA mode) never go below what the throughput sustains, or a
                # drained overshoot turns into a dip and a switch straight back.
                q, reason = sustained, f"bola floored at the throughput rung ({bola_reason})"
        else:
            q = self._rung(ctx, est * self.safety_factor)
            reason = f"throughput: {self.safety_factor:g} x {est:.0f} bit/s"

        if last is not None and q > last:
            recent = [s.bps for s in ctx.samples[-SUSTAIN_SAMPLES:] if s.bps > 0]
            easy = bool(recent) and min(recent) >= EASY_RATIO * ctx.ladder[q].bitrate_bps
            if buffer < self._scaled(ctx, self.min_increase_s) and not easy:
                q, reason = last, f"hold: {buffer:.1f} s buffered is too little to step up"
            elif recent and buffer < self._scaled(ctx, SUSTAIN_BELOW_S):
                q = max(last, min(q, self._rung(ctx, min(recent))))
                reason += ", step limited to what recent downloads sustained"
        elif last is not None and q < last and buffer >= self._scaled(ctx, self.max_decrease_s):
            # Hold only if a segment's worth is still buffered once this one, at the
            # rung playing, has arrived: under a collapsing rate a deep buffer is spent
            # within one segment.
            after = buffer - segment_bytes(ctx, last) * 8.0 / est - (ctx.latency_s or 0.0)
            if after >= ctx.segment_duration:
                q, reason = last, f"hold: {buffer:.1f} s buffered, no need to step down"

        left = ctx.segments_left
        if left is not None and self._at_end(ctx):
            # End of the title: buffer left over when the last segment arrives is never
            # played at a better rung. Climb as far as the rest of the title, at that
            # rung and the safe estimate, keeps a segment's cushion all the way; keep a
            # rung up to the one playing while the rest arrives without a stall.
            n, dur = left, ctx.segment_duration
            safe = est * self.safety_factor
            slowest = min([safe] + [s.bps for s in ctx.samples[-SUSTAIN_SAMPLES:] if s.bps > 0])
            for i in range(ctx.top, q, -1):
                climb = last is None or i > last
                # A climb must also hold at the slowest recent download's rate (as 3.).
                rate = slowest if climb else safe
                t = segment_bytes(ctx, i) * 8.0 / rate + (ctx.latency_s or 0.0)
                if min(buffer - t, buffer - n * (t - dur) - dur) >= (dur if climb else 0.0):
                    q, reason = i, f"end of title: {buffer:.1f} s buffered for {n} segments"
                    break

        if ctx.segment_number > 0 and ctx.state is not PlaybackState.STARTUP:
            # Quick downgrade: the segment must arrive before the buffer runs dry.
            latency = ctx.latency_s or 0.0
            cap = 0
            for i in range(q, -1, -1):
                if segment_bytes(ctx, i) * 8.0 / est + latency <= buffer:
                    cap = i
                    break
            if cap < q:
                q, reason = cap, f"buffer at risk: {buffer:.1f} s"
        return decision(ctx, q, reason)

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        """BOLA-E's abandonment in BOLA mode, dash.js's AbandonRequestsRule otherwise."""
        validate_context(ctx)
        params = self._params(ctx)
        if params is None:
            return None
        state = self._state.latest()
        if not state.bola_mode:
            return abandon_for_throughput(ctx, progress, self.safety_factor)
        if progress.elapsed_s <= 0 or progress.bytes_loaded <= 0:
            return None
        rate = progress.bytes_loaded / progress.elapsed_s  # bytes/s, latency included
        total = float(progress.bytes_total or segment_bytes(ctx, min(progress.quality, ctx.top)))
        spare = self._scaled(ctx, self.leave_bola_s)
        if self._at_end(ctx):
            # The end-of-title climb spends the buffer on purpose: keep a segment's worth.
            spare = min(spare, ctx.segment_duration)
        if (total - progress.bytes_loaded) / rate < ctx.buffer_level - spare:
            # The buffer pays for the rest of this download with room to spare: finish it
            # (abandoning here only cuts a step up short and flaps back).
            return None
        q = bola_abandon(ctx, progress, params, state.bola.placeholder)
        if q is None:
            return q
        # BOLA's objective may prefer a much lower rung at this buffer level; refetch no
        # lower than what the download's own rate sustains, so one slow segment does not
        # become a dip below the steady rung (and a switch straight back).
        measured = self._rung(
            ctx, progress.bytes_loaded * 8.0 / progress.elapsed_s * self.safety_factor
        )
        if measured >= progress.quality:
            return None  # the download's own rate sustains its rung
        # Nor, while the buffer is healthy (BOLA mode), lower than the rung the estimate
        # sustains (as choose floors BOLA): the first half second of a download may fall
        # in a trough of the link that the estimate has already averaged out. A download
        # at or below that rung is left alone unless the rest, at the rate it is
        # getting, would outlast the buffer (a collapse, not a trough).
        estimated = self._rung(ctx, (ctx.throughput_bps or 0.0) * self.safety_factor)
        if progress.quality > estimated:
            return max(q, measured, estimated)
        if (total - progress.bytes_loaded) / rate < ctx.buffer_level:
            return None
        return max(q, measured)


register_policy("hybrid", HybridPolicy)
