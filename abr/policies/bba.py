"""``bba``: buffer-based adaptation, BBA-0 (reservoir, cushion, rate map).

Source: T.-Y. Huang, R. Johari, N. McKeown, M. Trunnell, M. Watson, "A Buffer-Based
Approach to Rate Adaptation: Evidence from a Large Video Streaming Service"
(SIGCOMM 2014), algorithm BBA-0.

The rate map ``f`` is ``R_min`` up to the reservoir, rises linearly across the cushion,
and is ``R_max`` beyond. BBA-0's rule: stay at the previous rate ``R`` while ``f(B)``
lies strictly between its neighbours ``R-`` and ``R+``; when ``f(B) >= R+`` move up to
the highest rate below ``f(B)``; when ``f(B) <= R-`` move down to the lowest rate above
``f(B)``.

Defaults: ``reservoir_s=5``, ``cushion_s=10``, the buffer-based baseline of Pensieve's
evaluation (``bb.py``). As the paper requires, the map is kept in the *safe area*
(``f(B) <= R_min * B / V`` for segment duration ``V``): a segment of the chosen rate
downloads before ``B`` seconds of buffer run out whenever the link carries at least
``R_min``, so BBA never rebuffers while the capacity exceeds the lowest rung. BBA-0's
"hold the previous rate" case is held to the same bound (a held rate above
``R_min * B / V`` steps down to the highest rung inside it), and a step up must leave
``SAFE_HEADROOM`` (2) segments of buffer beyond the bound, so the two bounds form a
hysteresis band instead of a flip-flop at the edge of the safe area.
Stateless: it reads the previous rung from the context.

A limit that follows from the safe area: a buffer of ``B`` seconds caps the rate at
``R_min * B / V``, 7.5 x the lowest rung for a 30 s buffer of 4 s segments, however fast
the link. On wider ladders BBA-0 settles below a quarter of the bandwidth, which
``check_policy``'s convergence property flags on random seeds
(``bench/property_seeds.py``: 7 of 20). Taking the slowest recent download as the
capacity instead of ``R_min`` lifts the cap but makes BBA follow the link's jitter (9 of
12 seeds then broke the no-oscillation property), so the paper's rule stays.
"""

from __future__ import annotations

from abr.interface import AbrContext, Decision
from abr.policies._common import decision, validate_context
from abr.registry import register_policy

#: Pensieve's BB baseline (``bb.py``): RESERVOIR = 5 s, CUSHION = 10 s.
RESERVOIR_S = 5.0
CUSHION_S = 10.0
#: Segments of buffer beyond the safe area that a step up must leave.
SAFE_HEADROOM = 2.0


class BbaPolicy:
    """BBA-0 (Huang et al. 2014); see the module docstring for the rule and defaults."""

    name = "bba"

    def __init__(
        self,
        *,
        reservoir_s: float = RESERVOIR_S,
        cushion_s: float = CUSHION_S,
        safe_area: bool = True,
    ) -> None:
        if reservoir_s < 0 or cushion_s <= 0:
            raise ValueError("reservoir_s must be >= 0 and cushion_s > 0")
        self.reservoir_s = reservoir_s
        self.cushion_s = cushion_s
        self.safe_area = safe_area

    def reset(self) -> None:
        """Nothing to forget: the rule is a function of the context."""

    def rate_map(self, ctx: AbrContext, buffer_s: float) -> float:
        """``f(B)`` in bits/s for this context's ladder."""
        r_min = ctx.ladder[0].bitrate_bps
        r_max = ctx.ladder[-1].bitrate_bps
        if buffer_s <= self.reservoir_s:
            f = float(r_min)
        elif buffer_s >= self.reservoir_s + self.cushion_s:
            f = float(r_max)
        else:
            f = r_min + (r_max - r_min) * (buffer_s - self.reservoir_s) / self.cushion_s
        if self.safe_area:
            # Room for SAFE_HEADROOM segments more than the safe area needs, so a step up
            # is not undone by the next segment (the hold below uses the bare bound).
            room = buffer_s - SAFE_HEADROOM * ctx.segment_duration
            f = min(f, max(float(r_min), r_min * room / ctx.segment_duration))
        return f

    def choose(self, ctx: AbrContext) -> Decision:
        """BBA-0's next rate for the buffer level in ``ctx``, kept in the safe area."""
        validate_context(ctx)
        d = self._bba0(ctx)
        cap = self._safe_cap(ctx)
        if d.quality > cap:
            return decision(ctx, cap, f"safe area at {ctx.buffer_level:.1f} s")
        return d

    def _bba0(self, ctx: AbrContext) -> Decision:
        rates = [r.bitrate_bps for r in ctx.ladder]
        buffer = ctx.buffer_level
        prev = ctx.last_quality if ctx.last_quality is not None else 0
        f = self.rate_map(ctx, buffer)
        why = f"f({buffer:.1f} s) = {f:.0f} bit/s"
        if buffer <= self.reservoir_s:
            return decision(ctx, 0, f"in the reservoir, {why}")
        if f >= rates[-1] and buffer >= self.reservoir_s + self.cushion_s:
            return decision(ctx, ctx.top, f"above the cushion, {why}")
        up = min(prev + 1, ctx.top)
        down = max(prev - 1, 0)
        if up != prev and f >= rates[up]:
            below = [i for i, r in enumerate(rates) if r < f]
            return decision(ctx, max(below, default=prev), f"up, {why}")
        if down != prev and f <= rates[down]:
            above = [i for i, r in enumerate(rates) if r > f]
            return decision(ctx, min(above, default=prev), f"down, {why}")
        return decision(ctx, prev, f"hold, {why}")

    def _safe_cap(self, ctx: AbrContext) -> int:
        # The highest rung inside the safe area at this buffer level (rung 0 at least).
        if not self.safe_area:
            return ctx.top
        limit = ctx.ladder[0].bitrate_bps * ctx.buffer_level / ctx.segment_duration
        return max((i for i, r in enumerate(ctx.ladder) if r.bitrate_bps <= limit), default=0)


register_policy("bba", BbaPolicy)
