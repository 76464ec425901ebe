"""``oracle``: the offline optimum of a session, for evaluation only.

The oracle sees the whole trace in advance and chooses every segment's rung (and which
downloads to abandon, and when) to maximise the session's linear QoE (Pensieve's
``qoe_lin``: bitrate in Mbit/s, minus 4.3 per second of rebuffering, minus the bitrate
change; segment 0's bitrate and the startup delay are not counted) by dynamic programming
over segments. It models the simulator's session as the engine runs it for one video
track:

- a request waits its latency, then its bytes flow through the link (payload share,
  per-request noise, Pensieve's trace pause during the round trip) with the arithmetic
  of :class:`~traces.sim.link.Link`;
- before playback starts, each segment is requested as the previous one arrives (segment
  0 at time 0, at ``abr.first_quality`` when the model fixes it), after its rung's init
  segment when that rung has none yet; playback starts once ``buffer.start_s`` is
  buffered (or everything is);
- then the buffer drains while playing; a segment arriving after the buffer ran dry has
  stalled playback since then; the next request goes out at once while the buffer is
  under the goal (``buffer.goal_s``), else 1 us after it fell to the goal (the engine's
  wake-up tolerance);
- where the model lets a policy abandon (``streaming.abandon`` with progress reports), a
  download at a rung above 0 may be given up at any of its progress reports (every
  ``progress_interval_s`` from its first byte, while bytes are still due) for a lower
  rung, requested at once.

**Startup time is free.** ``qoe_lin`` does not count the startup delay, so arriving later
before playback starts is not worse: it moves the whole session against the trace and
may spare stalls later. A policy can buy such delay with a big segment in startup, an
init segment, or a download it abandons late. So while in startup the DP keeps every
timing apart (only states with the same arrival time and the same init segments compete)
and tries every abandonment: each progress report, each lower rung. On a slow link the
ways to spend startup multiply (init segments put every way's progress reports on a grid
of its own); past a budget (``_ATTEMPTS`` request times per rung, ``_WAITING`` startup
states, ``_STARTING`` states starting playback per rung) close timings merge: the
earliest stands for its bucket, credited ``4.3 x`` the buffer the latest would have more
(and the bucket's best QoE), so it dominates each of them and the value stays a bound.
``OracleResult.slack`` says how much credit the optimum holds (0: solved exactly, as
short sessions and links that carry the ladder are).

**After startup the pruning is exact.** A playing state is ``(arrival a, dry time D, last
rung, QoE so far)``. The link is FIFO (one latency for the whole trace; starting later
never finishes earlier), so if a state arrived no later, runs dry no later and has
``QoE >= QoE' + 4.3 x (D' - D) + |R - R'|`` over another, then after any same choice it
still does (``QoE + 4.3 x D`` moves by the same amount for both): whatever the other can
reach, it reaches at least as well, and the other is dropped. A state that can never be
held back by the goal and has no less buffer and no less QoE (less the smoothing) wins
likewise. What the DP leaves out after startup only delays a request, which in a FIFO
link never helps: the init segment of a new rung (treated as free), an abandoned download
(the rung kept at last, requested at once, arrives no later). (The 1 us refill slack
breaks that monotony by up to 1 us, the scale of :func:`qoe_tolerance`.)

That also makes the DP a relaxation where the engine's rules are stricter than its own:
playback resumes as soon as a segment arrives (``buffer.resume_s`` above one segment
only adds stall time), and refills are not quantised (Pensieve's 500 ms sleeps only delay
requests). Its value is therefore an upper bound on every policy's QoE (to
:func:`qoe_tolerance`), and equal to the engine's optimum (the best of all plans played
by the engine: exhaustive search) whenever those rules change nothing: ``resume_s`` at
most a segment (the ``pensieve`` and ``sabre`` presets), no refill quantisation, no init
segments after startup. The engine and the model of the same plan (:func:`evaluate_plan`)
then agree to :func:`qoe_tolerance` (the engine's 1 us time tolerance).

What it cannot model it refuses (``PlayerError(INVALID_ARGUMENT)``): per-request noise or
Pensieve's trace pause together with requests a plan may or may not make (init segments,
abandonment), since which noise factor or trace shift a segment gets would then depend on
the plan; and a latency that varies along the trace (a later request could then finish
first): give such a model a fixed ``rtt_s``.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from abr.interface import AbrContext, Decision, DownloadProgress
from abr.qoe import LIN_REBUFFER_PENALTY
from player.errors import Code, PlayerError
from traces.sim.link import Link
from traces.sim.presets import SimModel, get_model
from traces.sim.video import VideoDescription
from traces.trace import Trace

__all__ = [
    "GivenUp",
    "OracleResult",
    "ScriptedPolicy",
    "evaluate_plan",
    "oracle",
    "qoe_tolerance",
]

_STARTUP, _PLAYING = 0, 1
_EPS = 1e-6  # the engine's own time tolerance (player.engine.core._EPS)

#: The downloads of one segment given up before the one kept, as ``(rung, progress
#: reports it ran for)`` each, rungs descending (the engine abandons for a lower rung).
GivenUp = tuple[tuple[int, int], ...]


def qoe_tolerance(n_segments: int) -> float:
    """How far the engine's QoE and the oracle's model of the same session may differ.

    The model follows the engine's clock, its 1 us refill slack included. What is left is
    the engine's other 1 us tolerance (``player.engine.core._EPS``): a segment arriving
    within 1 us before the buffer runs dry ends a stall of zero that moved the playhead
    to the buffer's end, which costs at most 1 us of buffer, 4.3e-6 of QoE, per segment
    (the refill slack bends the DP's pruning by as little). Float rounding of session
    times is far below that.
    """
    return LIN_REBUFFER_PENALTY * _EPS * max(1, n_segments)


@dataclass(frozen=True, slots=True)
class OracleResult:
    """The optimum: its QoE, its plan, and how hard it was to find.

    ``qualities[k]``: the rung segment ``k`` is played at; ``abandoned[k]``: the downloads
    of segment ``k`` started and given up before that one (see ``GivenUp``; empty for
    most segments). :meth:`policy` plays the plan. ``slack``: the credit ``qoe`` holds
    for startup timings merged to keep the search small (see the module doc), 0 when
    nothing was merged.
    """

    qoe: float
    qualities: tuple[int, ...]
    states: int  # states kept over all segments
    widest: int  # most states kept for one segment
    abandoned: tuple[GivenUp, ...] = ()
    slack: float = 0.0  # credit in ``qoe`` for startup timings merged (0: exact)

    def policy(self, name: str = "oracle") -> ScriptedPolicy:
        """A policy that plays this plan, abandonments included."""
        return ScriptedPolicy(self.qualities, name, abandoned=self.abandoned)


class ScriptedPolicy:
    """Plays a fixed rung per segment (an oracle's plan, or an exhaustive search's).

    ``abandoned``: per segment, downloads to start and give up first, as ``(rung,
    reports)`` pairs: each is abandoned at its ``reports``-th progress report for the
    next rung of the list (at last ``qualities[k]``). Without any, the policy has no
    ``should_abandon`` (so the simulator sends it no progress reports).
    """

    should_abandon: Callable[[AbrContext, DownloadProgress], int | None] | None

    def __init__(
        self,
        qualities: Sequence[int],
        name: str = "scripted",
        *,
        abandoned: Sequence[Sequence[tuple[int, int]]] | None = None,
    ) -> None:
        self.qualities = tuple(int(q) for q in qualities)
        if not self.qualities:
            raise PlayerError(Code.INVALID_ARGUMENT, "a scripted plan needs a rung")
        self.name = name
        self.abandoned = _check_given_up(self.qualities, abandoned)
        self._reports: dict[tuple[int, int], int] = {}
        self._segment = -1
        self.should_abandon = self._abandon if any(self.abandoned) else None

    def _attempts(self, k: int) -> GivenUp:
        k = min(k, len(self.qualities) - 1)
        given_up = self.abandoned[k] if k < len(self.abandoned) else ()
        return (*given_up, (self.qualities[k], 0))

    def choose(self, ctx: AbrContext) -> Decision:
        """The scripted rung of ``ctx.segment_number`` (the last one past the end)."""
        q = self._attempts(ctx.segment_number)[0][0]
        return Decision(max(0, min(ctx.top, q)), "scripted")

    def _abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        k = ctx.segment_number
        if k < self._segment:
            self._reports.clear()  # segment numbers went back: a new session
        self._segment = k
        attempts = self._attempts(k)
        for i, (rung, reports) in enumerate(attempts[:-1]):
            if rung == progress.quality:
                # Count reports: the engine asks once per progress report.
                seen = self._reports.get((k, rung), 0) + 1
                self._reports[(k, rung)] = seen
                return attempts[i + 1][0] if seen >= reports else None
        return None


def _check_given_up(
    qualities: tuple[int, ...], abandoned: Sequence[Sequence[tuple[int, int]]] | None
) -> tuple[GivenUp, ...]:
    if not abandoned:
        return ()
    if len(abandoned) > len(qualities):
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"abandonments for {len(abandoned)} segments, but a plan of {len(qualities)}",
        )
    out: list[GivenUp] = []
    for k, given_up in enumerate(abandoned):
        chain = tuple((int(r), int(j)) for r, j in given_up)
        rungs = [r for r, _ in chain] + [qualities[k]]
        if any(b >= a for a, b in itertools.pairwise(rungs)) or any(j < 1 for _, j in chain):
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"segment {k}: abandoned downloads need descending rungs above the one "
                f"kept and at least one progress report each, not {chain}",
            )
        out.append(chain)
    return tuple(out)


class _Dynamics:
    """The session rules shared by the DP and :func:`evaluate_plan`."""

    def __init__(self, video: VideoDescription, trace: Trace, model: SimModel) -> None:
        cfg = model.player_config(video.segment_duration)
        self.trace = model.trace_for(trace)
        inits = video.init_sizes if model.init_segments else None
        every = model.progress_interval_s if cfg.streaming.abandon else None
        if model.latency_pauses_trace and model.rtt_s is None:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                "the oracle needs a fixed round trip when latency pauses the trace",
            )
        lats = self.trace.latencies_s
        if model.rtt_s is None and float(lats.max()) != float(lats.min()):
            # A request issued just before the latency drops would finish after one
            # issued just after it: the link is no longer FIFO, and the pruning needs it.
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"the oracle needs one latency for the whole trace; {trace.name or 'this'}"
                f" varies from {float(lats.min()):g} to {float(lats.max()):g} s: give the"
                " model a fixed rtt_s",
            )
        per_request = model.noise > 0 or model.latency_pauses_trace
        if per_request and (inits is not None or every is not None):
            # The link draws one noise factor (and, in Pensieve's accounting, moves the
            # trace by one round trip) per request, init segments and abandoned downloads
            # included; which factor a segment gets would then depend on the plan.
            what = "link noise" if model.noise > 0 else "Pensieve's trace pause"
            extra = "init segments" if inits is not None else "abandonment"
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"the oracle cannot model {what} together with {extra}; use a model "
                "without one of them (init_segments=False, progress_interval_s=None)",
            )
        self.video = video
        self.model = model
        self.goal = cfg.buffer.goal_s
        # The engine refills 1 us after the buffer fell to the goal (its wake-up
        # tolerance): modelled exactly. Pensieve's refill grid is not (see the module doc).
        self.slack = _EPS if cfg.buffer.refill_step_s <= 0 else 0.0
        self.start = cfg.buffer.start_s
        self.first = cfg.abr.first_quality
        self.rtt = model.rtt_s
        self.lat = model.rtt_s if model.rtt_s is not None else float(lats[0])
        self.offset = model.link(self.trace).offset_s
        self.inits = inits
        self.every = every
        self.sizes = video.sizes
        self.durs = video.segment_durations
        self.mbps = [r / 1e6 for r in video.bitrates_bps]
        self.rungs = video.n_rungs
        n = video.n_segments
        # Per-request rate factors, drawn as the link draws them (one per request).
        self.scale = 1.0 / model.payload_factor
        if model.noise > 0:
            rng = np.random.default_rng(model.seed)
            factors = rng.uniform(1.0 - model.noise, 1.0 + model.noise, size=n)
            self.scales = [self.scale / float(f) for f in factors]
        else:
            self.scales = [self.scale] * n
        # Pensieve: the trace stood still for the round trips of every request so far,
        # this one's included, summed as the link sums them.
        self.paid = [0.0] * n
        if model.latency_pauses_trace:
            paid = 0.0
            for k in range(n):
                paid += self.lat
                self.paid[k] = paid
        self.tail = [0.0] * (n + 1)  # media from segment k on
        for k in range(n - 1, -1, -1):
            self.tail[k] = self.tail[k + 1] + self.durs[k]

    def request_time(self, a: float, dry: float) -> float:
        """When the next segment is requested after playing state ``(a, dry)``: at once
        while the buffer is under the goal, else once it has fallen to it."""
        return dry - self.goal + self.slack if dry - a >= self.goal else a

    def arrival(self, k: int, q: int, s: float) -> float:
        """When segment ``k`` at rung ``q``, requested at ``s``, has arrived."""
        first = s + self.lat
        tt = self.offset + first - self.paid[k]
        return first + self.trace.time_to_deliver(self.sizes[k][q] * self.scales[k], tt)

    def fetch(self, k: int, q: int, s: float, inits: int, startup: bool) -> tuple[float, int]:
        """When segment ``k``'s media request at rung ``q`` goes out, the engine wanting
        it at ``s`` with the init segments of the rungs in bit mask ``inits``; and the
        mask after. After startup init segments count as free (see the module doc)."""
        if startup and self.inits is not None and not inits >> q & 1:
            first = s + self.lat
            size = self.inits[q] * self.scale
            s = first + self.trace.time_to_deliver(size, self.offset + first)
            inits |= 1 << q
        return s, inits

    def reports(self, s: float, done: float) -> list[float]:
        """Progress report times of a download requested at ``s`` and done at ``done``
        (every interval from its first byte while bytes are due, as the simulator
        sends them); none when the model lets no policy abandon."""
        out: list[float] = []
        if self.every is None:
            return out
        p = s + self.lat + self.every
        while p < done:
            out.append(p)
            p = p + self.every
        return out

    def startup_fetches(
        self, k: int, s: float, late: float, inits: int, first: Sequence[int], budget: int
    ) -> list[tuple[int, float, float, GivenUp, int]]:
        """Every way segment ``k`` can arrive in startup when wanted at ``s`` (or up to
        ``late`` after): ``(rung kept, arrival, how much later it may be, downloads given
        up, init mask after)``.

        The first download is at a rung of ``first``; each download above rung 0 may be
        abandoned at any of its progress reports for any lower rung. Request times that
        several ways reach within 1 ns count once; past ``budget`` of them for a rung
        (init segments make every way's times differ), close ones merge (see
        :func:`_merge_times`).
        """
        out: list[tuple[int, float, float, GivenUp, int]] = []
        # Per rung: requests as (time, lateness, downloads given up). A chain tries each
        # rung once, so whether a rung needs its init segment is the parent's business.
        pending: list[list[tuple[float, float, GivenUp]]] = [[] for _ in range(self.rungs)]
        for q in first:
            pending[q].append((s, late, ()))
        every = self.every
        for q in range(self.rungs - 1, -1, -1):  # rungs only go down
            if not pending[q]:
                continue
            # Exact downloads whose reports fall on one grid (same first byte modulo the
            # interval): the later ones end later (FIFO), so their reports together are
            # one run of the grid, each visited once.
            grids: dict[int, list[tuple[float, float, GivenUp]]] = {}
            grid_lag: dict[int, float] = {}
            spans: list[tuple[float, float, float, GivenUp]] = []  # of merged downloads
            for t, lag, given_up in _merge_times(pending[q], budget):
                mask = inits
                if self.inits is not None:
                    for r, _ in given_up:
                        mask |= 1 << r
                tm, mask2 = self.fetch(k, q, t, mask, True)
                done = self.arrival(k, q, tm)
                tm_lag, done_lag = 0.0, 0.0
                if lag > 0:
                    tm_late, _ = self.fetch(k, q, t + lag, mask, True)
                    tm_lag = tm_late - tm
                    done_lag = self.arrival(k, q, tm_late) - done
                out.append((q, done, done_lag, given_up, mask2))
                if q == 0 or every is None:
                    continue
                fb = tm + self.lat
                if tm_lag <= _EPS:
                    phase = round(fb % every / every * 1e6) % 1_000_000
                    grids.setdefault(phase, []).append((fb, done, given_up))
                    grid_lag[phase] = max(grid_lag.get(phase, 0.0), tm_lag)
                elif fb + every < done + done_lag:
                    # Merged requests: their reports come as late, before the latest ends.
                    spans.append((fb + every, done + done_lag, tm_lag, (*given_up, (q, 1))))
            for phase, downloads in grids.items():
                assert every is not None
                downloads.sort(key=lambda d: d[0])
                base = downloads[0][0]
                covered = 0  # grid steps after ``base`` whose reports are out already
                for fb, done, given_up in downloads:
                    offset = round((fb - base) / every)
                    last = self._last_report(fb, done)
                    for j in range(max(1, covered - offset + 1), last + 1):
                        chain = (*given_up, (q, j))
                        for q2 in range(q):
                            pending[q2].append((fb + j * every, grid_lag[phase], chain))
                    covered = max(covered, offset + last)
            for request in _cover(spans, budget):
                for q2 in range(q):
                    pending[q2].append(request)
        return out

    def _last_report(self, first_byte: float, done: float) -> int:
        """How many progress reports a download gets (see :meth:`reports`)."""
        assert self.every is not None
        j = max(0, math.ceil((done - first_byte) / self.every))
        while j > 0 and first_byte + j * self.every >= done:
            j -= 1
        return j


#: Request times for one rung of one startup segment kept apart before close ones merge,
#: and for all startup states of a layer together (shared among them).
_ATTEMPTS, _LAYER_ATTEMPTS = 16384, 65536
#: Startup states (per layer, before playback) and states starting playback (per rung)
#: kept apart before close arrivals merge.
_WAITING, _STARTING = 2048, 1024
#: Request times closer than this are one (they differ by float rounding only).
_SAME_TIME = 1e-9


def _merge_times(
    items: list[tuple[float, float, GivenUp]], budget: int
) -> list[tuple[float, float, GivenUp]]:
    """``(time, lateness, payload)`` items, those closer than 1 ns merged, and more if
    over ``budget``: in buckets of ``span / budget``, each kept as its earliest item with
    the lateness that covers all of them.

    A merged request stands for any of its bucket's; the oracle credits it the stall
    time that lateness could save (see :func:`oracle`), so its value stays a bound.
    """
    items.sort(key=lambda x: x[0])
    width = _SAME_TIME
    if len(items) > budget:
        width = max(width, (items[-1][0] - items[0][0]) / budget)
    out: list[tuple[float, float, GivenUp]] = []
    t0, end, payload = items[0][0], items[0][0] + items[0][1], items[0][2]
    for t, lag, pay in items[1:]:
        if t - t0 < width:
            end = max(end, t + lag)
        else:
            out.append((t0, end - t0, payload))
            t0, end, payload = t, t + lag, pay
    out.append((t0, end - t0, payload))
    return out


def _cover(
    spans: list[tuple[float, float, float, GivenUp]], budget: int
) -> list[tuple[float, float, GivenUp]]:
    """Time ranges ``[lo, hi)`` of possible requests, each as late as ``lag`` more, as at
    most about ``budget`` requests ``(time, lateness, payload)`` that cover them all."""
    if not spans:
        return []
    spans.sort(key=lambda x: x[0])
    unions: list[list[Any]] = []
    for lo, hi, lag, pay in spans:
        if unions and lo <= unions[-1][1]:
            u = unions[-1]
            u[1], u[2] = max(u[1], hi), max(u[2], lag)
        else:
            unions.append([lo, hi, lag, pay])
    width = sum(u[1] - u[0] for u in unions) / budget
    out: list[tuple[float, float, GivenUp]] = []
    for lo, hi, lag, pay in unions:
        pieces = max(1, math.ceil((hi - lo) / width)) if width > 0 else 1
        step = (hi - lo) / pieces
        out.extend((lo + i * step, step + lag, pay) for i in range(pieces))
    return out


def evaluate_plan(
    video: VideoDescription,
    trace: Trace,
    qualities: Sequence[int],
    model: str | SimModel = "default",
    *,
    abandoned: Sequence[Sequence[tuple[int, int]]] | None = None,
) -> float:
    """The QoE the oracle's model gives a fixed plan: one rung per segment, and
    optionally downloads to abandon first (as :class:`OracleResult` has them).

    The engine playing the same plan (:class:`ScriptedPolicy`) gets at most this, and
    at least this less :func:`qoe_tolerance` where the module doc says the model is exact.
    """
    m = get_model(model)
    dyn = _Dynamics(video, trace, m)
    n = video.n_segments
    plan = tuple(int(q) for q in qualities)
    if len(plan) != n or any(not 0 <= q < video.n_rungs for q in plan):
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"a plan needs {n} rungs in [0, {video.n_rungs}), not {list(plan)}",
        )
    given_up = _check_given_up(plan, abandoned)
    attempts = [(*(given_up[k] if k < len(given_up) else ()), (plan[k], 0)) for k in range(n)]
    if dyn.first is not None and attempts[0][0][0] != min(dyn.first, video.n_rungs - 1):
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"model {m.name!r} fetches segment 0 at rung {dyn.first} first",
        )
    mu = LIN_REBUFFER_PENALTY
    phase, level, a, inits, qoe, last = _STARTUP, 0.0, 0.0, 0, 0.0, -1
    for k in range(n):
        startup = phase == _STARTUP
        s = a if startup else dyn.request_time(a, level)
        for i, (q, reports) in enumerate(attempts[k]):
            s, inits = dyn.fetch(k, q, s, inits, startup)
            a = dyn.arrival(k, q, s)
            times = dyn.reports(s, a) if q > 0 and i < len(attempts[k]) - 1 else []
            if len(times) < reports or not times:
                break  # done before that report came: this download is kept
            s = times[reports - 1]
        stall = 0.0
        if startup:
            level += dyn.durs[k]
            if level >= dyn.start - _EPS or k == n - 1:
                phase, level = _PLAYING, a + level
        else:
            stall = max(0.0, a - level)
            level = max(level, a) + dyn.durs[k]
        if k > 0:
            qoe += dyn.mbps[q] - mu * stall - abs(dyn.mbps[q] - dyn.mbps[last])
        last = q
    return qoe


class _Ahead:
    """Kept cap-free states of one rung: D ascending, QoE descending.

    A candidate is dominated when a kept state that arrived no later, has at least its
    dry time, can never be held back by the goal, and has ``qoe' - smooth >= qoe``.
    """

    __slots__ = ("ds", "qs")

    def __init__(self) -> None:
        self.ds: list[float] = []
        self.qs: list[float] = []

    def add(self, d: float, q: float) -> None:
        ds, qs = self.ds, self.qs
        i = bisect.bisect_left(ds, d)
        if i < len(qs) and qs[i] >= q:
            return
        j = i
        while j > 0 and qs[j - 1] <= q:
            j -= 1
        ds[j:i] = [d]
        qs[j:i] = [q]


class _Front:
    """Kept states of one rung for the dominance test: D ascending, w ascending.

    ``w = qoe + mu * D``; a candidate ``(D, w)`` is dominated when a kept state with
    ``D' <= D`` has ``w' - smooth >= w`` (it also arrived no later: states are added in
    order of arrival).
    """

    __slots__ = ("ds", "ws")

    def __init__(self) -> None:
        self.ds: list[float] = []
        self.ws: list[float] = []

    def add(self, d: float, w: float) -> None:
        ds, ws = self.ds, self.ws
        i = bisect.bisect_right(ds, d)
        if i > 0 and ws[i - 1] >= w:
            return
        j = i
        while j < len(ds) and ws[j] <= w:
            j += 1
        ds[i:j] = [d]
        ws[i:j] = [w]


# A layer of states as columns: arrival, phase, level (buffered media before playback
# starts, the dry time after), QoE so far, rung, parent index in the previous layer,
# init segments held (a bit mask; startup only), index of the downloads given up, how
# much later the state may have arrived (startup only: merged timings), and the credit
# its QoE holds for merged timings.
_Layer = tuple[np.ndarray, ...]
_A, _PH, _LV, _QOE, _Q, _PARENT, _INITS, _GIVEN, _LATE, _CREDIT = range(10)
_COLUMNS = 10


def oracle(
    video: VideoDescription, trace: Trace, model: str | SimModel = "default"
) -> OracleResult:
    """The best plan for ``video`` over ``trace`` under ``model`` (see the module doc)."""
    m = get_model(model)
    dyn = _Dynamics(video, trace, m)
    vec = _VectorLink(dyn)
    n, rungs = video.n_segments, video.n_rungs
    mu = LIN_REBUFFER_PENALTY
    mbps = dyn.mbps
    rate = np.array(mbps)
    goal = dyn.goal
    given: list[list[GivenUp]] = []  # per layer: the downloads given up, by index
    layers: list[_Layer] = []
    total = widest = 0
    for k in range(n):
        dur = dyn.durs[k]
        last_segment = k == n - 1
        parts: list[tuple[np.ndarray, ...]] = []
        fresh: list[bool] = []  # per part: made from startup states
        table: list[GivenUp] = [()]
        if k == 0:
            first = list(range(rungs)) if dyn.first is None else [min(dyn.first, rungs - 1)]
            start = (0.0, 0.0, 0.0, -1, 0, -1, 0.0, 0.0)
            parts.append(_startup_rows(dyn, 0, start, first, table, _ATTEMPTS))
            fresh.append(True)
        else:
            a, ph, lv, qoe, q = layers[-1][:5]
            credit = layers[-1][_CREDIT]
            play = ph == _PLAYING
            if play.any():
                idx = np.flatnonzero(play)
                a, lv, qoe, q, credit = a[idx], lv[idx], qoe[idx], q[idx], credit[idx]
                s = np.where(lv - a >= goal, lv - goal + dyn.slack, a)
                for qn in range(rungs):
                    a2 = vec.arrival(k, np.full(len(a), qn, dtype=np.int64), s)
                    r = mbps[qn]
                    stall = np.maximum(a2 - lv, 0.0)
                    parts.append(
                        (
                            a2,
                            np.full(len(a), _PLAYING, dtype=np.int8),
                            np.maximum(lv, a2) + dur,
                            qoe + r - mu * stall - np.abs(r - rate[q]),
                            np.full(len(a), qn, dtype=np.int64),
                            idx,
                            np.zeros(len(a), dtype=np.int64),
                            np.zeros(len(a), dtype=np.int64),
                            np.zeros(len(a)),
                            credit,
                        )
                    )
                    fresh.append(False)
            prev = layers[-1]
            waiting = np.flatnonzero(~play).tolist()
            budget = max(64, min(_ATTEMPTS, _LAYER_ATTEMPTS // max(1, len(waiting))))
            for i in waiting:
                parent = (
                    float(prev[_A][i]),
                    float(prev[_LV][i]),
                    float(prev[_QOE][i]),
                    int(prev[_Q][i]),
                    int(prev[_INITS][i]),
                    i,
                    float(prev[_LATE][i]),
                    float(prev[_CREDIT][i]),
                )
                parts.append(_startup_rows(dyn, k, parent, range(rungs), table, budget))
                fresh.append(True)
        cols = [np.concatenate([p[c] for p in parts]) for c in range(_COLUMNS)]
        from_startup = np.concatenate(
            [np.full(len(p[0]), f) for p, f in zip(parts, fresh, strict=True)]
        )
        cols = _merge_startup(cols, from_startup & (cols[_PH] == _PLAYING))
        kept = _prune(cols, mbps, mu, last=last_segment, free=goal - dyn.tail[k + 1])
        layers.append(kept)
        given.append(table)
        total += len(kept[0])
        widest = max(widest, len(kept[0]))
    final = layers[-1]
    best = int(np.argmax(final[_QOE]))
    plan: list[int] = []
    abandoned: list[GivenUp] = []
    i = best
    for layer, table in zip(reversed(layers), reversed(given), strict=True):
        plan.append(int(layer[_Q][i]))
        abandoned.append(table[int(layer[_GIVEN][i])])
        i = int(layer[_PARENT][i])
    plan.reverse()
    abandoned.reverse()
    if not any(abandoned):
        abandoned = []
    return OracleResult(
        float(final[_QOE][best]),
        tuple(plan),
        total,
        widest,
        tuple(abandoned),
        float(final[_CREDIT][best]),
    )


def _startup_rows(
    dyn: _Dynamics,
    k: int,
    parent: tuple[float, float, float, int, int, int, float, float],
    first: Sequence[int],
    table: list[GivenUp],
    budget: int,
) -> tuple[np.ndarray, ...]:
    """The states segment ``k`` leads to from a startup state (see ``_Layer``).

    A state that starts playback may stand for arrivals up to ``lateness`` later (merged
    timings): it is credited the stall time that much more buffer could save, so it
    dominates each of them (see the module doc on pruning).
    """
    a, buffered, qoe, last, inits, idx, late, credit = parent
    buffered += dyn.durs[k]
    starts = buffered >= dyn.start - _EPS or k == dyn.video.n_segments - 1
    mbps = dyn.mbps
    rows = []
    for q, done, lag, given_up, mask in dyn.startup_fetches(k, a, late, inits, first, budget):
        value = qoe + mbps[q] - abs(mbps[q] - mbps[last]) if k > 0 else 0.0
        g = 0
        if given_up:
            g = len(table)
            table.append(given_up)
        if starts:
            bonus = LIN_REBUFFER_PENALTY * lag
            row = (
                done,
                _PLAYING,
                done + buffered,
                value + bonus,
                q,
                idx,
                0,
                g,
                0.0,
                credit + bonus,
            )
        else:
            row = (done, _STARTUP, buffered, value, q, idx, mask, g, lag, credit)
        rows.append(row)
    dtypes = (np.float64, np.int8, np.float64, np.float64, np.int64, np.int64, np.int64, np.int64)
    return tuple(
        np.array([r[c] for r in rows], dtype=dt)
        for c, dt in enumerate((*dtypes, np.float64, np.float64))
    )


def _merge_startup(cols: list[np.ndarray], fresh: np.ndarray) -> list[np.ndarray]:
    """States still in startup, and ``fresh`` ones (just started playback), merged by
    arrival where there are too many: per rung (and init set) in buckets of close
    arrivals, each kept as its earliest state with the best QoE of the bucket, credited
    the buffer the latest one has more (``4.3 x`` that, by the pruning argument of the
    module doc, which makes it dominate every state of its bucket)."""
    startup = cols[_PH] == _STARTUP
    groups: dict[tuple[int, int, int], list[int]] = {}
    for i in np.flatnonzero(startup | fresh).tolist():
        key = (int(cols[_PH][i]), int(cols[_Q][i]), int(cols[_INITS][i]))
        groups.setdefault(key, []).append(i)
    waiting = sum(len(g) for key, g in groups.items() if key[0] == _STARTUP)
    budgets = {
        key: max(8, (_WAITING * len(g)) // waiting if key[0] == _STARTUP else _STARTING)
        for key, g in groups.items()
    }
    if all(len(g) <= budgets[key] for key, g in groups.items()):
        return cols
    a, qoe, late, credit = (cols[c].copy() for c in (_A, _QOE, _LATE, _CREDIT))
    lv = cols[_LV]
    mu = LIN_REBUFFER_PENALTY
    drop: list[int] = []
    for key, members in groups.items():
        if len(members) <= budgets[key]:
            continue
        playing = key[0] == _PLAYING
        # How much later a state's buffer may run out: its dry time once playing,
        # its arrival (and lateness) before.
        ends = lv if playing else a + late
        members.sort(key=lambda i: a[i])
        width = (a[members[-1]] - a[members[0]]) / budgets[key]
        rep = members[0]
        end, best = float(ends[rep]), qoe[rep]
        for i in [*members[1:], -1]:
            if i >= 0 and a[i] - a[rep] < width:
                end, best = max(end, float(ends[i])), max(best, qoe[i])
                drop.append(i)
                continue
            if playing:
                bonus = best + mu * (end - float(lv[rep])) - qoe[rep]
                qoe[rep] += bonus
                credit[rep] += bonus
            else:
                credit[rep] += best - qoe[rep]
                qoe[rep], late[rep] = best, end - a[rep]
            if i >= 0:
                rep, end, best = i, float(ends[i]), qoe[i]
    keep = np.setdiff1d(np.arange(len(a)), np.array(drop, dtype=np.int64))
    cols = [*cols]
    cols[_QOE], cols[_LATE], cols[_CREDIT] = qoe, late, credit
    return [c[keep] for c in cols]


class _VectorLink:
    """:meth:`_Dynamics.arrival` for arrays of request times, with the same arithmetic
    as :meth:`Trace.time_to_deliver` (so the DP and the simulator agree to the bit)."""

    def __init__(self, dyn: _Dynamics) -> None:
        tr = dyn.trace
        self.dyn = dyn
        self.starts = np.asarray(tr.starts, dtype=np.float64)
        self.rates = np.asarray(tr.rates_bps, dtype=np.float64)
        self.cum = np.concatenate(([0.0], tr.cumulative_bits(self.starts[1:]), [tr.total_bits]))
        self.total = tr.total_bits
        self.duration = tr.duration
        self.n = len(self.starts)
        self.sizes = np.array(dyn.sizes, dtype=np.float64)  # [segment][rung]

    def _period(self, t: np.ndarray) -> np.ndarray:
        idx = np.searchsorted(self.starts, t, side="right") - 1
        return np.clip(idx, 0, self.n - 1)

    def arrival(self, k: int, q: np.ndarray, s: np.ndarray) -> np.ndarray:
        dyn = self.dyn
        dur = self.duration
        first = s + dyn.lat
        tt = dyn.offset + first - dyn.paid[k]
        nbits = 8.0 * (self.sizes[k][q] * dyn.scales[k])
        base = np.floor(tt / dur) * dur
        x = tt - base
        loops = np.floor(x / dur)
        rem = x - loops * dur
        i = self._period(rem)
        cum_x = loops * self.total + self.cum[i] + self.rates[i] * (rem - self.starts[i])
        target = cum_x + nbits
        tl = np.floor(target / self.total)
        trem = target - tl * self.total
        whole = trem <= 0
        tl = np.where(whole, tl - 1, tl)
        trem = np.where(whole, self.total, trem)
        j = np.clip(np.searchsorted(self.cum[1:], trem, side="left"), 0, self.n - 1)
        r = self.rates[j]
        within = np.where(r > 0, (trem - self.cum[j]) / np.where(r > 0, r, 1.0), 0.0)
        done = tl * dur + self.starts[j] + within
        deliver = np.where(nbits > 0, np.maximum(0.0, done - x), 0.0)
        out: np.ndarray = first + deliver
        return out


def _prune(
    cols: list[np.ndarray], mbps: list[float], mu: float, *, last: bool, free: float
) -> _Layer:
    """The candidates no other candidate dominates (see the module docstring)."""
    a, ph, lv, qoe, q = cols[:5]
    if last:
        # Nothing follows: only the QoE counts.
        b = int(np.argmax(qoe))
        return tuple(x[b : b + 1] for x in cols)
    # Earliest arrival first; among equal arrivals the better one first.
    order = np.lexsort((-qoe, np.where(ph == _PLAYING, lv, 0.0), a))
    cand = zip(
        a[order].tolist(),
        ph[order].tolist(),
        lv[order].tolist(),
        qoe[order].tolist(),
        q[order].tolist(),
        cols[_INITS][order].tolist(),
        cols[_LATE][order].tolist(),
        order.tolist(),
        strict=True,
    )
    rungs = len(mbps)
    # For each rung, the other rungs nearest first (likeliest dominators), with the
    # smoothing penalty between them.
    near = [
        sorted(((g, abs(mbps[g] - mbps[r])) for g in range(rungs)), key=lambda x: x[1])
        for r in range(rungs)
    ]
    kept: list[int] = []
    playing = [_Front() for _ in range(rungs)]
    ahead = [_Ahead() for _ in range(rungs)]
    fds = [f.ds for f in playing]
    fws = [f.ws for f in playing]
    ads = [f.ds for f in ahead]
    aqs = [f.qs for f in ahead]
    right, left = bisect.bisect_right, bisect.bisect_left
    # Startup states hold the same media; one beats another only with the same arrival
    # and init segments (an earlier one cannot wait: see the module doc).
    startup_best: dict[tuple[float, int, float], list[float]] = {}
    for t, phase, level, value, rung, inits, late, pos in cand:
        if phase == _PLAYING:
            w = value + mu * level
            dominated = False
            for g, smooth in near[rung]:
                ds = fds[g]
                if ds:
                    i = right(ds, level) - 1
                    if i >= 0 and fws[g][i] - smooth >= w:
                        dominated = True
                        break
                ds = ads[g]
                if ds:
                    i = left(ds, level)
                    if i < len(ds) and aqs[g][i] - smooth >= value:
                        dominated = True
                        break
            if dominated:
                continue
            playing[rung].add(level, w)
            if level - t < free:
                # The goal can never hold this state back: more buffer is simply better.
                ahead[rung].add(level, value)
        else:
            best = startup_best.setdefault((t, inits, late), [-math.inf] * rungs)
            if any(best[g] - smooth >= value for g, smooth in near[rung]):
                continue
            best[rung] = max(best[rung], value)
        kept.append(pos)
    sel = np.array(kept, dtype=np.int64)
    return tuple(x[sel] for x in cols)


def oracle_link(video: VideoDescription, trace: Trace, model: str | SimModel) -> Link:
    """The link the oracle's model uses (for inspection and tests)."""
    m = get_model(model)
    return m.link(m.trace_for(trace))
