"""Init data of each system: Widevine PSSH protobuf, PlayReady PRO/WRMHEADER, FairPlay skd://,
HLS key tags. Round trips, byte-level checks against real boxes, and fuzzing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm import DrmCode, DrmError, build_pssh, parse_pssh
from drm.content_protection import describe_content_protection
from drm.fairplay import parse_skd_uri
from drm.hls_keys import parse_ext_x_key
from drm.playready import (
    build_playready_object,
    build_wrm_header,
    guid_to_kid,
    kid_to_guid,
    parse_playready_object,
    parse_wrm_header,
)
from drm.systems import PLAYREADY, WIDEVINE, system_by_id, system_by_key_system
from drm.widevine_pssh import WidevinePsshData, parse_widevine_pssh_data, scheme_fourcc

KID = bytes.fromhex("121a0fca0f1b475b8910297fa8e0a07e")
# A Widevine cenc:pssh from ../shared/manifests-real/dash-mpd/livesim/multi-drm.mpd
# (Eyevinn/dash-mpd, MIT; see that folder's SOURCE.md and LICENSES).
LIVESIM_WV = (
    "AAAATHBzc2gAAAAA7e+LqXnWSs6jyCfc1R0h7QAAACwSEBIaD8oPG0dbiRApf6jgoH4aDXdpZGV2aW5lX3Rlc3Qi"
    "ASoIAUjj3JWbBg=="
)


def test_widevine_data_decodes_every_field_of_a_real_box() -> None:
    box = parse_pssh(LIVESIM_WV)
    data = parse_widevine_pssh_data(box.data)
    assert data.key_ids == (KID,)
    assert data.provider == "widevine_test"
    assert data.content_id == b"*"
    assert data.algorithm == 1
    assert data.scheme == "cenc"
    assert data.unknown == ()
    # Re-encoding is canonical (field order) and decodes to the same message.
    assert parse_widevine_pssh_data(data.to_bytes()) == data


def test_widevine_data_round_trip_with_unknown_fields() -> None:
    msg = WidevinePsshData(
        key_ids=(KID, bytes(16)),
        content_id=b"title-1",
        provider="abrkit",
        protection_scheme=scheme_fourcc("cbcs"),
        crypto_period_index=7,
        group_ids=(b"g",),
        unknown=((14, 2, b"\x0a\x02hi"), (99, 0, 5)),
    )
    again = parse_widevine_pssh_data(msg.to_bytes())
    assert again == msg
    assert again.scheme == "cbcs"


@pytest.mark.parametrize(
    "raw",
    [b"\x12", b"\x12\x10abc", b"\x08" + b"\xff" * 11, b"\x00\x01", b"\x1a\x02\xff\xfe", b"\x0f"],
)
def test_malformed_widevine_data_is_pssh_invalid(raw: bytes) -> None:
    with pytest.raises(DrmError) as err:
        parse_widevine_pssh_data(raw)
    assert err.value.code == DrmCode.PSSH_INVALID


def test_playready_guid_byte_order() -> None:
    # From dash.js's drm/mpds/laurl.mpd (BSD-3-Clause, in ../shared/manifests-real): its
    # WRMHEADER KID "DQW0nkvkAkiTLifXUIPiZg==" is its default_KID 9eb4050d-e44b-4802-...
    guid = base64.b64decode("DQW0nkvkAkiTLifXUIPiZg==")
    assert guid_to_kid(guid).hex() == "9eb4050de44b4802932e27d75083e266"
    assert kid_to_guid(guid_to_kid(guid)) == guid


@pytest.mark.parametrize("version", ["4.0.0.0", "4.3.0.0"])
def test_playready_object_round_trip(version: str) -> None:
    header = build_wrm_header([KID], "https://pr.test/rightsmanager.asmx?a=1&b=2", version=version)
    pro = build_playready_object(header)
    parsed = parse_playready_object(pro)
    assert parsed.to_bytes() == pro
    assert parsed.wrm_header is not None
    assert parsed.wrm_header.key_ids == (KID,)
    assert parsed.wrm_header.la_url == "https://pr.test/rightsmanager.asmx?a=1&b=2"
    assert parsed.wrm_header.version == version
    # From base64 text, as in an MPD's mspr:pro, and inside a PSSH box.
    assert parse_playready_object(base64.b64encode(pro).decode()) == parsed
    info = describe_content_protection(
        PLAYREADY.scheme_id_uri, pssh=build_pssh(PLAYREADY.system_id, [], pro, version=0)
    )
    assert (info.system, info.key_ids, info.license_url) == (
        "playready",
        (KID,),
        "https://pr.test/rightsmanager.asmx?a=1&b=2",
    )


def test_wrm_header_41_and_several_kids() -> None:
    g = base64.b64encode(kid_to_guid(KID)).decode()
    v41 = (
        '<WRMHEADER xmlns="http://schemas.microsoft.com/DRM/2007/03/PlayReadyHeader" '
        f'version="4.1.0.0"><DATA><PROTECTINFO><KID ALGID="AESCTR" VALUE="{g}"/></PROTECTINFO>'
        "<LA_URL>http://x/</LA_URL><CUSTOMATTRIBUTES><a>1</a></CUSTOMATTRIBUTES></DATA></WRMHEADER>"
    )
    h = parse_wrm_header(v41.encode("utf-16-le"))
    assert (h.version, h.key_ids, h.algorithm, h.la_url) == (
        "4.1.0.0",
        (KID,),
        "AESCTR",
        "http://x/",
    )
    assert h.custom_attributes is not None and "<a>1</a>" in h.custom_attributes
    two = parse_wrm_header(build_wrm_header([KID, bytes(16)], algorithm="AESCBC"))
    assert two.key_ids == (KID, bytes(16)) and two.algorithm == "AESCBC"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x06\x00\x00\x00\x01\x00",
        b"\x0a\x00\x00\x00\x01\x00\x01\x00\x10\x00",
        build_playready_object("<WRMHEADER><DATA>")[:-2] + b"\x00\x00",
        build_playready_object("<NOTWRM/>"),
        build_playready_object('<!DOCTYPE x [<!ENTITY a "b">]><WRMHEADER><DATA/></WRMHEADER>'),
        build_playready_object("<WRMHEADER/>"),
    ],
)
def test_malformed_playready_is_init_data_invalid(raw: bytes) -> None:
    with pytest.raises(DrmError) as err:
        parse_playready_object(raw)
    assert err.value.code == DrmCode.INIT_DATA_INVALID


def test_skd_uri_content_id_and_kid() -> None:
    plain = parse_skd_uri("skd://twelve")
    assert (plain.content_id, plain.asset_id, plain.key_id) == ("twelve", "twelve", None)
    hosted = parse_skd_uri(b"skd://fps.example.com/;0123456789abcdef0123456789ABCDEF")
    assert hosted.content_id == "fps.example.com"
    assert hosted.key_id == bytes.fromhex("0123456789abcdef0123456789abcdef")
    webkit = parse_skd_uri("skd://Asset_1?iv=0".encode("utf-16-le"))
    assert webkit.content_id == "Asset_1"
    for bad in ("https://x/", "skd://", b"\xff\xfe\xff"):
        with pytest.raises(DrmError) as err:
            parse_skd_uri(bad)
        assert err.value.code == DrmCode.INIT_DATA_INVALID


def test_hls_key_tags_of_each_system() -> None:
    fps = parse_ext_x_key(
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://asset-7",KEYFORMAT="com.apple.streamingkeydelivery",'
        'KEYFORMATVERSIONS="1"'
    )
    assert (fps.system, fps.uri, fps.keyformat_versions) == ("fairplay", "skd://asset-7", "1")
    wv_box = build_pssh(WIDEVINE.system_id, [KID], b"\x12\x10" + KID)
    wv = parse_ext_x_key(
        '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",'
        f'URI="data:text/plain;base64,{base64.b64encode(wv_box).decode()}",KEYID=0x{KID.hex()}'
    )
    assert wv.system == "widevine"
    assert wv.key_id == KID
    assert wv.data_uri_payload is not None and parse_pssh(wv.data_uri_payload).key_ids == (KID,)
    pro = build_playready_object(build_wrm_header([KID], "http://pr/"))
    pr = parse_ext_x_key(
        '#EXT-X-KEY:METHOD=SAMPLE-AES-CTR,KEYFORMAT="com.microsoft.playready",'
        f'URI="data:text/plain;charset=UTF-16;base64,{base64.b64encode(pro).decode()}"'
    )
    assert pr.system == "playready"
    assert pr.data_uri_payload is not None
    header = parse_playready_object(pr.data_uri_payload).wrm_header
    assert header is not None and header.key_ids == (KID,)


@pytest.mark.parametrize(
    "line",
    [
        '#EXT-X-KEY:URI="k"',
        "#EXT-X-KEY:METHOD=AES-128,IV=12",
        "#EXT-X-KEY:METHOD=AES-128,IV=0xZZ",
        "#EXT-X-KEY:METHOD=AES-128,IV=0x" + "00" * 20,
        '#EXT-X-KEY:METHOD=AES-128,URI="unterminated',
        "#EXT-X-KEY:METHOD=AES-128,,",
    ],
)
def test_malformed_hls_key_tags(line: str) -> None:
    with pytest.raises(DrmError) as err:
        parse_ext_x_key(line)
    assert err.value.code == DrmCode.INIT_DATA_INVALID


def test_system_lookups() -> None:
    assert system_by_id("urn:uuid:EDEF8BA9-79D6-4ACE-A3C8-27DCD51D21ED") is WIDEVINE
    assert system_by_id("urn:uuid:79f0049a-4098-8642-ab92-e65be0885f95") is not None
    assert system_by_id("not-a-uuid") is None
    assert system_by_key_system("com.microsoft.playready.recommendation") is PLAYREADY
    assert system_by_key_system("org.w3.clearkey") is not None
    assert system_by_key_system("com.example.none") is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_binary_init_data_parsers(data: bytes) -> None:
    for parse in (parse_widevine_pssh_data, parse_playready_object, parse_skd_uri):
        try:
            parse(data)
        except DrmError as err:
            assert err.code in (DrmCode.PSSH_INVALID, DrmCode.INIT_DATA_INVALID)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_text_init_data_parsers(text: str) -> None:
    for parse in (parse_ext_x_key, parse_skd_uri, parse_wrm_header):
        try:
            parse(text)
        except DrmError as err:
            assert err.code == DrmCode.INIT_DATA_INVALID
    try:
        describe_content_protection(
            text,
            value=text,
            default_kid=text,
            pssh=text,
            pro=text,
            license_urls=[text],
            marlin_content_ids=[text],
            strict=False,
        )
    except DrmError:
        pytest.fail("lenient mode must not raise")
