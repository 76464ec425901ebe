"""The headless simulator: the Player's own sans-I/O engine on a virtual clock.

:class:`Simulator` runs :class:`player.engine.Engine` (the state machine the real-time
Player drives) with a trace-driven :class:`~traces.sim.link.Link` instead of sockets and
a virtual clock instead of a monotonic one. It is not a second player: every rule about
when to fetch, when playback starts, stalls and resumes, what the policy sees and when it
may abandon a download is the engine's. The simulator only answers the engine's
``Fetch`` actions with completion (and, for abandonment, progress) times from the link,
and jumps the clock to the engine's next ``WaitUntil``.

One call of :meth:`Simulator.run` plays one session and returns a :class:`Session`: the
per-segment log (rung, bytes, request and completion times, buffer before and after,
rebuffering) and its summary (Pensieve's linear QoE, mean bitrate, rebuffering, stall
count, switches, startup delay).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from abr import AbrPolicy, create_estimator, create_policy
from abr.interface import BandwidthEstimator
from abr.qoe import SegmentRecord, qoe_lin
from abr.registry import UnknownNameError
from abr.slots import slot_constructor
from player.engine import (
    Abort,
    Downloaded,
    Ended,
    Engine,
    Error,
    Fetch,
    FetchPurpose,
    PlaybackStarted,
    Resumed,
    SegmentAppended,
    Stalled,
    WaitUntil,
)
from player.errors import Code, PlayerError
from traces.sim.link import Link, Transfer
from traces.sim.presets import SimModel, get_model
from traces.sim.video import VideoDescription
from traces.trace import Trace

__all__ = [
    "PolicySpec",
    "SegmentLog",
    "Session",
    "SessionSummary",
    "Simulator",
    "make_policy",
    "simulate",
]

_MEDIA = FetchPurpose.MEDIA  # (an enum member lookup costs ten global ones)

#: A policy by registered name, an instance (used as is), or a factory of instances.
PolicySpec = str | AbrPolicy | Callable[[], AbrPolicy]


def make_policy(spec: PolicySpec, **params: Any) -> AbrPolicy:
    """A fresh policy for one session; unknown names raise
    ``PlayerError(UNKNOWN_POLICY)``."""
    if isinstance(spec, str):
        try:
            return create_policy(spec, **params)
        except UnknownNameError as exc:
            raise PlayerError(Code.UNKNOWN_POLICY, str(exc)) from None
        except (TypeError, ValueError) as exc:
            raise PlayerError(Code.INVALID_ARGUMENT, f"policy {spec!r}: {exc}") from None
    if hasattr(spec, "choose"):
        return spec  # type: ignore[return-value]
    if callable(spec):
        return spec()
    raise PlayerError(Code.INVALID_ARGUMENT, f"not a policy: {spec!r}")


def policy_label(spec: PolicySpec) -> str:
    """The name a policy is reported under."""
    if isinstance(spec, str):
        return spec
    name = getattr(spec, "name", None)
    return str(name) if name else type(spec).__name__


@dataclass(frozen=True, slots=True)
class SegmentLog:
    """One played segment (times are session seconds; the first request is at 0).

    ``rebuffer_s``: how long playback stood still waiting for this segment, i.e. stall
    time between the previous segment's arrival and this one's; for segment 0 it is the
    startup delay (as Pensieve counts a session's first chunk).
    """

    index: int
    quality: int
    bitrate_bps: int
    nbytes: int
    request_s: float
    complete_s: float
    buffer_before_s: float
    buffer_after_s: float
    rebuffer_s: float

    @property
    def download_s(self) -> float:
        """Request to last byte."""
        return self.complete_s - self.request_s

    @property
    def throughput_bps(self) -> float:
        """Bits per second of this download, latency included."""
        d = self.complete_s - self.request_s
        return self.nbytes * 8.0 / d if d > 0 else 0.0

    def to_json(self) -> dict[str, Any]:
        """The replay JSON's segment record."""
        return {
            "index": self.index,
            "quality": self.quality,
            "bitrate_kbps": self.bitrate_bps / 1000.0,
            "bytes": self.nbytes,
            "request_s": self.request_s,
            "complete_s": self.complete_s,
            "buffer_before_s": self.buffer_before_s,
            "buffer_after_s": self.buffer_after_s,
            "rebuffer_s": self.rebuffer_s,
        }


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session in six numbers (Pensieve's linear QoE over segments 1..N-1)."""

    qoe_lin: float
    avg_bitrate_kbps: float
    rebuffer_s: float  # after startup
    rebuffer_events: int
    switches: int
    startup_s: float

    def to_json(self) -> dict[str, Any]:
        """The replay JSON's summary record."""
        return {
            "qoe_lin": self.qoe_lin,
            "avg_bitrate_kbps": self.avg_bitrate_kbps,
            "rebuffer_s": self.rebuffer_s,
            "rebuffer_events": self.rebuffer_events,
            "switches": self.switches,
            "startup_s": self.startup_s,
        }


@dataclass(frozen=True)
class Session:
    """One simulated session: its segments, stalls and summary."""

    trace: str
    policy: str
    model: str
    video: str
    segments: tuple[SegmentLog, ...]
    stalls: tuple[tuple[float, float], ...]  # (start, end) session times, after startup
    startup_s: float
    end_s: float  # when playback ended
    abandoned: int = 0  # downloads the policy abandoned
    summary: SessionSummary = field(init=False)

    def __post_init__(self) -> None:
        segs = self.segments
        kbps = [s.bitrate_bps / 1000.0 for s in segs]
        summary = SessionSummary(
            qoe_lin=qoe_lin(kbps, [s.rebuffer_s for s in segs]) if segs else 0.0,
            avg_bitrate_kbps=sum(kbps) / len(kbps) if kbps else 0.0,
            rebuffer_s=float(sum(e - s for s, e in self.stalls)),
            rebuffer_events=len(self.stalls),
            switches=sum(1 for a, b in itertools.pairwise(segs) if a.quality != b.quality),
            startup_s=self.startup_s,
        )
        object.__setattr__(self, "summary", summary)

    @property
    def qualities(self) -> list[int]:
        """The rung of every segment, in order."""
        return [s.quality for s in self.segments]

    def records(self, segment_duration: float | list[float] | None = None) -> list[SegmentRecord]:
        """The session as :class:`abr.qoe.SegmentRecord` values (``abr.testing``'s form)."""
        out: list[SegmentRecord] = []
        for s in self.segments:
            if isinstance(segment_duration, list):
                dur = segment_duration[s.index]
            else:
                dur = segment_duration or 0.0
            out.append(
                SegmentRecord(
                    index=s.index,
                    quality=s.quality,
                    bitrate_bps=s.bitrate_bps,
                    duration_s=dur,
                    rebuffer_s=s.rebuffer_s,
                    buffer_s=s.buffer_after_s,
                    download_s=s.download_s,
                    nbytes=s.nbytes,
                    end_time=s.complete_s,
                )
            )
        return out

    def to_json(self) -> dict[str, Any]:
        """``{"trace", "policy", "summary", "segments"}`` as ``abrkit replay --json``."""
        return {
            "trace": self.trace,
            "policy": self.policy,
            "summary": self.summary.to_json(),
            "segments": [s.to_json() for s in self.segments],
        }


# One per segment of every session: through its slots.
_new_segment_log: Callable[[int, int, int, int, float, float, float, float, float], SegmentLog] = (
    slot_constructor(
        SegmentLog,
        (
            "index",
            "quality",
            "bitrate_bps",
            "nbytes",
            "request_s",
            "complete_s",
            "buffer_before_s",
            "buffer_after_s",
            "rebuffer_s",
        ),
    )
)


def _any_codec(_: str | None) -> bool:
    return True


class Simulator:
    """Replays sessions of one video under one model (see the module docstring).

    Build it once and call :meth:`run` per trace and policy: the presentation and the
    engine configuration are shared by every session.
    """

    def __init__(self, video: VideoDescription, model: str | SimModel = "default") -> None:
        self.video = video
        self.model = get_model(model)
        if video.init_sizes is not None and not self.model.init_segments:
            video = VideoDescription(
                name=video.name,
                bitrates_bps=video.bitrates_bps,
                segment_durations=video.segment_durations,
                sizes=video.sizes,
                source=video.source,
            )
        self._presentation = video.presentation()
        self.config = self.model.player_config(video.segment_duration)
        self._n = video.n_segments

    def estimator(self) -> BandwidthEstimator:
        """A fresh throughput estimator as the model's config names it."""
        abr = self.config.abr
        try:
            return create_estimator(abr.estimator, **dict(abr.estimator_params))
        except UnknownNameError as exc:
            raise PlayerError(Code.INVALID_CONFIG, str(exc)) from None

    def link(self, trace: Trace, seed: int | None = None) -> Link:
        """The link a session over ``trace`` runs on."""
        return self.model.link(self.model.trace_for(trace), seed)

    def run(
        self,
        trace: Trace,
        policy: PolicySpec,
        *,
        seed: int | None = None,
        trace_name: str | None = None,
    ) -> Session:
        """Play one whole session of ``policy`` over ``trace``."""
        pol = make_policy(policy)
        link = self.link(trace, seed)
        engine = Engine(
            self._presentation,
            pol,
            self.estimator(),
            self.config,
            decodable=_any_codec,
        )
        model = self.model
        progress_every = model.progress_interval_s
        if (
            progress_every is None
            or not self.config.streaming.abandon
            or getattr(pol, "should_abandon", None) is None
        ):
            progress_every = None
        limit = model.max_session_s
        max_steps = 1000 + 50 * self._n

        n = self._n
        quality = [0] * n
        rates = [0] * n
        nbytes = [0] * n
        request = [0.0] * n
        complete = [0.0] * n
        before = [0.0] * n
        after = [0.0] * n
        got = [False] * n
        stalls: list[tuple[float, float]] = []
        stall_start = -1.0
        startup = 0.0
        abandoned = 0

        inflight: Transfer | None = None
        rid = 0
        seg_no = -1
        next_progress = math.inf
        wake = math.inf
        now = 0.0
        steps = 0
        actions = engine.start(0.0)
        while True:
            for a in actions:
                # Most frequent first: every event ends in a WaitUntil.
                cls = a.__class__
                if cls is WaitUntil:
                    wake = a.time  # type: ignore[union-attr]
                elif cls is Downloaded:
                    pass
                elif cls is Fetch:
                    assert isinstance(a, Fetch)
                    br = a.byte_range
                    length = br.length if br is not None else None
                    inflight = link.request(length if length is not None else 0, now)
                    rid = a.request_id
                    seg = a.segment
                    if a.purpose is _MEDIA and seg is not None:
                        seg_no = seg.number
                        request[seg_no] = now
                        before[seg_no] = engine.buffer_level
                        if progress_every is not None:
                            next_progress = inflight.first_byte + progress_every
                    else:
                        seg_no = -1
                elif cls is SegmentAppended:
                    assert isinstance(a, SegmentAppended)
                    k = a.number
                    quality[k] = a.quality
                    rates[k] = a.bitrate_bps
                    nbytes[k] = a.nbytes
                    complete[k] = a.time
                    got[k] = True
                elif cls is Stalled:
                    stall_start = a.time  # type: ignore[union-attr]
                elif cls is Resumed:
                    stalls.append((stall_start, a.time))  # type: ignore[union-attr]
                elif cls is PlaybackStarted:
                    startup = a.time  # type: ignore[union-attr]
                elif cls is Abort:
                    if inflight is not None and a.request_id == rid:  # type: ignore[union-attr]
                        inflight = None
                        next_progress = math.inf
                        abandoned += 1
                elif cls is Ended:
                    return self._session(
                        trace_name if trace_name is not None else trace.name,
                        policy_label(policy),
                        quality,
                        rates,
                        nbytes,
                        request,
                        complete,
                        before,
                        after,
                        got,
                        stalls,
                        startup,
                        a.time,  # type: ignore[union-attr]
                        abandoned,
                    )
                elif cls is Error:
                    assert isinstance(a, Error)
                    if a.fatal:
                        raise a.error
            steps += 1
            if steps > max_steps or now > limit:
                raise PlayerError(
                    Code.INVALID_ARGUMENT,
                    f"the session of {policy_label(policy)} over {trace.name or 'the trace'} "
                    f"did not end ({now:.0f} s simulated, {steps} steps): is the link too "
                    "slow for the title?",
                )
            if inflight is not None:
                done = inflight.done
                if next_progress < done and next_progress < wake:
                    now = next_progress
                    next_progress = now + (progress_every or math.inf)
                    actions = engine.progress(
                        rid,
                        link.delivered(inflight, now),
                        now,
                        int(inflight.nbytes),
                        first_byte=inflight.first_byte,
                    )
                    continue
                if done <= wake:
                    now = done
                    size = int(inflight.nbytes)
                    first_byte = inflight.first_byte
                    inflight = None
                    next_progress = math.inf
                    k = seg_no
                    wake = math.inf
                    actions = engine.complete(rid, now, nbytes=size, first_byte=first_byte)
                    if k >= 0:
                        after[k] = engine.buffer_level
                    continue
            if wake == math.inf:
                raise PlayerError(
                    Code.INTERNAL, "the engine neither fetches nor waits: the session is stuck"
                )
            now = wake
            wake = math.inf
            actions = engine.tick(now)

    def _session(
        self,
        trace_name: str,
        policy_name: str,
        quality: list[int],
        rates: list[int],
        nbytes: list[int],
        request: list[float],
        complete: list[float],
        before: list[float],
        after: list[float],
        got: list[bool],
        stalls: list[tuple[float, float]],
        startup: float,
        end: float,
        abandoned: int,
    ) -> Session:
        if not all(got):
            missing = got.index(False)
            raise PlayerError(Code.INTERNAL, f"the session ended without segment {missing}")
        rebuffer = _attribute_stalls(stalls, complete)
        if rebuffer:
            rebuffer[0] = startup
        segments = tuple(
            map(
                _new_segment_log,
                range(len(quality)),
                quality,
                rates,
                nbytes,
                request,
                complete,
                before,
                after,
                rebuffer,
            )
        )
        return Session(
            trace=trace_name,
            policy=policy_name,
            model=self.model.name,
            video=self.video.name,
            segments=segments,
            stalls=tuple(stalls),
            startup_s=startup,
            end_s=end,
            abandoned=abandoned,
        )


def _attribute_stalls(stalls: list[tuple[float, float]], complete: list[float]) -> list[float]:
    """Stall time in ``(complete[k-1], complete[k]]`` for each segment ``k``."""
    out = [0.0] * len(complete)
    if not stalls:
        return out
    j = 0
    for k in range(1, len(complete)):
        lo, hi = complete[k - 1], complete[k]
        total = 0.0
        while j < len(stalls) and stalls[j][1] <= lo:
            j += 1
        i = j
        while i < len(stalls) and stalls[i][0] < hi:
            s, e = stalls[i]
            total += max(0.0, min(e, hi) - max(s, lo))
            i += 1
        out[k] = total
    return out


def simulate(
    video: VideoDescription,
    trace: Trace,
    policy: PolicySpec,
    model: str | SimModel = "default",
    *,
    seed: int | None = None,
) -> Session:
    """One session of ``policy`` over ``trace`` (a :class:`Simulator` used once)."""
    return Simulator(video, model).run(trace, policy, seed=seed)
