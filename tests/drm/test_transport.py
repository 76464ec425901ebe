"""LicenseTransport against a real aiohttp server: filters, redirects, limits, error mapping."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from drm import (
    DrmCode,
    DrmError,
    LicenseRequest,
    LicenseResponse,
    LicenseTransport,
    RetryPolicy,
    static_headers,
)
from drm.transport import MAX_RESPONSE_BYTES

FAST = RetryPolicy(max_attempts=3, base_delay_s=0.01, fuzz_factor=0.0, timeout_s=5.0)


@pytest.fixture
async def base() -> AsyncIterator[str]:
    seen: list[web.Request] = []

    async def echo(request: web.Request) -> web.Response:
        seen.append(request)
        body = await request.read()
        return web.Response(body=body, headers={"X-Got": request.headers.get("X-Custom", "")})

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        chunk = b"x" * 65536
        for _ in range(MAX_RESPONSE_BYTES // len(chunk) + 2):
            await response.write(chunk)
        return response

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/echo")

    async def not_found(request: web.Request) -> web.Response:
        return web.Response(status=404, text="no such license")

    app = web.Application()
    app.router.add_post("/echo", echo)
    app.router.add_get("/echo", echo)
    app.router.add_post("/huge", huge)
    app.router.add_post("/moved", moved)
    app.router.add_post("/missing", not_found)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_async_filters_change_the_request_and_response(base: str) -> None:
    async def rewrite(request: LicenseRequest) -> None:
        request.url = f"{base}/echo"
        request.body = b"rewritten"

    def annotate(response: LicenseResponse) -> LicenseResponse:
        return LicenseResponse(
            response.url, response.status, response.headers, response.body.upper(), response.request
        )

    async with LicenseTransport(
        request_filters=[static_headers({"X-Custom": "42"}), rewrite],
        response_filters=[annotate],
        retry=FAST,
    ) as transport:
        response = await transport.send(LicenseRequest(url=f"{base}/nowhere", body=b"x"))
    assert response.body == b"REWRITTEN"
    assert response.headers["X-Got"] == "42"


async def test_redirects_are_followed(base: str) -> None:
    async with LicenseTransport(retry=FAST) as transport:
        response = await transport.send(LicenseRequest(url=f"{base}/moved", body=b"spc"))
    assert response.status == 200
    assert response.url.endswith("/echo")


async def test_4xx_is_not_retried(base: str) -> None:
    async with LicenseTransport(retry=FAST) as transport:
        with pytest.raises(DrmError) as err:
            await transport.send(LicenseRequest(url=f"{base}/missing"))
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
    assert err.value.data["status"] == 404
    assert err.value.data["attempts"] == 1
    assert "no such license" in err.value.message


async def test_response_too_large_is_rejected(base: str) -> None:
    async with LicenseTransport(retry=FAST) as transport:
        with pytest.raises(DrmError) as err:
            await transport.send(LicenseRequest(url=f"{base}/huge"))
    assert err.value.code == DrmCode.LICENSE_RESPONSE_REJECTED


@pytest.mark.parametrize("url", ["not a url", "ftp://127.0.0.1/x", "http://"])
async def test_bad_urls_are_request_failed(url: str) -> None:
    async with LicenseTransport(retry=RetryPolicy(max_attempts=1)) as transport:
        with pytest.raises(DrmError) as err:
            await transport.send(LicenseRequest(url=url))
    assert err.value.code in (DrmCode.LICENSE_REQUEST_FAILED, DrmCode.LICENSE_SERVER_UNREACHABLE)


async def test_refused_connection_is_unreachable_after_retries() -> None:
    async with LicenseTransport(retry=FAST) as transport:
        with pytest.raises(DrmError) as err:
            # Port 9 (discard) is closed on loopback here: connection refused.
            await transport.send(LicenseRequest(url="http://127.0.0.1:9/license"))
    assert err.value.code == DrmCode.LICENSE_SERVER_UNREACHABLE
    assert err.value.data["attempts"] == 3
    assert err.value.recoverable


def test_retry_delays_back_off() -> None:
    policy = RetryPolicy(base_delay_s=1.0, backoff_factor=2.0, fuzz_factor=0.0)
    assert [policy.delay(n) for n in (1, 2, 3)] == [1.0, 2.0, 4.0]
    fuzzy = RetryPolicy(base_delay_s=1.0, fuzz_factor=0.5)
    assert all(0.5 <= fuzzy.delay(1) <= 1.5 for _ in range(50))
