"""The Player's DRM pieces on real inputs: the encrypted test title's init and media
segments, its MPD and HLS playlists, a real ClearKey license server on loopback.

- where the license URL comes from (override, ``servers``, the MPD, an HLS playlist);
- which init segments need keys, and a malformed ``tenc`` as a typed error;
- the key check: the right key decodes, wrong keys (random ones too) are refused, a
  segment that does not demux is left undecided.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer
from player._key_verification import verify_content_keys
from player.config import DrmConfig
from player.drm_session import DrmSession
from player.errors import Code, PlayerError
from player.manifest import Presentation, parse_manifest
from player.packager import PackageResult

from .test_drm_e2e import KEY, KID, PLACEHOLDER_LICENSE_URL, WRONG_KEY, cenc_title

__all__ = ["cenc_title"]  # the fixture, shared with the end-to-end tests

pytestmark = pytest.mark.timeout(60)

QUICK_RETRY = 0.05


def _files(title: PackageResult) -> tuple[bytes, bytes, bytes, bytes]:
    """Video init, its first media segment, audio init, audio's first media segment."""
    root = Path(title.dir)
    v, a = root / "video" / "256x144_150k", root / "audio" / "en"
    return (
        (v / "init.mp4").read_bytes(),
        (v / "seg-1.m4s").read_bytes(),
        (a / "init.mp4").read_bytes(),
        (a / "seg-1.m4s").read_bytes(),
    )


def _mpd(title: PackageResult) -> Presentation:
    return parse_manifest(Path(title.mpd).read_bytes(), "http://127.0.0.1:1/manifest.mpd")


async def test_license_url_override_servers_then_manifest(cenc_title: PackageResult) -> None:
    init = _files(cenc_title)[0]
    pres = _mpd(cenc_title)
    async with ClearKeyLicenseServer({KID: KEY}) as server:
        for cfg in (
            DrmConfig(
                license_url=server.url,
                servers={"org.w3.clearkey": "http://x/"},
                retry_delay_s=QUICK_RETRY,
            ),
            DrmConfig(servers={"org.w3.clearkey": server.url}, retry_delay_s=QUICK_RETRY),
        ):
            session = DrmSession(cfg, lambda: pres)
            assert session.key_ids(init) == (KID,)
            task = session.request(init)
            assert task is not None and session.waiting
            await task
            assert not session.waiting and session.request(init) is None, "held now"
            assert session.key_system == "org.w3.clearkey"
            assert session.license_url == server.url and session.keys == {KID: KEY}
            await session.close()
        # Nothing configured: the MPD's Laurl (where nothing listens).
        session = DrmSession(DrmConfig(retry_delay_s=QUICK_RETRY), lambda: pres)
        task = session.request(init)
        assert task is not None
        with pytest.raises(PlayerError) as err:
            await task
        assert err.value.code is Code.LICENSE_SERVER_UNREACHABLE
        assert session.license_url == PLACEHOLDER_LICENSE_URL
        await session.close()


async def test_license_url_from_an_hls_media_playlist(cenc_title: PackageResult) -> None:
    init = _files(cenc_title)[0]
    playlist = Path(cenc_title.dir) / "video" / "256x144_150k" / "index.m3u8"
    async with ClearKeyLicenseServer({KID: KEY}) as server:
        text = playlist.read_text().replace(PLACEHOLDER_LICENSE_URL, server.url)
        assert f'URI="{server.url}"' in text and 'KEYFORMAT="org.w3.clearkey"' in text
        session = DrmSession(DrmConfig(retry_delay_s=QUICK_RETRY), lambda: None)
        session.note_playlist(text.encode(), "http://127.0.0.1:1/video/index.m3u8")
        task = session.request(init)
        assert task is not None
        await task
        assert session.license_url == server.url and session.keys == {KID: KEY}
        await session.close()


def test_which_init_segments_need_keys(
    cenc_title: PackageResult, tiny_title: PackageResult
) -> None:
    session = DrmSession(DrmConfig(), lambda: None)
    v_init, _, a_init, _ = _files(cenc_title)
    assert session.key_ids(v_init) == (KID,) and session.key_ids(a_init) == (KID,)
    clear = (Path(tiny_title.dir) / "video" / "256x144_150k" / "init.mp4").read_bytes()
    assert session.key_ids(clear) == () and session.key_ids(b"") == ()
    assert session.key_ids(clear[:40]) == (), "a damaged clear init is the decoder's to judge"
    # An encrypted init segment whose tenc box claims more bytes than there are.
    at = v_init.index(b"tenc") - 4
    broken = v_init[:at] + struct.pack(">I", 0x7FFFFFFF) + v_init[at + 4 :]
    with pytest.raises(PlayerError) as err:
        session.key_ids(broken)
    assert err.value.code is Code.INIT_DATA_INVALID


def test_the_key_check_tells_right_from_wrong(cenc_title: PackageResult) -> None:
    v_init, v_media, a_init, a_media = _files(cenc_title)
    for init, media in ((v_init, v_media), (a_init, a_media)):
        assert verify_content_keys(init, media, {KID: KEY}) is True
        assert verify_content_keys(init, media[:64], {KID: KEY}) is False, "undecided"
        # Seeded, so a run can be repeated; one strict decode of one sample let about one
        # random key in 40 through, so this many keys fail the check unless it looks further.
        rng = random.Random(20261121)
        for key in [WRONG_KEY] + [rng.randbytes(16).hex() for _ in range(150)]:
            with pytest.raises(PlayerError) as err:
                verify_content_keys(init, media, {KID: key}, representation_id="r", number=1)
            assert err.value.code is Code.DECRYPTION_FAILED
            assert err.value.data["key_ids"] == [KID]
