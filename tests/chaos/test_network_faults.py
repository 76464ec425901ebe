"""Chaos on the network: the sample title over a real trace through the shaped origin on
loopback, one fault per scenario.

Each scenario plays on a time-warped loop (``conftest.TIME_SCALE``), bounded in wall time
by the runner and by pytest-timeout, and checks that playback completed (or failed with
the one typed error it must) and that every segment the player kept is byte-for-byte the
origin's file.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from player.engine import Ended, Error, FetchPurpose, RequestFailed, SegmentAppended, Stalled
from player.errors import Category, Code
from player.manifest import TrackKind
from player.packager import PackageResult
from tests.chaos._harness import (
    Run,
    assert_completed,
    assert_intact,
    config,
    play_through,
    real_trace,
)
from tests.chaos.conftest import title_dir
from traces.origin import FaultKind, ShapedOrigin

pytestmark = pytest.mark.timeout(120)

Warped = Callable[[Coroutine[Any, Any, Any], float], Any]
SEGMENTS = 16  # the sample title: 64 s in 4 s segments


def _trace() -> Any:
    return real_trace("fcc-2016", "trace_26611")  # a home broadband trace, ~2.4 Mbit/s


async def _play_with_faults(sample: PackageResult, faults: str) -> tuple[Run, ShapedOrigin]:
    loop = asyncio.get_running_loop()
    async with ShapedOrigin(
        title_dir(sample), trace=_trace(), faults=faults, clock=loop.time
    ) as origin:
        run = await play_through(origin.url + "manifest.mpd", config(), timeout=600)
    return run, origin


def _check_clean_finish(run: Run, sample: PackageResult, origin: ShapedOrigin) -> None:
    assert_completed(run, sample.duration, SEGMENTS)
    assert assert_intact(run, title_dir(sample), [origin.url]) == 2 * SEGMENTS


def test_origin_killed_mid_stream_with_a_second_origin_up(
    sample: PackageResult, warped: Warped, tmp_path: Path
) -> None:
    async def scenario() -> tuple[Run, list[str], int, int]:
        loop = asyncio.get_running_loop()
        d = title_dir(sample)
        async with (
            ShapedOrigin(d, trace=_trace(), clock=loop.time) as a,
            ShapedOrigin(d, trace=_trace(), clock=loop.time) as b,
        ):
            mpd = sample.mpd.read_text()
            bases = f"<BaseURL>{a.url}</BaseURL><BaseURL>{b.url}</BaseURL>"
            (tmp_path / "manifest.mpd").write_text(mpd.replace("<Period", bases + "<Period", 1))
            served_by_a = 0

            async def kill_a(run: Run) -> None:
                nonlocal served_by_a
                while len(run.of(SegmentAppended)) < 8:  # mid-stream: half the title in
                    await asyncio.sleep(0.05)
                await a.stop()  # the process is gone: connections are refused from now on
                served_by_a = a.stats.requests

            async with ShapedOrigin(tmp_path, clock=loop.time) as m:
                run = await play_through(m.url + "manifest.mpd", timeout=600, during=kill_a)
            late_b = [r for r in b.stats.log if r.status in (200, 206)]
            return run, [a.url, b.url], served_by_a, len(late_b)

    run, origins, served_by_a, served_by_b = warped(scenario(), 60)
    assert served_by_a > 0, "the first origin served before it was killed"
    assert served_by_b > 0, "the second origin took over"
    assert_completed(run, sample.duration, SEGMENTS)
    assert assert_intact(run, title_dir(sample), origins) == 2 * SEGMENTS


def test_all_origins_down_for_10s_then_back(sample: PackageResult, warped: Warped) -> None:
    # Down from 20 s to 30 s of playback time, when about 13 s are buffered: the engine
    # keeps retrying while the buffer lasts and playback goes on when the origin is back.
    run, origin = warped(_play_with_faults(sample, "outage=10s@20s"), 60)
    assert origin.stats.faults[FaultKind.OUTAGE] > 0, "requests really hit the outage"
    failed = [e for e in run.of(RequestFailed) if isinstance(e, RequestFailed)]
    assert failed and all(e.error.category is Category.NETWORK for e in failed)
    media = [e for e in failed if e.purpose is FetchPurpose.MEDIA]
    assert len(media) >= 2 and all(e.will_retry for e in media)
    _check_clean_finish(run, sample, origin)


def test_origin_gone_for_good_fails_with_retries_exhausted(
    sample: PackageResult, warped: Warped
) -> None:
    # Down from 20 s on, for longer than any buffer: no recovery is possible. The session
    # must end with exactly one fatal error, the fetcher's RETRIES_EXHAUSTED, once the
    # buffer no longer covers the next wait; and not hang.
    run, origin = warped(_play_with_faults(sample, "outage=1000s@20s"), 60)
    assert run.error is not None and run.error.code is Code.RETRIES_EXHAUSTED
    fatal = [e for e in run.of(Error) if isinstance(e, Error) and e.fatal]
    assert len(fatal) == 1 and fatal[0].error is run.error
    assert not run.of(Ended)
    failed = [
        e
        for e in run.of(RequestFailed)
        if isinstance(e, RequestFailed) and e.purpose is FetchPurpose.MEDIA
    ]
    assert failed[-1].will_retry is False and all(e.will_retry for e in failed[:-1])
    # It gave up on the buffer's account, not early: the playhead had played through
    # what was buffered, bar the last backoff.
    appended_until = min(
        max(
            e.start + e.duration
            for e in run.of(SegmentAppended)
            if isinstance(e, SegmentAppended) and e.track is kind
        )
        for kind in (TrackKind.VIDEO, TrackKind.AUDIO)
    )
    assert run.position > appended_until - 8.5
    assert_intact(run, title_dir(sample), [origin.url])


def test_one_second_of_latency_on_a_quarter_of_requests(
    sample: PackageResult, warped: Warped
) -> None:
    run, origin = warped(_play_with_faults(sample, "slow-first-byte=0.25:1s,seed=3"), 60)
    assert origin.stats.faults[FaultKind.SLOW_FIRST_BYTE] >= 5
    assert not run.of(RequestFailed), "a 1 s wait for headers is no failure"
    _check_clean_finish(run, sample, origin)


def test_five_percent_of_responses_are_5xx(sample: PackageResult, warped: Warped) -> None:
    run, origin = warped(_play_with_faults(sample, "5xx=0.05,seed=11"), 60)
    assert origin.stats.faults[FaultKind.ERROR_5XX] >= 1
    assert sum(n for status, n in origin.stats.statuses.items() if status >= 500) >= 1
    _check_clean_finish(run, sample, origin)


def test_connections_reset_mid_body(sample: PackageResult, warped: Warped) -> None:
    run, origin = warped(_play_with_faults(sample, "reset=0.15,paths=*.m4s,seed=5"), 60)
    assert origin.stats.faults[FaultKind.RESET] >= 2
    _check_clean_finish(run, sample, origin)


def test_truncated_bodies(sample: PackageResult, warped: Warped) -> None:
    # A clean FIN after half the body, with the full Content-Length announced: the player
    # must notice the short body and never keep half a segment.
    run, origin = warped(_play_with_faults(sample, "truncate=0.15,paths=*.m4s,seed=5"), 60)
    assert origin.stats.faults[FaultKind.TRUNCATE] >= 2
    _check_clean_finish(run, sample, origin)


def test_stalls_are_reported_not_hidden(sample: PackageResult, warped: Warped) -> None:
    """The checks can fail: an outage longer than the buffer but shorter than the retry
    budget stalls playback, and the scenario sees the stall and still completes."""
    cfg = config(buffer={"goal_s": 6.0}, streaming={"max_attempts": 8})

    async def scenario() -> tuple[Run, ShapedOrigin]:
        loop = asyncio.get_running_loop()
        async with ShapedOrigin(
            title_dir(sample), trace=_trace(), faults="outage=12s@20s", clock=loop.time
        ) as origin:
            run = await play_through(origin.url + "manifest.mpd", cfg, timeout=600)
        return run, origin

    run, origin = warped(scenario(), 60)
    assert run.of(Stalled), "12 s down with 6 s of buffer must stall"
    assert run.stats is not None and run.stats.rebuffer_s > 3.0
    _check_clean_finish(run, sample, origin)
