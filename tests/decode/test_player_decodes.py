"""The Player driving a DecodingSink: a packaged title served on loopback, really decoded."""

from __future__ import annotations

from collections.abc import AsyncIterator

import numpy as np
import pytest
from aiohttp import web

from player import Player, PlayerConfig
from player.decode import DecodingSink, VideoFrame, VirtualAudioOutput
from player.packager import PackageResult


class Shown:
    def __init__(self) -> None:
        self.frames: list[VideoFrame] = []

    def present(self, frame: VideoFrame) -> None:
        self.frames.append(frame)


@pytest.fixture
async def origin(tiny_title: PackageResult) -> AsyncIterator[str]:
    """A plain aiohttp static origin for the title on 127.0.0.1."""
    app = web.Application()
    app.router.add_static("/", tiny_title.dir)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


async def test_a_title_plays_through_the_decode_path(
    origin: str, tiny_title: PackageResult
) -> None:
    shown = Shown()
    audio = VirtualAudioOutput()
    sink = DecodingSink(shown, audio)
    config = PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}})
    async with Player(config, sink=sink) as player:
        await player.load(origin + "manifest.mpd")
        stats = await player.wait_ended(timeout=60)
    assert stats.ended
    frames = round(tiny_title.duration * 25)
    # Every frame of the title was decoded once, and shown unless it came too late...
    assert stats.frames_decoded == sink.stats.frames_decoded == frames
    # ...except the last ones: the engine ends playback within its gap tolerance (0.3 s)
    # of the end, and the Player then closes the sink.
    at_end = round(0.3 * 25) + 1
    assert frames - at_end <= sink.stats.frames_rendered + sink.stats.dropped_frames <= frames
    assert stats.dropped_frames == sink.stats.dropped_frames
    pts = np.array([f.pts for f in shown.frames])
    assert (np.diff(pts) > 0).all()  # in order, none twice, across the Player's switches
    # The audio played out in full: the clock that paced the video.
    assert sink.stats.audio_samples == pytest.approx(tiny_title.duration * 48000, abs=2048)
    assert not sink.stats.errors
