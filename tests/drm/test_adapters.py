"""Widevine, PlayReady and FairPlay adapters against local servers speaking each system's
transport. The device is FakeDeviceBackendForTests (a stand-in for the vendor CDM); what is
asserted is abrkit's side: the request as the server received it, and the key statuses
after the response."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import urllib.parse
from collections.abc import Iterator

import pytest

from drm import (
    PLAYREADY,
    WIDEVINE,
    DrmCode,
    DrmError,
    KeyStatus,
    LicenseClient,
    LicenseTransport,
    MediaKeySystemConfiguration,
    RetryPolicy,
    WidevinePsshData,
    build_playready_object,
    build_pssh,
    build_wrm_header,
    parse_pssh,
    register_device_backend,
    request_media_key_system_access,
    unregister_device_backend,
)
from drm.adapters import map_key_status, unwrap_ckc
from tests.drm._fake_device import SPC_PREFIX, WV_PREFIX, WV_RENEWAL, FakeDeviceBackendForTests
from tests.drm._system_servers import (
    FPS_CERTIFICATE,
    SOAP_ACTION,
    fairplay_server,
    playready_server,
    widevine_server,
)

KID = bytes.fromhex("121a0fca0f1b475b8910297fa8e0a07e")
KID_HD = bytes.fromhex("9eb4050de44b4802932e27d75083e266")
FAST = RetryPolicy(max_attempts=1, timeout_s=5.0)


class Devices:
    """Makes fake devices and remembers them, so tests can look inside."""

    def __init__(self, system: str, **options: bool) -> None:
        self.system = system
        self.options = options
        self.made: list[FakeDeviceBackendForTests] = []

    def __call__(self) -> FakeDeviceBackendForTests:
        device = FakeDeviceBackendForTests(self.system, **self.options)
        self.made.append(device)
        return device


def _widevine_init(*kids: bytes) -> bytes:
    data = WidevinePsshData(key_ids=kids, provider="abrkit-test", content_id=b"title-1").to_bytes()
    return build_pssh(WIDEVINE.system_id, [], data, version=0)


async def test_widevine_license_exchange_and_status_mapping() -> None:
    devices = Devices("widevine")
    access = await request_media_key_system_access(
        "com.widevine.alpha",
        [MediaKeySystemConfiguration(init_data_types=("cenc",))],
        device_backend=devices,
    )
    media_keys = await access.create_media_keys()
    init = _widevine_init(KID, KID_HD)
    async with widevine_server() as server:
        server.statuses[KID_HD.hex()] = "kOutputRestricted"
        async with LicenseClient(
            media_keys,
            license_url=f"{server.base}/widevine",
            transport=LicenseTransport(retry=FAST),
        ) as client:
            session = await client.acquire("cenc", init)
    (seen,) = server.requests
    assert (seen.method, seen.path) == ("POST", "/widevine")
    assert seen.headers["Content-Type"] == "application/octet-stream"
    # The device was given the whole Widevine PSSH box, and its challenge went out unchanged.
    assert seen.body == WV_PREFIX + init
    assert devices.made[0].init_data == init
    assert session.init_data_info is not None
    assert session.init_data_info.key_ids == (KID, KID_HD)
    assert session.init_data_info.content_id == b"title-1".hex()
    assert session.key_statuses == {KID: KeyStatus.USABLE, KID_HD: KeyStatus.OUTPUT_RESTRICTED}
    assert media_keys.content_keys([KID]) == {KID.hex(): "ab" * 16}
    with pytest.raises(DrmError) as err:
        media_keys.content_keys([KID_HD])
    assert err.value.code == DrmCode.OUTPUT_RESTRICTED
    await session.close()
    assert devices.made[0].closed


async def test_widevine_renewal_goes_to_the_server() -> None:
    devices = Devices("widevine")
    access = await request_media_key_system_access("com.widevine.alpha", device_backend=devices)
    media_keys = await access.create_media_keys()
    init = _widevine_init(KID)
    async with widevine_server() as server:
        server.renewal_interval_s = 0.05
        async with LicenseClient(media_keys, license_url=f"{server.base}/widevine") as client:
            session = await client.acquire("cenc", init)
            for _ in range(1000):  # bounded: at most 10 s (a loaded machine is slow)
                if len(server.requests) >= 2:
                    break
                await asyncio.sleep(0.01)
            await session.close()
    assert server.requests[1].body == WV_RENEWAL + init
    assert len(devices.made[0].responses) >= 2
    assert client.errors == []


async def test_widevine_all_keys_restricted_is_output_restricted() -> None:
    access = await request_media_key_system_access(
        "com.widevine.alpha", device_backend=Devices("widevine")
    )
    media_keys = await access.create_media_keys()
    async with widevine_server() as server:
        server.statuses[KID.hex()] = "OUTPUT_RESTRICTED"
        async with LicenseClient(media_keys, license_url=f"{server.base}/widevine") as client:
            with pytest.raises(DrmError) as err:
                await client.acquire("cenc", _widevine_init(KID))
    assert err.value.code == DrmCode.OUTPUT_RESTRICTED


@pytest.mark.parametrize("wrapped", [False, True], ids=["soap", "PlayReadyKeyMessage"])
async def test_playready_soap_exchange_uses_the_la_url(wrapped: bool) -> None:
    devices = Devices("playready", wrap_playready=wrapped)
    access = await request_media_key_system_access(
        "com.microsoft.playready", device_backend=devices
    )
    media_keys = await access.create_media_keys()
    async with playready_server() as server:
        la_url = f"{server.base}/rightsmanager.asmx"
        header = build_wrm_header([KID], la_url)
        init = build_pssh(PLAYREADY.system_id, [], build_playready_object(header), version=0)
        async with LicenseClient(media_keys, transport=LicenseTransport(retry=FAST)) as client:
            session = await client.acquire("cenc", init)  # no license_url: LA_URL is used
    (seen,) = server.requests
    assert seen.path == "/rightsmanager.asmx"
    assert seen.headers["SOAPAction"] == SOAP_ACTION
    assert seen.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert seen.body.startswith(b'<?xml version="1.0" encoding="utf-8"?><soap:Envelope')
    assert b"AcquireLicense" in seen.body
    # The device got the WRMHEADER (UTF-16LE) from the PlayReady Object.
    assert devices.made[0].init_data == header.encode("utf-16-le")
    assert session.init_data_info is not None
    assert session.init_data_info.license_url == la_url
    assert session.key_statuses == {KID: KeyStatus.USABLE}


async def test_playready_soap_fault_is_a_typed_error_with_the_fault() -> None:
    access = await request_media_key_system_access(
        "com.microsoft.playready", device_backend=Devices("playready")
    )
    media_keys = await access.create_media_keys()
    init = build_pssh(
        PLAYREADY.system_id, [], build_playready_object(build_wrm_header([KID])), version=0
    )
    async with playready_server() as server:
        server.fault = "Device not authorized"
        retry = RetryPolicy(max_attempts=3, base_delay_s=0.01)
        async with LicenseClient(
            media_keys,
            license_url=f"{server.base}/rightsmanager.asmx",
            transport=LicenseTransport(retry=retry),
        ) as client:
            with pytest.raises(DrmError) as err:
                await client.acquire("cenc", init)
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
    assert "Device not authorized" in err.value.message
    assert "0x8004C600" in err.value.message
    assert len(server.requests) == 1  # a fault is an answer: no retry


async def test_playready_without_la_url_or_license_url_fails_clearly() -> None:
    access = await request_media_key_system_access(
        "com.microsoft.playready", device_backend=Devices("playready")
    )
    media_keys = await access.create_media_keys()
    init = build_pssh(
        PLAYREADY.system_id, [], build_playready_object(build_wrm_header([KID])), version=0
    )
    async with LicenseClient(media_keys) as client:
        with pytest.raises(DrmError) as err:
            await client.acquire("cenc", init)
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
    assert "no license URL" in err.value.message


async def test_fairplay_certificate_then_spc_ckc_exchange() -> None:
    devices = Devices("fairplay")
    register_device_backend("fairplay", devices)
    try:
        access = await request_media_key_system_access(
            "com.apple.fps", [MediaKeySystemConfiguration(init_data_types=("skd",))]
        )
    finally:
        unregister_device_backend("fairplay")
    media_keys = await access.create_media_keys()
    asset = "twelve"
    async with (
        fairplay_server() as server,
        LicenseClient(
            media_keys,
            license_url=f"{server.base}/fps/license",
            certificate_url=f"{server.base}/fps/cert",
        ) as client,
    ):
        session = await client.acquire("skd", f"skd://{asset}".encode())
    cert, spc = server.requests
    assert (cert.method, cert.path) == ("GET", "/fps/cert")
    assert (spc.method, spc.path) == ("POST", "/fps/license")
    assert spc.headers["Content-Type"] == "application/x-www-form-urlencoded"
    form = urllib.parse.parse_qs(spc.body.decode())
    assert form["assetId"] == [asset]
    cert_hash = hashlib.sha256(FPS_CERTIFICATE).hexdigest()[:16].encode()
    assert base64.b64decode(form["spc"][0]) == SPC_PREFIX + asset.encode() + b"|" + cert_hash
    # The certificate (sent base64) reached the device decoded.
    assert devices.made[0].certificate == FPS_CERTIFICATE
    kid = hashlib.md5(asset.encode()).digest()
    assert session.key_statuses == {kid: KeyStatus.USABLE}


async def test_fairplay_needs_a_certificate() -> None:
    access = await request_media_key_system_access(
        "com.apple.fps", device_backend=Devices("fairplay")
    )
    media_keys = await access.create_media_keys()
    with pytest.raises(DrmError) as err:
        await media_keys.create_session().generate_request("skd", b"skd://twelve")
    assert err.value.code == DrmCode.SERVER_CERTIFICATE_REQUIRED
    async with LicenseClient(media_keys, license_url="http://127.0.0.1:9/") as client:
        with pytest.raises(DrmError) as err:
            await client.acquire("skd", b"skd://twelve")
    assert err.value.code == DrmCode.SERVER_CERTIFICATE_REQUIRED


async def test_device_backend_failure_is_typed() -> None:
    class Broken(FakeDeviceBackendForTests):
        def create_challenge(self, init_data: bytes, session_type: str) -> bytes:
            raise RuntimeError("vendor library crashed")

    access = await request_media_key_system_access(
        "com.widevine.alpha", device_backend=lambda: Broken("widevine")
    )
    session = (await access.create_media_keys()).create_session()
    with pytest.raises(DrmError) as err:
        await session.generate_request("cenc", _widevine_init(KID))
    assert err.value.code == DrmCode.LICENSE_RESPONSE_REJECTED
    assert "vendor library crashed" in err.value.message


async def test_init_data_of_another_system_is_init_data_invalid() -> None:
    access = await request_media_key_system_access(
        "com.widevine.alpha", device_backend=Devices("widevine")
    )
    session = (await access.create_media_keys()).create_session()
    playready_only = build_pssh(
        PLAYREADY.system_id, [], build_playready_object(build_wrm_header([KID])), version=0
    )
    with pytest.raises(DrmError) as err:
        await session.generate_request("cenc", playready_only)
    assert err.value.code == DrmCode.INIT_DATA_INVALID


def test_keyids_init_data_becomes_a_widevine_pssh() -> None:
    from drm.adapters.widevine import extract_widevine_init_data
    from drm.clearkey import license_request

    info, box = extract_widevine_init_data("keyids", license_request([KID]))
    assert info.key_ids == (KID,)
    parsed = parse_pssh(box)
    assert parsed.system is WIDEVINE and parsed.version == 0


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("kUsable", KeyStatus.USABLE),
        ("usable", KeyStatus.USABLE),
        ("kOutputRestricted", KeyStatus.OUTPUT_RESTRICTED),
        ("OUTPUT_RESTRICTED", KeyStatus.OUTPUT_RESTRICTED),
        ("output-downscaled", KeyStatus.OUTPUT_DOWNSCALED),
        ("kExpired", KeyStatus.EXPIRED),
        ("StatusPending", KeyStatus.STATUS_PENDING),
        ("kReleased", KeyStatus.RELEASED),
        ("something new", KeyStatus.INTERNAL_ERROR),
    ],
)
def test_key_status_mapping(name: str, status: KeyStatus) -> None:
    assert map_key_status(name) is status


@pytest.mark.parametrize(
    ("body", "ckc"),
    [
        (b"<ckc>" + base64.b64encode(b"\x01\x02ckc") + b"</ckc>", b"\x01\x02ckc"),
        (b'{"ckc": "' + base64.b64encode(b"\x01ck") + b'"}', b"\x01ck"),
        (base64.b64encode(b"\xffraw") + b"\n", b"\xffraw"),
        (b"\x00\x01\x02binary ckc", b"\x00\x01\x02binary ckc"),
    ],
)
def test_ckc_forms(body: bytes, ckc: bytes) -> None:
    assert unwrap_ckc(body) == ckc


@pytest.fixture(autouse=True)
def _no_leftover_backends() -> Iterator[None]:
    yield
    for name in ("widevine", "playready", "fairplay"):
        unregister_device_backend(name)
