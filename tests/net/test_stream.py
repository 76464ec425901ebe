"""Fetcher.stream: chunked delivery, resume after a break, slow consumers (real origin)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from player.errors import Code, PlayerError
from player.manifest import ByteRange
from player.net import Fetcher, NetworkConfig, RetryPolicy
from tests.net.faultserver import Fault, FaultServer, payload

DATA = payload(600_000)
FAST = RetryPolicy(base_delay_s=0.01, stall_timeout_s=2.0, first_byte_timeout_s=2.0)


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(NetworkConfig(retry=FAST)) as f:
        yield f


async def test_stream_delivers_the_body_in_chunks(origin: FaultServer, fetcher: Fetcher) -> None:
    url = origin.add("big", DATA)
    origin.inject("big", Fault("drip", seconds=0.0, chunk=100_000))
    async with fetcher.stream(url) as download:
        chunks = [chunk async for chunk in download]
    assert b"".join(chunks) == DATA and len(chunks) > 1
    assert download.nbytes == len(DATA)
    assert download.result is not None and download.result.nbytes == len(DATA)
    assert download.result.data == b""
    assert download.result.sample().nbytes == len(DATA)


@pytest.mark.parametrize("kind", ["reset", "truncate"])
async def test_stream_resumes_where_it_broke(
    origin: FaultServer, kind: str, fetcher: Fetcher
) -> None:
    url = origin.add("big", DATA)
    origin.inject("big", Fault(kind, after=250_000, times=1))
    async with fetcher.stream(url) as download:
        body = await download.read()
    assert body == DATA  # nothing lost, nothing twice
    first, second = origin.hits_for("big")
    assert "Range" not in first.headers
    resumed_at = int(second.headers["Range"].removeprefix("bytes=").rstrip("-"))
    assert 0 < resumed_at <= 250_000
    assert second.sent == len(DATA) - resumed_at
    assert download.result is not None
    assert [e.code for e in download.result.failures] == [Code.TRUNCATED_BODY]


async def test_stream_range_resumes_on_the_other_origin(
    origin: FaultServer, origin_b: FaultServer, fetcher: Fetcher
) -> None:
    a, b = origin.add("big", DATA), origin_b.add("big", DATA)
    origin.inject("big", Fault("reset", after=100_000))
    origin_b.inject("big", Fault("no_range"))  # B ignores Range: the part is cut out
    wanted = ByteRange(50_000, 449_999)
    async with fetcher.stream([a, b], byte_range=wanted) as download:
        body = await download.read()
    assert body == DATA[50_000:450_000]
    assert download.result is not None and download.result.url == b
    resumed = origin_b.hits_for("big")[0].headers["Range"]
    start = int(resumed.removeprefix("bytes=").split("-")[0])
    assert 50_000 < start <= 150_000 and resumed.endswith("-449999")


async def test_slow_consumer_is_not_a_stall(origin: FaultServer, fetcher: Fetcher) -> None:
    url = origin.add("big", DATA[:150_000])
    origin.inject("big", Fault("drip", seconds=0.05, chunk=50_000))
    policy = RetryPolicy(base_delay_s=0.01, stall_timeout_s=0.5, timeout_s=1.5)
    chunks = []
    async with fetcher.stream(url, buffer_chunks=1, retry=policy) as download:
        async for chunk in download:
            chunks.append(chunk)
            # longer than the stall timeout, and three of them outlast the attempt timeout
            await asyncio.sleep(1.0)
    assert b"".join(chunks) == DATA[:150_000]
    assert len(chunks) >= 3  # the producer really waited for the consumer
    assert download.result is not None and download.result.failures == ()
    assert len(origin.hits_for("big")) == 1


async def test_leaving_the_stream_stops_the_transfer(origin: FaultServer, fetcher: Fetcher) -> None:
    url = origin.add("big", DATA)
    origin.inject("big", Fault("drip", seconds=0.5, chunk=10_000))
    async with fetcher.stream(url) as download:
        async for _chunk in download:
            break
    await asyncio.wait_for(origin.client_gone.wait(), 10)
    assert origin.hits_for("big")[0].sent < len(DATA)


async def test_stream_errors_are_raised_from_iteration(
    origin: FaultServer, fetcher: Fetcher
) -> None:
    async with fetcher.stream(origin.url("missing")) as download:
        with pytest.raises(PlayerError) as info:
            await download.read()
    assert info.value.code is Code.BAD_HTTP_STATUS and info.value.data["status"] == 404
