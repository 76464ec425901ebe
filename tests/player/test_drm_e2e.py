"""DRM in the Player end to end, on loopback with real parts only.

The encrypted title is ``tiny_title``'s ladder packaged by our packager with ClearKey
``cenc`` (a known KID and key), served by the shaped origin; keys come from a real
``ClearKeyLicenseServer`` through ``drm.KeyManager``; frames are really decoded by the
``DecodingSink``. Checks:

- frames through Player + DecodingSink equal, in count and pixels, the frames of the clear
  packaging of the same content (DASH and HLS; the manifest's license URL, or the
  config's override);
- each failure stops playback with its own typed error and not one frame presented:
  a wrong key (``DECRYPTION_FAILED``), a license without the KID (``KEY_ID_MISMATCH``), a
  refused license (``LICENSE_REQUEST_FAILED``), a server that is down
  (``LICENSE_SERVER_UNREACHABLE``);
- a NullSink decrypts nothing but still needs the license; the playhead waits for the
  license like a media element waiting for a key; a real-time session with audio shows
  every frame to the last one.
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drm import ClearKeyLicenseServer
from player.config import PlayerConfig
from player.decode import CallbackVideoOutput, DecodingSink, VideoFrame, VirtualAudioOutput
from player.engine import Ended, Error, PlaybackStarted, PlayerEvent
from player.errors import Category, Code, PlayerError
from player.packager import ClearKeyEncryption, PackageResult, package
from player.player import Player
from player.sink import MediaSink, NullSink
from tests.conftest import TINY_LADDER, cached_title
from traces.origin import ShapedOrigin

pytestmark = pytest.mark.timeout(120)

KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"
WRONG_KEY = "ffeeddccbbaa99887766554433221100"  # right KID, wrong key bytes
OTHER_KID = "fedcba9876543210fedcba9876543210"
# The packaged manifests name this license URL; nothing listens there (port 9, discard).
PLACEHOLDER_LICENSE_URL = "http://127.0.0.1:9/license"
FRAMES = 250  # 10 s at 25 fps


@pytest.fixture(scope="session")
def cenc_title(bbb_clip: Path) -> PackageResult:
    """``tiny_title`` encrypted: same ladder, segments and source, ClearKey ``cenc`` with
    KID/KEY, the placeholder license URL in the MPD (``Laurl``) and HLS (``EXT-X-KEY``)."""

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=TINY_LADDER,
            segment_duration=2.0,
            duration=10.0,
            loop=True,
            language="en",
            encryption=ClearKeyEncryption.from_hex(KID, KEY, PLACEHOLDER_LICENSE_URL),
            progress=False,
        )

    return cached_title("drm-e2e", f"{TINY_LADDER}|2|10|en|{KID}|{PLACEHOLDER_LICENSE_URL}", build)


def _config(**drm: Any) -> PlayerConfig:
    # The lowest rung only, so clear and encrypted sessions decode the same pictures;
    # quick license retries so "down" is found in well under a second.
    return PlayerConfig.from_dict(
        {
            "abr": {"use_bandwidth_cache": False},
            "preferences": {"max_height": 144},
            "drm": {"retry_delay_s": 0.05, **drm},
        }
    )


@dataclass
class Outcome:
    """What one session showed."""

    frames: list[tuple[float, str]] = field(default_factory=list)  # (pts, sha256 of YUV)
    events: list[PlayerEvent] = field(default_factory=list)
    error: PlayerError | None = None
    frames_decoded: int = 0
    dropped_frames: int = 0
    ttff_check: tuple[float, float, float | None, float | None] | None = None


def _digest(frame: VideoFrame) -> tuple[float, str]:
    return round(frame.pts, 6), hashlib.sha256(frame.to_ndarray("yuv420p").tobytes()).hexdigest()


async def _play(
    url: str,
    cfg: PlayerConfig,
    *,
    decode: bool = True,
    realtime: bool = False,
    audio: bool = False,
    timeout: float = 60.0,
) -> Outcome:
    out = Outcome()
    sink: MediaSink
    if decode:
        sink = DecodingSink(
            CallbackVideoOutput(lambda f: out.frames.append(_digest(f))),
            VirtualAudioOutput() if audio else None,
            realtime=realtime,
        )
    else:
        sink = NullSink()
    player = Player(cfg, sink=sink)
    player.on(None, out.events.append)
    t0 = time.monotonic()
    try:
        await player.load(url)
        t1 = time.monotonic()
        try:
            await player.wait_ended(timeout=timeout)
        except PlayerError as err:
            out.error = err
        stats = player.stats
        out.frames_decoded = stats.frames_decoded
        out.dropped_frames = stats.dropped_frames
        out.ttff_check = (t0, t1, stats.time_to_first_frame_s, sink.stats.first_frame_at)
    finally:
        await player.close()
    return out


@pytest.fixture(scope="module")
def clear_frames(tiny_title: PackageResult) -> list[tuple[float, str]]:
    """The frames of the clear packaging, decoded through the same Player and sink."""

    async def run() -> list[tuple[float, str]]:
        async with ShapedOrigin(tiny_title.dir) as origin:
            out = await _play(origin.url + "manifest.mpd", _config())
        assert out.error is None
        return out.frames

    frames = asyncio.run(run())
    assert len(frames) == FRAMES
    return frames


async def test_frames_equal_the_clear_packaging(
    cenc_title: PackageResult, clear_frames: list[tuple[float, str]]
) -> None:
    async with (
        ClearKeyLicenseServer({KID: KEY}) as server,
        ShapedOrigin(cenc_title.dir) as origin,
    ):
        out = await _play(origin.url + "manifest.mpd", _config(license_url=server.url))
        assert out.error is None
        assert out.frames == clear_frames, "same count, times and pixels as the clear title"
        assert any(isinstance(e, Ended) for e in out.events)
        # One license for the KID, shared by the audio and video tracks and every rung.
        licenses = [r for r in server.requests if r.status == 200]
        assert len(licenses) == 1 and licenses[0].kids == (bytes.fromhex(KID),)


async def test_hls_with_the_license_url_the_playlist_names(
    cenc_title: PackageResult, clear_frames: list[tuple[float, str]], tmp_path: Path
) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server:
        # The title as published with this server's URL: the playlists' EXT-X-KEY and the
        # MPD's Laurl name it; no override in the config.
        title = tmp_path / "title"
        shutil.copytree(cenc_title.dir, title)
        for path in [*title.rglob("*.m3u8"), *title.rglob("*.mpd")]:
            text = path.read_text()
            path.write_text(text.replace(PLACEHOLDER_LICENSE_URL, server.url))
        async with ShapedOrigin(title) as origin:
            out = await _play(origin.url + "master.m3u8", _config())
            assert out.error is None
            assert out.frames == clear_frames
            assert [r.status for r in server.requests] == [200]
            out = await _play(origin.url + "manifest.mpd", _config())
            assert out.error is None and out.frames == clear_frames


async def test_the_license_url_override_wins_over_the_manifest(
    cenc_title: PackageResult,
) -> None:
    async with ShapedOrigin(cenc_title.dir) as origin:
        # The manifest's own URL (the placeholder) leads nowhere.
        out = await _play(origin.url + "manifest.mpd", _config())
        assert out.error is not None
        assert out.error.code is Code.LICENSE_SERVER_UNREACHABLE
        assert PLACEHOLDER_LICENSE_URL in out.error.message or out.error.data
        assert out.frames == [] and out.frames_decoded == 0


@pytest.mark.parametrize(
    ("case", "codes"),
    [
        ("wrong-key", {Code.DECRYPTION_FAILED}),
        ("kid-missing", {Code.KEY_ID_MISMATCH, Code.NO_USABLE_KEY}),
        ("refused", {Code.LICENSE_REQUEST_FAILED}),
        ("down", {Code.LICENSE_SERVER_UNREACHABLE}),
    ],
)
async def test_each_failure_has_its_typed_error_and_no_frames(
    cenc_title: PackageResult, case: str, codes: set[Code]
) -> None:
    keys = {"wrong-key": {KID: WRONG_KEY}, "kid-missing": {OTHER_KID: KEY}}.get(case, {KID: KEY})
    async with ClearKeyLicenseServer(keys) as server, ShapedOrigin(cenc_title.dir) as origin:
        if case == "refused":
            server.refuse("no subscription")
        elif case == "down":
            await server.go_down()
        out = await _play(origin.url + "manifest.mpd", _config(license_url=server.url))
    assert out.error is not None, "playback must stop"
    assert out.error.category is Category.DRM and out.error.code in codes, out.error
    fatal = [e for e in out.events if isinstance(e, Error)]
    assert [e.fatal for e in fatal] == [True] and fatal[0].error is out.error
    assert not any(isinstance(e, Ended) for e in out.events)
    assert out.frames == [] and out.frames_decoded == 0, "no frame, garbage or not"


async def test_no_decode_still_needs_the_license(cenc_title: PackageResult) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        url = origin.url + "manifest.mpd"
        out = await _play(url, _config(license_url=server.url), decode=False)
        assert out.error is None and any(isinstance(e, Ended) for e in out.events)
        assert [r.status for r in server.requests] == [200]
        server.refuse()
        out = await _play(url, _config(license_url=server.url), decode=False)
        assert out.error is not None and out.error.code is Code.LICENSE_REQUEST_FAILED


async def test_playback_waits_for_the_license(cenc_title: PackageResult) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        server.delay(1.0)  # far longer than the first segments take on loopback
        answered_at_start: list[int] = []
        player = Player(_config(license_url=server.url))  # NullSink: the Player's clock
        player.on(PlaybackStarted, lambda ev: answered_at_start.append(len(server.requests)))
        try:
            await player.load(origin.url + "manifest.mpd")
            await player.wait_ended(timeout=60)
        finally:
            await player.close()
        assert answered_at_start == [1], "playback started only once the license was in"


async def test_realtime_with_audio_shows_every_frame(cenc_title: PackageResult) -> None:
    """The CLI's sink (audio clock leading), encrypted: every frame decoded is shown or
    counted as dropped, to the last one, and time to first frame is the first frame's."""
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        out = await _play(
            origin.url + "manifest.mpd",
            _config(license_url=server.url),
            realtime=True,
            audio=True,
        )
    assert out.error is None
    assert out.frames_decoded == FRAMES
    ended = [e for e in out.events if isinstance(e, Ended)]
    assert len(ended) == 1
    # Nothing is held back at the end: each frame decoded was shown or dropped as late.
    assert len(out.frames) + out.dropped_frames == FRAMES
    assert out.ttff_check is not None
    t0, t1, ttff, first_frame_at = out.ttff_check
    assert ttff is not None and first_frame_at is not None
    load_time = first_frame_at - ttff  # the Player measures from load(), on its clock
    assert t0 - 1e-6 <= load_time <= t1 + 1e-6


async def test_clear_keys_need_no_license_and_are_checked_too(
    cenc_title: PackageResult, clear_frames: list[tuple[float, str]]
) -> None:
    async with ShapedOrigin(cenc_title.dir) as origin:
        url = origin.url + "manifest.mpd"
        # The manifest's license URL leads nowhere: keys given up front need no license.
        out = await _play(url, _config(clear_keys={KID: KEY}))
        assert out.error is None and out.frames == clear_frames
        # A wrong key from the app is refused like a wrong key from a license.
        out = await _play(url, _config(clear_keys={KID: WRONG_KEY}))
        assert out.error is not None and out.error.code is Code.DECRYPTION_FAILED
        assert out.frames == [] and out.frames_decoded == 0


def test_bad_drm_settings_are_invalid_config() -> None:
    for bad in (
        {"clear_keys": {"0123": KEY}},
        {"clear_keys": {KID: "not hex"}},
        {"max_attempts": 0},
        {"servers": {"org.w3.clearkey": 5}},
        {"no_such_setting": 1},
    ):
        with pytest.raises(PlayerError) as err:
            PlayerConfig.from_dict({"drm": bad})
        assert err.value.code is Code.INVALID_CONFIG, bad


async def test_unknown_key_system_is_a_typed_error(cenc_title: PackageResult) -> None:
    async with ShapedOrigin(cenc_title.dir) as origin:
        out = await _play(origin.url + "manifest.mpd", _config(key_system="com.example.nope"))
    assert out.error is not None and out.error.code is Code.UNSUPPORTED_KEY_SYSTEM
    assert out.frames == []


async def test_servers_per_key_system_and_request_headers(
    cenc_title: PackageResult,
) -> None:
    async with ClearKeyLicenseServer({KID: KEY}) as server, ShapedOrigin(cenc_title.dir) as origin:
        cfg = _config(
            servers={"com.widevine.alpha": "http://127.0.0.1:9/wv", "org.w3.clearkey": server.url},
            headers={"X-Custom-Data": "token-1"},
        )
        out = await _play(origin.url + "manifest.mpd", cfg, decode=False)
    assert out.error is None
    [request] = server.requests
    assert request.status == 200 and request.headers.get("X-Custom-Data") == "token-1"
