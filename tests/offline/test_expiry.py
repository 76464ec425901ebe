"""Expiry, enforced on an injectable wall clock: the absolute expiry, the playback window
after the first play (also mid-play), a clock set back, and renewal online."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer
from player.config import PlayerConfig
from player.errors import Category, Code, PlayerError
from player.offline import OfflineStore
from player.sink import NullSink
from tests.offline.conftest import DAY, Clock
from traces.origin import ShapedOrigin

HOUR = 3600.0


def _config() -> PlayerConfig:
    return PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}})


async def _opens(store: OfflineStore, title_id: str) -> None:
    playback = await store.open(title_id)
    await playback.close()


async def _refused(store: OfflineStore, title_id: str, code: Code) -> PlayerError:
    with pytest.raises(PlayerError) as info:
        await store.open(title_id)
    assert info.value.code is code and info.value.category is Category.DRM
    return info.value


@pytest.fixture
async def title(
    store: OfflineStore, cenc_origin: ShapedOrigin, license_server: ClearKeyLicenseServer
) -> str:
    info = await store.download(cenc_origin.url + "manifest.mpd", license_url=license_server.url)
    assert info.protected
    return info.id


async def test_absolute_expiry_refuses_then_renewal_restores(
    store: OfflineStore,
    clock: Clock,
    title: str,
    cenc_origin: ShapedOrigin,
    license_server: ClearKeyLicenseServer,
) -> None:
    info = store.get(title)
    # The server's policy: 30 days from issue.
    assert info.expires_at == pytest.approx(clock() + 30 * DAY)
    assert info.to_json()["expires_at"] == "2027-02-14T08:00:00Z"
    clock.advance(29 * DAY)
    await _opens(store, title)
    clock.advance(1 * DAY)
    err = await _refused(store, title, Code.EXPIRED)
    assert err.data["title_id"] == title
    assert store.get(title).expired(clock())
    # Renewal fetches a license, not content.
    media_requests = cenc_origin.stats.requests
    licenses = len(license_server.requests)
    renewed = await store.renew(title)
    assert cenc_origin.stats.requests == media_requests
    assert len(license_server.requests) == licenses + 1
    assert renewed.expires_at == pytest.approx(clock() + 30 * DAY)
    await _opens(store, title)


async def test_playback_window_starts_at_first_play(
    store: OfflineStore, clock: Clock, title: str
) -> None:
    assert store.get(title).window_ends_at is None  # not played yet
    clock.advance(10 * DAY)  # the window does not run before the first play
    await _opens(store, title)
    info = store.get(title)
    assert info.first_played_at == clock()
    assert info.window_ends_at == pytest.approx(clock() + 48 * HOUR)
    clock.advance(47 * HOUR)
    await _opens(store, title)  # a later play does not restart the window
    assert store.get(title).window_ends_at == info.window_ends_at
    clock.advance(1 * HOUR)
    await _refused(store, title, Code.EXPIRED)
    await store.renew(title)
    assert store.get(title).window_ends_at is None
    await _opens(store, title)


async def test_playback_stops_when_the_window_ends_mid_play(
    store: OfflineStore, clock: Clock, title: str
) -> None:
    async with store.play(title, _config(), sink=NullSink()) as player:
        await asyncio.sleep(0.5)
        assert player.stats.errors == []
        clock.advance(48 * HOUR)  # the window ends while it plays
        with pytest.raises(PlayerError) as info:
            await player.wait_ended(timeout=10)
        assert info.value.code is Code.EXPIRED and info.value.category is Category.DRM
        stats = player.stats
    assert not stats.ended
    assert [(e["code"], e["fatal"]) for e in stats.errors] == [(int(Code.EXPIRED), True)]


async def test_clock_set_back_counts_as_expired_until_renewed(
    store: OfflineStore, clock: Clock, title: str, license_server: ClearKeyLicenseServer
) -> None:
    clock.advance(1 * DAY)
    await _opens(store, title)
    clock.advance(-2 * DAY)  # the user turns the clock back to gain time
    await _refused(store, title, Code.CLOCK_TAMPERED)
    assert store.get(title).needs_renewal and store.get(title).expired(clock())
    clock.advance(2 * DAY)  # putting it forward again does not undo the mark
    await _refused(store, title, Code.CLOCK_TAMPERED)
    # A small step back (NTP) is tolerated.
    await store.renew(title)
    await _opens(store, title)
    clock.advance(-60)
    await _opens(store, title)


async def test_clear_title_expires_on_store_defaults(
    tmp_path: Path, clock: Clock, tiny_origin: ShapedOrigin, key_file: Path
) -> None:
    with OfflineStore(
        tmp_path / "s", clock=clock, key_file=key_file, use_keyring=False,
        default_expiry_s=7 * DAY, default_window_s=None,
    ) as store:  # fmt: skip
        info = await store.download(tiny_origin.url + "manifest.mpd")
        assert not info.protected and info.expires_at == pytest.approx(clock() + 7 * DAY)
        await _opens(store, info.id)
        clock.advance(7 * DAY)
        await _refused(store, info.id, Code.EXPIRED)
        # Renewing a clear title proves the store is online (the manifest is fetched).
        before = tiny_origin.stats.requests
        await store.renew(info.id)
        assert tiny_origin.stats.requests == before + 1
        await _opens(store, info.id)
