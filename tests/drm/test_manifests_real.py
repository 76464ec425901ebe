"""Every ContentProtection, cenc:pssh and HLS key tag in the real manifests, interpreted.

Expected systems, KIDs and license URLs are those the files' own upstream tests assert
(androidx/media's DashManifestParserTest for the two androidx files, videojs/mpd-parser's
``contentProtection`` keys) or, where upstream asserts nothing, what the file's bytes say
(the KIDs inside each PSSH agree with the file's ``cenc:default_KID``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from drm import DrmCode, DrmError
from drm.content_protection import describe_content_protection
from drm.hls_keys import parse_ext_x_key
from tests.drm._mpd import read_protections

# The repository's copy of ../shared/manifests-real (with SOURCE.md and licenses).
ROOT = Path(__file__).resolve().parents[1] / "fixtures" / "manifests"

KID_9EB4 = "9eb4050de44b4802932e27d75083e266"
KID_121A = "121a0fca0f1b475b8910297fa8e0a07e"
KID_3030 = "30" * 16
WV, PR, CK = "com.widevine.alpha", "com.microsoft.playready", "org.w3.clearkey"

# (system, EME key system, KIDs, license URL) of each ContentProtection, in document order.
Row = tuple[str, str | None, list[str], str | None]
_MPD_PARSER_PAIR: list[Row] = [("cenc", None, [], None), ("widevine", WV, [], None)]
EXPECTED: dict[str, list[Row]] = {
    "media/mpd/sample_mpd_clear_key_license_url": [
        ("cenc", None, [KID_9EB4], None),
        ("clearkey", CK, [], "https://testserver1.test/AcquireLicense"),
        ("clearkey", CK, [], "https://testserver2.test/AcquireLicense"),
        ("cenc", None, [KID_9EB4], None),
    ],
    "media/mpd/sample_mpd_dashif_license_url": [
        ("cenc", None, [KID_3030], None),
        ("widevine", WV, [KID_9EB4], "https://testserver1.test/AcquireLicense"),
        ("widevine", WV, [KID_9EB4], "https://testserver2.test/AcquireLicense"),
        ("cenc", None, [KID_3030], None),
    ],
    "dash.js/drm/mpds/laurl.mpd": [
        ("cenc", None, [KID_9EB4], None),
        ("playready", PR, [KID_9EB4], "https://drm-playready-licensing.axtest.net/AcquireLicense"),
        ("widevine", WV, [KID_9EB4], "https://drm-widevine-licensing.axtest.net/AcquireLicense"),
    ]
    * 2,
    "dash-mpd/livesim/multi-drm.mpd": [
        ("cenc", None, [KID_121A], None),
        ("clearkey", CK, [], "https://clearkey.source.org"),
        ("marlin", "com.marlin-drm", [KID_121A], None),
        # No Laurl element: the license URL is the WRMHEADER's LA_URL.
        ("playready", PR, [KID_121A], "http://playready.directtaps.net/pr/svc/rightsmanager.asmx"),
        ("widevine", WV, [KID_121A], None),
    ],
    "shaka-player/dash-aes-128/dash.mpd": [("unknown", None, [], None)],
    # videojs/mpd-parser fixtures: default_KID "aaa" and cenc:pssh "test" are placeholders.
    "mpd-parser/multiperiod.mpd": _MPD_PARSER_PAIR * 4,
    "mpd-parser/multiperiod-dynamic.mpd": _MPD_PARSER_PAIR * 4,
    "mpd-parser/vtt_codecs.mpd": _MPD_PARSER_PAIR * 3,
    "mpd-parser/maat_vtt_segmentTemplate.mpd": _MPD_PARSER_PAIR * 3,
}


def _files_with(pattern: bytes) -> set[str]:
    out = set()
    for path in ROOT.rglob("*"):
        if not path.is_file() or "LICENSES" in path.parts or path.suffix in (".md", ".csv"):
            continue
        if pattern in path.read_bytes():
            out.add(path.relative_to(ROOT).as_posix())
    return out


def test_every_file_with_content_protection_is_covered() -> None:
    assert _files_with(b"ContentProtection") == set(EXPECTED)
    assert _files_with(b"pssh") <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_content_protection_system_kids_and_license_url(name: str) -> None:
    found = read_protections((ROOT / name).read_bytes())
    got = [
        (f.info.system, f.info.key_system, [k.hex() for k in f.info.key_ids], f.info.license_url)
        for f in found
    ]
    assert got == EXPECTED[name]


def test_androidx_schemes_and_system_uuids() -> None:
    # androidx: schemeType "cenc"; ClearKey e2719d58-..., Widevine edef8ba9-... as DRM systems.
    ck = read_protections((ROOT / "media/mpd/sample_mpd_clear_key_license_url").read_bytes())
    assert ck[0].info.scheme == "cenc"
    assert ck[1].info.system_id is not None
    assert ck[1].info.system_id.hex() == "e2719d58a985b3c9781ab030af78d30e"
    wv = read_protections((ROOT / "media/mpd/sample_mpd_dashif_license_url").read_bytes())
    assert wv[1].info.system_id is not None
    assert wv[1].info.system_id.hex() == "edef8ba979d64acea3c827dcd51d21ed"
    assert wv[1].info.pssh is not None and wv[1].info.pssh.version == 0


def test_multi_drm_details() -> None:
    found = read_protections((ROOT / "dash-mpd/livesim/multi-drm.mpd").read_bytes())
    pr = found[3].info
    assert pr.playready_header is not None
    assert pr.playready_header.version == "4.0.0.0"
    assert pr.playready_header.algorithm == "AESCTR"
    assert pr.pssh is not None and pr.pssh.system_name == "playready"
    wv = found[4].info.widevine_data
    assert wv is not None
    assert (wv.provider, wv.content_id, wv.scheme) == ("widevine_test", b"*", "cenc")


def test_mpd_parser_placeholders_are_typed_errors_in_strict_mode() -> None:
    data = (ROOT / "mpd-parser/multiperiod.mpd").read_bytes()
    lenient = read_protections(data)
    assert all(f.info.problems for f in lenient)
    with pytest.raises(DrmError) as err:
        read_protections(data, strict=True)
    assert err.value.code in (DrmCode.INIT_DATA_INVALID, DrmCode.PSSH_INVALID)


_KEY_TAG = re.compile(r"^#EXT-X-(?:SESSION-)?KEY:.*$", re.M)


def _hls_key_tags() -> list[tuple[str, str]]:
    out = []
    for name in sorted(_files_with(b"KEY:")):
        text = (ROOT / name).read_text("utf-8")
        out += [(name, m.group(0)) for m in _KEY_TAG.finditer(text)]
    return out


def test_every_hls_key_tag_parses() -> None:
    tags = _hls_key_tags()
    assert len(tags) >= 25
    for name, line in tags:
        key = parse_ext_x_key(line)
        assert key.method in {"NONE", "AES-128", "AES-256", "AES-256-CTR", "SAMPLE-AES-CTR"}, name
        # Every key in these files is HLS's own key delivery (no CDM), or none.
        assert key.system == (None if key.method == "NONE" else "identity"), (name, line)
        assert (key.uri is None) == (key.method == "NONE"), (name, line)


def test_hls_key_details() -> None:
    tags = _hls_key_tags()
    sample_aes = parse_ext_x_key(next(t for _, t in tags if "SAMPLE-AES-CTR" in t))
    assert sample_aes.keyformat == "identity"
    assert sample_aes.data_uri_payload == bytes.fromhex("abba271e8bcf552bbd2e86a434a9a5d9")
    relative = [parse_ext_x_key(t) for n, t in tags if n == "m3u8/relative-playlist.m3u8"]
    assert [k.session for k in relative] == [False, True]
    assert relative[0].iv == bytes.fromhex("10ef8f758ca555115584bb5b3c687f52")
    assert relative[0].uri == "../key.bin"
    encrypted = [parse_ext_x_key(t) for n, t in tags if n == "m3u8-parser/encrypted.m3u8"]
    assert [k.method for k in encrypted] == ["AES-128", "AES-128", "AES-128", "NONE"]
    assert encrypted[2].iv == bytes.fromhex("00000000000000000000014bb69d61e4")


@pytest.mark.parametrize("name", sorted(n for n in EXPECTED if not n.startswith("mpd-parser/")))
def test_player_manifest_parser_agrees(name: str) -> None:
    """The same descriptors read by player.manifest's DASH parser and interpreted by drm
    give the same systems, PSSH/PRO KIDs and license URLs as this test's own reader."""
    from player.manifest import parse_manifest

    data = (ROOT / name).read_bytes()
    presentation = parse_manifest(data, "https://example.com/manifest.mpd")
    via_player = set()
    for period in presentation.periods:
        for track in period.tracks:
            for cp in track.protection:
                info = describe_content_protection(
                    cp.scheme_id_uri,
                    value=cp.value,
                    pssh=cp.pssh,
                    pro=dict(cp.extra).get("pro"),
                    license_urls=[cp.license_url] if cp.license_url else [],
                )
                via_player.add((info.system, info.key_ids, info.license_url))
    ours = set()
    for found in read_protections(data):
        info = describe_content_protection(
            found.info.scheme_id_uri,
            value=found.info.value,
            pssh=found.info.pssh.to_bytes() if found.info.pssh else None,
            pro=None,
            license_urls=[found.info.license_url] if found.info.license_url else [],
        )
        ours.add((info.system, info.key_ids, info.license_url))
    assert via_player == ours
