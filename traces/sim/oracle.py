"""``oracle``: the offline optimum of a session, for evaluation only.

The oracle sees the whole trace in advance and chooses every segment's rung to maximise
the session's linear QoE (Pensieve's ``qoe_lin``: bitrate in Mbit/s, minus 4.3 per second
of rebuffering, minus the bitrate change; segment 0's startup is not counted) by dynamic
programming over segments. It models the simulator's session exactly as the engine runs
it for one video track without abandonment:

- a request waits its latency, then its bytes flow through the link (payload share,
  per-request noise, Pensieve's trace pause during the round trip) from
  :class:`~traces.sim.link.Link`, the same code the simulator uses;
- segment 0 is fetched at time 0 (at ``abr.first_quality`` when the model fixes it);
  playback starts once ``buffer.start_s`` is buffered; the buffer drains while playing; a
  segment arriving after the buffer ran dry has stalled playback since then;
- the next request goes out as soon as the buffer is under the goal
  (``buffer.goal_s``), at once otherwise.

**Why the pruning is exact.** After each segment a state is ``(arrival a, dry time D,
last rung, QoE so far)``, ``D`` being when the buffer would run dry. The link is FIFO
(starting later never finishes earlier), so a state that arrived no later, has no more
buffer and more QoE than another's ``QoE + 4.3 x (D2 - D1) + |R1 - R2|`` can do
everything the other can: it may stall ``D2 - D1`` seconds on purpose to reach the same
dry time (paying exactly that penalty) and wait until ``a2`` before its next request;
from then on both are the same. States so dominated are dropped; what survives is a
Pareto front per segment, and the best final state is the optimum.

That argument lets the player wait before a request and pause playback at will, so the
DP solves a relaxation of the engine's rules that contains them: its value is an upper
bound on every policy's QoE, always. It equals the engine's optimum (and so exhaustive
search) whenever the relaxation changes nothing: when playback resumes as soon as one
segment arrives (``buffer.resume_s`` at most a segment: the ``pensieve`` and ``sabre``
presets) and refills are not quantised. Pensieve's 500 ms sleeps are such a
quantisation: where its 60 s cap binds, the bound can exceed what any real schedule
reaches (by little: it only moves requests by under 0.5 s when 60 s are buffered). Init
segments are treated as free (a relaxation too).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

import numpy as np

from abr.interface import AbrContext, Decision
from abr.qoe import LIN_REBUFFER_PENALTY
from player.errors import Code, PlayerError
from traces.sim.link import Link
from traces.sim.presets import SimModel, get_model
from traces.sim.video import VideoDescription
from traces.trace import Trace

__all__ = ["OracleResult", "ScriptedPolicy", "evaluate_plan", "oracle"]

_STARTUP, _PLAYING = 0, 1
_EPS = 1e-6  # the engine's own time tolerance (player.engine.core._EPS)


@dataclass(frozen=True, slots=True)
class OracleResult:
    """The optimum: its QoE, the rung of every segment, and how hard it was to find."""

    qoe: float
    qualities: tuple[int, ...]
    states: int  # states kept over all segments
    widest: int  # most states kept for one segment


class ScriptedPolicy:
    """Plays a fixed rung per segment (an oracle's plan, or an exhaustive search's)."""

    def __init__(self, qualities: tuple[int, ...] | list[int], name: str = "scripted") -> None:
        self.qualities = tuple(int(q) for q in qualities)
        self.name = name

    def choose(self, ctx: AbrContext) -> Decision:
        """The scripted rung of ``ctx.segment_number`` (the last one past the end)."""
        k = min(ctx.segment_number, len(self.qualities) - 1)
        return Decision(max(0, min(ctx.top, self.qualities[k])), "scripted")


class _Dynamics:
    """The session rules shared by the DP and :func:`evaluate_plan`."""

    def __init__(self, video: VideoDescription, trace: Trace, model: SimModel) -> None:
        cfg = model.player_config(video.segment_duration)
        if model.latency_pauses_trace and model.rtt_s is None:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                "the oracle needs a fixed round trip when latency pauses the trace",
            )
        if model.noise > 0 and model.init_segments and video.init_sizes is not None:
            # The link draws one noise factor per request, init segments included; which
            # factor a segment gets would then depend on the plan.
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                "the oracle cannot model link noise together with init segments; use a "
                "model without one of them",
            )
        self.video = video
        self.model = model
        self.trace = model.trace_for(trace)
        self.link = model.link(self.trace)
        self.goal = cfg.buffer.goal_s
        self.start = cfg.buffer.start_s
        self.first = cfg.abr.first_quality
        self.rtt = model.rtt_s
        self.pause = model.latency_pauses_trace
        self.offset = self.link.offset_s
        self.sizes = video.sizes
        self.durs = video.segment_durations
        self.mbps = [r / 1e6 for r in video.bitrates_bps]
        n = video.n_segments
        # Per-request rate factors, drawn as the link draws them (one per request).
        scale = 1.0 / model.payload_factor
        if model.noise > 0:
            rng = np.random.default_rng(model.seed)
            factors = rng.uniform(1.0 - model.noise, 1.0 + model.noise, size=n)
            self.scales = [scale / float(f) for f in factors]
        else:
            self.scales = [scale] * n
        self.tail = [0.0] * (n + 1)  # media from segment k on
        for k in range(n - 1, -1, -1):
            self.tail[k] = self.tail[k + 1] + self.durs[k]

    def arrival(self, k: int, q: int, s: float) -> float:
        """When segment ``k`` at rung ``q``, requested at ``s``, has arrived."""
        trace = self.trace
        lat = self.rtt if self.rtt is not None else trace.latency_at(self.offset + s)
        # Pensieve: the trace stood still for the k earlier round trips.
        tt = self.offset + s - k * lat if self.pause else self.offset + s + lat
        return s + lat + trace.time_to_deliver(self.sizes[k][q] * self.scales[k], tt)


def evaluate_plan(
    video: VideoDescription,
    trace: Trace,
    qualities: list[int] | tuple[int, ...],
    model: str | SimModel = "default",
) -> float:
    """The QoE the oracle's model gives a fixed plan (one rung per segment)."""
    m = get_model(model)
    dyn = _Dynamics(video, trace, m)
    if len(qualities) != video.n_segments:
        raise PlayerError(
            Code.INVALID_ARGUMENT, f"a plan needs {video.n_segments} rungs, not {len(qualities)}"
        )
    mu = LIN_REBUFFER_PENALTY
    a = dyn.arrival(0, qualities[0], 0.0)
    phase, level, qoe = _STARTUP, dyn.durs[0], 0.0
    if level >= dyn.start - _EPS or video.n_segments == 1:
        phase, level = _PLAYING, a + level
    for k in range(1, video.n_segments):
        q, last = qualities[k], qualities[k - 1]
        s = a if phase == _STARTUP else max(a, level - dyn.goal)
        a = dyn.arrival(k, q, s)
        stall = 0.0
        if phase == _PLAYING:
            stall = max(0.0, a - level)
            level = max(level, a) + dyn.durs[k]
        else:
            level += dyn.durs[k]
            if level >= dyn.start - _EPS or k == video.n_segments - 1:
                phase, level = _PLAYING, a + level
        qoe += dyn.mbps[q] - mu * stall - abs(dyn.mbps[q] - dyn.mbps[last])
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

    def best(self, d: float) -> float:
        i = bisect.bisect_left(self.ds, d)
        return self.qs[i] if i < len(self.qs) else -math.inf

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

    def best(self, d: float) -> float:
        i = bisect.bisect_right(self.ds, d) - 1
        return self.ws[i] if i >= 0 else -math.inf

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
    goal, start = dyn.goal, dyn.start
    first = list(range(rungs)) if dyn.first is None else [min(dyn.first, rungs - 1)]
    # A layer of states as arrays: arrival, phase, level (buffered media before playback
    # starts, the dry time after), QoE so far, rung, parent index in the previous layer.
    q0 = np.array(first, dtype=np.int64)
    a0 = vec.arrival(0, q0, np.zeros(len(first)))
    lvl0 = dyn.durs[0]
    playing0 = lvl0 >= start - _EPS or n == 1
    layer = _prune(
        a0,
        np.full(len(first), _PLAYING if playing0 else _STARTUP, dtype=np.int8),
        a0 + lvl0 if playing0 else np.full(len(first), lvl0),
        np.zeros(len(first)),
        q0,
        np.full(len(first), -1, dtype=np.int64),
        mbps,
        mu,
        last=n == 1,
        free=goal - dyn.tail[1],
    )
    layers = [layer]
    total = widest = len(layer[0])
    for k in range(1, n):
        a, ph, lv, qoe, q, _ = layers[-1]
        dur = dyn.durs[k]
        last_segment = k == n - 1
        play = ph == _PLAYING
        s = np.where(play, np.maximum(a, lv - goal), a)
        idx = np.arange(len(a), dtype=np.int64)
        parts: list[tuple[np.ndarray, ...]] = []
        for qn in range(rungs):
            a2 = vec.arrival(k, np.full(len(a), qn, dtype=np.int64), s)
            r = mbps[qn]
            smooth = np.abs(r - rate[q])
            stall = np.where(play, np.maximum(a2 - lv, 0.0), 0.0)
            buffered = lv + dur  # startup states: media held so far
            starts_now = ~play & ((buffered >= start - _EPS) | last_segment)
            new_ph = np.where(play | starts_now, _PLAYING, _STARTUP).astype(np.int8)
            new_lv = np.where(
                play, np.maximum(lv, a2) + dur, np.where(starts_now, a2 + buffered, buffered)
            )
            new_qoe = qoe + r - mu * stall - smooth
            parts.append((a2, new_ph, new_lv, new_qoe, np.full(len(a), qn, dtype=np.int64), idx))
        cols = [np.concatenate([p[i] for p in parts]) for i in range(6)]
        kept = _prune(
            cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], mbps, mu,
            last=last_segment, free=goal - dyn.tail[k + 1],
        )  # fmt: skip
        layers.append(kept)
        total += len(kept[0])
        widest = max(widest, len(kept[0]))
    final = layers[-1]
    best = int(np.argmax(final[3]))
    plan: list[int] = []
    i = best
    for layer_k in reversed(layers):
        plan.append(int(layer_k[4][i]))
        i = int(layer_k[5][i])
    plan.reverse()
    return OracleResult(float(final[3][best]), tuple(plan), total, widest)


class _VectorLink:
    """:meth:`_Dynamics.arrival` for arrays of request times, with the same arithmetic
    as :meth:`Trace.time_to_deliver` (so the DP and the simulator agree to the bit)."""

    def __init__(self, dyn: _Dynamics) -> None:
        tr = dyn.trace
        self.dyn = dyn
        self.starts = np.asarray(tr.starts, dtype=np.float64)
        self.rates = np.asarray(tr.rates_bps, dtype=np.float64)
        self.lats = np.asarray(tr.latencies_s, dtype=np.float64)
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
        if dyn.rtt is not None:
            lat = np.full(len(s), dyn.rtt)
        else:
            t = dyn.offset + s
            wrapped = np.where((t >= dur) | (t < 0), np.mod(t, dur), t)
            lat = self.lats[self._period(wrapped)]
        tt = dyn.offset + s - k * lat if dyn.pause else dyn.offset + s + lat
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
        out: np.ndarray = s + lat + deliver
        return out


def _prune(
    a: np.ndarray,
    ph: np.ndarray,
    lv: np.ndarray,
    qoe: np.ndarray,
    q: np.ndarray,
    parent: np.ndarray,
    mbps: list[float],
    mu: float,
    *,
    last: bool,
    free: float,
) -> tuple[np.ndarray, ...]:
    """The candidates no other candidate dominates (see the module docstring)."""
    if last:
        # Nothing follows: only the QoE counts.
        b = int(np.argmax(qoe))
        return tuple(x[b : b + 1] for x in (a, ph, lv, qoe, q, parent))
    # Earliest arrival first; among equal arrivals the better one first.
    order = np.lexsort((-qoe, np.where(ph == _PLAYING, lv, 0.0), a))
    cand = zip(
        a[order].tolist(),
        ph[order].tolist(),
        lv[order].tolist(),
        qoe[order].tolist(),
        q[order].tolist(),
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
    startup_best = [-math.inf] * rungs  # best QoE of a kept startup state per rung
    for t, phase, level, value, rung, pos in cand:
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
            if level - t <= free:
                # The goal can never hold this state back: more buffer is simply better.
                ahead[rung].add(level, value)
        else:
            # Startup states of one segment hold the same media: earlier and better wins.
            if any(startup_best[g] - smooth >= value for g, smooth in near[rung]):
                continue
            startup_best[rung] = max(startup_best[rung], value)
        kept.append(pos)
    sel = np.array(kept, dtype=np.int64)
    return tuple(x[sel] for x in (a, ph, lv, qoe, q, parent))


def oracle_link(video: VideoDescription, trace: Trace, model: str | SimModel) -> Link:
    """The link the oracle's model uses (for inspection and tests)."""
    m = get_model(model)
    return m.link(m.trace_for(trace))
