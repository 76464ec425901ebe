"""The shared bottleneck: token-bucket accounting on a virtual clock, and on the real
server (no wall-clock assertions; the accuracy check over wall time is
bench/origin_shaping.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from traces import Trace, load_trace, trace_files
from traces.origin import ShapedOrigin
from traces.origin._link import SharedLink


class VirtualTime:
    """A clock that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.t = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.t

    async def sleep(self, d: float) -> None:
        self.sleeps.append(d)
        self.t += d
        await asyncio.sleep(0)


def _link(trace: Trace, vt: VirtualTime) -> SharedLink:
    link = SharedLink(trace, clock=vt, sleep=vt.sleep)
    link.start()
    return link


async def test_constant_rate_accounting() -> None:
    vt = VirtualTime()
    link = _link(Trace.constant(2e6), vt)
    for _ in range(100):
        await link.take(2_500)
    assert link.bytes_granted == 250_000
    assert link.busy_until == pytest.approx(250_000 * 8 / 2e6)  # 1.0 s of link time
    # Each chunk is sent at the start of its slot: the last one when 99 had passed.
    assert vt.t == pytest.approx(99 * 2_500 * 8 / 2e6)


async def test_step_trace_and_outage_are_followed_exactly() -> None:
    vt = VirtualTime()
    # 1 s at 1 Mbit/s, 0.5 s of nothing, then 4 Mbit/s.
    link = _link(Trace.from_periods([1, 0.5, 100], [1e6, 0, 4e6]), vt)
    for _ in range(250):
        await link.take(1_000)
    # 125 kB in the first second, the gap, then 125 kB at 500 kB/s.
    assert link.busy_until == pytest.approx(1.0 + 0.5 + 0.25)


async def test_concurrent_transfers_share_the_link() -> None:
    vt = VirtualTime()
    link = _link(Trace.constant(8e6), vt)  # 1 MB/s
    done: dict[str, float] = {}

    async def transfer(name: str, nbytes: int) -> None:
        for _ in range(nbytes // 10_000):
            await link.take(10_000)
        done[name] = vt.t

    await asyncio.gather(transfer("a", 500_000), transfer("b", 500_000))
    # Together they needed 1 s; sharing fairly (chunk by chunk), both sent their last
    # chunk within a few 10-ms slots of the end, not one at 0.5 s and the other at 1 s.
    assert link.busy_until == pytest.approx(1.0)
    assert max(done.values()) == pytest.approx(0.99)
    assert min(done.values()) >= 0.95


async def test_idle_link_allows_only_a_small_burst() -> None:
    vt = VirtualTime()
    link = _link(Trace.constant(8e6), vt)
    vt.t = 10.0  # idle for 10 s: savings are capped at burst_s, not 10 s of capacity
    await link.take(1_000_000)
    assert link.busy_until == pytest.approx(10.0 + 1.0 - link.burst_s)


async def test_real_server_accounts_every_byte_through_the_link(site: Path) -> None:
    trace = Trace.constant(4e6)
    async with (
        ShapedOrigin(site, trace=trace) as origin,
        aiohttp.ClientSession() as s,
    ):

        async def get(path: str) -> bytes:
            async with s.get(origin.url + path) as r:
                return await r.read()

        bodies = await asyncio.gather(get("big.bin"), get("big.bin"), get("video/seg-1.m4s"))
    assert [len(b) for b in bodies] == [200_000, 200_000, 10_000]
    assert bodies[0] == (site / "big.bin").read_bytes()
    assert origin.link.bytes_granted == origin.stats.bytes_sent == 410_000
    # The bucket handed out 410 kB at 0.5 MB/s: the last byte is due no earlier than
    # 0.82 s of link time (less the burst), however fast loopback is.
    assert origin.link.busy_until >= 410_000 * 8 / 4e6 - origin.link.burst_s


async def test_time_scale_shrinks_the_trace_axis_only(site: Path) -> None:
    real = load_trace(trace_files("ghent-4g-lte")[0])
    async with ShapedOrigin(site, trace=real, time_scale=50) as origin:
        shaped = origin.link.trace
        assert shaped is not None
        assert shaped.duration == pytest.approx(real.duration / 50)
        assert shaped.rate_at(1.0) == real.rate_at(50.0)
        assert shaped.mean_bps == pytest.approx(real.mean_bps)
        async with aiohttp.ClientSession() as s, s.get(origin.url + "big.bin") as r:
            assert len(await r.read()) == 200_000
    assert origin.link.bytes_granted == 200_000


async def test_trace_latency_and_extra_latency_add(site: Path) -> None:
    waits: list[float] = []

    async def sleep(d: float) -> None:
        waits.append(d)
        await asyncio.sleep(d)

    sabre = Trace.constant(80e6, latency_s=0.020)
    async with (
        ShapedOrigin(site, trace=sabre, latency_ms=30, sleep=sleep) as origin,
        aiohttp.ClientSession() as s,
        s.get(origin.url + "subs.vtt") as r,
    ):
        assert r.status == 200
    assert waits[0] == pytest.approx(0.050)
