"""A manual rung choice shows within about a segment (Shaka's clearBuffer/safeMargin):
the engine drops what is buffered at other rungs beyond the segment playing and the
safe margin, flushes the sink at the playhead and fetches again at the chosen rung from
there. Going back to ABR drops nothing. Scripted events, no sockets, no clock."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence

import pytest

from player.config import PlayerConfig, StreamingConfig
from player.engine import (
    Abort,
    Action,
    Engine,
    Evicted,
    Fetch,
    FetchPurpose,
    Flush,
    QualityChanged,
)
from player.manifest.model import TrackKind

from ._model import LastSample, RatePolicy, vod
from ._sim import Sim

SEG = 2.0


def _engine(margin: float | None = 1.0) -> tuple[Engine, Sim]:
    streaming = dataclasses.replace(StreamingConfig(), manual_switch_margin_s=margin)
    cfg = dataclasses.replace(PlayerConfig(), streaming=streaming)
    engine = Engine(vod(duration=60.0, seg=SEG), RatePolicy(), LastSample(), cfg)
    sim = Sim(engine, bandwidth=8e6)  # every rung fits: ABR climbs to the top (3)
    sim.start()
    sim.run(until=12.0)
    return engine, sim


def _video_fetches(actions: Sequence[Action]) -> list[Fetch]:
    return [
        a
        for a in actions
        if isinstance(a, Fetch) and a.purpose is FetchPurpose.MEDIA and a.track is TrackKind.VIDEO
    ]


def _expected_cut(pos: float, margin: float) -> float:
    """End of the segment playing, or of the next if it starts within the margin."""
    end = (math.floor(pos / SEG + 1e-9) + 1) * SEG
    return end + SEG if end < pos + margin else end


def test_a_manual_choice_drops_the_old_rung_beyond_the_margin_and_refetches() -> None:
    engine, sim = _engine()
    video = engine.buffered_segments(TrackKind.VIDEO, 0.0)
    assert {s.quality for s in video if s.start > 6.0} == {3}  # a long buffer at the top
    pos = engine.position_at(sim.now)
    cut = _expected_cut(pos, 1.0)
    assert video[-1].end > cut + 10.0  # far more buffered than the margin keeps

    actions = sim.feed(engine.select_quality(0, sim.now))
    [flush] = [a for a in actions if isinstance(a, Flush)]
    assert flush.position == pytest.approx(pos)
    [evicted] = [a for a in actions if isinstance(a, Evicted)]
    assert evicted.track is TrackKind.VIDEO and evicted.start == pytest.approx(cut)
    # What is kept ends at the cut; the next video fetch is at the chosen rung from it.
    kept = engine.buffered_segments(TrackKind.VIDEO, pos)
    assert kept and kept[-1].end == pytest.approx(cut)
    video_fetches = _video_fetches(actions)
    if not video_fetches:  # another track's request was in flight: it comes next
        before = len(sim.fetches)
        for _ in range(50):
            sim.step()
            if _video_fetches(sim.fetches[before:]):
                break
        video_fetches = _video_fetches(sim.fetches[before:])
    first = video_fetches[0]
    assert first.quality == 0 and first.segment is not None
    assert first.segment.start == pytest.approx(cut)
    # Audio was not touched.
    assert engine.buffered_segments(TrackKind.AUDIO, pos)[-1].end > cut + 10.0

    sim.run(until=sim.now + 8.0)
    after = [s for s in engine.buffered_segments(TrackKind.VIDEO, pos) if s.start >= cut - 1e-6]
    assert after and {s.quality for s in after} == {0}
    changes = [
        e
        for e in sim.events(QualityChanged)
        if isinstance(e, QualityChanged) and e.reason == "manual"
    ]
    assert [(e.old_quality, e.quality) for e in changes] == [(3, 0)]
    assert changes[0].position == pytest.approx(cut)


def test_going_back_to_abr_keeps_the_buffer() -> None:
    engine, sim = _engine()
    sim.feed(engine.select_quality(0, sim.now))
    sim.run(until=sim.now + 20.0)
    actions = sim.feed(engine.select_quality(None, sim.now))
    assert not [a for a in actions if isinstance(a, (Flush, Evicted, Abort))]


def test_choosing_the_rung_already_buffered_drops_nothing() -> None:
    engine, sim = _engine()
    actions = sim.feed(engine.select_quality(3, sim.now))
    assert not [a for a in actions if isinstance(a, (Flush, Evicted))]


def test_a_margin_of_none_keeps_the_buffer() -> None:
    engine, sim = _engine(margin=None)
    actions = sim.feed(engine.select_quality(0, sim.now))
    assert not [a for a in actions if isinstance(a, (Flush, Evicted, Abort))]


def test_a_download_beyond_the_dropped_part_is_aborted() -> None:
    engine, sim = _engine()
    # Step until a video download is in flight (at the end of a long buffer), then
    # choose another rung: that download would land past the new frontier.
    for _ in range(200):
        pending = [f for f, _t in sim.pending.values() if f in _video_fetches([f])]
        if pending:
            break
        sim.step()
    [inflight] = pending
    assert inflight.quality == 3
    actions = sim.feed(engine.select_quality(1, sim.now))
    assert [a.request_id for a in actions if isinstance(a, Abort)] == [inflight.request_id]
    assert all(f.quality == 1 for f in _video_fetches(actions))
