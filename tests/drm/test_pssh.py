"""PSSH boxes: build, parse (v0, v1, PIFF), find in moov/moof; malformed input is typed."""

from __future__ import annotations

import base64
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm import (
    COMMON,
    PLAYREADY,
    WIDEVINE,
    DrmCode,
    DrmError,
    build_pssh,
    find_pssh_boxes,
    parse_pssh,
    parse_pssh_list,
    read_protection_info,
)
from drm._boxes import box_bytes
from drm.pssh import PIFF_PSSH_UUID
from tests.drm._media import Title

KID1 = bytes(range(16))
KID2 = bytes(range(16, 32))


def test_v1_round_trip_lists_key_ids() -> None:
    raw = build_pssh(COMMON.system_id, [KID1, KID2])
    box = parse_pssh(raw)
    assert box.version == 1
    assert box.system_id == COMMON.system_id
    assert box.system_name == "clearkey"
    assert box.key_ids == (KID1, KID2)
    assert box.data == b""
    assert box.to_bytes() == raw


def test_v0_round_trip_keeps_data() -> None:
    raw = build_pssh(WIDEVINE.system_id, [], b"\x12\x10" + KID1, version=0)
    box = parse_pssh(raw)
    assert (box.version, box.key_ids, box.data) == (0, (), b"\x12\x10" + KID1)
    assert box.system is WIDEVINE


def test_byte_layout_matches_the_spec() -> None:
    raw = build_pssh(COMMON.system_id, [KID1], b"xy")
    # size, 'pssh', version 1 + flags 0, system id, KID count, KID, data size, data
    expected = (
        struct.pack(">I4sI", 8 + 4 + 16 + 4 + 16 + 4 + 2, b"pssh", 1 << 24)
        + COMMON.system_id
        + struct.pack(">I", 1)
        + KID1
        + struct.pack(">I", 2)
        + b"xy"
    )
    assert raw == expected


def test_parse_accepts_mpd_base64_with_whitespace() -> None:
    raw = build_pssh(PLAYREADY.system_id, [KID1], b"pro")
    text = (
        "\n   " + base64.b64encode(raw).decode()[:20] + "\n  " + base64.b64encode(raw).decode()[20:]
    )
    assert parse_pssh(text).to_bytes() == raw


def test_piff_uuid_box_is_read() -> None:
    body = struct.pack(">I", 0) + PLAYREADY.system_id + struct.pack(">I", 3) + b"abc"
    raw = box_bytes(b"uuid", PIFF_PSSH_UUID + body)
    box = parse_pssh(raw)
    assert box.system is PLAYREADY
    assert box.data == b"abc"


def test_concatenated_boxes_are_eme_cenc_init_data() -> None:
    a = build_pssh(COMMON.system_id, [KID1])
    b = build_pssh(WIDEVINE.system_id, [], b"wv", version=0)
    assert [p.system_name for p in parse_pssh_list(a + b)] == ["clearkey", "widevine"]
    with pytest.raises(DrmError) as err:
        parse_pssh_list(a + box_bytes(b"free", b""))
    assert err.value.code == DrmCode.PSSH_INVALID


def test_find_walks_moov_and_moof(cenc_title: Title) -> None:
    a = build_pssh(COMMON.system_id, [KID1])
    b = build_pssh(WIDEVINE.system_id, [KID2], b"wv")
    moov = box_bytes(b"moov", box_bytes(b"mvhd", b"\0" * 100) + a)
    moof = box_bytes(b"moof", box_bytes(b"mfhd", b"\0" * 8) + b)
    found = find_pssh_boxes(box_bytes(b"ftyp", b"isom") + moov + moof + box_bytes(b"mdat", b"x"))
    assert [(p.system_name, p.key_ids) for p in found] == [
        ("clearkey", (KID1,)),
        ("widevine", (KID2,)),
    ]
    # PyAV's cenc output has no pssh at all (FIELD-NOTES): the real file gives none.
    assert find_pssh_boxes(cenc_title.whole) == []


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"test",
        base64.b64decode("test"),
        b"\x00\x00\x00\x08free",
        build_pssh(COMMON.system_id, [KID1])[:-1],
        build_pssh(COMMON.system_id, [KID1]) + b"\0",
        # version 2 is not defined
        struct.pack(">I4sI", 32, b"pssh", 2 << 24) + COMMON.system_id + b"\0" * 4,
        # KID count far larger than the box
        struct.pack(">I4sI", 36, b"pssh", 1 << 24) + COMMON.system_id + struct.pack(">II", 9999, 0),
        # data size past the end
        struct.pack(">I4sI", 32, b"pssh", 0) + COMMON.system_id + struct.pack(">I", 500),
        # 64-bit size field that lies
        struct.pack(">I4sQ", 1, b"pssh", 10**12),
    ],
)
def test_malformed_pssh_is_pssh_invalid(raw: bytes) -> None:
    with pytest.raises(DrmError) as err:
        parse_pssh(raw)
    assert err.value.code == DrmCode.PSSH_INVALID


def test_bad_base64_is_pssh_invalid() -> None:
    with pytest.raises(DrmError) as err:
        parse_pssh("not base64 !!")
    assert err.value.code == DrmCode.PSSH_INVALID


@pytest.mark.parametrize(
    ("system_id", "kids", "version"),
    [
        (b"short", [], 1),
        (COMMON.system_id, [b"short"], 1),
        (COMMON.system_id, [KID1], 0),
        (COMMON.system_id, [], 3),
    ],
)
def test_build_rejects_bad_arguments(system_id: bytes, kids: list[bytes], version: int) -> None:
    with pytest.raises(DrmError) as err:
        build_pssh(system_id, kids, version=version)
    assert err.value.code == DrmCode.PSSH_INVALID


_PARSER_CODES = {DrmCode.PSSH_INVALID, DrmCode.INIT_DATA_INVALID}


def _structured_boxes() -> st.SearchStrategy[bytes]:
    """Byte strings that are box-shaped often enough to reach the inner parsers."""
    leaf = st.builds(
        lambda t, p: box_bytes(t, p),
        st.sampled_from([b"pssh", b"tenc", b"schm", b"frma", b"uuid", b"free", b"stsd"]),
        st.binary(max_size=60),
    )
    return st.recursive(
        leaf,
        lambda inner: st.builds(
            lambda t, kids: box_bytes(t, b"".join(kids)),
            st.sampled_from(
                [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"sinf", b"schi", b"moof"]
            ),
            st.lists(inner, max_size=3),
        ),
        max_leaves=8,
    )


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), _structured_boxes()))
def test_fuzz_parsers_raise_only_drm_errors(data: bytes) -> None:
    for parse in (parse_pssh, parse_pssh_list, find_pssh_boxes, read_protection_info):
        try:
            parse(data)
        except DrmError as err:
            assert err.code in _PARSER_CODES


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=120), st.integers(min_value=0, max_value=120))
def test_fuzz_mutated_real_pssh(data: bytes, cut: int) -> None:
    raw = build_pssh(WIDEVINE.system_id, [KID1, KID2], data)
    for candidate in (raw[:cut], raw[:cut] + data, data + raw):
        try:
            box = parse_pssh(candidate)
        except DrmError as err:
            assert err.code == DrmCode.PSSH_INVALID
        else:
            assert box.to_bytes() == candidate
