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
    n, rungs = video.n_segments, video.n_rungs
    mu = LIN_REBUFFER_PENALTY
    mbps = dyn.mbps
    goal, start = dyn.goal, dyn.start
    first = range(rungs) if dyn.first is None else [min(dyn.first, rungs - 1)]
    # A state: (arrival, phase, level, qoe, rung, parent); level is the buffered media
    # before playback starts, the dry time after.
    layers: list[list[tuple[float, int, float, float, int, int]]] = []
    layer = []
    for q in first:
        a = dyn.arrival(0, q, 0.0)
        lvl = dyn.durs[0]
        if lvl >= start - _EPS or n == 1:
            layer.append((a, _PLAYING, a + lvl, 0.0, q, -1))
        else:
            layer.append((a, _STARTUP, lvl, 0.0, q, -1))
    layers.append(_prune(layer, mbps, mu, last=n == 1, free=goal - dyn.tail[1]))
    total = len(layers[0])
    widest = total
    for k in range(1, n):
        dur = dyn.durs[k]
        last_segment = k == n - 1
        cand: list[tuple[float, int, float, float, int, int]] = []
        for idx, (a, phase, level, qoe, q0, _) in enumerate(layers[-1]):
            r0 = mbps[q0]
            s = a if phase == _STARTUP else max(a, level - goal)
            for q in range(rungs):
                a2 = dyn.arrival(k, q, s)
                r = mbps[q]
                if phase == _PLAYING:
                    stall = a2 - level if a2 > level else 0.0
                    cand.append(
                        (
                            a2,
                            _PLAYING,
                            max(level, a2) + dur,
                            qoe + r - mu * stall - abs(r - r0),
                            q,
                            idx,
                        )
                    )
                else:
                    lvl = level + dur
                    gain = qoe + r - abs(r - r0)
                    if lvl >= start - _EPS or last_segment:
                        cand.append((a2, _PLAYING, a2 + lvl, gain, q, idx))
                    else:
                        cand.append((a2, _STARTUP, lvl, gain, q, idx))
        kept = _prune(cand, mbps, mu, last=last_segment, free=goal - dyn.tail[k + 1])
        layers.append(kept)
        total += len(kept)
        widest = max(widest, len(kept))
    best = max(range(len(layers[-1])), key=lambda i: layers[-1][i][3])
    plan: list[int] = []
    i = best
    for layer_k in reversed(layers):
        state = layer_k[i]
        plan.append(state[4])
        i = state[5]
    plan.reverse()
    return OracleResult(layers[-1][best][3], tuple(plan), total, widest)


def _prune(
    cand: list[tuple[float, int, float, float, int, int]],
    mbps: list[float],
    mu: float,
    *,
    last: bool,
    free: float,
) -> list[tuple[float, int, float, float, int, int]]:
    """The candidates no other candidate dominates (see the module docstring)."""
    if last:
        # Nothing follows: only the QoE counts.
        return [max(cand, key=lambda c: c[3])]
    rungs = len(mbps)
    # Earliest arrival first; among equal arrivals the better one first.
    cand.sort(key=lambda c: (c[0], c[2] if c[1] == _PLAYING else 0.0, -c[3]))
    kept: list[tuple[float, int, float, float, int, int]] = []
    playing = [_Front() for _ in range(rungs)]
    ahead = [_Ahead() for _ in range(rungs)]
    startup_best = [-math.inf] * rungs  # best QoE of a kept startup state per rung
    for c in cand:
        a, phase, level, qoe, q, _ = c
        r = mbps[q]
        if phase == _PLAYING:
            w = qoe + mu * level
            dominated = False
            for g in range(rungs):
                smooth = abs(mbps[g] - r)
                front = playing[g]
                if front.ds and front.best(level) - smooth >= w:
                    dominated = True
                    break
                more = ahead[g]
                if more.ds and more.best(level) - smooth >= qoe:
                    dominated = True
                    break
            if dominated:
                continue
            playing[q].add(level, w)
            if level - a <= free:
                # The goal can never hold this state back: more buffer is simply better.
                ahead[q].add(level, qoe)
        else:
            # Startup states of one segment hold the same media: earlier and better wins.
            if any(startup_best[g] - abs(mbps[g] - r) >= qoe for g in range(rungs)):
                continue
            startup_best[q] = max(startup_best[q], qoe)
        kept.append(c)
    return kept


def oracle_link(video: VideoDescription, trace: Trace, model: str | SimModel) -> Link:
    """The link the oracle's model uses (for inspection and tests)."""
    m = get_model(model)
    return m.link(m.trace_for(trace))
