"""Simulation models: how the link behaves and how the player is configured.

A :class:`SimModel` fixes everything about a replay except the trace, the video and the
policy: the engine's :class:`~player.config.PlayerConfig` (buffer goals, startup rule,
first rung, abandonment) and the link (latency, payload share, how the trace is read and
where it starts, noise). Three presets:

``pensieve``
    Pensieve's ``sim/fixed_env.py`` (Mao et al., SIGCOMM 2017), reproduced rule by rule:

    - trace: each sample's bandwidth holds for the interval *ending* at its time stamp
      (:func:`~traces.sim.link.pensieve_view`); playback of the trace starts at its
      beginning (``mahimahi_ptr = 1``: fixed_env's start rule; ``env.py``, the training
      environment, starts at a random sample instead: ``random_start=True`` with
      ``seed``);
    - a chunk's delay is the time to push its bytes through the trace at 0.95 of the
      rate (``PACKET_PAYLOAD_PORTION``) plus an 80 ms round trip (``LINK_RTT``), during
      which the trace does not move;
    - the buffer drains during the download; ``rebuffer = max(delay - buffer, 0)``;
      playback starts with the first chunk and resumes as soon as a chunk arrives;
    - above 60 s of buffer (``BUFFER_THRESH``) the client sleeps whole 500 ms steps
      (``DRAIN_BUFFER_SLEEP_TIME``) until it is at most 60 s;
    - the first chunk is fetched at rung 1 (``DEFAULT_QUALITY``); no abandonment.

``sabre``
    Sabre (Spiteri et al., MMSys 2018): latency per request from the trace, full link
    rate, 25 s buffer (a segment is fetched once it fits under 25 s), playback from the
    first segment, abandonment checked every ``progress_interval_s``.

``default``
    Our Player's own configuration (:class:`~player.config.PlayerConfig` defaults:
    start at 2 s, resume at 4 s, goal 30 s, abandonment on), latency from the trace.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np

from player.buffer import BufferGoals
from player.config import AbrConfig, PlayerConfig, StreamingConfig
from player.errors import Code, PlayerError
from traces.sim.link import Link, pensieve_view
from traces.trace import Trace

__all__ = ["MODELS", "SimModel", "get_model", "model_names"]

#: Start or resume as soon as anything is buffered (a whole segment arrives at once).
_AT_ONCE_S = 1e-3
#: A byte cap no simulated title reaches: the simulator models time, not memory.
_NO_BYTE_CAP = 1 << 62
#: Keep everything played (nothing to evict, no eviction work per segment).
_KEEP_ALL_S = 1e9


@dataclass(frozen=True)
class SimModel:
    """How a replay runs; see the module docstring for the presets.

    ``config``: the engine's configuration. ``buffer_s``: when set, the buffer the
    player may hold, in Sabre's sense (a segment is fetched once it fits: the engine's
    goal becomes ``buffer_s`` minus the video's segment duration). ``rtt_s``: a fixed
    latency per request (None: the trace's). ``payload_factor``: share of the link rate
    carrying payload. ``latency_pauses_trace``: Pensieve's round-trip accounting.
    ``pensieve_trace``: read traces as Pensieve does (see :func:`pensieve_view`).
    ``random_start``/``seed``: start at a random sample of the trace (Pensieve's
    ``env.py``), reproducible by seed. ``noise``: per-request rate noise, +/- this share.
    ``progress_interval_s``: how often an in-flight download reports progress (so the
    policy may abandon it); None: never. ``estimator``: the throughput estimator's name
    and parameters (None: ``config.abr``'s). ``init_segments``: fetch init segments when
    the video has them. ``max_session_s``: a session that has not ended by then (a link
    too slow for the title) stops with ``PlayerError(INVALID_ARGUMENT)``.
    """

    name: str
    config: PlayerConfig = field(default_factory=PlayerConfig)
    buffer_s: float | None = None
    rtt_s: float | None = None
    payload_factor: float = 1.0
    latency_pauses_trace: bool = False
    pensieve_trace: bool = False
    random_start: bool = False
    seed: int = 42
    noise: float = 0.0
    progress_interval_s: float | None = 0.5
    init_segments: bool = True
    max_session_s: float = 7 * 86400.0

    def __post_init__(self) -> None:
        if self.buffer_s is not None and not (math.isfinite(self.buffer_s) and self.buffer_s > 0):
            raise PlayerError(Code.INVALID_CONFIG, f"buffer_s must be > 0, not {self.buffer_s}")
        p = self.progress_interval_s
        if p is not None and not (math.isfinite(p) and p > 0):
            raise PlayerError(Code.INVALID_CONFIG, f"progress_interval_s must be > 0, not {p}")
        if not (math.isfinite(self.max_session_s) and self.max_session_s > 0):
            raise PlayerError(Code.INVALID_CONFIG, "max_session_s must be > 0")
        # Validates the link parameters once, with the same messages a Link gives.
        Link(
            Trace.constant(1.0),
            rtt_s=self.rtt_s,
            payload_factor=self.payload_factor,
            noise=self.noise,
        )

    def with_options(self, **changes: object) -> SimModel:
        """A copy with some fields changed (``model.with_options(noise=0.1, seed=7)``)."""
        try:
            return dataclasses.replace(self, **changes)  # type: ignore[arg-type]
        except TypeError as exc:
            raise PlayerError(Code.INVALID_CONFIG, f"bad model option: {exc}") from None

    def player_config(self, segment_duration: float) -> PlayerConfig:
        """The engine configuration for a video with this (nominal) segment duration."""
        cfg = self.config
        if self.buffer_s is None:
            return cfg
        goal = max(self.buffer_s - segment_duration, 0.0)
        goals = cfg.buffer
        return dataclasses.replace(
            cfg,
            buffer=dataclasses.replace(
                goals,
                goal_s=max(goal, goals.start_s, goals.resume_s),
            ),
        )

    def trace_for(self, trace: Trace) -> Trace:
        """The trace as this model reads it."""
        return pensieve_view(trace) if self.pensieve_trace else trace

    def start_offset(self, trace: Trace, seed: int | None = None) -> float:
        """Where in ``trace`` (as read by :meth:`trace_for`) a session starts."""
        if not self.random_start or len(trace) < 2:
            return 0.0
        rng = np.random.RandomState(self.seed if seed is None else seed)
        # Pensieve's env.py: mahimahi_ptr = randint(1, len(cooked_bw)), starting at the
        # time stamp before it, i.e. at the start of period ptr - 1 of the view.
        ptr = int(rng.randint(1, len(trace) + 1))
        return float(trace.starts[ptr - 1])

    def link(self, trace: Trace, seed: int | None = None) -> Link:
        """A fresh link over ``trace`` (already read through :meth:`trace_for`)."""
        return Link(
            trace,
            rtt_s=self.rtt_s,
            payload_factor=self.payload_factor,
            offset_s=self.start_offset(trace, seed),
            latency_pauses_trace=self.latency_pauses_trace,
            noise=self.noise,
            seed=self.seed if seed is None else seed,
        )


def _pensieve() -> SimModel:
    return SimModel(
        name="pensieve",
        config=PlayerConfig(
            buffer=BufferGoals(
                start_s=_AT_ONCE_S,
                resume_s=_AT_ONCE_S,
                goal_s=60.0,
                behind_s=_KEEP_ALL_S,
                max_bytes=_NO_BYTE_CAP,
                refill_step_s=0.5,
            ),
            streaming=StreamingConfig(abandon=False),
            abr=AbrConfig(use_bandwidth_cache=False, first_quality=1, min_sample_bytes=0),
        ),
        rtt_s=0.08,
        payload_factor=0.95,
        latency_pauses_trace=True,
        pensieve_trace=True,
        progress_interval_s=None,
        init_segments=False,
    )


def _sabre() -> SimModel:
    return SimModel(
        name="sabre",
        config=PlayerConfig(
            buffer=BufferGoals(
                start_s=_AT_ONCE_S,
                resume_s=_AT_ONCE_S,
                goal_s=25.0,
                behind_s=_KEEP_ALL_S,
                max_bytes=_NO_BYTE_CAP,
            ),
            abr=AbrConfig(use_bandwidth_cache=False, min_sample_bytes=0),
        ),
        buffer_s=25.0,
        init_segments=False,
    )


def _default() -> SimModel:
    return SimModel(
        name="default",
        config=PlayerConfig(abr=AbrConfig(use_bandwidth_cache=False)),
    )


MODELS: dict[str, SimModel] = {m.name: m for m in (_pensieve(), _sabre(), _default())}


def model_names() -> list[str]:
    """Names of the preset models."""
    return sorted(MODELS)


def get_model(name: str | SimModel) -> SimModel:
    """A preset by name (a model passes through); unknown names raise
    ``PlayerError(INVALID_ARGUMENT)``."""
    if isinstance(name, SimModel):
        return name
    try:
        return MODELS[name]
    except KeyError:
        raise PlayerError(
            Code.INVALID_ARGUMENT,
            f"unknown model {name!r}; known: {', '.join(model_names())}",
        ) from None
