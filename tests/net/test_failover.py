"""Several origins per resource: failover, penalties, alternate CDNs (real servers)."""

from __future__ import annotations

import asyncio

import pytest

from player.errors import Code, PlayerError
from player.net import Fetcher, NetworkConfig, OriginHealth, Progress, RetryPolicy
from tests.net.faultserver import Fault, FaultServer, payload

FAST = RetryPolicy(base_delay_s=0.01, stall_timeout_s=2.0, first_byte_timeout_s=2.0)
DATA = payload(400_000)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_failing_origin_is_skipped_without_error(
    origin: FaultServer, origin_b: FaultServer
) -> None:
    a, b = origin.add("seg", DATA), origin_b.add("seg", DATA)
    origin.inject("seg", Fault("status", status=503))  # A is broken for good
    clock = FakeClock()
    async with Fetcher(NetworkConfig(retry=FAST), clock=clock) as fetcher:
        first = await fetcher.fetch([a, b])
        assert first.data == DATA and first.url == b and first.origin == origin_b.base
        assert [e.code for e in first.failures] == [Code.BAD_HTTP_STATUS]
        assert not fetcher.health.is_healthy(a)
        # while A is penalised, requests go to B first: A sees no new request
        second = await fetcher.fetch([a, b])
        assert second.url == b and second.attempts == 1
        assert len(origin.hits_for("seg")) == 1
        # after the penalty A is tried first again (and fails over again)
        clock.now += fetcher.config.origin_penalty_s + 1
        third = await fetcher.fetch([a, b])
        assert third.url == b and third.attempts == 2
        assert len(origin.hits_for("seg")) == 2


async def test_origin_taken_down_mid_download(origin: FaultServer, origin_b: FaultServer) -> None:
    """A dies while its body is half sent: the download completes from B."""
    a, b = origin.add("seg", DATA), origin_b.add("seg", DATA)
    origin.inject("seg", Fault("drip", seconds=0.05, chunk=20_000))
    progress: list[Progress] = []

    async def kill_a_mid_body() -> None:
        await origin.body_started.wait()
        await asyncio.sleep(0.1)
        await origin.take_down()

    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        killer = asyncio.create_task(kill_a_mid_body())
        result = await asyncio.wait_for(fetcher.fetch([a, b], on_progress=progress.append), 10)
        await killer
    assert result.data == DATA
    assert result.url == b
    sent_by_a = origin.hits_for("seg")[0].sent
    assert 0 < sent_by_a < len(DATA)  # A really was cut off mid-body
    assert any(p.url == a and p.bytes_loaded > 0 for p in progress)
    assert progress[-1].url == b and progress[-1].bytes_loaded == len(DATA)
    assert result.failures[0].code in (Code.TRUNCATED_BODY, Code.HTTP_ERROR)
    assert not fetcher.health.is_healthy(a)


async def test_not_found_on_one_origin_fails_over(
    origin: FaultServer, origin_b: FaultServer
) -> None:
    b = origin_b.add("seg", DATA)
    result_url = None
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        result = await fetcher.fetch([origin.url("seg"), b])
        result_url = result.url
        # a 404 says nothing about the origin's health: it is not penalised
        assert fetcher.health.is_healthy(origin.url("seg"))
    assert result_url == b


async def test_all_origins_failed(origin: FaultServer, origin_b: FaultServer) -> None:
    a, b = origin.add("seg", DATA), origin_b.add("seg", DATA)
    origin.inject("seg", Fault("status", status=502))
    await origin_b.take_down()
    async with Fetcher(NetworkConfig(retry=FAST)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch([a, b])
    err = info.value
    assert err.code is Code.ALL_ORIGINS_FAILED
    assert err.data["attempts"] == 4  # 2 rounds x 2 origins
    codes = sorted({e["code"] for e in err.data["errors"]})
    assert codes == ["BAD_HTTP_STATUS", "HTTP_ERROR"]
    assert err.data["urls"] == [a, b]


async def test_alternate_cdn_list(origin: FaultServer, origin_b: FaultServer) -> None:
    """A configured mirror serves when the manifest's own host is down."""
    a = origin.add("seg", DATA)
    origin_b.add("seg", DATA)
    await origin.take_down()
    config = NetworkConfig(retry=FAST, alternate_origins=(origin_b.base,))
    async with Fetcher(config) as fetcher:
        result = await fetcher.fetch(a)
    assert result.data == DATA
    assert result.url == origin_b.url("seg") and result.origin == origin_b.base


async def test_shared_health_between_fetchers(origin: FaultServer, origin_b: FaultServer) -> None:
    a, b = origin.add("seg", DATA), origin_b.add("seg", DATA)
    health = OriginHealth(penalty_s=60)
    health.penalise(a)
    async with Fetcher(NetworkConfig(retry=FAST), health=health) as fetcher:
        result = await fetcher.fetch([a, b])
    assert result.url == b and origin.hits_for("seg") == []
