"""The origin as a plain static server: content types, byte ranges, errors, several at once."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest
from yarl import URL

from player.errors import Code, PlayerError
from traces.origin import ShapedOrigin


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("manifest.mpd", "application/dash+xml"),
        ("master.m3u8", "application/vnd.apple.mpegurl"),
        ("video/seg-1.m4s", "video/iso.segment"),
        ("video/init.mp4", "video/mp4"),
        ("subs.vtt", "text/vtt"),
        ("big.bin", "application/octet-stream"),
    ],
)
async def test_content_types_and_whole_bodies(site: Path, path: str, ctype: str) -> None:
    async with ShapedOrigin(site) as origin, aiohttp.ClientSession() as s:
        async with s.get(origin.url + path) as r:
            assert r.status == 200
            assert r.headers["Content-Type"].split(";")[0] == ctype
            assert r.headers["Accept-Ranges"] == "bytes"
            assert await r.read() == (site / path).read_bytes()
        async with s.head(origin.url + path) as r:
            assert r.status == 200
            assert int(r.headers["Content-Length"]) == (site / path).stat().st_size
            assert await r.read() == b""


async def test_byte_ranges(site: Path) -> None:
    data = (site / "big.bin").read_bytes()
    size = len(data)
    async with ShapedOrigin(site) as origin, aiohttp.ClientSession() as s:
        url = origin.url + "big.bin"
        cases = {
            "bytes=0-99": (0, 99),
            "bytes=1000-": (1000, size - 1),
            "bytes=-500": (size - 500, size - 1),
            "bytes=199990-300000": (199990, size - 1),  # end clamped
            "bytes=-999999": (0, size - 1),
        }
        for header, (a, b) in cases.items():
            async with s.get(url, headers={"Range": header}) as r:
                assert r.status == 206, header
                assert r.headers["Content-Range"] == f"bytes {a}-{b}/{size}"
                assert await r.read() == data[a : b + 1]
        for header in ("bytes=200000-", "bytes=-0", "bytes=999999-1000000"):
            async with s.get(url, headers={"Range": header}) as r:
                assert r.status == 416, header
                assert r.headers["Content-Range"] == f"bytes */{size}"
        # Several ranges, or nonsense: ignored, the whole body with 200 (RFC 9110 allows it).
        for header in ("bytes=0-1,5-6", "items=0-5", "bytes=9-3", "bytes=a-b"):
            async with s.get(url, headers={"Range": header}) as r:
                assert r.status == 200, header
                assert await r.read() == data
        async with s.get(origin.url + "empty.m4s", headers={"Range": "bytes=0-"}) as r:
            assert r.status == 416


async def test_missing_forbidden_and_methods(site: Path) -> None:
    async with ShapedOrigin(site) as origin, aiohttp.ClientSession() as s:
        async with s.get(origin.url + "nope.m4s") as r:
            assert r.status == 404
        async with s.get(origin.url + "video") as r:
            assert r.status == 404  # a folder is not a file; no listings
        for raw in ("/../secret.txt", "/%2e%2e/secret.txt", "/video/..%2f..%2fsecret.txt"):
            async with s.get(URL(origin.url.rstrip("/") + raw, encoded=True)) as r:
                assert r.status == 404, raw
                assert b"outside" not in await r.read()
        async with s.post(origin.url + "big.bin", data=b"x") as r:
            assert r.status == 405
        async with s.options(origin.url + "big.bin") as r:
            assert r.status == 204
            assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert origin.stats.statuses[404] >= 4


async def test_several_origins_at_once(site: Path) -> None:
    async with (
        ShapedOrigin(site) as a,
        ShapedOrigin(site, faults="5xx=1") as b,
        aiohttp.ClientSession() as s,
    ):
        assert a.port != b.port and a.port > 0
        async with s.get(a.url + "subs.vtt") as r:
            assert r.status == 200
        async with s.get(b.url + "subs.vtt") as r:
            assert r.status == 503
    assert a.stats.requests == 1 and b.stats.faults_injected == 1


async def test_bad_arguments_are_typed(site: Path) -> None:
    for kwargs in ({"latency_ms": -1.0}, {"time_scale": 0.0}, {"port": 70000}):
        with pytest.raises(PlayerError) as info:
            ShapedOrigin(site, **kwargs)
        assert info.value.code is Code.INVALID_ARGUMENT
    with pytest.raises(PlayerError):
        ShapedOrigin(site / "missing")
    async with ShapedOrigin(site) as taken:
        with pytest.raises(PlayerError) as info:
            async with ShapedOrigin(site, port=taken.port):
                pass
        assert info.value.code is Code.INVALID_ARGUMENT


async def test_a_file_shrinking_mid_body_cuts_the_response(site: Path) -> None:
    from traces import Trace

    timeout = aiohttp.ClientTimeout(total=20)
    async with (
        ShapedOrigin(site, trace=Trace.constant(1e6)) as origin,
        aiohttp.ClientSession(timeout=timeout) as s,
    ):
        got = 0
        with pytest.raises(aiohttp.ClientPayloadError):
            async with s.get(origin.url + "big.bin") as r:
                async for chunk in r.content.iter_any():
                    if got == 0:
                        with open(site / "big.bin", "r+b") as f:
                            f.truncate(20_000)
                    got += len(chunk)
        assert got <= 20_000
        # The origin is still healthy for the next request.
        async with s.get(origin.url + "subs.vtt") as r:
            assert r.status == 200
