"""Request and response filters, per-request headers and query (real origin)."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from player.errors import Code, PlayerError
from player.net import (
    Fetcher,
    FetchResult,
    NetworkConfig,
    Request,
    RequestType,
    RetryPolicy,
    header_filter,
    hmac_signer,
    query_filter,
    sign_url,
    verify_signed_url,
)
from tests.net.faultserver import FaultServer, payload

KEY = b"origin-secret"
DATA = payload(50_000)
FAST = RetryPolicy(base_delay_s=0.01)


async def test_auth_header_and_token_query(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.require = lambda r: (
        r.headers.get("Authorization") == "Bearer t0k" and r.query.get("token") == "abc"
    )
    config = NetworkConfig(
        retry=FAST,
        request_filters=(
            header_filter({"Authorization": "Bearer t0k"}),
            query_filter({"token": "abc"}),
        ),
    )
    async with Fetcher(config) as fetcher:
        assert (await fetcher.fetch(url)).data == DATA
    async with Fetcher(NetworkConfig(retry=FAST)) as bare:
        with pytest.raises(PlayerError) as info:
            await bare.fetch(url)
    assert info.value.code is Code.BAD_HTTP_STATUS and info.value.data["status"] == 403
    assert not info.value.recoverable


async def test_hmac_signed_urls(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    origin.require = lambda r: verify_signed_url(r.path_qs, KEY)
    config = NetworkConfig(retry=FAST, request_filters=(hmac_signer(KEY),))
    async with Fetcher(config) as fetcher:
        result = await fetcher.fetch(url + "?a=1%2F2", query={"CMCD": 'br=3000,sid="x y"'})
    assert result.data == DATA
    hit = origin.hits_for("seg")[0]
    assert hit.query["CMCD"] == 'br=3000,sid="x y"'  # the per-request query arrived intact
    assert "sig" in hit.query and "exp" in hit.query
    # the wrong key or a tampered path does not verify
    assert not verify_signed_url(hit.path_qs, b"other-key")
    assert not verify_signed_url(hit.path_qs.replace("/seg", "/seh"), KEY)
    signed = sign_url("http://h/x?y=1", KEY, now=1000.0, ttl_s=10)
    assert verify_signed_url(signed, KEY, now=1005.0)
    assert not verify_signed_url(signed, KEY, now=1011.0)  # expired


async def test_async_filter_sees_each_attempt_and_type(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    seen: list[tuple[int, RequestType, str | None]] = []

    async def record(request: Request) -> Request:
        await asyncio.sleep(0)
        seen.append((request.attempt, request.request_type, request.headers.get("Range")))
        request.headers["X-Attempt"] = str(request.attempt)
        return request

    config = NetworkConfig(retry=FAST, request_filters=(record,))
    async with Fetcher(config) as fetcher:
        await fetcher.fetch(url, request_type=RequestType.INIT_SEGMENT, headers={"X-Cmcd": "1"})
    assert seen == [(1, RequestType.INIT_SEGMENT, None)]
    hit = origin.hits_for("seg")[0]
    assert hit.headers["X-Attempt"] == "1" and hit.headers["X-Cmcd"] == "1"


async def test_filters_limited_to_request_types(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    config = NetworkConfig(
        retry=FAST,
        request_filters=(header_filter({"X-Lic": "1"}, types={RequestType.LICENSE}),),
    )
    async with Fetcher(config) as fetcher:
        await fetcher.fetch(url)
    assert "X-Lic" not in origin.hits_for("seg")[0].headers


async def test_failing_request_filter_is_typed(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)

    def broken(request: Request) -> None:
        raise RuntimeError("no token available")

    async with Fetcher(NetworkConfig(retry=FAST, request_filters=(broken,))) as fetcher:
        with pytest.raises(PlayerError) as info:
            await fetcher.fetch(url)
    assert info.value.code is Code.REQUEST_FILTER_FAILED
    assert origin.hits == []  # nothing went out, nothing retried


async def test_response_filter_replaces_data(origin: FaultServer) -> None:
    url = origin.add("seg", DATA)
    digests: list[str] = []

    def checksum(result: FetchResult) -> FetchResult:
        digests.append(hashlib.sha256(result.data).hexdigest())
        return FetchResult(
            data=result.data[:10],
            url=result.url,
            status=result.status,
            headers=result.headers,
            started=result.started,
            first_byte=result.first_byte,
            finished=result.finished,
            attempts=result.attempts,
        )

    async with Fetcher(NetworkConfig(retry=FAST, response_filters=(checksum,))) as fetcher:
        result = await fetcher.fetch(url)
    assert result.data == DATA[:10]
    assert digests == [hashlib.sha256(DATA).hexdigest()]
