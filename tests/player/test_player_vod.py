"""The Player on loopback: real content, a real aiohttp origin shaped by real traces."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from player.decode import DecodingSink
from player.engine import (
    Downloaded,
    Ended,
    Error,
    PlaybackStarted,
    QualityChanged,
    Resumed,
    Seeked,
    SegmentAppended,
    Stalled,
)
from player.errors import Category, Code, PlayerError
from player.manifest.model import TrackKind
from player.player import Player
from traces.origin import ShapedOrigin

from .conftest import Session, config, play, real_trace

pytestmark = pytest.mark.timeout(120)


def _assert_stats_agree_with_events(s: Session, manifest_bytes: int) -> None:
    st = s.stats
    assert st is not None
    stalls, resumes = s.of(Stalled), s.of(Resumed)
    assert st.rebuffer_count == len(stalls)
    assert st.rebuffer_s == pytest.approx(sum(r.stall_s for r in resumes), abs=1e-9)
    video_changes = [q for q in s.of(QualityChanged) if q.track is TrackKind.VIDEO]
    assert st.switches == len([q for q in video_changes if q.old_quality is not None])
    assert st.switches == len(st.switch_history)
    assert [(h.from_quality, h.to_quality) for h in st.switch_history] == [
        (q.old_quality, q.quality) for q in video_changes[1:]
    ]
    video = [a for a in s.of(SegmentAppended) if a.track is TrackKind.VIDEO]
    assert st.segments == len(video)
    assert st.avg_bitrate_kbps == pytest.approx(
        sum(a.bitrate_bps for a in video) / len(video) / 1e3
    )
    assert st.bytes == manifest_bytes + sum(d.nbytes for d in s.of(Downloaded))
    started = s.of(PlaybackStarted)[0]
    assert st.time_to_first_frame_s == pytest.approx(started.time - s.player._load_time)


async def test_title_plays_to_the_end_over_a_real_trace(tiny_dir: Path) -> None:
    trace = real_trace("norway-hsdpa-3g", "norway_train_2")  # about 570 kbit/s at first
    # Start optimistic (3 Mbit/s) so the policy has to come down: switches happen.
    cfg = config(abr={"default_bandwidth_bps": 3e6})
    async with ShapedOrigin(tiny_dir, trace=trace) as origin:
        s = await play(origin.url + "manifest.mpd", cfg)
    assert s.stats is not None and s.stats.ended
    assert s.of(Ended) and not s.of(Error)
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        assert [a.number for a in s.of(SegmentAppended) if a.track is kind] == [1, 2, 3, 4, 5]
    assert s.stats.switches >= 1
    assert s.stats.qoe_lin is not None
    _assert_stats_agree_with_events(s, (tiny_dir / "manifest.mpd").stat().st_size)


async def test_stall_times_add_up_to_rebuffer_s(tiny_dir: Path) -> None:
    trace = real_trace("norway-hsdpa-3g", "norway_train_2")

    def top_quality(s: Session) -> None:
        s.player.select_quality(2)  # 920 kbit/s over a ~570 kbit/s link: it must stall

    async with ShapedOrigin(tiny_dir, trace=trace) as origin:
        s = await play(origin.url + "manifest.mpd", config(), during=top_quality, timeout=90)
    assert s.stats is not None and s.stats.ended
    assert s.stats.rebuffer_count >= 1
    assert s.stats.rebuffer_s > 0
    stalls, resumes = s.of(Stalled), s.of(Resumed)
    assert len(stalls) == len(resumes)
    for st, r in zip(stalls, resumes, strict=True):
        assert r.stall_s == pytest.approx(r.time - st.time)
    _assert_stats_agree_with_events(s, (tiny_dir / "manifest.mpd").stat().st_size)


async def test_seek_lands_within_one_segment(tiny_dir: Path) -> None:
    sink = DecodingSink()
    target = 6.5
    positions: list[float] = []

    async def seek_then_watch(s: Session) -> None:
        while not s.of(PlaybackStarted):
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)
        s.player.seek(target)
        for _ in range(200):
            if s.of(Seeked):
                break
            await asyncio.sleep(0.02)
        for _ in range(50):  # the sink shows the new position once frames arrive
            await asyncio.sleep(0.02)
            pos = sink.position()
            if pos is not None:
                positions.append(pos)

    async with ShapedOrigin(tiny_dir, trace=real_trace("fcc-2016", "trace_26611")) as origin:
        s = await play(origin.url + "manifest.mpd", config(), during=seek_then_watch, sink=sink)
    seeked = s.of(Seeked)
    assert seeked and seeked[-1].position == target
    assert positions and all(abs(p - target) <= 2.0 for p in positions[:10])
    after = [a for a in s.of(SegmentAppended) if a.time >= seeked[-1].time]
    if after:  # what was fetched after the seek starts at the segment holding it
        assert after[0].start <= target + 2.0
    assert s.stats is not None and s.stats.ended and s.stats.frames_decoded > 0
    assert not [e for e in s.stats.errors if e.get("fatal")]


async def test_playback_continues_when_one_of_two_origins_goes_down(
    tiny_dir: Path, tmp_path: Path
) -> None:
    trace = real_trace("fcc-2016", "trace_26611")  # about 2.4 Mbit/s
    async with (
        ShapedOrigin(tiny_dir, trace=trace) as a,
        ShapedOrigin(tiny_dir, trace=trace) as b,
    ):
        mpd = (tiny_dir / "manifest.mpd").read_text()
        bases = f"<BaseURL>{a.url}</BaseURL><BaseURL>{b.url}</BaseURL>"
        (tmp_path / "manifest.mpd").write_text(mpd.replace("<Period", bases + "<Period", 1))
        async with ShapedOrigin(tmp_path) as m:

            async def take_a_down(s: Session) -> None:
                while len(s.of(SegmentAppended)) < 4:
                    await asyncio.sleep(0.02)
                a.set_down(True)
                s.down_at = len(b.stats.log)  # type: ignore[attr-defined]

            cfg = config(buffer={"goal_s": 4.0, "start_s": 2.0, "resume_s": 2.0})
            s = await play(m.url + "manifest.mpd", cfg, during=take_a_down)
    assert s.stats is not None and s.stats.ended
    assert not [e for e in s.stats.errors if e.get("fatal")]
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        assert [x.number for x in s.of(SegmentAppended) if x.track is kind] == [1, 2, 3, 4, 5]
    served_by_b = [r for r in list(b.stats.log)[s.down_at :] if r.status in (200, 206)]  # type: ignore[attr-defined]
    assert served_by_b, "the second origin served the rest"
    assert sum(a.stats.faults.values()) >= 1, "the first origin really was tried while down"


async def test_events_reach_callbacks_and_the_async_iterator_alike(tiny_dir: Path) -> None:
    async with ShapedOrigin(tiny_dir) as origin:
        player = Player(config())
        seen: list[str] = []
        player.on(None, lambda ev: seen.append(ev.type))
        stalls: list[Stalled] = []
        player.on(Stalled, stalls.append)

        async def consume() -> list[str]:
            out = []
            async for ev in player.events():
                out.append(ev.type)
            return out

        await player.load(origin.url + "manifest.mpd")
        task = asyncio.create_task(consume())
        await player.wait_ended(timeout=60)
        await player.close()
        iterated = await asyncio.wait_for(task, 5)
    assert seen[-1] == "ended" and iterated[-1] == "ended"
    assert seen[-len(iterated) :] == iterated
    assert not stalls


async def test_quality_selection_tracks_and_back_to_auto(tiny_dir: Path) -> None:
    async with ShapedOrigin(tiny_dir) as origin, Player(config()) as player:
        appended: list[SegmentAppended] = []
        player.on(SegmentAppended, appended.append)  # type: ignore[arg-type]
        await player.load(origin.url + "manifest.mpd")
        tracks = player.tracks
        video = [t for t in tracks if t.kind is TrackKind.VIDEO]
        assert len(video) == 1 and video[0].selected
        assert [r.height for r in video[0].rungs] == [144, 216, 360]
        assert [t.language for t in tracks if t.kind is TrackKind.AUDIO] == ["en"]
        player.select_quality(0)
        with pytest.raises(PlayerError) as exc:
            player.select_quality(7)
        assert exc.value.code == Code.INVALID_ARGUMENT
        # Wrong types from an application are typed errors too (the engine itself,
        # compiled or not, raises TypeError for them).
        for call in (lambda: player.select_quality("1"), lambda: player.seek("3")):  # type: ignore[arg-type]
            with pytest.raises(PlayerError) as exc:
                call()
            assert exc.value.code == Code.INVALID_ARGUMENT
        for bad in (float("nan"), float("inf")):
            with pytest.raises(PlayerError) as exc:
                player.seek(bad)
            assert exc.value.code == Code.INVALID_ARGUMENT
        assert player.engine is not None and player.engine.manual_quality() == 0
        await player.wait_ended(timeout=60)
        qualities = [a.quality for a in appended if a.track is TrackKind.VIDEO]
        assert qualities[1:] == [0, 0, 0, 0], "fixed from the next segment boundary on"
        player.select_quality(None)
        assert player.engine.manual_quality() is None


async def test_analytics_go_to_a_json_lines_file_and_a_callback(
    tiny_dir: Path, tmp_path: Path
) -> None:
    batches: list[list[dict[str, object]]] = []
    path = tmp_path / "events.jsonl"
    cfg = config(analytics={"path": str(path), "callback": batches.append, "batch_size": 5})
    async with ShapedOrigin(tiny_dir) as origin:
        s = await play(origin.url + "manifest.mpd", cfg)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["type"] for r in lines] == [e.type for e in s.events]
    assert all(r["session_id"] == lines[0]["session_id"] for r in lines)
    assert all(r["time"] == e.time for r, e in zip(lines, s.events, strict=True))
    assert [r["type"] for b in batches for r in b] == [e.type for e in s.events]
    assert max(len(b) for b in batches) <= 5


async def test_load_errors_are_typed(tiny_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.mpd").write_text("this is not a manifest")
    async with ShapedOrigin(tmp_path) as origin:
        with pytest.raises(PlayerError) as exc:
            async with Player(config()) as p:
                await p.load(origin.url + "missing.mpd")
        assert exc.value.category is Category.NETWORK
        with pytest.raises(PlayerError) as exc:
            async with Player(config()) as p:
                await p.load(origin.url + "bad.mpd")
        assert exc.value.category is Category.MANIFEST
    async with ShapedOrigin(tiny_dir) as origin:
        with pytest.raises(PlayerError) as exc:
            async with Player(config(abr={"policy": "no-such-policy"})) as p:
                await p.load(origin.url + "manifest.mpd")
        assert exc.value.code == Code.UNKNOWN_POLICY
    p = Player(config())
    with pytest.raises(PlayerError) as exc:
        p.seek(1.0)
    assert exc.value.code == Code.NOT_LOADED
    await p.close()


async def test_the_hls_rendition_of_the_title_plays_too(tiny_dir: Path) -> None:
    trace = real_trace("fcc-2016", "trace_26611")
    async with ShapedOrigin(tiny_dir, trace=trace) as origin:
        s = await play(origin.url + "master.m3u8", config())
    assert s.stats is not None and s.stats.ended and not s.of(Error)
    assert not s.player.is_live
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        appended = [a for a in s.of(SegmentAppended) if a.track is kind]
        assert appended[-1].start + appended[-1].duration == pytest.approx(10.0, abs=0.1)
    _assert_stats_agree_with_events(s, (tiny_dir / "master.m3u8").stat().st_size)


async def test_the_last_estimate_per_host_seeds_the_next_start(
    tiny_dir: Path, tmp_path: Path
) -> None:
    from abr.interface import AbrContext, Decision
    from abr.policies import ThroughputPolicy
    from player.bandwidth_cache import BandwidthCache, host_of

    class Recording(ThroughputPolicy):
        def __init__(self) -> None:
            super().__init__()
            self.first: float | None = None

        def choose(self, ctx: AbrContext) -> Decision:
            if self.first is None:
                self.first = ctx.throughput_bps
            return super().choose(ctx)

    cache_path = tmp_path / "bw.json"
    cfg = config(abr={"use_bandwidth_cache": True, "bandwidth_cache_path": str(cache_path)})
    async with ShapedOrigin(tiny_dir, trace=real_trace("fcc-2016", "trace_26611")) as origin:
        url = origin.url + "manifest.mpd"
        first = Recording()
        await play(url, cfg, policy=first)
        kept = BandwidthCache(cache_path).get(host_of(url))
        assert kept is not None and kept > 500_000, "the session's estimate was kept"
        second = Recording()
        await play(url, cfg, policy=second)
    assert first.first == 1_000_000  # the estimator's default: nothing known yet
    assert second.first == pytest.approx(kept), "the next start-up used the kept estimate"
