"""``abrkit inspect``: local files and a real HTTP origin on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from player.cli import main
from player.packager import PackageResult
from tests.manifest.conftest import FIXTURES

REP_KEYS = {"id", "bandwidth", "width", "height", "codecs", "segments", "duration", "base_urls"}


def _inspect(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, Any]:
    code = main(["inspect", *args])
    out = capsys.readouterr().out
    return code, (json.loads(out) if "--json" in args else out)


def _check_shape(d: dict[str, Any]) -> None:
    assert set(d) == {"format", "live", "duration", "periods"}
    assert d["format"] in ("dash", "hls") and isinstance(d["live"], bool)
    for p in d["periods"]:
        assert set(p) == {"id", "start", "duration", "tracks"}
        for t in p["tracks"]:
            assert set(t) == {"kind", "language", "codecs", "protection", "representations"}
            assert t["kind"] in ("video", "audio", "text", "image", "other")
            for cp in t["protection"]:
                assert set(cp) == {"system", "default_kid", "license_url", "pssh"}
                assert cp["default_kid"] is None or len(cp["default_kid"]) == 32
                assert isinstance(cp["pssh"], bool)
            for r in t["representations"]:
                assert set(r) == REP_KEYS
                assert r["segments"] is None or isinstance(r["segments"], int)


def test_local_dash_json(capsys: pytest.CaptureFixture[str]) -> None:
    path = FIXTURES / "media/mpd/sample_mpd_dashif_license_url"
    code, d = _inspect(capsys, str(path), "--json")
    assert code == 0
    _check_shape(d)
    assert (d["format"], d["live"], d["duration"]) == ("dash", False, 350.0)
    (period,) = d["periods"]
    audio, video = period["tracks"]
    assert audio["kind"] == "audio" and video["kind"] == "video"
    wv = next(cp for cp in video["protection"] if cp["system"] == "widevine")
    assert wv == {
        "system": "widevine",
        "default_kid": "30303030303030303030303030303030",
        "license_url": "https://testserver2.test/AcquireLicense",
        "pssh": True,
    }
    rep = video["representations"][0]
    assert (rep["segments"], rep["duration"], rep["width"]) == (3, 6.006, 426)


def test_local_hls_media_playlist_is_one_period_track_representation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, d = _inspect(capsys, str(FIXTURES / "m3u8-parser/playlist.m3u8"), "--json")
    assert code == 0
    _check_shape(d)
    assert len(d["periods"]) == 1 and len(d["periods"][0]["tracks"]) == 1
    (rep,) = d["periods"][0]["tracks"][0]["representations"]
    assert rep["segments"] == 17 and rep["duration"] == pytest.approx(161.4167)


def test_local_master_loads_media_playlists_beside_it(
    capsys: pytest.CaptureFixture[str], tiny_title: PackageResult
) -> None:
    code, d = _inspect(capsys, str(tiny_title.hls_master), "--json")
    assert code == 0
    _check_shape(d)
    assert (d["format"], d["live"]) == ("hls", False)
    assert d["duration"] == pytest.approx(tiny_title.duration, abs=0.05)
    reps = [r for t in d["periods"][0]["tracks"] for r in t["representations"]]
    assert reps and all(r["segments"] == 5 for r in reps)
    code, d = _inspect(capsys, str(tiny_title.hls_master), "--json", "--no-fetch")
    reps = [r for t in d["periods"][0]["tracks"] for r in t["representations"]]
    assert all(r["segments"] is None for r in reps)


def test_readable_tree(capsys: pytest.CaptureFixture[str], tiny_title: PackageResult) -> None:
    code, text = _inspect(capsys, str(tiny_title.mpd))
    assert code == 0
    lines = text.splitlines()
    assert lines[0] == "DASH on demand, duration 10.000 s, 1 period(s)"
    assert "  video avc1.64000c" in lines or any(line.startswith("  video") for line in lines)
    assert any("video-256x144_150k" in line and "5 segments, 10.000 s" in line for line in lines)


class _Origin:
    """A real aiohttp server on 127.0.0.1 in its own thread, serving a folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.requests: list[str] = []

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(middlewares=[self._log])
        app.router.add_get("/broken/master.m3u8", self._broken_master)
        app.router.add_static("/", self.root)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._runner.cleanup())

    @web.middleware
    async def _log(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append(request.path)
        return await handler(request)  # type: ignore[no-any-return]

    async def _broken_master(self, request: web.Request) -> web.Response:
        # The real master with root-relative URIs, except that the first variant points
        # at a playlist that does not exist.
        lines = []
        for line in (self.root / "master.m3u8").read_text().splitlines():
            if line and not line.startswith("#"):
                line = "/" + line
            lines.append(line.replace('URI="', 'URI="/'))
        first = next(i for i, line in enumerate(lines) if line.startswith("/"))
        lines[first] = "/missing/index.m3u8"
        return web.Response(text="\n".join(lines) + "\n")

    def __enter__(self) -> _Origin:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def origin(tiny_title: PackageResult) -> Iterator[_Origin]:
    with _Origin(tiny_title.dir) as server:
        yield server


def test_http_master_and_mpd(capsys: pytest.CaptureFixture[str], origin: _Origin) -> None:
    code, d = _inspect(capsys, origin.url + "/master.m3u8", "--json")
    assert code == 0
    _check_shape(d)
    reps = [r for t in d["periods"][0]["tracks"] for r in t["representations"]]
    assert reps and all(r["segments"] == 5 for r in reps)
    assert all(r["base_urls"][0].startswith(origin.url) for r in reps)
    assert any(p.endswith("index.m3u8") for p in origin.requests)
    code, d = _inspect(capsys, origin.url + "/manifest.mpd", "--json")
    assert code == 0 and d["format"] == "dash"
    video = d["periods"][0]["tracks"][0]["representations"][0]
    assert video["base_urls"] == [origin.url + "/manifest.mpd"]
    assert video["segments"] == 5


def test_http_unreachable_media_playlist_is_null(
    capsys: pytest.CaptureFixture[str], origin: _Origin
) -> None:
    code, d = _inspect(capsys, origin.url + "/broken/master.m3u8", "--json")
    assert code == 0
    variants = d["periods"][0]["tracks"][0]["representations"]
    assert variants[0]["segments"] is None and variants[0]["base_urls"][0].endswith(
        "/missing/index.m3u8"
    )
    assert all(r["segments"] == 5 for r in variants[1:])


def test_http_errors_exit_2(capsys: pytest.CaptureFixture[str], origin: _Origin) -> None:
    code, d = _inspect(capsys, origin.url + "/nothing.mpd", "--json")
    assert code == 2 and d["error"]["category"] == "NETWORK" and d["error"]["code"] == 1001


def test_bad_manifest_exit_2_with_json_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.mpd"
    bad.write_bytes(
        b'<MPD type="static"><Period><AdaptationSet><Representation id="x" bandwidth="fast"/>'
    )
    code, d = _inspect(capsys, str(bad), "--json")
    assert code == 2
    assert set(d["error"]) >= {"category", "code", "message"}
    assert d["error"]["category"] == "MANIFEST" and d["error"]["code"] == 4003
    bad.write_bytes(
        b'<MPD type="static"><Period><AdaptationSet><Representation id="x" bandwidth="fast"/>'
        b"</AdaptationSet></Period></MPD>"
    )
    code, d = _inspect(capsys, str(bad), "--json")
    assert code == 2 and d["error"]["code"] == 4007 and "bandwidth" in d["error"]["message"]
    code, d = _inspect(capsys, str(tmp_path / "missing.mpd"), "--json")
    assert code == 2 and d["error"]["code"] == 7002
    code = main(["inspect", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "INVALID_ATTRIBUTE" in err


def test_single_file_dash_resolves_sidx_locally_and_over_http(
    capsys: pytest.CaptureFixture[str], bbb_clip: Path
) -> None:
    from tests.manifest.test_roundtrip import _title

    title = _title(bbb_clip, "single")
    code, d = _inspect(capsys, str(title.mpd), "--json")
    assert code == 0
    counts = [r["segments"] for t in d["periods"][0]["tracks"] for r in t["representations"]]
    assert counts and all(n == len(title.video[0].segments) for n in counts)
    with _Origin(title.dir) as server:
        code, d = _inspect(capsys, server.url + "/manifest.mpd", "--json")
    assert code == 0
    counts = [r["segments"] for t in d["periods"][0]["tracks"] for r in t["representations"]]
    assert counts and all(n == len(title.video[0].segments) for n in counts)
