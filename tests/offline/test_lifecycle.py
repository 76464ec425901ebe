"""A title's life: HLS too, selection, resume where it was left, removal with the license
released, and the command line (``abrkit download``, ``abrkit offline ls|play|renew|rm``)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer
from player.config import PlayerConfig
from player.errors import Code, PlayerError
from player.offline import OfflineStore, Selection
from player.packager import PackageResult
from player.sink import NullSink
from player.stats import PlaybackStats
from tests.offline.conftest import KEY, KID, source_files
from traces.origin import ShapedOrigin


def _config() -> PlayerConfig:
    return PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}})


async def test_hls_title_downloads_and_plays_offline(
    store: OfflineStore, tiny_title: PackageResult
) -> None:
    async with ShapedOrigin(tiny_title.dir) as origin:
        info = await store.download(origin.url + "master.m3u8", Selection(max_bitrate=500_000))
    stored = {p.name for p in store.title_dir(info.id).rglob("*.m4s")}
    assert stored == {f"seg-{i}.m4s" for i in range(1, 6)}
    assert not list(store.title_dir(info.id).rglob("*640x360*"))
    async with store.play(info.id, _config(), sink=NullSink(), start=8.0) as player:
        stats = await player.wait_ended(timeout=30)
    assert stats.ended and not stats.errors


async def test_selection_by_rung_ids_and_language(
    store: OfflineStore, tiny_origin: ShapedOrigin
) -> None:
    url = tiny_origin.url + "manifest.mpd"
    info = await store.download(url, Selection(representation_ids=("video-384x216_300k",)))
    dirs = {p.parent.name for p in store.title_dir(info.id).rglob("*.m4s")}
    assert dirs == {"384x216_300k", "en"}
    with pytest.raises(PlayerError) as err:
        await store.download(url, Selection(audio_languages=("fr",)))
    assert err.value.code is Code.INVALID_ARGUMENT and "en" in err.value.message
    with pytest.raises(PlayerError) as err:
        await store.download(url, Selection(representation_ids=("nope",)))
    assert err.value.code is Code.INVALID_ARGUMENT
    # A cap below every rung keeps the lowest, so the title still plays.
    low = await store.download(url, Selection(max_height=100))
    assert {p.parent.name for p in store.title_dir(low.id).rglob("*.m4s")} == {
        "256x144_150k",
        "en",
    }


async def test_playing_again_resumes_where_it_was_left(
    store: OfflineStore, tiny_origin: ShapedOrigin
) -> None:
    info = await store.download(tiny_origin.url + "manifest.mpd", Selection(max_height=144))
    async with store.play(info.id, _config(), sink=NullSink(), start=3.0) as player:
        await asyncio.sleep(1.5)
        left_at = player.position
    assert left_at > 3.5
    assert store.get(info.id).position == pytest.approx(left_at, abs=0.3)
    playback = await store.open(info.id)
    assert playback.resume_position == pytest.approx(left_at, abs=0.3)
    playback.player(_config(), sink=NullSink())
    player = await playback.start()
    assert player.position >= left_at - 0.5
    await playback.close()
    # Watched to the end, it starts over next time.
    async with store.play(info.id, _config(), sink=NullSink(), start=8.5) as player:
        await player.wait_ended(timeout=30)
    assert store.get(info.id).position is None
    assert (await store.open(info.id)).resume_position is None


async def test_remove_releases_the_license_and_reclaims_the_disk(
    store: OfflineStore, cenc_origin: ShapedOrigin, license_server: ClearKeyLicenseServer
) -> None:
    url = cenc_origin.url + "manifest.mpd"
    info = await store.download(url, license_url=license_server.url)
    low = await store.download(url, Selection(max_height=144), license_url=license_server.url)
    assert store.stored_bytes() == info.bytes + low.bytes
    assert await store.remove(info.id) is True
    release = [r for r in license_server.requests if r.release]
    assert len(release) == 1 and release[0].kids == (bytes.fromhex(KID),)
    assert not store.title_dir(info.id).exists()
    assert [t.id for t in store.list()] == [low.id]
    assert store.stored_bytes() == low.bytes
    with pytest.raises(PlayerError) as err:
        store.get(info.id)
    assert err.value.code is Code.TITLE_NOT_FOUND
    # With the server gone the title is still removed (the release is not acknowledged).
    await license_server.stop()
    assert await store.remove(low.id) is False
    assert store.list() == [] and store.stored_bytes() == 0


async def test_a_live_presentation_is_refused(
    store: OfflineStore, tiny_title: PackageResult
) -> None:
    from traces.origin import LiveConfig

    async with ShapedOrigin(tiny_title.dir, live=LiveConfig()) as origin:
        with pytest.raises(PlayerError) as err:
            await store.download(origin.url + "manifest.mpd")
    assert err.value.code is Code.UNSUPPORTED_FEATURE
    assert store.list() == []


# -- the command line -----------------------------------------------------------------


def _abrkit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "player.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_cli_download_ls_play_renew_rm(
    tmp_path: Path,
    cenc_title: PackageResult,
    license_server: ClearKeyLicenseServer,
) -> None:
    # The CLI runs on the real clock: a license server on the real clock too.
    await license_server.stop()
    store = ["--store", str(tmp_path / "s"), "--key-file", str(tmp_path / "k")]
    async with (
        ShapedOrigin(cenc_title.dir) as origin,
        ClearKeyLicenseServer({KID: KEY}) as lic,
    ):
        url = origin.url + "manifest.mpd"
        got = await asyncio.to_thread(
            _abrkit, "download", url, "--max-height", "216", "--lang", "en",
            "--license-url", lic.url, *store,
        )  # fmt: skip
        assert got.returncode == 0, got.stderr
        assert "100%" in got.stderr and "18/18 files" in got.stderr  # the progress bar
        again = await asyncio.to_thread(_abrkit, "download", url, "--max-height", "216",
                                        "--lang", "en", "--json", *store)  # fmt: skip
        record = json.loads(again.stdout)  # already complete: nothing fetched
        assert got.stdout.startswith(f"stored {record['id']}: ")
        listed = await asyncio.to_thread(_abrkit, "offline", "ls", "--json", *store)
    # The origin and the license server are gone from here on.
    assert listed.returncode == 0, listed.stderr
    [row] = json.loads(listed.stdout)
    assert row == record
    assert set(row) == {"id", "url", "bytes", "complete", "expires_at", "window_ends_at"}
    assert row["url"] == url and row["complete"] is True and row["window_ends_at"] is None
    expires = dt.datetime.fromisoformat(row["expires_at"].replace("Z", "+00:00"))
    assert expires > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)
    src = source_files(cenc_title)
    assert row["bytes"] == sum(len(v) for k, v in src.items() if "640x360" not in k)

    played = await asyncio.to_thread(
        _abrkit, "offline", "play", row["id"], "--for", "2", "--json", *store
    )
    assert played.returncode == 0, played.stderr
    stats = json.loads(played.stdout)
    assert set(stats) == set(PlaybackStats().to_json())
    assert stats["frames_decoded"] > 0 and stats["errors"] == []
    [row] = json.loads((await asyncio.to_thread(_abrkit, "offline", "ls", "--json", *store)).stdout)
    assert row["window_ends_at"] is not None  # the playback window started

    missing = await asyncio.to_thread(_abrkit, "offline", "play", "0" * 16, "--json", *store)
    assert missing.returncode == 2
    assert json.loads(missing.stdout)["error"]["code"] == int(Code.TITLE_NOT_FOUND)
    offline_renew = await asyncio.to_thread(
        _abrkit, "offline", "renew", row["id"], "--json", *store
    )
    assert offline_renew.returncode == 2  # renewal needs the license server
    assert json.loads(offline_renew.stdout)["error"]["category"] == "DRM"

    removed = await asyncio.to_thread(_abrkit, "offline", "rm", row["id"], "--json", *store)
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout) == {
        "id": row["id"],
        "removed": True,
        "license_released": False,
    }
    assert (
        json.loads((await asyncio.to_thread(_abrkit, "offline", "ls", "--json", *store)).stdout)
        == []
    )


@pytest.fixture(scope="session")
def single_file_title(bbb_clip: Path) -> PackageResult:
    """Two rungs in one file each with a sidx (DASH SegmentBase, HLS byte ranges), 4 s."""
    from player.packager import package
    from tests.conftest import cached_title

    ladder = "256x144@150k,384x216@300k"

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip, directory, ladder=ladder, segment_duration=2.0, duration=4.0,
            loop=True, language="en", single_file=True, progress=False,
        )  # fmt: skip

    return cached_title("offline-single", f"{ladder}|2|4|en|single", build)


async def test_single_file_sidx_title_stores_each_range(
    store: OfflineStore, single_file_title: PackageResult
) -> None:
    title = single_file_title
    async with ShapedOrigin(title.dir) as origin:
        info = await store.download(origin.url + "manifest.mpd")
    root = store.title_dir(info.id)
    stored = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    expected: dict[str, bytes] = {}
    for track in (*title.video, *title.audio):
        data = (Path(title.dir) / track.init).read_bytes()
        assert track.init_range is not None
        a, b = track.init_range
        expected[f"{track.init}.r{a}-{b}"] = data[a : b + 1]
        for a, b in track.byte_ranges:
            expected[f"{track.init}.r{a}-{b}"] = data[a : b + 1]
    assert stored == expected
    async with store.play(info.id, _config(), sink=NullSink()) as player:
        stats = await player.wait_ended(timeout=30)
    assert stats.ended and not stats.errors


async def test_a_network_failure_leaves_a_resumable_title(
    store: OfflineStore, tiny_title: PackageResult
) -> None:
    from player.net import NetworkConfig, RetryPolicy

    store.network = NetworkConfig(retry=RetryPolicy(max_attempts=1, base_delay_s=0.01))
    async with ShapedOrigin(tiny_title.dir, faults="5xx=1.0,paths=*seg-4.m4s") as origin:
        url = origin.url + "manifest.mpd"
        with pytest.raises(PlayerError) as err:
            await store.download(url, Selection(max_height=144))
        assert err.value.category.name == "NETWORK"
        [partial] = store.list()
        assert not partial.complete and partial.files_done > 0
    async with ShapedOrigin(tiny_title.dir, port=origin.port) as healthy:
        done_before = partial.files_done
        info = await store.download(url, Selection(max_height=144))
        assert info.complete
        assert healthy.stats.requests == info.files_total - done_before


async def test_files_are_fetched_in_parallel_within_the_bound(
    store: OfflineStore, tiny_title: PackageResult
) -> None:
    """A real server that counts requests in flight (each answer waits 50 ms)."""
    from aiohttp import web

    root = Path(tiny_title.dir)
    inflight = [0, 0]  # now, most

    async def handle(request: web.Request) -> web.StreamResponse:
        inflight[0] += 1
        inflight[1] = max(inflight[1], inflight[0])
        try:
            await asyncio.sleep(0.05)
            return web.FileResponse(root / request.match_info["tail"])
        finally:
            inflight[0] -= 1

    app = web.Application()
    app.router.add_get("/{tail:.*}", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        store.parallel = 3
        info = await store.download(f"http://127.0.0.1:{port}/manifest.mpd")
    finally:
        await runner.cleanup()
    assert info.complete and info.files_total == 24
    assert inflight[1] == 3
