"""Fixtures for Player tests on loopback: real traces, the shaped origin, packaged titles."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import traces
from player.config import PlayerConfig
from player.engine import PlayerEvent
from player.player import Player
from player.stats import PlaybackStats


def real_trace(dataset: str, name: str) -> traces.Trace:
    """One curated real trace by dataset and file name prefix."""
    for path in traces.trace_files(dataset):
        if path.name.startswith(name):
            return traces.load_trace(path)
    raise LookupError(f"no trace {name!r} in {dataset}")


def config(**sections: dict[str, object]) -> PlayerConfig:
    """A PlayerConfig that never reads or writes the user's bandwidth cache."""
    abr = {"use_bandwidth_cache": False, **sections.pop("abr", {})}
    return PlayerConfig.from_dict({"abr": abr, **sections})


@dataclass
class Session:
    """What one playback produced."""

    player: Player
    events: list[PlayerEvent] = field(default_factory=list)
    stats: PlaybackStats | None = None
    t0: float = 0.0

    def of(self, kind: type) -> list:  # type: ignore[type-arg]
        return [e for e in self.events if isinstance(e, kind)]


async def play(
    url: str,
    cfg: PlayerConfig | None = None,
    *,
    timeout: float = 60.0,
    during: Callable[[Session], object] | None = None,
    **player_kwargs: object,
) -> Session:
    """Load ``url``, play to the end (bounded by ``timeout``), close; return the session."""
    player = Player(cfg or config(), **player_kwargs)  # type: ignore[arg-type]
    s = Session(player)
    player.on(None, s.events.append)
    s.t0 = time.monotonic()
    try:
        await player.load(url)
        if during is not None:
            result = during(s)
            if asyncio.iscoroutine(result):
                await result
        s.stats = await player.wait_ended(timeout=timeout)
    finally:
        await player.close()
    return s


@pytest.fixture
def tiny_dir(tiny_title: object) -> Path:
    return Path(tiny_title.dir)  # type: ignore[attr-defined]
