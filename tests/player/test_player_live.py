"""Live on loopback: the shaped origin serves the tiny title as a live stream."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from player.engine import (
    Error,
    ManifestUpdated,
    PlaybackStarted,
    SegmentAppended,
    Stalled,
)
from player.manifest.model import TrackKind
from player.player import Player
from traces.origin import LiveConfig, ShapedOrigin

from .conftest import config, real_trace


@pytest.mark.slow
@pytest.mark.timeout(150)
async def test_a_live_stream_plays_for_a_minute_at_the_live_edge(tiny_dir: Path) -> None:
    ast = float(int(time.time()) - 20)  # 20 s of stream exist when we join
    live = LiveConfig(window_s=20.0, availability_start=ast)
    trace = real_trace("fcc-2016", "trace_26611")  # about 2.4 Mbit/s
    async with ShapedOrigin(tiny_dir, trace=trace, live=live) as origin:
        player = Player(config())
        events: list[object] = []
        player.on(None, events.append)
        latencies: list[float] = []
        try:
            await player.load(origin.url + "manifest.mpd")
            t_end = time.monotonic() + 60.0
            while time.monotonic() < t_end:
                await asyncio.sleep(1.0)
                if player.state.value == "playing":
                    latencies.append(time.time() - ast - player.position)
            stats = player.stats
        finally:
            await player.close()
    assert player.is_live
    assert any(isinstance(e, PlaybackStarted) for e in events)
    assert not [e for e in events if isinstance(e, Stalled | Error)]
    assert len(latencies) >= 55
    # Joined near the edge and stayed there: about the live delay behind, not drifting.
    assert all(2.0 <= lat <= 12.0 for lat in latencies), latencies
    assert max(latencies) - min(latencies) <= 2.5, latencies
    # minimumUpdatePeriod is one segment (2 s): the MPD was refreshed all along.
    assert 25 <= len([e for e in events if isinstance(e, ManifestUpdated)]) <= 35
    video = [
        e.number for e in events if isinstance(e, SegmentAppended) and e.track is TrackKind.VIDEO
    ]
    assert video == list(range(video[0], video[0] + len(video))), "no segment skipped"
    assert len(video) >= 29, "a minute of 2 s segments, fetched as they appeared"
    assert stats.played_s > 60.0 + video[0] * 2.0 - 20.0 - 12.0


@pytest.mark.timeout(60)
async def test_live_hls_follows_the_sliding_playlists(tiny_dir: Path) -> None:
    ast = float(int(time.time()) - 20)
    async with ShapedOrigin(
        tiny_dir, live=LiveConfig(window_s=20.0, availability_start=ast)
    ) as origin:
        player = Player(config())
        events: list[object] = []
        player.on(None, events.append)
        try:
            await player.load(origin.url + "master.m3u8")
            await asyncio.sleep(12.0)
            latency = time.time() - ast - player.position
        finally:
            await player.close()
    assert player.is_live
    assert not [e for e in events if isinstance(e, Stalled | Error)]
    assert 2.0 <= latency <= 12.0
    reloads = [e for e in events if isinstance(e, ManifestUpdated)]
    assert len(reloads) >= 8, "each track's media playlist is reloaded about every 2 s"
    video = [e for e in events if isinstance(e, SegmentAppended) and e.track is TrackKind.VIDEO]
    assert video[-1].start + video[-1].duration >= 20.0 + 10.0, "segments kept coming"
