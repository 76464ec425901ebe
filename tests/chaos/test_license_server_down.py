"""Chaos in DRM: the ClearKey license server is down at start and at renewal.

A real ClearKey license server on loopback, the encrypted test title (``cenc``, the
ladder of ``tiny_title``) served by the shaped origin, real decryption and decoding.

Streaming (the Player gets its own license, ``player.drm_session``):

- down at start and for good: playback stops with the one typed error,
  ``PlayerError(DRM, LICENSE_SERVER_UNREACHABLE)``, and not one frame is shown;
- down at start but back within the license retries: playback completes, every frame;
- down at renewal (the license asks for renewal every 2 s): playback goes on with the
  keys it holds and completes, and renewals resume once the server is back (a renewal
  that got no answer is tried again an interval later: ``drm.eme``).

Offline (the store gets a persistent license):

- down at start: the download stops with ``LICENSE_SERVER_UNREACHABLE`` before any media
  is fetched, and the title resumes to completion once the server is back, then plays;
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
from player.engine import Ended, Error
from player.errors import Category, Code, PlayerError
from player.offline import OfflineStore
from player.packager import ClearKeyEncryption, PackageResult, package
from player.player import Player
from tests.chaos._harness import Run, config, play_through
from tests.chaos._timewarp import run_warped
from tests.conftest import TINY_LADDER, cached_title
from traces.origin import ShapedOrigin

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


# -- streaming --------------------------------------------------------------------------

FRAMES = 250  # 10 s at 25 fps


async def _stream(
    title: PackageResult, server: ClearKeyLicenseServer, during: object = None
) -> tuple[Run, int]:
    """Play the encrypted title through the Player with a decoding sink; (run, frames)."""
    loop = asyncio.get_running_loop()
    frames: list[float] = []
    # Frames are shown at their times on the warped clock (144p decodes far faster).
    sink = DecodingSink(CallbackVideoOutput(lambda f: frames.append(f.pts)), now=loop.time)
    cfg = config(preferences={"max_height": 144}, drm={"license_url": server.url})
    async with ShapedOrigin(title.dir, clock=loop.time) as origin:
        run = await play_through(
            origin.url + "manifest.mpd",
            cfg,
            timeout=300,
            sink=sink,
            during=during,  # type: ignore[arg-type]
        )
    return run, len(frames)


def test_stream_license_server_down_for_good(cenc_title: PackageResult) -> None:
    async def scenario() -> tuple[Run, int]:
        async with _server() as licenses:
            await licenses.go_down()
            return await _stream(cenc_title, licenses)

    run, frames = run_warped(scenario(), TIME_SCALE, wall_timeout=120)
    assert run.error is not None and run.error.code is Code.LICENSE_SERVER_UNREACHABLE
    assert run.error.category is Category.DRM
    fatal = [e for e in run.of(Error) if isinstance(e, Error) and e.fatal]
    assert len(fatal) == 1 and fatal[0].error is run.error
    assert not run.of(Ended) and frames == 0


def test_stream_license_server_down_at_start_then_back(cenc_title: PackageResult) -> None:
    async def scenario() -> tuple[Run, int, int]:
        async with _server() as licenses:
            await licenses.go_down()
            loop = asyncio.get_running_loop()
            # Back before the second license attempt (1 s after the first).
            back = loop.call_later(0.4, lambda: loop.create_task(licenses.come_up()))
            try:
                run, frames = await _stream(cenc_title, licenses)
            finally:
                back.cancel()
            return run, frames, len(licenses.requests)

    run, frames, requests = run_warped(scenario(), TIME_SCALE, wall_timeout=120)
    assert run.error is None and run.of(Ended)
    assert run.stats is not None and frames + run.stats.dropped_frames == FRAMES
    assert frames >= 0.9 * FRAMES
    assert requests >= 1
    assert run.position == pytest.approx(10.0, abs=0.5)


def test_stream_license_server_down_at_renewal(cenc_title: PackageResult) -> None:
    policy = LicensePolicy(license_duration_s=30 * DAY, renewal_interval_s=2.0)

    async def scenario() -> tuple[Run, int, list[int]]:
        async with ClearKeyLicenseServer({KID: KEY}, policy) as licenses:
            counts: list[int] = []

            async def outage(run: Run) -> None:
                while not licenses.requests:  # the first license is in
                    await asyncio.sleep(0.05)
                await licenses.go_down()  # the renewals at 2 and 4 s find nobody
                counts.append(len(licenses.requests))
                await asyncio.sleep(4.5)
                await licenses.come_up()
                counts.append(len(licenses.requests))

            run, frames = await _stream(cenc_title, licenses, during=outage)
            counts.append(len(licenses.requests))
            return run, frames, counts

    run, frames, counts = run_warped(scenario(), TIME_SCALE, wall_timeout=120)
    assert run.error is None and run.of(Ended), run.error
    assert not [e for e in run.of(Error) if isinstance(e, Error) and e.fatal]
    # Every frame decrypted with the keys held through the outage (shown, or dropped late).
    assert run.stats is not None and frames + run.stats.dropped_frames == FRAMES
    assert frames >= 0.9 * FRAMES
    assert counts[0] == counts[1] == 1, "nothing reached the server while it was down"
    assert counts[2] > counts[1], "renewals resumed once the server was back"
