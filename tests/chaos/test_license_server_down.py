"""Chaos in DRM: the ClearKey license server is down at start and at renewal.

Licenses are acquired by the offline store (the streaming Player takes keys from its app
and fetches no license itself), so the scenarios run there, with a real ClearKey license
server on loopback and the encrypted test title (``cenc``, the ladder of ``tiny_title``):

- down at start: the download stops with the one typed error,
  ``PlayerError(DRM, LICENSE_SERVER_UNREACHABLE)``, before any media is fetched, and the
  title resumes to completion once the server is back; it then plays with real
  decryption and decoding;
- down at renewal: renewing fails with the same typed error and changes nothing: the
  stored license and files are intact and the title still plays; renewing later works.
"""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer, LicensePolicy
from player.decode import CallbackVideoOutput, DecodingSink, VideoFrame
from player.engine import Ended
from player.errors import Category, Code, PlayerError
from player.offline import OfflineStore
from player.packager import ClearKeyEncryption, PackageResult, package
from player.player import Player
from tests.chaos._harness import config
from tests.chaos._timewarp import run_warped
from tests.conftest import TINY_LADDER, cached_title

pytestmark = pytest.mark.timeout(180)

KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"
DAY = 86400.0
TIME_SCALE = 4.0  # decoding is real work: a modest warp


@pytest.fixture(scope="session")
def cenc_title(bbb_clip: Path) -> PackageResult:
    """tiny_title's ladder encrypted with ClearKey ``cenc`` (the offline tests' title:
    same cache key, so it is built once for both)."""

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=TINY_LADDER,
            segment_duration=2.0,
            duration=10.0,
            loop=True,
            language="en",
            encryption=ClearKeyEncryption.from_hex(KID, KEY),
            progress=False,
        )

    return cached_title("offline-cenc", f"{TINY_LADDER}|2|10|en|{KID}", build)


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


async def _play(store: OfflineStore, title_id: str) -> tuple[bool, int, float]:
    """Play a stored title with real decryption and decoding; (ended, frames, position)."""
    loop = asyncio.get_running_loop()
    frames: list[VideoFrame] = []
    sink = DecodingSink(CallbackVideoOutput(frames.append), now=loop.time)
    playback = await store.open(title_id)
    sink.set_keys(dict(playback.keys))
    player = Player(config(), sink=sink, fetcher=playback.fetcher, clock=loop.time)
    ended: list[object] = []
    player.on(Ended, ended.append)
    try:
        await player.load(playback.presentation)
        await player.wait_ended(timeout=300)
        assert player.stats.errors == [], player.stats.errors
        return bool(ended), len(frames), player.position
    finally:
        await player.close()
        await playback.close()


def _server() -> ClearKeyLicenseServer:
    return ClearKeyLicenseServer(
        {KID: KEY}, LicensePolicy(license_duration_s=30 * DAY, playback_window_s=2 * DAY)
    )


def test_license_server_down_at_start(cenc_title: PackageResult, tmp_path: Path) -> None:
    async def scenario() -> None:
        from traces.origin import ShapedOrigin

        async with _server() as licenses, ShapedOrigin(cenc_title.dir) as origin:
            await licenses.go_down()  # nothing listens on its port
            url = origin.url + "manifest.mpd"
            with OfflineStore(
                tmp_path / "store", key_file=tmp_path / "k", use_keyring=False
            ) as store:
                with pytest.raises(PlayerError) as err:
                    await store.download(url, license_url=licenses.url)
                assert err.value.code is Code.LICENSE_SERVER_UNREACHABLE
                assert err.value.category is Category.DRM
                media = [r for r in origin.stats.log if r.path.endswith(".m4s")]
                assert not media, "no media is fetched without a license"
                [partial] = store.list()
                assert not partial.complete
                with pytest.raises(PlayerError) as not_ready:
                    await store.open(partial.id)
                assert not_ready.value.code is Code.DOWNLOAD_INCOMPLETE

                await licenses.come_up()
                info = await store.download(url, license_url=licenses.url)
                assert info.complete and info.id == partial.id
                ended, frames, position = await _play(store, info.id)
                assert ended and frames > 100
                assert position == pytest.approx(cenc_title.duration, abs=0.5)

    run_warped(scenario(), TIME_SCALE, wall_timeout=150)


def test_license_server_down_at_renewal(cenc_title: PackageResult, tmp_path: Path) -> None:
    async def scenario() -> None:
        from traces.origin import ShapedOrigin

        async with _server() as licenses, ShapedOrigin(cenc_title.dir) as origin:
            url = origin.url + "manifest.mpd"
            with OfflineStore(
                tmp_path / "store", key_file=tmp_path / "k", use_keyring=False
            ) as store:
                info = await store.download(url, license_url=licenses.url)
                assert info.complete
                before = _files(store.path)
                issued = len(licenses.requests)

                await licenses.go_down()
                with pytest.raises(PlayerError) as err:
                    await store.renew(info.id)
                assert err.value.code is Code.LICENSE_SERVER_UNREACHABLE
                assert err.value.category is Category.DRM
                # Nothing changed: same terms, same bytes on disk, still playable.
                assert store.get(info.id).expires_at == info.expires_at
                after_failure = _files(store.path)
                titles = {k: v for k, v in before.items() if k.startswith("titles/")}
                assert {k: after_failure[k] for k in titles} == titles
                ended, frames, _ = await _play(store, info.id)
                assert ended and frames > 100

                await licenses.come_up()
                renewed = await store.renew(info.id)
                assert len(licenses.requests) > issued
                assert renewed.expires_at is not None and info.expires_at is not None
                assert renewed.expires_at >= info.expires_at
                ended, frames, _ = await _play(store, info.id)
                assert ended and frames > 100

    run_warped(scenario(), TIME_SCALE, wall_timeout=150)
