"""Cancelling and abandoning downloads against a real origin.

"At once" is shown without timing anything: the origin would keep the body coming (or
stall) for 30 s, every wait is bounded far below that, and the server sees its client
drop the connection.
"""

from __future__ import annotations

import asyncio

import pytest

from player.errors import Code, PlayerError
from player.net import CancelToken, Fetcher, NetworkConfig, Progress, RetryPolicy
from tests.net.faultserver import Fault, FaultServer, payload

DATA = payload(2_000_000)
PATIENT = RetryPolicy(stall_timeout_s=60, first_byte_timeout_s=60, timeout_s=120)


async def test_abandon_from_progress_callback(origin: FaultServer) -> None:
    """An ABR policy abandoning a download: cancel from the progress callback."""
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("drip", seconds=0.5, chunk=10_000))  # 50 s for the body
    token = CancelToken()
    calls: list[Progress] = []

    def on_progress(p: Progress) -> None:
        calls.append(p)
        if p.bytes_loaded >= 10_000:
            token.cancel("abandoned by the ABR policy")

    async with Fetcher(NetworkConfig(retry=PATIENT)) as fetcher:
        with pytest.raises(PlayerError) as info:
            await asyncio.wait_for(fetcher.fetch(url, on_progress=on_progress, cancel=token), 10)
        assert info.value.code is Code.REQUEST_CANCELLED
        assert info.value.data["reason"] == "abandoned by the ABR policy"
        assert len(calls) == 1  # no progress after the cancel
        await asyncio.wait_for(origin.client_gone.wait(), 10)  # the connection was closed
        # the fetcher is still usable afterwards
        other = origin.add("other", b"x" * 100)
        assert (await fetcher.fetch(other)).data == b"x" * 100


async def test_cancel_from_another_task_while_stalled(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("stall", after=50_000, seconds=30))
    token = CancelToken()

    async def cancel_when_body_flows() -> None:
        await origin.body_started.wait()
        await asyncio.sleep(0.1)
        token.cancel()

    async with Fetcher(NetworkConfig(retry=PATIENT)) as fetcher:
        canceller = asyncio.create_task(cancel_when_body_flows())
        with pytest.raises(PlayerError) as info:
            await asyncio.wait_for(fetcher.fetch(url, cancel=token), 10)
        await canceller
    assert info.value.code is Code.REQUEST_CANCELLED
    await asyncio.wait_for(origin.client_gone.wait(), 10)
    assert len(origin.hits_for("seg")) == 1  # a cancel is never retried


async def test_cancel_during_backoff(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("status", status=503))
    token = CancelToken()
    slow = RetryPolicy(max_attempts=5, base_delay_s=60.0)
    async with Fetcher(NetworkConfig(retry=slow)) as fetcher:
        task = asyncio.create_task(fetcher.fetch(url, cancel=token))
        while not origin.hits_for("seg"):
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # now in the 60 s backoff wait
        token.cancel()
        with pytest.raises(PlayerError) as info:
            await asyncio.wait_for(task, 10)
    assert info.value.code is Code.REQUEST_CANCELLED
    assert len(origin.hits_for("seg")) == 1


async def test_already_cancelled_token(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    token = CancelToken()
    token.cancel()
    async with Fetcher() as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url, cancel=token)
    assert info.value.code is Code.REQUEST_CANCELLED
    assert origin.hits == []


async def test_task_cancellation_propagates_and_closes(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.inject("seg", Fault("stall", after=50_000, seconds=30))
    async with Fetcher(NetworkConfig(retry=PATIENT)) as fetcher:
        task = asyncio.create_task(fetcher.fetch(url))
        await asyncio.wait_for(origin.body_started.wait(), 10)
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        await asyncio.wait_for(origin.client_gone.wait(), 10)
        # the fetcher keeps working for other requests
        assert (await fetcher.fetch(origin.add("ok", b"y" * 10))).data == b"y" * 10


async def test_progress_callback_error_is_returned_unchanged(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)

    def broken(p: Progress) -> None:
        raise ZeroDivisionError("the caller's bug")

    async with Fetcher() as fetcher:
        with pytest.raises(ZeroDivisionError):
            await fetcher.fetch(url, on_progress=broken)
    assert len(origin.hits_for("seg")) == 1
