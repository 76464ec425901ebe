"""The Player under faults: a flaky origin, an outage longer than the fetcher's retries,
a sink that raises, a policy that raises. Playback goes on, and every problem is in the
stats' errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from abr.interface import AbrContext, Decision
from player.engine import Ended, Error, RequestFailed, Stalled
from player.errors import Code
from player.sink import MediaChunk, NullSink
from traces.origin import ShapedOrigin

from .conftest import config, play, real_trace

pytestmark = pytest.mark.timeout(120)


async def test_a_flaky_origin_still_plays_to_the_end(tiny_dir: Path) -> None:
    faults = "5xx=0.15,reset=0.1,truncate=0.1,paths=*.m4s,seed=7"
    async with ShapedOrigin(
        tiny_dir, trace=real_trace("fcc-2016", "trace_26611"), faults=faults
    ) as o:
        s = await play(o.url + "manifest.mpd", config())
    assert s.of(Ended)
    assert sum(o.stats.faults.values()) > 0, "faults were injected"
    assert not [e for e in s.of(Error) if e.fatal]


async def test_an_outage_longer_than_the_fetchers_retries_is_survived(tiny_dir: Path) -> None:
    # Down from 1 s to 9 s: the fetcher gives up on requests (2 rounds), the engine
    # retries with backoff and playback resumes when the origin is back. With a 4 s goal
    # (plus slack, 2 s segments) at most ~6 s is buffered at 1 s, so it runs dry well
    # before 9 s (a 5 s outage ended just as the buffer did: a race, not a stall).
    cfg = config(buffer={"goal_s": 4.0})
    async with ShapedOrigin(tiny_dir, faults="outage=8s@1s") as o:
        s = await play(o.url + "manifest.mpd", cfg, timeout=90)
    assert s.of(Ended)
    assert s.of(RequestFailed), "the engine saw requests fail and retried them"
    assert s.of(Stalled), "an 8 s outage with at most 6 s of buffer stalls"
    assert not [e for e in s.of(Error) if e.fatal]


class _BrokenSink(NullSink):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    async def append(self, chunk: MediaChunk) -> None:
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("sink bug")


class _BrokenPolicy:
    name = "broken"

    def __init__(self) -> None:
        self.calls = 0

    def choose(self, ctx: AbrContext) -> Decision:
        self.calls += 1
        if self.calls % 2 == 0:
            raise ZeroDivisionError("policy bug")
        return Decision(0, "fine")


async def test_a_raising_sink_or_policy_does_not_stop_playback(tiny_dir: Path) -> None:
    sink = _BrokenSink()
    policy = _BrokenPolicy()
    async with ShapedOrigin(tiny_dir) as o:
        s = await play(o.url + "manifest.mpd", config(), sink=sink, policy=policy)
    assert s.of(Ended)
    assert s.stats is not None
    messages = [e["message"] for e in s.stats.errors]
    assert any("sink.append raised RuntimeError('sink bug')" in m for m in messages)
    policy_errors = [e for e in s.of(Error) if not e.fatal]
    assert policy_errors and all(e.error.code == Code.INTERNAL for e in policy_errors)
    assert "policy bug" in policy_errors[0].error.message
