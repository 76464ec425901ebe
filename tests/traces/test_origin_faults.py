"""Each fault kind, observed by a plain aiohttp client against the real origin."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from player.errors import Code, PlayerError
from traces.origin import FaultKind, FaultSpec, Outage, ShapedOrigin, parse_faults


async def _status(s: aiohttp.ClientSession, url: str) -> int:
    async with s.get(url) as r:
        await r.read()
        return r.status


def test_spec_grammar_round_trip() -> None:
    text = (
        "5xx=0.05,reset=0.02,truncate=0.02,stall=0.01:2s,slow-first-byte=0.1:1s,"
        "outage=10s@30s,outage=500ms@45s,every=60s,paths=*.m4s|*.mp4,seed=7"
    )
    spec = parse_faults(text)
    assert spec.error_rate == 0.05 and spec.error_status == 503
    assert spec.stall_s == 2.0 and spec.slow_first_byte_s == 1.0
    assert spec.outages == (Outage(30.0, 10.0), Outage(45.0, 0.5))
    assert spec.every_s == 60.0 and spec.paths == ("*.m4s", "*.mp4") and spec.seed == 7
    assert parse_faults(str(spec)) == spec
    assert parse_faults("5xx=1:502").error_status == 502
    assert parse_faults("") == FaultSpec()
    assert spec.is_down(31.0) and not spec.is_down(41.0) and spec.is_down(91.0)
    assert spec.is_down(45.2) and not spec.is_down(45.6)
    assert spec.matches("/a/b/chunk-1.m4s") and not spec.matches("/manifest.mpd")


@pytest.mark.parametrize(
    "text",
    [
        "5xx",
        "5xx=",
        "5xx=1.5",
        "5xx=abc",
        "5xx=0.1:404",
        "5xx=0.1:x",
        "reset=0.6,truncate=0.6",
        "stall=0.1",
        "stall=0.1:2",
        "stall=0.1:2 minutes",
        "outage=10s",
        "outage=10s@30s,every=20s",
        "every=60s",
        "paths=",
        "seed=x",
        "reset=0.1,reset=0.2",
        "jitter=0.1",
    ],
)
def test_bad_specs_are_invalid_argument(text: str) -> None:
    with pytest.raises(PlayerError) as info:
        parse_faults(text)
    assert info.value.code is Code.INVALID_ARGUMENT


async def test_5xx_rate_is_seeded_and_status_configurable(site: Path) -> None:
    runs = []
    for _ in range(2):
        async with (
            ShapedOrigin(site, faults="5xx=0.5:502", seed=3) as origin,
            aiohttp.ClientSession() as s,
        ):
            runs.append([await _status(s, origin.url + "subs.vtt") for _ in range(30)])
        assert origin.stats.faults[FaultKind.ERROR_5XX] == runs[-1].count(502)
    assert runs[0] == runs[1]  # same seed, same faults
    assert set(runs[0]) == {200, 502}
    assert 5 <= runs[0].count(502) <= 25


async def test_reset_mid_body(site: Path) -> None:
    async with (
        ShapedOrigin(site, faults="reset=1") as origin,
        aiohttp.ClientSession() as s,
    ):
        with pytest.raises(aiohttp.ClientPayloadError) as info:
            async with s.get(origin.url + "big.bin") as r:
                assert r.status == 200
                await r.read()
        assert "reset" in str(info.value).lower()
    assert origin.stats.faults[FaultKind.RESET] == 1
    assert origin.stats.log[0].body_bytes == 100_000


async def test_truncated_body(site: Path) -> None:
    async with (
        ShapedOrigin(site, faults="truncate=1") as origin,
        aiohttp.ClientSession() as s,
    ):
        got = bytearray()
        with pytest.raises(aiohttp.ClientPayloadError) as info:
            async with s.get(origin.url + "big.bin") as r:
                assert r.headers["Content-Length"] == "200000"
                async for chunk in r.content.iter_any():
                    got += chunk
        assert "reset" not in str(info.value).lower()  # a clean close, short body
        assert bytes(got) == (site / "big.bin").read_bytes()[:100_000]
    assert origin.stats.faults[FaultKind.TRUNCATE] == 1


async def test_stall_mid_body(site: Path) -> None:
    timeout = aiohttp.ClientTimeout(sock_read=0.5)
    async with (
        ShapedOrigin(site, faults="stall=1:4s,paths=*.bin") as origin,
        aiohttp.ClientSession(timeout=timeout) as s,
    ):
        assert await _status(s, origin.url + "video/seg-1.m4s") == 200  # not targeted
        got = 0
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(origin.url + "big.bin") as r:
                assert r.status == 200  # headers came at once; the body stops halfway
                async for chunk in r.content.iter_any():
                    got += len(chunk)
        assert got == 100_000
    assert origin.stats.faults[FaultKind.STALL] == 1


async def test_slow_first_byte(site: Path) -> None:
    timeout = aiohttp.ClientTimeout(total=0.5)
    async with (
        ShapedOrigin(site, faults="slow-first-byte=1:4s,paths=*.m4s") as origin,
        aiohttp.ClientSession(timeout=timeout) as s,
    ):
        assert await _status(s, origin.url + "manifest.mpd") == 200
        reached_headers = False
        with pytest.raises(asyncio.TimeoutError):
            async with s.get(origin.url + "video/seg-1.m4s"):
                reached_headers = True
        assert not reached_headers
    assert origin.stats.faults[FaultKind.SLOW_FIRST_BYTE] == 1


async def test_latency_is_paid_before_headers(site: Path) -> None:
    timeout = aiohttp.ClientTimeout(total=0.5)
    async with (
        ShapedOrigin(site, latency_ms=4000) as slow,
        ShapedOrigin(site, latency_ms=1) as quick,
        aiohttp.ClientSession(timeout=timeout) as s,
    ):
        assert await _status(s, quick.url + "subs.vtt") == 200
        with pytest.raises(asyncio.TimeoutError):
            await _status(s, slow.url + "subs.vtt")


async def test_outage_schedule_with_injected_clock(site: Path) -> None:
    now = [0.0]
    async with (
        ShapedOrigin(site, faults="outage=2s@1s,every=4s", clock=lambda: now[0]) as origin,
        aiohttp.ClientSession() as s,
    ):
        seen = []
        for t in (0.5, 1.5, 2.9, 3.5, 5.5, 7.0):
            now[0] = t
            try:
                seen.append(await _status(s, origin.url + "subs.vtt"))
            except aiohttp.ClientError:
                seen.append(0)
        assert seen == [200, 0, 0, 200, 0, 200]
        now[0] = 3.5
        origin.set_down(True)
        with pytest.raises(aiohttp.ClientError):
            await _status(s, origin.url + "subs.vtt")
        origin.set_down(False)
        assert await _status(s, origin.url + "subs.vtt") == 200
    assert origin.stats.faults[FaultKind.OUTAGE] >= 4


async def test_outage_cuts_a_response_in_flight(site: Path) -> None:
    from traces import Trace

    async with (
        ShapedOrigin(site, trace=Trace.constant(1e6)) as origin,
        aiohttp.ClientSession() as s,
    ):
        got = 0
        with pytest.raises(aiohttp.ClientError):
            async with s.get(origin.url + "big.bin") as r:
                async for chunk in r.content.iter_any():
                    got += len(chunk)
                    if got > 10_000:
                        origin.set_down(True)
        assert 10_000 < got < 200_000
