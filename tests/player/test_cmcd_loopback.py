"""CMCD keys really reach the origin, as a query parameter or as headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web

from player.engine import Ended

from .conftest import config, play

pytestmark = pytest.mark.timeout(90)


class RecordingOrigin:
    """A static origin on 127.0.0.1 that records each request's CMCD data."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[tuple[str, str | None, dict[str, str]]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        cmcd_headers = {k: v for k, v in request.headers.items() if k.lower().startswith("cmcd-")}
        self.requests.append((request.path, request.query.get("CMCD"), cmcd_headers))
        path = (self.root / request.path.lstrip("/")).resolve()
        if not path.is_file() or self.root not in path.parents:
            return web.Response(status=404)
        return web.Response(body=path.read_bytes())

    async def __aenter__(self) -> RecordingOrigin:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


def _parse(payload: str) -> dict[str, str | bool]:
    out: dict[str, str | bool] = {}
    for item in payload.split(","):
        key, eq, value = item.partition("=")
        out[key] = value if eq else True
    return out


async def test_cmcd_query_on_every_request(tiny_dir: Path) -> None:
    cfg = config(cmcd={"enabled": True, "content_id": "tiny", "session_id": "s-1"})
    async with RecordingOrigin(tiny_dir.resolve()) as origin:
        s = await play(origin.url + "manifest.mpd", cfg)
    assert s.of(Ended)
    assert origin.requests and all(q is not None for _, q, _ in origin.requests)
    by_path = {path: _parse(q or "") for path, q, _ in origin.requests}
    assert by_path["/manifest.mpd"]["ot"] == "m"
    for path, keys in by_path.items():
        assert keys["sid"] == '"s-1"' and keys["cid"] == '"tiny"'
        if path == "/manifest.mpd":
            continue
        assert keys["sf"] == "d" and keys["st"] == "v"
        if path.endswith("init.mp4"):
            assert keys["ot"] == "i"
            continue
        assert keys["d"] == "2000"
        assert keys["ot"] == ("v" if path.startswith("/video/") else "a")
        number = int(path.rsplit("-", 1)[1].split(".")[0])
        if number < 5:
            assert keys["nor"] == f'"seg-{number + 1}.m4s"'
        else:
            assert "nor" not in keys
        if path.startswith("/video/"):
            assert keys["tb"] == "920"
            assert keys["br"] in {"208", "413", "920"}
            rung = {"208": "256x144", "413": "384x216", "920": "640x360"}[str(keys["br"])]
            assert rung in path, "br is the bitrate of the requested rung"
    first_media = next(k for p, k in by_path.items() if p.endswith("seg-1.m4s"))
    assert first_media.get("su") is True, "startup is flagged until the first frame"
    assert "bl" in first_media and "mtp" in first_media


async def test_cmcd_headers_mode(tiny_dir: Path) -> None:
    cfg = config(cmcd={"enabled": True, "mode": "headers", "session_id": "s-2"})
    async with RecordingOrigin(tiny_dir.resolve()) as origin:
        await play(origin.url + "manifest.mpd", cfg)
    segment = [(p, h) for p, q, h in origin.requests if p.endswith("seg-2.m4s")]
    assert segment
    for _, h in segment:
        assert "ot=" in h["CMCD-Object"] and "d=2000" in h["CMCD-Object"]
        assert 'sid="s-2"' in h["CMCD-Session"] and "sf=d" in h["CMCD-Session"]
        assert "bl=" in h["CMCD-Request"]
    assert all(q is None for _, q, _ in origin.requests), "no query in headers mode"
