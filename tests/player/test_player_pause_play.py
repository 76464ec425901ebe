"""``Player.play()`` after a plain ``pause()`` restarts the rendering sink's clock.

A plain un-pause sends none of the events (PlaybackStarted, Resumed, Seeked) that start
the sink otherwise; the Player must restart it itself. The title is served by a real
origin on loopback and really decoded by a :class:`DecodingSink` with a headless audio
clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from player.decode import DecodingSink, VirtualAudioOutput
from player.engine import EngineState, PlaybackStarted
from player.player import Player
from traces.origin import ShapedOrigin

from .conftest import config

pytestmark = pytest.mark.timeout(120)


async def _until(cond: Callable[[], bool], limit_s: float = 15.0) -> bool:
    """Poll ``cond`` every 20 ms, at most ``limit_s`` seconds; whether it came true."""
    for _ in range(int(limit_s / 0.02)):
        if cond():
            return True
        await asyncio.sleep(0.02)
    return cond()


def _pos(sink: DecodingSink) -> float:
    p = sink.position()
    assert p is not None
    return p


def _state(player: Player) -> EngineState:
    return player.state  # read through a call: it changes between the asserts


async def test_play_after_pause_restarts_the_sink_clock(tiny_dir: Path) -> None:
    started = asyncio.Event()
    sink = DecodingSink(None, VirtualAudioOutput())
    async with ShapedOrigin(tiny_dir) as origin, Player(config(), sink=sink) as player:
        player.on(PlaybackStarted, lambda _ev: started.set())
        await player.load(origin.url + "manifest.mpd")
        await asyncio.wait_for(started.wait(), 30)
        assert await _until(lambda: _pos(sink) > 0.3)  # the clock runs

        player.pause()
        assert _state(player) is EngineState.PAUSED
        held = _pos(sink)
        await asyncio.sleep(0.4)
        assert _pos(sink) == pytest.approx(held, abs=1e-3)  # holds while paused
        assert player.position == pytest.approx(held, abs=0.05)

        player.play()
        assert _state(player) is EngineState.PLAYING
        assert await _until(lambda: _pos(sink) > held + 0.5), "the sink's clock stayed paused"
        assert player.position > held + 0.4
