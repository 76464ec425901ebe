"""What every chaos scenario shares: play a title through faults and check the outcome.

A scenario runs on a :class:`~tests.chaos._timewarp.TimeWarpLoop` (the Player and the
origins get ``loop.time`` as their clock), so the 64 s sample title over a real trace
plays in a few wall seconds while buffer levels, backoffs, timeouts and outages keep
their playback-time meaning.

Checks:

- :func:`assert_completed`: ``Ended`` came, no fatal error, the playhead reached the end,
  and every video and audio segment was appended once, in order;
- :func:`assert_intact`: every segment the Player handed to the sink is byte-for-byte the
  file the origin serves (faults may delay or drop data, never corrupt what is kept);
- a failing scenario asserts the one typed ``PlayerError`` it must end with.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import traces
from player.config import PlayerConfig
from player.engine import Ended, Error, PlayerEvent, SegmentAppended
from player.errors import PlayerError
from player.manifest import SegmentIndex, TrackKind
from player.player import Player
from player.sink import MediaChunk, MediaSink, NullSink
from player.stats import PlaybackStats


def real_trace(dataset: str, prefix: str) -> traces.Trace:
    """One curated real trace by dataset and file-name prefix."""
    for path in traces.trace_files(dataset):
        if path.name.startswith(prefix):
            return traces.load_trace(path)
    raise LookupError(f"no trace {prefix!r} in {dataset}")


def config(**sections: dict[str, object]) -> PlayerConfig:
    """A PlayerConfig that never touches the user's bandwidth cache."""
    abr = {"use_bandwidth_cache": False, **sections.pop("abr", {})}
    return PlayerConfig.from_dict({"abr": abr, **sections})


@dataclass(frozen=True, slots=True)
class Delivered:
    """One chunk as the sink received it (hashes, not bytes: sessions stay small)."""

    kind: TrackKind
    representation_id: str
    number: int
    data_sha256: str
    init_sha256: str
    size: int


class RecordingSink(NullSink):
    """A headless sink that keeps a digest of every chunk it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.delivered: list[Delivered] = []

    async def append(self, chunk: MediaChunk) -> None:
        self.delivered.append(
            Delivered(
                chunk.kind,
                chunk.representation_id,
                chunk.number,
                hashlib.sha256(chunk.data).hexdigest(),
                hashlib.sha256(chunk.init).hexdigest(),
                len(chunk.data),
            )
        )


@dataclass
class Run:
    """What one scenario's playback produced."""

    player: Player
    sink: MediaSink
    events: list[PlayerEvent] = field(default_factory=list)
    stats: PlaybackStats | None = None
    error: PlayerError | None = None
    position: float = 0.0

    def of(self, kind: type[PlayerEvent]) -> list[PlayerEvent]:
        return [e for e in self.events if isinstance(e, kind)]

    def appended(self, kind: TrackKind) -> list[int]:
        return [
            e.number
            for e in self.of(SegmentAppended)
            if isinstance(e, SegmentAppended) and e.track is kind
        ]


async def play_through(
    url: str,
    cfg: PlayerConfig | None = None,
    *,
    timeout: float,
    sink: MediaSink | None = None,
    during: Callable[[Run], Coroutine[Any, Any, None]] | None = None,
) -> Run:
    """Load ``url`` and play to the end or to a fatal error, bounded by ``timeout``
    (seconds of the running loop's clock); the Player is always closed."""
    loop = asyncio.get_running_loop()
    sink = sink or RecordingSink()
    player = Player(cfg or config(), sink=sink, clock=loop.time)
    run = Run(player, sink)
    player.on(None, run.events.append)
    helper: asyncio.Task[None] | None = None
    try:
        try:
            await player.load(url)
            if during is not None:
                helper = asyncio.create_task(during(run))
            run.stats = await player.wait_ended(timeout=timeout)
        except PlayerError as err:
            run.error = err
            run.stats = player.stats
        run.position = player.position
    finally:
        if helper is not None:
            helper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await helper
        await player.close()
    return run


def assert_completed(run: Run, duration: float, segments: int) -> None:
    """Playback ended normally: Ended, no fatal error, playhead at the end, every
    video and audio segment appended once and in order."""
    fatal = [e for e in run.of(Error) if isinstance(e, Error) and e.fatal]
    assert run.error is None and not fatal, f"playback failed: {run.error or fatal}"
    assert run.of(Ended), "no Ended event"
    assert run.stats is not None and run.stats.ended
    assert run.position == pytest.approx(duration, abs=0.5)
    expected = list(range(1, segments + 1))
    for kind in (TrackKind.VIDEO, TrackKind.AUDIO):
        assert run.appended(kind) == expected, f"{kind} segments appended: {run.appended(kind)}"


def _file_for(url: str, origins: list[str], title_dir: Path) -> Path:
    path = urlsplit(url).path
    for base in origins:
        prefix = urlsplit(base).path
        if path.startswith(prefix):
            path = path[len(prefix) :]
            break
    return title_dir / path.lstrip("/")


def assert_intact(run: Run, title_dir: Path, origins: list[str]) -> int:
    """Every chunk the sink got equals the origin's file (media and init); returns how
    many were checked."""
    sink = run.sink
    assert isinstance(sink, RecordingSink)
    pres = run.player.presentation
    assert pres is not None
    reps = {rep.id: rep for track in pres.all_tracks() for rep in track.representations}
    checked = 0
    for d in sink.delivered:
        rep = reps[d.representation_id]
        index = rep.index
        assert isinstance(index, SegmentIndex)
        seg = index.by_number(d.number)
        assert seg is not None
        media = _file_for(seg.url, origins, title_dir).read_bytes()
        if seg.byte_range is not None:
            end = seg.byte_range.end
            media = media[seg.byte_range.start : None if end is None else end + 1]
        assert hashlib.sha256(media).hexdigest() == d.data_sha256, (
            f"{d.representation_id} segment {d.number} differs from the origin's file"
        )
        init = index.init
        if init is not None:
            data = _file_for(init.url, origins, title_dir).read_bytes()
            assert hashlib.sha256(data).hexdigest() == d.init_sha256
        checked += 1
    return checked
