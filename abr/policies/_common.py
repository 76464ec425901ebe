"""Helpers every policy shares: validating a context, rung-for-bitrate, per-segment state.

Private: the public names are re-exported by :mod:`abr.policies`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Generic, TypeVar

from abr.interface import AbrContext, Decision, Rung


class InvalidContextError(ValueError):
    """A context a policy cannot decide on (empty ladder, negative or non-finite numbers).

    ``abr`` may not import ``player``, so this crosses as a ``ValueError`` subclass; the
    player wraps it into ``PlayerError(PLAYER, INVALID_ARGUMENT)`` where it calls a policy.
    """


# The last ladder found valid: a session passes the same (immutable) ladder object in
# every context, so its checks need not run again for each decision.
_VALID_LADDER: list[tuple[Rung, ...]] = []


def _validate_ladder(ladder: tuple[Rung, ...]) -> None:
    if _VALID_LADDER and _VALID_LADDER[0] is ladder:
        return
    if not ladder:
        raise InvalidContextError("the ladder is empty")
    for i, rung in enumerate(ladder):
        if rung.index != i:
            raise InvalidContextError(f"rung at position {i} has index {rung.index}")
        if not (rung.bitrate_bps > 0):
            raise InvalidContextError(f"rung {rung.index} has bitrate {rung.bitrate_bps}")
    rates = [r.bitrate_bps for r in ladder]
    if any(b < a for a, b in itertools.pairwise(rates)):
        raise InvalidContextError("the ladder is not in ascending bitrate order")
    _VALID_LADDER[:] = [ladder]


_INF = math.inf


def validate_context(ctx: AbrContext) -> None:
    """Raise :class:`InvalidContextError` for a context no policy can decide on."""
    ladder = ctx.ladder
    if not (_VALID_LADDER and _VALID_LADDER[0] is ladder):
        _validate_ladder(ladder)
    # Fast path, called per decision and per progress report: chained comparisons are
    # False for NaN and infinities, so one expression accepts every valid context; any
    # failure falls through to the field-by-field checks, which name the culprit.
    tp = ctx.throughput_bps
    lat = ctx.latency_s
    last = ctx.last_quality
    sizes = ctx.next_sizes
    if (
        0.0 < ctx.segment_duration < _INF
        and 0.0 <= ctx.buffer_level < _INF
        and 0.0 <= ctx.buffer_target < _INF
        and 0.0 <= ctx.buffer_capacity < _INF
        and -_INF < ctx.now < _INF
        and 0.0 <= ctx.rebuffer_s < _INF
        and (tp is None or 0.0 <= tp < _INF)
        and (lat is None or 0.0 <= lat < _INF)
        and (last is None or 0 <= last <= len(ladder) - 1)
        and (sizes is None or len(sizes) == len(ladder))
    ):
        return
    _validate_fields(ctx)


def _validate_fields(ctx: AbrContext) -> None:
    if not (math.isfinite(ctx.segment_duration) and ctx.segment_duration > 0):
        raise InvalidContextError(f"segment_duration is {ctx.segment_duration}")
    for name in ("buffer_level", "buffer_target", "buffer_capacity", "now", "rebuffer_s"):
        value = getattr(ctx, name)
        if not math.isfinite(value) or (name != "now" and value < 0):
            raise InvalidContextError(f"{name} is {value}")
    tp = ctx.throughput_bps
    if tp is not None and (not math.isfinite(tp) or tp < 0):
        raise InvalidContextError(f"throughput_bps is {tp}")
    if ctx.latency_s is not None and (not math.isfinite(ctx.latency_s) or ctx.latency_s < 0):
        raise InvalidContextError(f"latency_s is {ctx.latency_s}")
    if ctx.last_quality is not None and not 0 <= ctx.last_quality <= ctx.top:
        raise InvalidContextError(f"last_quality {ctx.last_quality} is not a rung of the ladder")
    if ctx.next_sizes is not None and len(ctx.next_sizes) != len(ctx.ladder):
        raise InvalidContextError("next_sizes does not have one entry per rung")


def quality_for_bitrate(
    ladder: Sequence[Rung],
    bitrate_bps: float,
    *,
    latency_s: float | None = None,
    segment_duration: float | None = None,
) -> int:
    """The highest rung whose bitrate is at most ``bitrate_bps`` (rung 0 when none is).

    As dash.js ``AbrController.getQualityForBitrate``: when a latency (time to first
    byte) is known, the part of each segment's time spent waiting is dead time, so the
    usable bitrate shrinks by ``latency / segment_duration``; a latency longer than a
    segment leaves only rung 0.
    """
    if latency_s and segment_duration:
        if latency_s > segment_duration:
            return 0
        bitrate_bps *= 1.0 - latency_s / segment_duration
    for i in range(len(ladder) - 1, -1, -1):
        if bitrate_bps >= ladder[i].bitrate_bps:
            return i
    return 0


def segment_bytes(ctx: AbrContext, quality: int) -> float:
    """Bytes of the next segment at ``quality``: its real size when known, else nominal."""
    if ctx.next_sizes is not None:
        size = ctx.next_sizes[quality]
        if size is not None and size > 0:
            return float(size)
    return ctx.ladder[quality].bitrate_bps * ctx.segment_duration / 8.0


def clamp_quality(ctx: AbrContext, quality: int) -> int:
    """``quality`` forced into the ladder's range."""
    return max(0, min(ctx.top, int(quality)))


S = TypeVar("S")


class PerSegmentState(Generic[S]):
    """State that advances once per segment, so a repeated ``choose`` is idempotent.

    A policy computes ``(decision, next_state)`` from the state committed before the
    current segment and the context. The result is held as pending; it is committed only
    when a context for a different segment arrives. Asking twice about one segment (a
    retry, a re-decision after a wait) therefore starts from the same state and gives the
    same decision, and the same sequence of contexts always gives the same decisions.
    """

    def __init__(self, initial: S) -> None:
        self._initial = initial
        self._committed = initial
        self._pending: tuple[int, S] | None = None

    def reset(self) -> None:
        """Forget everything (a new session)."""
        self._committed = self._initial
        self._pending = None

    def current(self, ctx: AbrContext) -> S:
        """The state to decide ``ctx`` from, committing the previous segment's result."""
        if self._pending is not None and self._pending[0] != ctx.segment_number:
            self._committed = self._pending[1]
            self._pending = None
        return self._committed

    def stage(self, ctx: AbrContext, new_state: S) -> None:
        """Hold ``new_state`` as the result of deciding ``ctx``'s segment."""
        self._pending = (ctx.segment_number, new_state)

    def latest(self) -> S:
        """The most recent state, pending or committed (for ``should_abandon``)."""
        return self._pending[1] if self._pending is not None else self._committed


def decision(ctx: AbrContext, quality: int, reason: str) -> Decision:
    """A :class:`Decision` with the quality clamped into the ladder."""
    return Decision(clamp_quality(ctx, quality), reason)
