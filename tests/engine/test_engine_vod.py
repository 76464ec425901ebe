"""The engine driven directly with scripted events: no sockets, no clock.

Each test feeds events with explicit times and asserts the actions the engine must emit.
"""

from __future__ import annotations

import dataclasses

import pytest

from player.buffer import BufferGoals
from player.config import PlayerConfig, StreamingConfig
from player.engine import (
    Abandoned,
    Abort,
    Action,
    Ended,
    Engine,
    EngineState,
    Fetch,
    FetchPurpose,
    Flush,
    PlaybackStarted,
    PlayerEvent,
    QualityChanged,
    Resumed,
    Seeked,
    Seeking,
    SegmentAppended,
    Stalled,
    StreamFetched,
    WaitUntil,
)
from player.errors import Code, PlayerError
from player.manifest.model import Track, TrackKind

from ._model import AbandoningPolicy, LastSample, RatePolicy, vod
from ._sim import Sim, fetch_size


def fetches(actions: list[Action]) -> list[Fetch]:
    return [a for a in actions if isinstance(a, Fetch)]


def only(actions: list[Action], kind: type) -> list:  # type: ignore[type-arg]
    return [a for a in actions if isinstance(a, kind)]


def one_fetch(actions: list[Action]) -> Fetch:
    fs = fetches(actions)
    assert len(fs) == 1, actions
    return fs[0]


def complete(e: Engine, f: Fetch, now: float) -> list[Action]:
    return e.complete(f.request_id, now, nbytes=fetch_size(f))


def test_startup_fetches_init_then_media_and_starts_at_start_goal() -> None:
    e = Engine(vod(), RatePolicy(), LastSample())
    acts = e.start(0.0)
    f = one_fetch(acts)
    assert (f.purpose, f.track, f.quality, f.url) == (
        FetchPurpose.INIT,
        TrackKind.VIDEO,
        0,
        "http://a.test/v0/init.mp4",
    )
    assert e.state is EngineState.BUFFERING
    f = one_fetch(complete(e, f, 0.1))
    assert (f.purpose, f.track, f.segment and f.segment.number) == (
        FetchPurpose.MEDIA,
        TrackKind.VIDEO,
        1,
    )
    acts = complete(e, f, 0.5)
    # Audio is behind now: its init and first segment come next (tracks stay aligned).
    f = one_fetch(acts)
    assert (f.purpose, f.track) == (FetchPurpose.INIT, TrackKind.AUDIO)
    assert not only(acts, PlaybackStarted)  # audio has nothing buffered yet
    f = one_fetch(complete(e, f, 0.6))
    assert (f.purpose, f.track) == (FetchPurpose.MEDIA, TrackKind.AUDIO)
    acts = complete(e, f, 0.7)
    started = only(acts, PlaybackStarted)
    assert started == [PlaybackStarted(0.7, 0.0)]
    assert e.state is EngineState.PLAYING
    # The next video segment is chosen by the policy with the measured throughput.
    assert isinstance(acts[-1], WaitUntil) and acts[-1].time == pytest.approx(0.7 + 2.0)
    nxt = one_fetch(acts)
    assert nxt.track is TrackKind.VIDEO and nxt.quality is not None and nxt.quality > 0
    if nxt.purpose is FetchPurpose.INIT:  # a new rung needs its init segment first
        assert nxt.url == f"http://a.test/v{nxt.quality}/init.mp4"
        q = nxt.quality
        nxt = one_fetch(complete(e, nxt, 0.8))
        assert nxt.quality == q
    assert nxt.purpose is FetchPurpose.MEDIA and nxt.segment is not None
    assert nxt.segment.number == 2


def test_start_waits_for_the_start_goal_in_both_tracks() -> None:
    cfg = PlayerConfig(buffer=BufferGoals(start_s=4.0, resume_s=4.0))
    e = Engine(vod(), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=2e6)
    sim.start(0.0)
    sim.run(until=30.0)
    started = sim.events(PlaybackStarted)
    assert len(started) == 1
    t0 = started[0].time
    # At the start, at least 4 s of both audio and video had been appended.
    appended = [a for a in sim.events(SegmentAppended) if a.time <= t0]
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        assert sum(a.duration for a in appended if a.track is kind) >= 4.0


def test_stall_is_timed_when_the_buffer_ran_dry_and_resume_waits_for_resume_goal() -> None:
    e = Engine(vod(duration=40), RatePolicy(), LastSample())
    sim = Sim(e, bandwidth=lambda t: 5e6 if t < 3.0 else 150_000.0)
    sim.start(0.0)
    sim.run(until=400.0)
    stalls = sim.events(Stalled)
    resumes = sim.events(Resumed)
    assert stalls, "the link collapsed: playback must stall"
    assert len(resumes) == len(stalls)
    for s, r in zip(stalls, resumes, strict=True):
        assert r.time > s.time
        assert r.stall_s == pytest.approx(r.time - s.time)
    # The stall starts exactly when the playhead reached the buffered end.
    started = sim.events(PlaybackStarted)[0]
    first = stalls[0]
    assert first.time == pytest.approx(started.time + (first.position - started.position))
    assert e.rebuffer_s == pytest.approx(sum(r.stall_s for r in resumes))
    assert sim.events(Ended), "the title still plays to the end"


def test_resume_requires_resume_goal_not_just_one_segment() -> None:
    cfg = PlayerConfig(buffer=BufferGoals(start_s=2.0, resume_s=6.0))
    e = Engine(vod(duration=60), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=lambda t: 5e6 if t < 2.0 else (50_000.0 if t < 20 else 5e6))
    sim.start(0.0)
    sim.run(until=300.0)
    for r in sim.events(Resumed):
        # Everything appended up to the resume makes >= 6 s ahead of the stall position.
        ahead = {
            kind: max(
                (
                    a.start + a.duration
                    for a in sim.events(SegmentAppended)
                    if a.track is kind and a.time <= r.time
                ),
                default=0.0,
            )
            - r.position
            for kind in (TrackKind.VIDEO, TrackKind.AUDIO)
        }
        assert min(ahead.values()) >= 6.0 - 1e-6


def test_abandonment_aborts_and_refetches_the_same_segment_lower() -> None:
    e = Engine(vod(), AbandoningPolicy(), LastSample())
    # Start-up on a fast link until the policy picks the top rung.
    sim = Sim(e, bandwidth=20e6)
    sim.start(0.0)
    while True:
        sim.step()
        inflight = [
            f
            for f, _ in sim.pending.values()
            if f.purpose is FetchPurpose.MEDIA and f.track is TrackKind.VIDEO
        ]
        if inflight and inflight[0].quality == 3:
            break
    f = inflight[0]
    sim.pending.clear()
    t0 = sim.now
    assert e.progress(f.request_id, 10_000, t0 + 0.5) == [] or True
    acts = e.progress(f.request_id, 20_000, t0 + 2.5)  # longer than the 2 s segment
    assert Abort(f.request_id, "abandoned by the ABR policy") in acts
    ab = only(acts, Abandoned)
    assert len(ab) == 1 and (ab[0].quality, ab[0].new_quality) == (3, 0)
    refetch = [x for x in fetches(acts) if x.purpose is FetchPurpose.MEDIA]
    assert f.segment is not None
    assert refetch and refetch[0].segment is not None
    assert refetch[0].segment.number == f.segment.number and refetch[0].quality == 0
    # Reports about the aborted request are ignored from now on.
    assert e.complete(f.request_id, t0 + 3.0) == []


def test_quality_changes_only_at_segment_boundaries() -> None:
    # With no safe margin configured the buffer is kept (the default drops what lies
    # past the margin: tests/engine/test_engine_manual_switch.py).
    streaming = dataclasses.replace(StreamingConfig(), manual_switch_margin_s=None)
    cfg = dataclasses.replace(PlayerConfig(), streaming=streaming)
    e = Engine(vod(), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=1e6)
    sim.start(0.0)
    sim.run(until=5.0)
    inflight = [f for f, _ in sim.pending.values() if f.purpose is FetchPurpose.MEDIA]
    acts = e.select_quality(3, sim.now)
    assert not only(acts, Abort) and not only(acts, Flush)  # nothing in flight is dropped
    sim.feed(acts)
    sim.run(until=40.0)
    after = [
        f
        for f in sim.fetches
        if f.track is TrackKind.VIDEO
        and f.purpose is FetchPurpose.MEDIA
        and f.request_id > max(x.request_id for x in inflight)
    ]
    assert after and all(f.quality == 3 for f in after)
    changes = [q for q in sim.events(QualityChanged) if q.track is TrackKind.VIDEO]
    # Every change lands on a segment start.
    for q in changes:
        assert q.position == pytest.approx(round(q.position / 2.0) * 2.0)
    assert changes[-1].quality == 3 and changes[-1].reason == "manual"
    # Back to auto: the policy chooses again.
    sim.feed(e.select_quality(None, sim.now))
    assert e.manual_quality() is None


def test_select_quality_rejects_out_of_range() -> None:
    e = Engine(vod(), RatePolicy(), LastSample())
    e.start(0.0)
    with pytest.raises(PlayerError) as exc:
        e.select_quality(9, 0.1)
    assert exc.value.code == Code.INVALID_ARGUMENT


def _played(duration: float = 40.0, until: float = 12.0) -> tuple[Engine, Sim]:
    e = Engine(vod(duration=duration), RatePolicy(), LastSample())
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=until)
    return e, sim


def test_seek_back_within_the_buffer_keeps_it_and_refeeds_the_sink() -> None:
    e, sim = _played()
    pos = e.position_at(sim.now)
    assert pos > 5.0
    inflight = [f for f, _ in sim.pending.values()]
    before = e.buffered_ranges(TrackKind.VIDEO)
    acts = e.seek(pos - 4.0, sim.now)
    assert only(acts, Seeking) == [Seeking(sim.now, pos, pos - 4.0)]
    assert Flush(pos - 4.0) in acts
    assert only(acts, Seeked) == [Seeked(sim.now, pos - 4.0)]  # buffered: no waiting
    assert not only(acts, Abort), "the fetch continuing the kept range goes on"
    assert not fetches(acts) or inflight
    assert e.buffered_ranges(TrackKind.VIDEO) == before
    segs = e.buffered_segments(TrackKind.VIDEO, pos - 4.0)
    assert segs[0].start <= pos - 4.0 < segs[0].end
    assert e.state is EngineState.PLAYING


def test_seek_forward_past_the_buffer_flushes_aborts_and_refetches_there() -> None:
    e, sim = _played(duration=60.0, until=4.0)
    inflight = [f for f, _ in sim.pending.values() if f.purpose is FetchPurpose.MEDIA]
    assert inflight
    acts = e.seek(45.0, sim.now)
    sim.feed(acts)
    assert Abort(inflight[0].request_id, "seek") in acts
    assert Flush(45.0) in acts
    assert not only(acts, Seeked)
    assert e.state is EngineState.SEEKING
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        assert all(end <= 45.0 for _, end in e.buffered_ranges(kind))
    f = fetches(acts)[0]
    assert f.segment is not None and f.segment.start <= 45.0 < f.segment.end
    sim.run(until=sim.now + 20.0)
    seeked = sim.events(Seeked)
    assert seeked and seeked[-1].position == 45.0
    assert not sim.events(Stalled), "buffering after a seek is not a rebuffer"


def test_plays_to_the_end() -> None:
    e = Engine(vod(duration=20.0), RatePolicy(), LastSample())
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=100.0)
    start = sim.events(PlaybackStarted)[0]
    end = sim.events(Ended)
    assert end == [Ended(pytest.approx(start.time + 20.0), 20.0)]
    assert len(sim.events(StreamFetched)) == 1
    assert e.state is EngineState.ENDED
    last = sim.actions[-1]
    assert isinstance(last, Ended), "nothing is scheduled after the end"
    # Every segment of both tracks was fetched exactly once.
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        nums = [a.number for a in sim.events(SegmentAppended) if a.track is kind]
        assert nums == list(range(1, 11))
    # Seeking back after the end plays again.
    acts = e.seek(10.0, sim.now)
    assert Flush(10.0) in acts and e.state is not EngineState.ENDED


def test_paused_engine_buffers_to_goal_and_stops_fetching() -> None:
    cfg = PlayerConfig(buffer=BufferGoals(goal_s=10.0), streaming=StreamingConfig(autoplay=False))
    e = Engine(vod(duration=60.0), RatePolicy(), LastSample(), cfg)
    sim = Sim(e, bandwidth=5e6)
    sim.start(0.0)
    sim.run(until=50.0)
    assert not sim.events(PlaybackStarted)
    assert e.position == 0.0
    ends = [end for _, end in e.buffered_ranges(TrackKind.VIDEO)]
    assert ends == [pytest.approx(10.0)] or ends == [pytest.approx(12.0)]
    sim.feed(e.play(sim.now))
    assert sim.events(PlaybackStarted)


def test_bad_input_is_a_typed_error_or_ignored() -> None:
    e = Engine(vod(), RatePolicy(), LastSample())
    with pytest.raises(PlayerError) as exc:
        e.tick(0.0)
    assert exc.value.code == Code.INVALID_STATE
    e.start(0.0)
    for bad in (float("nan"), float("inf"), -float("inf")):
        with pytest.raises(PlayerError) as exc:
            e.seek(bad, 1.0)
        assert exc.value.code == Code.INVALID_ARGUMENT
    # Not a number at all: a programming error (mypy flags it), TypeError in both the
    # compiled core (its argument check) and core.py.
    with pytest.raises(TypeError):
        e.seek("3", 1.0)  # type: ignore[arg-type]
    assert e.complete(12345, 1.0) == []  # unknown request: ignored
    assert e.progress(12345, 10, 1.0) == []
    with pytest.raises(PlayerError):
        e.start(0.0)


def test_events_carry_their_time_and_serialise() -> None:
    _, sim = _played(until=3.0)
    for ev in sim.events():
        rec = ev.to_record()
        assert rec["type"] == type(ev).type and rec["time"] == ev.time
    assert all(isinstance(a, PlayerEvent | Fetch | Abort | Flush | WaitUntil) for a in sim.actions)
    assert dataclasses.is_dataclass(sim.events()[0])


def test_multi_period_playback_moves_on_to_the_next_period() -> None:
    from player.manifest.model import Period, Presentation

    from ._model import FixedIndex, rep

    periods = []
    for k in range(2):
        start = 10.0 * k
        tracks = [
            Track(
                f"v-{k}",
                TrackKind.VIDEO,
                [
                    rep(
                        f"p{k}v{i}",
                        bw,
                        FixedIndex(f"p{k}v{i}", 5, 2.0, start=start),
                        codecs="avc1.64001f",
                    )
                    for i, bw in enumerate((200_000, 800_000))
                ],
            ),
            Track(
                f"a-{k}",
                TrackKind.AUDIO,
                [
                    rep(
                        f"p{k}a",
                        64_000,
                        FixedIndex(f"p{k}a", 5, 2.0, start=start),
                        codecs="mp4a.40.2",
                    )
                ],
                language="en",
            ),
        ]
        periods.append(Period(f"p{k}", start, 10.0, tracks))
    pres = Presentation("dash", "http://a.test/m.mpd", periods, duration=20.0)
    e = Engine(pres, RatePolicy(), LastSample())
    sim = Sim(e, bandwidth=3e6)
    sim.start(0.0)
    sim.run(until=60.0)
    assert sim.events(Ended) and sim.events(Ended)[0].position == pytest.approx(20.0)
    inits = [f.url for f in sim.fetches if f.purpose is FetchPurpose.INIT]
    assert any("/p1" in u for u in inits), "the second period's init segments were fetched"
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        starts = [a.start for a in sim.events(SegmentAppended) if a.track is kind]
        assert starts == [2.0 * i for i in range(10)]
    assert not sim.events(Stalled)
