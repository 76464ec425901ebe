"""An HLS on-demand title played from its master playlist has a duration once its media
playlists are in: the master says nothing about duration or liveness, so the engine
settles them from the playlists it resolves (the same rule ``load_indexes`` applies)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from player.engine import PlaybackStarted, PlayerEvent, Seeked
from player.player import Player
from traces.origin import ShapedOrigin

from .conftest import config

pytestmark = pytest.mark.timeout(120)


async def test_an_hls_vod_title_has_a_duration_and_seeks_within_it(tiny_dir: Path) -> None:
    started = asyncio.Event()
    seeked: list[PlayerEvent] = []
    async with ShapedOrigin(tiny_dir) as origin, Player(config()) as player:
        player.on(PlaybackStarted, lambda _ev: started.set())
        player.on(Seeked, seeked.append)
        await player.load(origin.url + "master.m3u8")
        await asyncio.wait_for(started.wait(), 30)
        assert not player.is_live
        pres = player.presentation
        assert pres is not None and pres.format == "hls" and not pres.is_live
        duration = player.duration
        assert duration is not None and duration == pytest.approx(10.0, abs=0.1)
        assert pres.periods[0].duration == duration
        # A seek past the end lands inside the title (what a seek bar relies on).
        player.seek(1000.0)
        for _ in range(300):  # bounded: about 30 s
            if seeked:
                break
            await asyncio.sleep(0.1)
        assert seeked and isinstance(seeked[0], Seeked) and seeked[0].position <= duration
