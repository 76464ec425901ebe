"""The built-in sample title (64 s, 216p..1080p, two audio languages, subtitles) end to end."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from player.engine import (
    Ended,
    Error,
    QualityChanged,
    SegmentAppended,
    Stalled,
    TrackChanged,
)
from player.manifest.model import TrackKind
from player.sync_player import SyncPlayer
from traces.origin import ShapedOrigin

from .conftest import Session, config, play, real_trace
from .test_player_vod import _assert_stats_agree_with_events


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_sample_title_plays_to_the_end_over_a_real_trace(sample_title: object) -> None:
    root = Path(sample_title.dir)  # type: ignore[attr-defined]
    trace = real_trace("norway-hsdpa-3g", "norway_bus_16")  # 3G: about 4.5 Mbit/s
    switched_at: list[float] = []

    async def switch_languages(s: Session) -> None:
        while len([a for a in s.of(SegmentAppended) if a.track is TrackKind.VIDEO]) < 4:
            await asyncio.sleep(0.1)
        await asyncio.sleep(4.0)
        switched_at.append(s.player.position)
        s.player.select_audio_language("de")
        s.player.select_text_language("de")

    async with ShapedOrigin(root, trace=trace) as origin:
        s = await play(origin.url + "manifest.mpd", config(), during=switch_languages, timeout=200)
    assert s.stats is not None and s.stats.ended and s.of(Ended)
    assert not s.of(Error)
    video = [a for a in s.of(SegmentAppended) if a.track is TrackKind.VIDEO]
    assert video[-1].start + video[-1].duration == pytest.approx(64.0, abs=0.1)
    _assert_stats_agree_with_events(s, (root / "manifest.mpd").stat().st_size)
    # The ABR adapted over the real trace: more than one rung was used.
    assert len({q.quality for q in s.of(QualityChanged) if q.track is TrackKind.VIDEO}) >= 2
    # Audio and subtitles switched without a stall.
    changes = s.of(TrackChanged)
    assert {(c.track, c.language) for c in changes} == {
        (TrackKind.AUDIO, "de"),
        (TrackKind.TEXT, "de"),
    }
    t_switch = changes[0].time
    assert not [e for e in s.of(Stalled) if e.time >= t_switch]
    later_audio = [
        a for a in s.of(SegmentAppended) if a.track is TrackKind.AUDIO and a.time > t_switch
    ]
    assert later_audio
    assert [
        a.track for a in s.of(SegmentAppended) if a.track is TrackKind.TEXT and a.time > t_switch
    ]


async def test_sync_player_blocks_and_reports(tiny_dir: Path) -> None:
    async with ShapedOrigin(tiny_dir) as origin:
        url = origin.url + "manifest.mpd"

        def session() -> tuple[object, list[str], list[str]]:
            seen: list[str] = []
            with SyncPlayer(config()) as p:
                p.on(None, lambda ev: seen.append(ev.type))
                p.load(url)
                kinds = [t.kind.value for t in p.tracks]
                p.pause()
                paused_at = p.position
                stats_paused = p.stats
                assert stats_paused.played_s == pytest.approx(paused_at, abs=0.05)
                p.play()
                stats = p.wait_ended(timeout=60)
            return stats, seen, kinds

        # The origin runs on this loop; the blocking player runs in a worker thread.
        stats, seen, kinds = await asyncio.to_thread(session)
    assert stats.ended  # type: ignore[attr-defined]
    assert seen[-1] == "ended"
    assert kinds == ["video", "audio"]
