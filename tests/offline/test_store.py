"""Downloading and playing stored titles with the network off (no origin running)."""

from __future__ import annotations

from pathlib import Path

from drm import ClearKeyLicenseServer
from player.config import PlayerConfig
from player.decode import DecodingSink, NullVideoOutput, VirtualAudioOutput
from player.offline import DownloadProgress, OfflineStore, Selection
from player.packager import PackageResult
from tests.offline.conftest import KEY, KID, source_files
from traces.origin import ShapedOrigin


def _config() -> PlayerConfig:
    return PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}})


async def test_download_stores_the_selected_rungs_byte_identical(
    store: OfflineStore, tiny_origin: ShapedOrigin, tiny_title: PackageResult
) -> None:
    seen: list[DownloadProgress] = []
    url = tiny_origin.url + "manifest.mpd"
    info = await store.download(url, Selection(max_height=216), on_progress=seen.append)
    assert info.complete and not info.protected
    src = source_files(tiny_title)
    stored = {
        str(p.relative_to(store.title_dir(info.id))): p.read_bytes()
        for p in store.title_dir(info.id).rglob("*")
        if p.is_file()
    }
    # The 640x360 rung is over the cap: only 144p, 216p and the audio are stored.
    wanted = {k: v for k, v in src.items() if "640x360" not in k}
    assert stored == wanted
    assert info.bytes == sum(len(v) for v in wanted.values())
    assert seen[-1].files_done == seen[-1].files_total == len(wanted)
    assert seen[-1].bytes_done == info.bytes
    assert [p.files_done for p in seen] == sorted(p.files_done for p in seen)
    # Listing shows it; a second download of the same selection fetches nothing.
    assert [t.id for t in store.list()] == [info.id]
    before = tiny_origin.stats.requests
    again = await store.download(url, Selection(max_height=216))
    assert again.id == info.id and tiny_origin.stats.requests == before


async def test_stored_title_plays_with_the_origin_gone(
    store: OfflineStore, tiny_title: PackageResult
) -> None:
    async with ShapedOrigin(tiny_title.dir) as origin:
        info = await store.download(origin.url + "manifest.mpd")
    # The origin is stopped: nothing listens any more.
    frames: list[object] = []

    class Out(NullVideoOutput):
        def present(self, frame: object) -> None:
            frames.append(frame)

    sink = DecodingSink(Out(), VirtualAudioOutput(buffer_seconds=60), realtime=False)
    async with store.play(info.id, _config(), sink=sink) as player:
        stats = await player.wait_ended(timeout=60)
    assert stats.ended and not [e for e in stats.errors if e.get("fatal")]
    assert stats.frames_decoded > 0 and frames
    assert stats.segments >= 5


async def test_encrypted_title_keeps_content_encrypted_and_plays_offline(
    store: OfflineStore,
    cenc_origin: ShapedOrigin,
    cenc_title: PackageResult,
    license_server: ClearKeyLicenseServer,
    key_file: Path,
) -> None:
    url = cenc_origin.url + "manifest.mpd"
    info = await store.download(url, license_url=license_server.url)
    assert info.protected and info.complete
    assert [r.session_type for r in license_server.requests] == ["persistent-license"]
    # Content stays as served (encrypted); the key appears in no stored file.
    key = bytes.fromhex(KEY)
    src = source_files(cenc_title)
    for path in store.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert key not in data and KEY.encode() not in data, path
            rel = (
                str(path.relative_to(store.title_dir(info.id)))
                if store.title_dir(info.id) in path.parents
                else None
            )
            if rel is not None:
                assert data == src[rel]
    assert key not in key_file.read_bytes()
    await cenc_origin.stop()
    await license_server.stop()
    sink = DecodingSink(NullVideoOutput(), VirtualAudioOutput(buffer_seconds=60), realtime=False)
    async with store.play(info.id, _config(), sink=sink) as player:
        stats = await player.wait_ended(timeout=60)
    assert stats.ended and stats.frames_decoded > 0
    assert not [e for e in stats.errors if e.get("fatal")]
    assert sink.keys == {KID: KEY}
