"""A manual quality choice reaches the sink within about a segment, not after the whole
buffer of the old rung has played out.

The title is served by a real origin on loopback; the sink is an app-style sink (the
:class:`~player.sink.MediaSink` protocol) that records what the Player hands it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from player.engine import PlaybackStarted
from player.manifest.model import TrackKind
from player.player import Player
from player.sink import MediaChunk, NullSink
from traces.origin import ShapedOrigin

from .conftest import config

pytestmark = pytest.mark.timeout(120)

SEG = 2.0  # the tiny title's segment duration
MARGIN = 1.0  # streaming.manual_switch_margin_s's default


class RecordingSink(NullSink):
    """Keeps the clock to the Player (as NullSink) and records appends and flushes."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, float, str]] = []  # ("append", start, rep) / ("flush", pos, "")

    async def append(self, chunk: MediaChunk) -> None:
        if chunk.kind is TrackKind.VIDEO:
            self.log.append(("append", chunk.start, chunk.representation_id))

    def flush(self, position: float) -> None:
        self.log.append(("flush", position, ""))


async def _until(cond: Callable[[], bool], limit_s: float = 20.0) -> bool:
    for _ in range(int(limit_s / 0.02)):
        if cond():
            return True
        await asyncio.sleep(0.02)
    return cond()


async def test_a_chosen_rung_reaches_the_sink_within_about_a_segment(tiny_dir: Path) -> None:
    sink = RecordingSink()
    started = asyncio.Event()
    async with ShapedOrigin(tiny_dir) as origin, Player(config(), sink=sink) as player:
        player.on(PlaybackStarted, lambda _ev: started.set())
        await player.load(origin.url + "manifest.mpd")
        await asyncio.wait_for(started.wait(), 30)
        engine = player.engine
        assert engine is not None

        def video_end() -> float:
            segs = engine.buffered_segments(TrackKind.VIDEO, 0.0)
            return segs[-1].end if segs else 0.0

        # The whole 10 s title is buffered long before it has played (a 30 s goal).
        assert await _until(lambda: video_end() >= 10.0 - 0.1)
        pos = player.position
        ahead = engine.buffered_segments(TrackKind.VIDEO, pos + SEG + MARGIN)
        assert ahead, "played too far before the buffer filled"
        ladder = engine.ladder(TrackKind.VIDEO)
        q = next(i for i in range(len(ladder)) if i != ahead[-1].quality)
        wanted = ladder[q].id
        assert wanted is not None
        mark = len(sink.log)

        player.select_quality(q)

        def new_rung() -> list[tuple[str, float, str]]:
            return [e for e in sink.log[mark:] if e[0] == "append" and e[2] == wanted]

        assert await _until(lambda: bool(new_rung())), "the chosen rung never reached the sink"
        flushes = [e for e in sink.log[mark:] if e[0] == "flush"]
        assert flushes and flushes[0][1] == pytest.approx(pos, abs=0.5)
        # The first chunk at the chosen rung starts right after the segment playing and
        # the margin, not at the end of the buffer.
        first = new_rung()[0][1]
        assert first <= pos + SEG + MARGIN + 0.01
        # After the flush, everything the sink gets from there on (to the last segment)
        # is at the chosen rung.
        since = sink.log.index(flushes[-1]) + 1
        assert await _until(lambda: any(e[1] >= 8.0 - 0.01 for e in sink.log[since:]))
        after_flush = sink.log[since:]
        assert all(e[2] == wanted for e in after_flush if e[0] == "append" and e[1] >= first)
