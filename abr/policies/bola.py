"""``bola``: BOLA-E as dash.js's ``BolaRule`` implements it.

Sources: K. Spiteri, R. Urgaonkar, R. K. Sitaraman, "BOLA: Near-Optimal Bitrate
Adaptation for Online Videos" (INFOCOM 2016) and K. Spiteri, R. Sitaraman, D. Sparacio,
"From Theory to Practice: Improving Bitrate Adaptation in the DASH Reference Player"
(MMSys 2018, BOLA-E); dash.js ``BolaRule.js``; the abandonment follows BOLA-E's
reference code (Sabre ``BolaEnh.check_abandon``).

Defaults, as dash.js:

- utilities ``ln(b / b0) + 1`` (rung 0 has utility 1);
- buffer target ``max(buffer_target, 10 s + 2 s x rungs)``; ``gp`` and ``Vp`` put the
  switch to rung 0 at 10 s and to the top rung at that target;
- startup: the rung for 0.9 x the throughput estimate (with the latency's dead time), the
  placeholder buffer set so BOLA would choose that rung, until the buffer holds a segment;
- steady: the rung maximising ``(Vp (u_i + gp) - (buffer + placeholder)) / b_i``, with
  BOLA-O's guard (never step up past both the last rung and the throughput rung); the
  placeholder grows by time spent not downloading, decays 0.99 per segment, is capped by
  what the last segment justified, and is dropped on a stall; a seek returns to startup;
- abandonment: a download whose remaining bytes score worse than refetching a lower rung
  whole, in BOLA's own objective, is abandoned for the best such rung.

dash.js can also delay the next request when the buffer is above what the chosen rung
justifies; the engine owns request timing, so that delay is spent from the placeholder
only (as dash.js does first) and otherwise left to the engine's buffer target.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from abr.interface import AbrContext, Decision, DownloadProgress, PlaybackState, Rung
from abr.policies._common import (
    PerSegmentState,
    decision,
    validate_context,
)
from abr.policies.throughput import SAFETY_FACTOR
from abr.registry import register_policy
from abr.slots import slot_constructor

#: dash.js ``BolaRule.MINIMUM_BUFFER_S``: BOLA never delays below this buffer level.
MINIMUM_BUFFER_S = 10.0
#: dash.js ``BolaRule.MINIMUM_BUFFER_PER_BITRATE_LEVEL_S``.
MINIMUM_BUFFER_PER_BITRATE_LEVEL_S = 2.0
#: dash.js ``BolaRule.PLACEHOLDER_BUFFER_DECAY`` (per downloaded segment).
PLACEHOLDER_BUFFER_DECAY = 0.99

# Enum members as module constants (a member lookup goes through the enum metaclass).
_SEEKING = PlaybackState.SEEKING
_STALLED = PlaybackState.STALLED
_bisect_right = bisect.bisect_right


@dataclass(frozen=True, slots=True)
class BolaParameters:
    """BOLA's control parameters for one ladder and buffer target."""

    bitrates: tuple[float, ...]
    utilities: tuple[float, ...]
    vp: float
    gp: float
    buffer_time: float
    _max_buffers: tuple[float, ...] = field(init=False, repr=False, compare=False)

    def score(self, quality: int, buffer_s: float) -> float:
        """BOLA's objective for fetching ``quality`` at effective buffer ``buffer_s``."""
        return (self.vp * (self.utilities[quality] + self.gp) - buffer_s) / self.bitrates[quality]

    def quality_for_buffer(self, buffer_s: float) -> int:
        """The rung BOLA prefers at ``buffer_s`` (ties go to the higher rung, as dash.js)."""
        # score() inlined (the same arithmetic in the same order): this runs at every
        # decision of every simulated session.
        tops, bitrates = self._max_buffers, self.bitrates
        best, best_score = 0, -math.inf
        for i in range(len(bitrates)):
            s = (tops[i] - buffer_s) / bitrates[i]
            if s >= best_score:
                best, best_score = i, s
        return best

    def max_buffer_for_quality(self, quality: int) -> float:
        """The buffer level above which BOLA would rather wait than fetch ``quality``."""
        return self._max_buffers[quality]

    def __post_init__(self) -> None:
        # vp * (utility + gp) per rung, computed once: every decision and abandonment
        # check uses it (the same product, so the same floats as computing it inline).
        vp, gp = self.vp, self.gp
        object.__setattr__(self, "_max_buffers", tuple(vp * (u + gp) for u in self.utilities))

    def min_buffer_for_quality(self, quality: int) -> float:
        """The lowest buffer level at which BOLA prefers ``quality`` to every lower rung."""
        qb, qu = self.bitrates[quality], self.utilities[quality]
        level = 0.0
        for i in range(quality - 1, -1, -1):
            ib, iu = self.bitrates[i], self.utilities[i]
            if iu < qu:
                level = max(level, self.vp * (self.gp + (qb * iu - ib * qu) / (qb - ib)))
        return level


# The last parameters computed: a session asks again for the same ladder object at every
# decision and progress report, and recomputing them is most of BOLA's cost.
_LAST_PARAMS: list[tuple[tuple[Rung, ...], float, BolaParameters | None]] = []


def bola_parameters(ladder: tuple[Rung, ...], buffer_target: float) -> BolaParameters | None:
    """dash.js ``calculateBolaParameters``; None when the ladder has one distinct bitrate."""
    last = _LAST_PARAMS[0] if _LAST_PARAMS else None
    if last is not None and last[0] is ladder and last[1] == buffer_target:
        return last[2]
    params = _bola_parameters(ladder, buffer_target)
    _LAST_PARAMS[:] = [(ladder, buffer_target, params)]
    return params


def _bola_parameters(ladder: tuple[Rung, ...], buffer_target: float) -> BolaParameters | None:
    bitrates = tuple(float(r.bitrate_bps) for r in ladder)
    utilities = tuple(math.log(b / bitrates[0]) + 1.0 for b in bitrates)
    top = max(range(len(utilities)), key=lambda i: (utilities[i], -i))
    if top == 0 or utilities[top] <= utilities[0]:
        return None
    buffer_time = max(
        buffer_target, MINIMUM_BUFFER_S + MINIMUM_BUFFER_PER_BITRATE_LEVEL_S * len(bitrates)
    )
    gp = (utilities[top] - 1.0) / (buffer_time / MINIMUM_BUFFER_S - 1.0)
    vp = MINIMUM_BUFFER_S / gp
    return BolaParameters(bitrates, utilities, vp, gp, buffer_time)


@dataclass(frozen=True, slots=True)
class BolaState:
    """What BOLA remembers between segments."""

    steady: bool = False
    placeholder: float = 0.0
    last_quality: int | None = None
    last_call: float | None = None  # ``now`` of the previous decision
    last_sample_end: float | None = None  # end of the newest download seen


# A state is built at every decision: through its slots.
_new_state: Callable[[bool, float, int | None, float | None, float | None], BolaState] = (
    slot_constructor(
        BolaState, ("steady", "placeholder", "last_quality", "last_call", "last_sample_end")
    )
)


def _safe_quality(ctx: AbrContext, throughput_bps: float, bitrates: tuple[float, ...]) -> int:
    """``quality_for_bitrate`` at the safety factor, by bisection on the parameters'
    bitrates (the ladder's, ascending and checked by ``validate_context``; the estimate
    and latency are finite there too, so the answer is the same rung)."""
    bitrate = throughput_bps * SAFETY_FACTOR
    latency, duration = ctx.latency_s, ctx.segment_duration
    if latency and duration:
        if latency > duration:
            return 0
        bitrate *= 1.0 - latency / duration
    i = _bisect_right(bitrates, bitrate) - 1
    return i if i > 0 else 0


def bola_step(
    ctx: AbrContext, state: BolaState, params: BolaParameters, initial_quality: int = 0
) -> tuple[int, str, BolaState]:
    """One BolaRule decision: ``(quality, reason, next_state)``. Pure."""
    now = ctx.now
    stalled = ctx.state is _STALLED
    if ctx.state is _SEEKING:
        state = BolaState(last_quality=state.last_quality)
    throughput = ctx.throughput_bps
    if throughput is None:
        q = ctx.last_quality if ctx.last_quality is not None else initial_quality
        return q, "no throughput estimate yet", replace(state, last_call=now)
    buffer = ctx.buffer_level
    safe_q = _safe_quality(ctx, throughput, params.bitrates)
    samples = ctx.samples
    newest = samples[-1] if samples else None
    new_download = newest is not None and (
        state.last_sample_end is None or newest.end_time > state.last_sample_end
    )
    last_end = newest.end_time if newest is not None else state.last_sample_end

    if not state.steady:
        q = safe_q
        placeholder = max(0.0, params.min_buffer_for_quality(q) - buffer)
        loaded_one = ctx.segment_number > 0 or newest is not None
        steady = loaded_one and buffer >= ctx.segment_duration
        return (
            q,
            f"startup: throughput rung, placeholder {placeholder:.1f} s",
            _new_state(steady, placeholder, q, now, last_end),
        )

    placeholder = state.placeholder
    last_q = ctx.last_quality if ctx.last_quality is not None else state.last_quality
    if stalled:
        placeholder = 0.0  # dash.js onBufferEmpty: a stall must not inflate the quality
    if new_download and newest is not None:
        # checkNewSegment: decay, then no more placeholder than the last segment justified.
        placeholder *= PLACEHOLDER_BUFFER_DECAY
        end_time = newest.end_time
        if last_q is not None:
            waited = max(0.0, now - end_time)
            at_request = max(0.0, buffer + newest.seconds - ctx.segment_duration + waited)
            placeholder = min(
                placeholder, max(0.0, params.max_buffer_for_quality(last_q) - at_request)
            )
        # updatePlaceholderBuffer: time since the download finished was not download time.
        placeholder += max(0.0, now - end_time)
    elif state.last_call is not None:
        placeholder += max(0.0, now - state.last_call)
    if stalled:
        placeholder = 0.0

    effective = buffer + placeholder
    q = params.quality_for_buffer(effective)
    reason = f"buffer {buffer:.1f} s + placeholder {placeholder:.1f} s"
    if last_q is not None and q > last_q and q > safe_q:
        # BOLA-O: do not climb to a rung the throughput cannot sustain.
        q = max(safe_q, last_q)
        reason += ", held by throughput"
    excess = max(0.0, effective - params.max_buffer_for_quality(q))
    placeholder = placeholder - excess if excess <= placeholder else 0.0
    return q, reason, _new_state(True, placeholder, q, now, last_end)


class BolaPolicy:
    """BOLA-E (dash.js ``BolaRule``); see the module docstring for sources and defaults.

    ``initial_quality`` (0) is used before any throughput estimate exists, as dash.js
    returns no change then. Deterministic; repeated calls for one segment are idempotent.
    """

    name = "bola"

    def __init__(self, *, initial_quality: int = 0) -> None:
        self.initial_quality = initial_quality
        self._state: PerSegmentState[BolaState] = PerSegmentState(BolaState())

    def reset(self) -> None:
        """Forget the session (placeholder, phase, last rung)."""
        self._state.reset()

    def choose(self, ctx: AbrContext) -> Decision:
        """The BOLA-E rung for the next segment."""
        validate_context(ctx)
        params = bola_parameters(ctx.ladder, ctx.buffer_target)
        if params is None:
            return decision(ctx, 0, "one bitrate")
        q, reason, new_state = bola_step(
            ctx, self._state.current(ctx), params, self.initial_quality
        )
        self._state.stage(ctx, new_state)
        if q.__class__ is int and 0 <= q < len(ctx.ladder):
            return Decision(q, reason)  # what decision() gives, without clamping
        return decision(ctx, q, reason)

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        """BOLA-E abandonment: the lower rung to refetch at, or None to keep going."""
        validate_context(ctx)
        params = bola_parameters(ctx.ladder, ctx.buffer_target)
        if params is None:
            return None
        return bola_abandon(ctx, progress, params, self._state.latest().placeholder)


def bola_abandon(
    ctx: AbrContext, progress: DownloadProgress, params: BolaParameters, placeholder: float
) -> int | None:
    """BOLA-E's abandonment test as a function (Sabre ``BolaEnh.check_abandon``)."""
    q = min(progress.quality, ctx.top)
    if q <= 0 or progress.bytes_loaded <= 0 or progress.elapsed_s <= 0:
        return None
    total = float(progress.bytes_total or 0)
    if total <= 0:
        total = params.bitrates[q] * progress.segment_duration / 8.0
    remaining = total - progress.bytes_loaded
    if remaining <= 0:
        return None
    # A new request pays the latency again: judge from where the buffer will be then.
    latency = ctx.latency_s or 0.0
    rate = progress.bytes_loaded / max(progress.elapsed_s - latency, 1e-9)
    remaining -= latency * rate
    if remaining <= 0:
        return None
    effective = max(0.0, ctx.buffer_level + placeholder - latency)
    tops, bitrates = params._max_buffers, params.bitrates  # vp * (gp + utility)
    best = (tops[q] - effective) / remaining
    abandon_to: int | None = None
    rate_q = bitrates[q]
    for i in range(q):
        other = total * bitrates[i] / rate_q
        other_score = (tops[i] - effective) / other
        if other < remaining and other_score > best:
            best, abandon_to = other_score, i
    return abandon_to


register_policy("bola", BolaPolicy)
