"""Live: start at the live edge, refresh, wait for segments, follow and rejoin the window."""

from __future__ import annotations

import pytest

from player.engine import (
    Engine,
    Fetch,
    FetchPurpose,
    Flush,
    LiveJump,
    ManifestUpdated,
    PlaybackStarted,
    SegmentAppended,
    Stalled,
    WaitUntil,
)
from player.manifest.model import Presentation, TrackKind

from ._model import LastSample, RatePolicy, live
from ._sim import Sim

AST = 1_700_000_000.0
JOINED = 100.0  # the stream has been live this long when we join


def _engine(mup: float | None = 4.0, delay: float | None = 6.0) -> tuple[Engine, list[str]]:
    refreshed: list[str] = []

    def parser(data: bytes, url: str) -> Presentation:
        refreshed.append(url)
        return live(AST, mup=mup, delay=delay)

    return Engine(
        live(AST, mup=mup, delay=delay), RatePolicy(), LastSample(), manifest_parser=parser
    ), refreshed


def _availability(number: int) -> float:
    """Driver time (sim seconds) at which segment ``number`` becomes available."""
    return (number * 2.0) - JOINED  # segment n (first=1) ends at 2n s after AST


def test_starts_at_the_live_edge_minus_the_suggested_delay() -> None:
    e, _ = _engine()
    acts = e.start(0.0, wall_time=AST + JOINED)
    f = next(a for a in acts if isinstance(a, Fetch))
    assert f.purpose is FetchPurpose.INIT
    sim = Sim(
        e, bandwidth=5e6, data=lambda f: b"mpd" if f.purpose is FetchPurpose.MANIFEST else None
    )
    sim.feed(acts)
    sim.run(until=3.0)
    media = [x for x in sim.fetches if x.purpose is FetchPurpose.MEDIA]
    assert media[0].segment is not None
    # Edge = end of the last available segment (100 s); 6 s of delay: the segment at 94 s.
    assert media[0].segment.start == 94.0
    started = sim.events(PlaybackStarted)
    assert started and started[0].position == 94.0


def test_segments_are_fetched_only_once_available_and_the_window_is_followed() -> None:
    e, refreshed = _engine()
    sim = Sim(
        e, bandwidth=5e6, data=lambda f: b"mpd" if f.purpose is FetchPurpose.MANIFEST else None
    )
    sim.start(0.0, wall_time=AST + JOINED)
    sim.run(until=60.0)
    media = [f for f in sim.fetches if f.purpose is FetchPurpose.MEDIA]
    waited = 0
    for f in media:
        assert f.segment is not None
        # Never fetched before the segment is available.
        assert _availability(f.segment.number) <= sim.issued[f.request_id] + 1e-6
        waited += sim.issued[f.request_id] - _availability(f.segment.number) < 0.1
    assert waited > 20, "at the live edge, most segments are fetched as soon as they appear"
    appended = [a for a in sim.events(SegmentAppended) if a.track is TrackKind.VIDEO]
    assert appended[-1].start > 94.0 + 50.0, "playback followed the moving live edge"
    assert not sim.events(Stalled), "a fast link keeps up with the live edge"
    # The playhead stays about `delay` behind the live edge.
    edge = JOINED + sim.now
    assert e.position_at(sim.now) == pytest.approx(edge - 6.0, abs=2.5)
    # minimumUpdatePeriod 4 s: the manifest was refreshed about every 4 s.
    assert 12 <= len(refreshed) <= 16
    assert len(sim.events(ManifestUpdated)) == len(refreshed)


def test_falling_out_of_the_window_jumps_back_near_the_live_edge() -> None:
    e, _ = _engine(mup=None)
    sim = Sim(e, bandwidth=5e6)
    sim.start(0.0, wall_time=AST + JOINED)
    sim.run(until=10.0)
    sim.feed(e.pause(sim.now))
    paused_at = e.position
    sim.run(until=80.0)  # 70 s paused: the 30 s window left us behind
    acts = sim.feed(e.play(sim.now))
    sim.run(until=sim.now + 3.0)
    jumps = sim.events(LiveJump)
    assert len(jumps) == 1
    jump = jumps[0]
    assert jump.from_position == pytest.approx(paused_at)
    edge = JOINED + jump.time
    assert jump.position == pytest.approx(edge - 6.0, abs=2.0)
    assert any(
        isinstance(a, Flush) for a in sim.actions if getattr(a, "position", None) == jump.position
    )
    assert acts is not None
    after = [
        f
        for f in sim.fetches
        if f.purpose is FetchPurpose.MEDIA and sim.issued[f.request_id] >= jump.time
    ]
    assert after and after[0].segment is not None
    assert after[0].segment.start <= jump.position < after[0].segment.end


def test_a_window_that_is_not_available_yet_waits() -> None:
    e, _ = _engine(mup=None)
    # Joined before the first segment is complete: nothing is available yet.
    acts = e.start(0.0, wall_time=AST + 1.0)
    assert not any(isinstance(a, Fetch) and a.purpose is FetchPurpose.MEDIA for a in acts)
    waits = [a for a in acts if isinstance(a, WaitUntil)]
    assert waits and waits[-1].time > 0.0
