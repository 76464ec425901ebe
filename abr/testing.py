"""Property-test any ABR policy: hypothesis strategies and :func:`check_policy`.

Needs ``hypothesis`` (the ``dev`` extra); ``import abr`` itself does not.

Decision-level properties run on generated contexts alone:

- **valid rung**: ``choose`` returns a :class:`~abr.Decision` naming a rung of the
  ladder, for any valid context; ``should_abandon`` (if any) returns None or a rung;
- **same context, same decision**: asking twice about one context gives one answer, and
  two fresh instances fed the same sequence of contexts decide alike.

Session-level properties need a :class:`SessionRunner` that plays a whole session over a
bandwidth trace. By default :func:`check_policy` looks one up at run time with
``importlib.import_module("traces.testing").default_session_runner()`` (the headless
simulator that drives the real engine). ``abr`` never imports ``traces`` statically:
this is a plugin lookup, and it fails with a clear message when ``traces`` is missing.

- **constant bandwidth** covering the lowest rung with margin (``margin`` x its
  bitrate, 1.5): no rebuffering after startup; at most ``rungs + segments // 4``
  switches (a ramp plus slow buffer-driven cycles, not per-segment flapping); and
  convergence: over the last quarter of the session (the final 5 segments exempt, where
  spending the buffer is legitimate) every rung is at least the highest rung under a
  quarter of the bandwidth and at most one above the highest rung the bandwidth
  sustains (no rebuffering already rules out staying above it);
- **no oscillation under jitter**: bandwidth alternating within a band inside the gap
  between two rungs (amplitude smaller than the gap) causes at most one short excursion
  (a rung held under 3 segments, entered and left in opposite directions: a spike or a
  dip) in the second half of the session.
"""

from __future__ import annotations

import dataclasses
import importlib
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abr.interface import (
    AbrContext,
    AbrPolicy,
    Decision,
    DownloadProgress,
    PlaybackState,
    Rung,
    ThroughputSample,
    abandon_check,
)
from abr.qoe import SegmentRecord

__all__ = [
    "Bandwidth",
    "PolicyPropertyError",
    "PropertySettings",
    "SessionRunner",
    "SessionRunnerUnavailable",
    "check_policy",
    "contexts",
    "count_blips",
    "default_session_runner",
    "ladders",
    "progresses",
    "traces",
]

#: A piecewise-constant bandwidth trace: ``(duration_s, bits_per_second)`` pieces,
#: replayed from the start when a session outlasts it.
Bandwidth: TypeAlias = Sequence[tuple[float, float]]


class SessionRunner(Protocol):
    """Plays one whole session of ``policy`` over ``bandwidth``; one record per segment.

    Record ``i`` is segment ``i``; ``rebuffer_s`` of record 0 is the startup delay.
    """

    def run(
        self,
        policy: AbrPolicy,
        bandwidth: Bandwidth,
        ladder: Sequence[Rung],
        segment_duration: float,
        n_segments: int,
    ) -> Sequence[SegmentRecord]:
        """Run the session and return its segment records in playback order."""
        ...


class SessionRunnerUnavailable(LookupError):
    """No session runner was given and ``traces.testing`` could not provide one."""


class PolicyPropertyError(AssertionError):
    """A policy broke a property; the message names it and shows the failing example."""


#: Segments at the end of a session exempt from the convergence check.
END_SLACK = 5

PolicyFactory: TypeAlias = Callable[[], AbrPolicy]


@dataclass(frozen=True, slots=True)
class PropertySettings:
    """Sizes and tolerances of the property suite (the defaults are what we hold to)."""

    max_examples: int = 60  # contexts per decision-level property
    session_examples: int = 12  # sessions per session-level property
    n_segments: int = 40  # at least 10
    segment_duration: float = 4.0
    margin: float = 1.5  # constant bandwidth >= margin x the lowest rung
    rebuffer_tolerance_s: float = 1e-6
    derandomize: bool = False


# ----------------------------------------------------------------------------- strategies


@st.composite
def ladders(draw: st.DrawFn, min_rungs: int = 1, max_rungs: int = 8) -> tuple[Rung, ...]:
    """Ascending ladders: lowest 100 kbit/s..1.5 Mbit/s, each rung 1.15..3x the last."""
    n = draw(st.integers(min_rungs, max_rungs))
    rate = draw(st.integers(100_000, 1_500_000))
    rungs = [Rung(0, rate)]
    for i in range(1, n):
        rate = int(rate * draw(st.floats(1.15, 3.0)))
        rungs.append(Rung(i, rate))
    return tuple(rungs)


def _floats(lo: float, hi: float) -> st.SearchStrategy[float]:
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def _samples(draw: st.DrawFn, now: float) -> tuple[ThroughputSample, ...]:
    n = draw(st.integers(0, 12))
    out: list[ThroughputSample] = []
    end = max(0.0, now - draw(_floats(0, 30)))
    for _ in range(n):
        seconds = draw(_floats(0.001, 30))
        nbytes = draw(st.integers(0, 20_000_000))
        latency = draw(_floats(0, min(seconds, 2.0)))
        out.append(ThroughputSample(nbytes, seconds, end, latency))
        end = max(0.0, end - seconds - draw(_floats(0, 10)))
    return tuple(reversed(out))


@st.composite
def contexts(
    draw: st.DrawFn, ladder: tuple[Rung, ...] | st.SearchStrategy[tuple[Rung, ...]] | None = None
) -> AbrContext:
    """Valid :class:`~abr.AbrContext` values, over ``ladder`` (a ladder or a strategy)."""
    if ladder is None:
        ladder = ladders()
    rungs = draw(ladder) if isinstance(ladder, st.SearchStrategy) else tuple(ladder)
    duration = draw(st.sampled_from([1.0, 2.0, 2.002, 4.0, 6.0, 10.0]))
    capacity = draw(_floats(duration, 240))
    target = draw(_floats(0, capacity))
    now = draw(_floats(0, 10_000))
    sizes: tuple[int | None, ...] | None = None
    if draw(st.booleans()):
        sizes = tuple(
            draw(
                st.none()
                | st.integers(
                    max(1, int(r.bitrate_bps * duration / 16)), int(r.bitrate_bps * duration / 4)
                )
            )
            for r in rungs
        )
    return AbrContext(
        now=now,
        ladder=rungs,
        segment_duration=duration,
        buffer_level=draw(_floats(0, capacity)),
        buffer_target=target,
        buffer_capacity=capacity,
        throughput_bps=draw(st.none() | _floats(1_000, 100_000_000)),
        latency_s=draw(st.none() | _floats(0, 3)),
        samples=draw(_samples(now)),
        last_quality=draw(st.none() | st.integers(0, len(rungs) - 1)),
        state=draw(st.sampled_from(list(PlaybackState))),
        segment_number=draw(st.integers(0, 2_000)),
        segments_left=draw(st.none() | st.integers(1, 2_000)),
        next_sizes=sizes,
        rebuffer_s=draw(_floats(0, 1_000)),
    )


@st.composite
def progresses(draw: st.DrawFn, ctx: AbrContext) -> DownloadProgress:
    """An in-flight download of the next segment of ``ctx``."""
    q = draw(st.integers(0, ctx.top))
    nominal = max(1, int(ctx.ladder[q].bitrate_bps * ctx.segment_duration / 8))
    total = draw(st.none() | st.integers(1, 2 * nominal))
    loaded = draw(st.integers(0, total if total is not None else 2 * nominal))
    return DownloadProgress(
        quality=q,
        bytes_loaded=loaded,
        bytes_total=total,
        elapsed_s=draw(_floats(0, 60)),
        segment_duration=ctx.segment_duration,
    )


@st.composite
def traces(
    draw: st.DrawFn,
    min_pieces: int = 1,
    max_pieces: int = 20,
    min_bps: float = 50_000,
    max_bps: float = 50_000_000,
) -> list[tuple[float, float]]:
    """Piecewise-constant bandwidth: ``(duration_s, bps)`` pieces, bps log-uniform."""
    n = draw(st.integers(min_pieces, max_pieces))
    lo, hi = math.log(min_bps), math.log(max_bps)
    return [(draw(_floats(0.5, 30)), math.exp(draw(_floats(lo, hi)))) for _ in range(n)]


# ----------------------------------------------------------------------------- the suite


def default_session_runner() -> SessionRunner:
    """The simulator of ``traces`` (looked up at run time; see the module docstring)."""
    try:
        module = importlib.import_module("traces.testing")
    except ImportError as exc:
        raise SessionRunnerUnavailable(
            "session-level properties need a session runner: pass run_session=..., "
            "or install abrkit's traces package (traces.testing), or pass sessions=False "
            f"to check decisions only ({exc})"
        ) from exc
    factory = getattr(module, "default_session_runner", None)
    if factory is None:
        raise SessionRunnerUnavailable("traces.testing has no default_session_runner()")
    runner: SessionRunner = factory()
    return runner


def _fail(prop: str, detail: str) -> PolicyPropertyError:
    return PolicyPropertyError(f"property '{prop}' failed: {detail}")


def _check_decision(ctx: AbrContext, d: Any, prop: str) -> int:
    if not isinstance(d, Decision):
        raise _fail(prop, f"choose() returned {d!r}, not a Decision, for {ctx!r}")
    if not isinstance(d.quality, int) or not 0 <= d.quality <= ctx.top:
        raise _fail(prop, f"rung {d.quality!r} is not in a {len(ctx.ladder)}-rung ladder: {ctx!r}")
    return d.quality


def _session_contexts(ctxs: list[AbrContext]) -> list[AbrContext]:
    # Renumber drawn contexts into one session: segments in order, time moving forward.
    out: list[AbrContext] = []
    now = 0.0
    for i, c in enumerate(ctxs):
        now += c.now % 50.0
        out.append(dataclasses.replace(c, segment_number=i, now=now))
    return out


def _decision_properties(factory: PolicyFactory, cfg: PropertySettings) -> None:
    hyp = settings(
        max_examples=cfg.max_examples,
        deadline=None,
        derandomize=cfg.derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )

    @hyp
    @given(ctx=contexts())
    def valid_and_repeatable(ctx: AbrContext) -> None:
        policy = factory()
        first = _check_decision(ctx, policy.choose(ctx), "valid rung")
        again = _check_decision(ctx, policy.choose(ctx), "valid rung")
        if first != again:
            raise _fail("same context, same decision", f"{first} then {again} for {ctx!r}")

    @hyp
    @given(data=st.data())
    def abandon_valid(data: st.DataObject) -> None:
        ctx = data.draw(contexts())
        policy = factory()
        policy.choose(ctx)
        progress = data.draw(progresses(ctx))
        r1 = abandon_check(policy, ctx, progress)
        r2 = abandon_check(policy, ctx, progress)
        if r1 is not None and not 0 <= r1 <= ctx.top:
            raise _fail("valid rung", f"should_abandon named rung {r1} for {ctx!r}, {progress!r}")
        if r1 != r2:
            raise _fail("same context, same decision", f"should_abandon gave {r1} then {r2}")

    @hyp
    @given(data=st.data())
    def sequences_deterministic(data: st.DataObject) -> None:
        ladder = data.draw(ladders())
        drawn = data.draw(st.lists(contexts(ladder), min_size=1, max_size=12))
        ctxs = _session_contexts(drawn)
        a, b = factory(), factory()
        for ctx in ctxs:
            qa = _check_decision(ctx, a.choose(ctx), "valid rung")
            qa2 = _check_decision(ctx, a.choose(ctx), "valid rung")
            qb = _check_decision(ctx, b.choose(ctx), "valid rung")
            if not qa == qa2 == qb:
                raise _fail(
                    "same context, same decision",
                    f"segment {ctx.segment_number}: {qa}, repeated {qa2}, other instance {qb}",
                )

    valid_and_repeatable()
    abandon_valid()
    sequences_deterministic()


def count_blips(qualities: Sequence[int], min_dwell: int = 3) -> int:
    """Short excursions: runs of one rung, shorter than ``min_dwell`` segments, entered
    and left in opposite directions (a spike up and back, or a dip down and back)."""
    runs: list[tuple[int, int]] = []  # (rung, length)
    for q in qualities:
        if runs and runs[-1][0] == q:
            runs[-1] = (q, runs[-1][1] + 1)
        else:
            runs.append((q, 1))
    return sum(
        1
        for (a, _), (q, n), (b, _) in zip(runs, runs[1:], runs[2:], strict=False)
        if n < min_dwell and (q > a) == (q > b)
    )


def _describe(records: Sequence[SegmentRecord]) -> str:
    return (
        "rungs "
        + " ".join(str(r.quality) for r in records)
        + "; stalls "
        + " ".join(f"{r.index}:{r.rebuffer_s:.2f}" for r in records if r.rebuffer_s > 0)
    )


def _session_properties(
    factory: PolicyFactory, runner: SessionRunner, cfg: PropertySettings
) -> None:
    hyp = settings(
        max_examples=cfg.session_examples,
        deadline=None,
        derandomize=cfg.derandomize,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    n, dur = cfg.n_segments, cfg.segment_duration

    @hyp
    @given(ladder=ladders(min_rungs=2, max_rungs=7), position=st.floats(0.0, 1.0))
    def constant_bandwidth(ladder: tuple[Rung, ...], position: float) -> None:
        lo = math.log(cfg.margin * ladder[0].bitrate_bps)
        hi = math.log(1.5 * ladder[-1].bitrate_bps)
        bps = math.exp(lo + position * (hi - lo))
        records = list(runner.run(factory(), [(3600.0, bps)], ladder, dur, n))
        where = f"constant {bps:.0f} bit/s over {[r.bitrate_bps for r in ladder]}"
        if len(records) != n:
            raise _fail("session runs", f"{len(records)} records for {n} segments ({where})")
        stalled = sum(r.rebuffer_s for r in records[1:])
        if stalled > cfg.rebuffer_tolerance_s:
            raise _fail(
                "no rebuffering after startup",
                f"{stalled:.3f} s of stalls at {where}: {_describe(records)}",
            )
        qualities = [r.quality for r in records]
        switches = sum(1 for a, b in itertools.pairwise(qualities) if a != b)
        bound = len(ladder) + n // 4
        if switches > bound:
            raise _fail(
                "bounded switches", f"{switches} switches (bound {bound}) at {where}: {qualities}"
            )
        # The last quarter before the final END_SLACK segments: spending the buffer on the
        # very last segments of a title is legitimate, not a failure to converge.
        tail = records[-max(1, n // 4) - END_SLACK : -END_SLACK]
        floor = max((i for i, r in enumerate(ladder) if r.bitrate_bps <= bps / 4), default=0)
        sustained = max((i for i, r in enumerate(ladder) if r.bitrate_bps <= bps), default=0)
        for r in tail:
            if not floor <= r.quality <= sustained + 1:
                raise _fail(
                    "convergence to a sustainable rung",
                    f"segment {r.index} at rung {r.quality}; the last quarter should stay "
                    f"within rungs {floor}..{sustained + 1} at {where}: {qualities}",
                )

    @hyp
    @given(
        ladder=ladders(min_rungs=3, max_rungs=7),
        data=st.data(),
    )
    def jitter(ladder: tuple[Rung, ...], data: st.DataObject) -> None:
        k = data.draw(st.integers(0, len(ladder) - 2))
        low, high = float(ladder[k].bitrate_bps), float(ladder[k + 1].bitrate_bps)
        # Keep to a band strictly inside the gap, and above the margin over rung 0.
        low = max(low, cfg.margin * ladder[0].bitrate_bps)
        if high <= low * 1.1:
            return
        centre = math.sqrt(low * high)
        amp = data.draw(st.floats(0.02, 0.45)) * (high - low) / centre
        period = data.draw(st.sampled_from([1.0, 2.0, 3.0, 5.0]))
        trace = [(period, centre * (1 + amp)), (period, centre * (1 - amp))]
        records = list(runner.run(factory(), trace, ladder, dur, n))
        qualities = [r.quality for r in records]
        blips = count_blips(qualities[n // 2 :])
        if blips > 1:
            raise _fail(
                "no oscillation under jitter",
                f"{blips} short excursions in the second half with bandwidth "
                f"{centre:.0f} +/- {amp:.0%} between rungs {k} and {k + 1} of "
                f"{[r.bitrate_bps for r in ladder]}: {qualities}",
            )

    constant_bandwidth()
    jitter()


def check_policy(
    factory: PolicyFactory,
    *,
    run_session: SessionRunner | None = None,
    sessions: bool = True,
    max_examples: int | None = None,
    config: PropertySettings | None = None,
) -> None:
    """Run a policy through the property suite; raise :class:`PolicyPropertyError`.

    ``factory`` makes a fresh policy (a class or a ``lambda: MyPolicy(...)``). Session
    properties use ``run_session`` or, when None, :func:`default_session_runner`;
    ``sessions=False`` checks decisions only. ``max_examples`` overrides the number of
    contexts per decision property.
    """
    cfg = config or PropertySettings()
    if max_examples is not None:
        cfg = PropertySettings(**{**_as_dict(cfg), "max_examples": max_examples})
    _decision_properties(factory, cfg)
    if sessions:
        runner = run_session if run_session is not None else default_session_runner()
        _session_properties(factory, runner, cfg)


def _as_dict(cfg: PropertySettings) -> dict[str, Any]:
    return {f.name: getattr(cfg, f.name) for f in dataclasses.fields(cfg)}
