"""ClearKey end to end at the drm level: the EME session, LicenseClient and the real
ClearKey license server on 127.0.0.1. Requests are asserted as the server received them."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm import (
    COMMON,
    WIDEVINE,
    ClearKeyLicenseServer,
    DrmCode,
    DrmError,
    ExpirationChangeEvent,
    KeyStatus,
    KeyStatusesChangeEvent,
    LicenseClient,
    LicensePolicy,
    LicenseTransport,
    MediaKeys,
    MediaKeySystemConfiguration,
    RetryPolicy,
    b64url_decode,
    b64url_encode,
    bearer_token,
    build_pssh,
    license_request,
    request_media_key_system_access,
)
from drm._cdm import SessionType
from drm.clearkey import ClearKeySession

KID = bytes.fromhex("0123456789abcdef0123456789abcdef")
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
KID2 = bytes.fromhex("fedcba9876543210fedcba9876543210")
KEY2 = bytes.fromhex("ffeeddccbbaa99887766554433221100")
FAST = RetryPolicy(max_attempts=2, base_delay_s=0.01, fuzz_factor=0.0, timeout_s=5.0)
CONFIG = MediaKeySystemConfiguration(
    init_data_types=("cenc", "keyids"), session_types=("temporary", "persistent-license")
)


class FakeClock:
    """A settable clock (POSIX seconds) so expiry is tested without waiting."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[ClearKeyLicenseServer]:
    async with ClearKeyLicenseServer({KID.hex(): KEY.hex(), KID2.hex(): KEY2.hex()}) as srv:
        yield srv


async def _media_keys(clock: FakeClock | None = None) -> MediaKeys:
    if clock is None:
        access = await request_media_key_system_access("org.w3.clearkey", [CONFIG])
    else:
        access = await request_media_key_system_access("org.w3.clearkey", [CONFIG], clock=clock)
    return await access.create_media_keys()


def _keyids(*kids: bytes) -> bytes:
    return license_request(list(kids))


async def test_round_trip_gives_the_right_keys(server: ClearKeyLicenseServer) -> None:
    media_keys = await _media_keys()
    async with LicenseClient(
        media_keys, license_url=server.url, transport=LicenseTransport(retry=FAST)
    ) as client:
        session = await client.acquire("keyids", _keyids(KID, KID2))
    assert dict(session.key_statuses) == {KID: KeyStatus.USABLE, KID2: KeyStatus.USABLE}
    assert media_keys.content_keys([KID]) == {KID.hex(): KEY.hex()}
    assert media_keys.content_keys() == {KID.hex(): KEY.hex(), KID2.hex(): KEY2.hex()}
    (received,) = server.requests
    assert received.path == "/license"
    assert received.headers["Content-Type"] == "application/json"
    body = received.json()
    assert body == {"kids": [b64url_encode(KID), b64url_encode(KID2)], "type": "temporary"}
    assert all("=" not in k for k in body["kids"])  # base64url without padding
    assert session.expiration is None


async def test_cenc_init_data_reads_the_common_pssh(server: ClearKeyLicenseServer) -> None:
    init = build_pssh(WIDEVINE.system_id, [], b"\x12\x10" + KID, version=0) + build_pssh(
        COMMON.system_id, [KID]
    )
    media_keys = await _media_keys()
    async with LicenseClient(media_keys, license_url=server.url) as client:
        session = await client.acquire("cenc", init)
    assert session.key_statuses == {KID: KeyStatus.USABLE}
    widevine_only = build_pssh(WIDEVINE.system_id, [KID], b"")
    with pytest.raises(DrmError) as err:
        await media_keys.create_session().generate_request("cenc", widevine_only)
    assert err.value.code == DrmCode.INIT_DATA_INVALID


async def test_wrong_key_refused_and_down_are_distinct_typed_errors(
    server: ClearKeyLicenseServer,
) -> None:
    media_keys = await _media_keys()
    transport = LicenseTransport(retry=FAST)
    client = LicenseClient(media_keys, license_url=server.url, transport=transport)
    unknown = bytes(16)
    codes = []
    # Wrong key: the server holds no key for the content's KID.
    with pytest.raises(DrmError) as wrong:
        await client.acquire("keyids", _keyids(unknown))
    codes.append(wrong.value.code)
    assert wrong.value.data["missing"] == [unknown.hex()]
    # Refused: 403 with the server's reason.
    server.refuse("subscription lapsed")
    with pytest.raises(DrmError) as refused:
        await client.acquire("keyids", _keyids(KID))
    codes.append(refused.value.code)
    assert refused.value.data["status"] == 403
    assert "subscription lapsed" in refused.value.message
    assert not refused.value.recoverable
    # Down: nothing listens on the port any more.
    server.healthy()
    await server.go_down()
    with pytest.raises(DrmError) as down:
        await client.acquire("keyids", _keyids(KID))
    codes.append(down.value.code)
    assert down.value.recoverable
    assert codes == [
        DrmCode.KEY_ID_MISMATCH,
        DrmCode.LICENSE_REQUEST_FAILED,
        DrmCode.LICENSE_SERVER_UNREACHABLE,
    ]
    # None of them left a key for the decoder.
    assert media_keys.content_keys() == {}
    with pytest.raises(DrmError) as err:
        media_keys.content_keys([KID])
    assert err.value.code == DrmCode.KEY_ID_MISMATCH
    # Back up: the same client succeeds.
    await server.come_up()
    session = await client.acquire("keyids", _keyids(KID))
    assert session.key_statuses == {KID: KeyStatus.USABLE}
    await client.close()
    await transport.close()


async def test_retries_on_5xx_then_succeeds_or_gives_up(server: ClearKeyLicenseServer) -> None:
    media_keys = await _media_keys()
    async with LicenseClient(
        media_keys, license_url=server.url, transport=LicenseTransport(retry=FAST)
    ) as client:
        server.fail(503, count=1)
        session = await client.acquire("keyids", _keyids(KID))
        assert session.key_statuses == {KID: KeyStatus.USABLE}
        assert [r.status for r in server.requests] == [503, 200]
        server.fail(500)
        with pytest.raises(DrmError) as err:
            await client.acquire("keyids", _keyids(KID))
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
    assert (err.value.data["status"], err.value.data["attempts"]) == (500, 2)
    assert err.value.recoverable
    assert [r.status for r in server.requests] == [503, 200, 500, 500]


async def test_slow_server_times_out_as_unreachable(server: ClearKeyLicenseServer) -> None:
    server.delay(1.0)
    media_keys = await _media_keys()
    retry = RetryPolicy(max_attempts=1, timeout_s=0.2)
    async with LicenseClient(
        media_keys, license_url=server.url, transport=LicenseTransport(retry=retry)
    ) as client:
        with pytest.raises(DrmError) as err:
            await client.acquire("keyids", _keyids(KID))
    assert err.value.code == DrmCode.LICENSE_SERVER_UNREACHABLE
    assert err.value.data["reason"] == "timeout"


async def test_request_filters_reach_the_server(server: ClearKeyLicenseServer) -> None:
    media_keys = await _media_keys()
    transport = LicenseTransport(request_filters=[bearer_token(lambda: "tok-1")])
    async with (
        transport,
        LicenseClient(media_keys, license_url=server.url, transport=transport) as c,
    ):
        await c.acquire("keyids", _keyids(KID))

        def broken(request: object) -> None:
            raise RuntimeError("token service down")

        transport.request_filters.append(broken)
        with pytest.raises(DrmError) as err:
            await c.acquire("keyids", _keyids(KID))
    assert server.requests[0].headers["Authorization"] == "Bearer tok-1"
    assert len(server.requests) == 1
    assert err.value.code == DrmCode.LICENSE_REQUEST_FAILED
    assert "token service down" in err.value.message


async def test_license_duration_expires_keys_and_fires_events(
    server: ClearKeyLicenseServer,
) -> None:
    clock = FakeClock()
    server.clock = clock
    server.policy = LicensePolicy(license_duration_s=3600, playback_window_s=600)
    media_keys = await _media_keys(clock)
    events: list[object] = []
    async with LicenseClient(media_keys, license_url=server.url) as client:
        session = await client.acquire("keyids", _keyids(KID))
    session.add_event_listener("keystatuseschange", events.append)
    session.add_event_listener("expirationchange", events.append)
    assert session.expiration == clock.now + 3600
    # Playback starts 100 s later: the 600 s window now ends first.
    clock.now += 100
    assert media_keys.content_keys([KID]) == {KID.hex(): KEY.hex()}
    assert session.playback_started_at == clock.now
    assert session.expiration == clock.now + 600
    assert isinstance(events[-1], ExpirationChangeEvent)
    clock.now += 601
    assert session.key_statuses == {KID: KeyStatus.EXPIRED}
    assert isinstance(events[-1], KeyStatusesChangeEvent)
    assert events[-1].key_statuses == {KID: KeyStatus.EXPIRED}
    with pytest.raises(DrmError) as err:
        media_keys.content_keys([KID])
    assert err.value.code == DrmCode.EXPIRED
    assert server.requests[0].kids == (KID,)


async def test_expired_license_from_server_is_expired_error(server: ClearKeyLicenseServer) -> None:
    clock = FakeClock()
    server.clock = lambda: clock.now - 7200  # the server issued it two hours ago
    server.policy = LicensePolicy(license_duration_s=3600)
    media_keys = await _media_keys(clock)
    async with LicenseClient(media_keys, license_url=server.url) as client:
        with pytest.raises(DrmError) as err:
            await client.acquire("keyids", _keyids(KID))
    assert err.value.code == DrmCode.EXPIRED


async def test_renewal_messages_are_answered(server: ClearKeyLicenseServer) -> None:
    server.policy = LicensePolicy(renewal_interval_s=0.05)
    media_keys = await _media_keys()
    renewals: list[str] = []
    async with LicenseClient(media_keys, license_url=server.url) as client:
        session = await client.acquire("keyids", _keyids(KID))
        session.add_event_listener("message", lambda e: renewals.append(e.message_type))
        for _ in range(1000):  # bounded: at most 10 s (a loaded machine is slow)
            if len(server.requests) >= 3:
                break
            await asyncio.sleep(0.01)
        await session.close()
    assert len(server.requests) >= 3
    assert renewals[:2] == ["license-renewal", "license-renewal"]
    assert all(r.status == 200 and r.kids == (KID,) for r in server.requests)
    assert client.errors == []


async def test_persistent_license_export_load_and_release(server: ClearKeyLicenseServer) -> None:
    clock = FakeClock()
    server.clock = clock
    server.policy = LicensePolicy(license_duration_s=30 * 86400, playback_window_s=48 * 3600)
    media_keys = await _media_keys(clock)
    async with LicenseClient(media_keys, license_url=server.url) as client:
        session = await client.acquire("keyids", _keyids(KID), session_type="persistent-license")
        media_keys.content_keys([KID])  # playback started
        blob = session.export()
        await session.close()
    assert server.requests[0].session_type == "persistent-license"
    await server.go_down()  # offline from here on

    clock.now += 3600
    offline_keys = await _media_keys(clock)
    restored = offline_keys.create_session("persistent-license")
    assert await restored.load(blob)
    assert restored.session_id == session.session_id
    assert restored.key_statuses == {KID: KeyStatus.USABLE}
    assert restored.expiration == session.playback_started_at + 48 * 3600  # type: ignore[operator]
    assert offline_keys.content_keys([KID]) == {KID.hex(): KEY.hex()}

    # An edited blob, another key system's, or a clock turned back are refused.
    doc = json.loads(blob)
    doc["playback_started_at"] = clock.now
    for bad, code in (
        (json.dumps(doc).encode(), DrmCode.LICENSE_TAMPERED),
        (blob[:-5], DrmCode.LICENSE_TAMPERED),
        (b"not json", DrmCode.LICENSE_TAMPERED),
    ):
        with pytest.raises(DrmError) as err:
            await offline_keys.create_session("persistent-license").load(bad)
        assert err.value.code == code
    clock.now -= 86400 * 2
    with pytest.raises(DrmError) as err:
        await offline_keys.create_session("persistent-license").load(blob)
    assert err.value.code == DrmCode.CLOCK_TAMPERED
    clock.now += 86400 * 2

    # Release: the server hears a license-release for the KID; the session closes.
    await server.come_up()
    async with LicenseClient(offline_keys, license_url=server.url) as client:
        await client.release(restored)
    assert restored.closed
    release = server.requests[-1]
    assert release.release and release.kids == (KID,)
    release_body = release.json()
    assert isinstance(release_body, dict)
    assert release_body["abrkit"] == {"release": True}
    with pytest.raises(DrmError) as err:
        offline_keys.content_keys([KID])
    assert err.value.code == DrmCode.KEY_ID_MISMATCH


async def test_session_state_errors(server: ClearKeyLicenseServer) -> None:
    media_keys = await _media_keys()
    session = media_keys.create_session()
    with pytest.raises(DrmError) as err:
        await session.update(b"{}")
    assert err.value.code == DrmCode.INVALID_SESSION_STATE
    await session.generate_request("keyids", _keyids(KID))
    with pytest.raises(DrmError) as err:
        await session.generate_request("keyids", _keyids(KID))
    assert err.value.code == DrmCode.INVALID_SESSION_STATE
    with pytest.raises(DrmError) as err:
        session.export()
    assert err.value.code == DrmCode.INVALID_SESSION_STATE
    await session.close()
    with pytest.raises(DrmError) as err:
        await session.update(b"{}")
    assert err.value.code == DrmCode.SESSION_CLOSED
    with pytest.raises(DrmError) as err:
        await media_keys.create_session().generate_request("webm", KID)
    assert err.value.code == DrmCode.INIT_DATA_INVALID  # not a granted init data type


async def test_key_system_access_errors() -> None:
    with pytest.raises(DrmError) as err:
        await request_media_key_system_access("com.example.drm")
    assert err.value.code == DrmCode.UNSUPPORTED_KEY_SYSTEM
    with pytest.raises(DrmError) as err:
        await request_media_key_system_access(
            "org.w3.clearkey",
            [
                MediaKeySystemConfiguration(init_data_types=("sinf",)),
                MediaKeySystemConfiguration(session_types=("persistent-usage-record",)),
            ],
        )
    assert err.value.code == DrmCode.UNSUPPORTED_KEY_SYSTEM
    assert len(err.value.data["reasons"]) == 2
    access = await request_media_key_system_access(
        "org.w3.clearkey",
        [
            MediaKeySystemConfiguration(init_data_types=("sinf",)),
            MediaKeySystemConfiguration(init_data_types=("webm", "cenc", "skd")),
        ],
    )
    assert access.get_configuration().init_data_types == ("webm", "cenc")
    for key_system in ("com.widevine.alpha", "com.microsoft.playready", "com.apple.fps"):
        with pytest.raises(DrmError) as err:
            await request_media_key_system_access(key_system)
        assert err.value.code == DrmCode.NO_DEVICE_BACKEND
        assert "register_device_backend" in err.value.message


@pytest.mark.parametrize(
    "response",
    [
        b"not json",
        b"[]",
        b'{"keys": "x"}',
        b'{"keys": [{"kty": "RSA", "k": "AAAA", "kid": "AAAA"}]}',
        b'{"keys": [{"kty": "oct", "k": "AAAA", "kid": "AAAA"}]}',
        b'{"keys": [{"kty": "oct", "k": "' + b64url_encode(KEY).encode() + b'", "kid": ""}]}',
        b'{"keys": [], "abrkit": {"expires_at": "yesterday"}}',
        b'{"keys": [], "abrkit": {"playback_window_s": -1}}',
    ],
)
def test_malformed_licenses_are_rejected(response: bytes) -> None:
    cdm = ClearKeySession(SessionType.TEMPORARY)
    cdm.generate_request("keyids", _keyids(KID))
    with pytest.raises(DrmError) as err:
        cdm.update(response)
    assert err.value.code == DrmCode.LICENSE_RESPONSE_REJECTED


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=30),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(
                    st.sampled_from(["keys", "kty", "k", "kid", "type", "abrkit", "expires_at"]),
                    inner,
                    max_size=4,
                )
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    )
)
def test_fuzz_license_update_raises_only_drm_errors(response: bytes) -> None:
    cdm = ClearKeySession(SessionType.TEMPORARY)
    cdm.generate_request("keyids", _keyids(KID))
    try:
        cdm.update(response)
    except DrmError as err:
        assert err.code == DrmCode.LICENSE_RESPONSE_REJECTED


def test_b64url_helpers() -> None:
    assert b64url_encode(b"\xfb\xff") == "-_8"
    assert b64url_decode("-_8") == b"\xfb\xff"
    assert b64url_decode("-_8=") == b"\xfb\xff"
