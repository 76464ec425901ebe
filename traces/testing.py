"""The session runner ``abr.testing.check_policy`` uses by default.

``abr`` may not import ``traces``; ``abr.testing`` looks this module up at run time and
calls :func:`default_session_runner`. The runner plays a session through the headless
simulator, i.e. through the Player's own engine (:mod:`traces.sim`), so the properties a
policy is held to are properties of sessions the shipped player would play.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from abr.interface import AbrPolicy, Rung
from abr.qoe import SegmentRecord
from player.errors import Code, PlayerError
from traces.sim import SimModel, Simulator, VideoDescription, get_model
from traces.trace import Trace

__all__ = ["EngineSessionRunner", "default_session_runner", "property_model"]


class EngineSessionRunner:
    """Runs a policy over ``(duration_s, bps)`` bandwidth pieces through the simulator.

    The video is the ladder at its nominal sizes (``bitrate x duration / 8`` bytes per
    segment); ``model`` is a preset name or a :class:`~traces.sim.SimModel` (default:
    :func:`property_model`).
    """

    def __init__(self, model: str | SimModel | None = None) -> None:
        self.model = property_model() if model is None else get_model(model)

    def run(
        self,
        policy: AbrPolicy,
        bandwidth: Sequence[tuple[float, float]],
        ladder: Sequence[Rung],
        segment_duration: float,
        n_segments: int,
    ) -> list[SegmentRecord]:
        """Play the session; one :class:`~abr.qoe.SegmentRecord` per segment."""
        if n_segments < 1:
            raise PlayerError(Code.INVALID_ARGUMENT, "a session needs at least one segment")
        rates = tuple(int(r.bitrate_bps) for r in ladder)
        sizes = tuple(max(1, round(b * segment_duration / 8)) for b in rates)
        video = VideoDescription(
            name="ladder",
            bitrates_bps=rates,
            segment_durations=(float(segment_duration),) * n_segments,
            sizes=(sizes,) * n_segments,
            source="abr.testing ladder at nominal sizes",
        )
        trace = Trace.from_periods(
            [float(d) for d, _ in bandwidth], [float(b) for _, b in bandwidth], name="bandwidth"
        )
        session = Simulator(video, self.model).run(trace, policy)
        return session.records(float(segment_duration))


def property_model() -> SimModel:
    """The ``default`` preset (the Player's own configuration) with one change: the
    throughput estimator reports nothing until it has measured enough, instead of
    Shaka's 1 Mbit/s start-up guess. The properties then judge what the policy does
    with what it was shown, not a guess it was handed; everything else (buffer goals,
    start and resume rules, abandonment, estimator) is the shipped player's."""
    base = get_model("default")
    abr = base.config.abr
    params = {**dict(abr.estimator_params), "default_bps": None}
    config = dataclasses.replace(base.config, abr=dataclasses.replace(abr, estimator_params=params))
    return base.with_options(name="default-measured", config=config)


def default_session_runner() -> EngineSessionRunner:
    """The runner ``abr.testing.check_policy`` uses when given none."""
    return EngineSessionRunner()
