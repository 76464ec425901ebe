"""Chaos in the media: the origin serves garbage for one segment.

The origin's ``corrupt=P`` fault answers 200 with the right length and garbage bytes, so
the network layer sees nothing wrong. The decode path must refuse the segment with a
typed, recoverable ``PlayerError(MEDIA, CORRUPT_SEGMENT)``; the Player records it, skips
the segment and plays on to the end with real decoding.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import aiohttp
import pytest

from player.config import PlayerConfig
from player.decode import CallbackVideoOutput, DecodingSink, VirtualAudioOutput
from player.engine import Ended, Error
from player.errors import Category, Code
from player.packager import PackageResult
from tests.chaos._harness import config, play_through, real_trace
from tests.chaos._timewarp import run_warped
from tests.chaos.conftest import title_dir
from traces.origin import FaultKind, ShapedOrigin

pytestmark = pytest.mark.timeout(180)

# Decoding is real work, not warped: a lower time scale than the headless scenarios,
# and rungs up to 360p, keep the decoder ahead of the warped clock on a loaded machine.
DECODE_TIME_SCALE = 4.0
CORRUPT = "corrupt=1,paths=/video/*/seg-5.m4s"  # video segment 5 of every rung


async def test_the_origin_serves_garbage_of_the_right_length(
    sample: PackageResult,
) -> None:
    d = title_dir(sample)
    rel = "video/384x216_400k/seg-5.m4s"
    original = (d / rel).read_bytes()
    async with (
        ShapedOrigin(d, faults=CORRUPT) as origin,
        aiohttp.ClientSession() as http,
    ):
        async with http.get(origin.url + rel) as r:
            status, body = r.status, await r.read()
        async with http.get(origin.url + "video/384x216_400k/seg-4.m4s") as r:
            clean = await r.read()
    assert status == 200 and len(body) == len(original)
    assert body != original, "the body is garbage"
    assert clean == (d / "video/384x216_400k/seg-4.m4s").read_bytes(), "only seg-5 is hit"
    assert origin.stats.faults[FaultKind.CORRUPT] == 1


def test_a_corrupt_segment_is_skipped_with_a_typed_error(sample: PackageResult) -> None:
    shown: list[tuple[float, str]] = []
    errors: list[Any] = []

    async def scenario() -> Any:
        loop = asyncio.get_running_loop()
        sink = DecodingSink(
            CallbackVideoOutput(lambda f: shown.append((f.pts, f.representation_id))),
            VirtualAudioOutput(now=loop.time),
            now=loop.time,
            on_error=errors.append,
        )
        cfg: PlayerConfig = config(preferences={"max_height": 360})
        async with ShapedOrigin(
            title_dir(sample),
            trace=real_trace("fcc-2016", "trace_26611"),
            faults=CORRUPT,
            clock=loop.time,
        ) as origin:
            run = await play_through(origin.url + "manifest.mpd", cfg, timeout=600, sink=sink)
        return run, origin

    run, origin = run_warped(scenario(), DECODE_TIME_SCALE, wall_timeout=150)
    assert origin.stats.faults[FaultKind.CORRUPT] >= 1
    assert run.error is None and run.of(Ended)
    assert not [e for e in run.of(Error) if isinstance(e, Error) and e.fatal]
    assert run.position == pytest.approx(sample.duration, abs=0.5)
    # Exactly the corrupt segment was refused, with the one typed, recoverable error.
    assert run.stats is not None
    media_errors = [e for e in run.stats.errors if e["category"] == Category.MEDIA.name]
    assert [(e["code"], e["fatal"]) for e in media_errors] == [(int(Code.CORRUPT_SEGMENT), False)]
    assert all(e["category"] == Category.MEDIA.name for e in run.stats.errors)
    # Real frames were decoded before and after the hole (segment 5 is 16-20 s).
    times = [pts for pts, _ in shown]
    assert any(t < 16.0 for t in times) and any(t > 24.0 for t in times)
    assert not [t for t in times if 16.0 <= t < 20.0 - 1e-3], "no picture from the garbage"


def test_garbage_is_deterministic_per_resource(sample: PackageResult) -> None:
    """The same corrupt segment comes back as the same garbage (reproducible runs)."""

    async def fetch_twice() -> list[str]:
        async with (
            ShapedOrigin(title_dir(sample), faults=CORRUPT) as origin,
            aiohttp.ClientSession() as http,
        ):
            out = []
            for _ in range(2):
                async with http.get(origin.url + "video/640x360_800k/seg-5.m4s") as r:
                    out.append(hashlib.sha256(await r.read()).hexdigest())
            return out

    a, b = asyncio.run(fetch_twice())
    assert a == b
