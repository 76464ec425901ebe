"""Safety: tampered metadata rows, license blobs and files are refused; names from a
manifest never write outside the store; the store key is checked and kept private."""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drm import ClearKeyLicenseServer
from player.config import PlayerConfig
from player.errors import Code, PlayerError
from player.offline import OfflineStore
from player.offline.files import atomic_write, contained, relpath_for_url
from player.offline.keys import StoreKey
from player.packager import PackageResult
from player.sink import NullSink
from tests.offline.conftest import Clock
from traces.origin import ShapedOrigin


def _edit(store: OfflineStore, sql: str, *args: object) -> None:
    """Change the database behind the store's back, as another program would."""
    conn = sqlite3.connect(store.path / "store.db")
    try:
        conn.execute(sql, args)
        conn.commit()
    finally:
        conn.close()


def _refused(fn: object, *codes: Code) -> PlayerError:
    with pytest.raises(PlayerError) as info:
        fn()  # type: ignore[operator]
    assert info.value.code in codes, info.value
    return info.value


@pytest.fixture
async def clear_title(store: OfflineStore, tiny_origin: ShapedOrigin) -> str:
    return (await store.download(tiny_origin.url + "manifest.mpd")).id


# -- tampering ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE segments SET path = '../../../../etc/passwd' WHERE seq = 1",
        "UPDATE segments SET sha256 = 'ab' || substr(sha256, 3) WHERE seq = 2",
        "UPDATE titles SET expires_at = expires_at + 3650 * 86400",
        "UPDATE titles SET first_played_at = NULL, window_s = NULL",
        "UPDATE titles SET complete = 1 - complete",
    ],
)
async def test_an_edited_metadata_row_is_refused(
    store: OfflineStore, clear_title: str, sql: str
) -> None:
    await (await store.open(clear_title)).close()
    _edit(store, sql)
    err = _refused(store.list, Code.TAMPERED)
    assert err.data["title_id"] == clear_title
    with pytest.raises(PlayerError) as info:
        await store.open(clear_title)
    assert info.value.code is Code.TAMPERED
    # A refused title can still be removed.
    assert await store.remove(clear_title) is False
    assert store.list() == [] and not store.title_dir(clear_title).exists()


async def test_hiding_a_clock_set_back_by_editing_last_seen_is_refused(
    store: OfflineStore, clear_title: str, clock: Clock
) -> None:
    clock.advance(86400)
    store.list()
    _edit(store, "UPDATE meta SET value = '0.0' WHERE name = 'last_seen'")
    _refused(store.list, Code.TAMPERED)


async def test_a_tampered_license_blob_is_refused(
    store: OfflineStore, cenc_origin: ShapedOrigin, license_server: ClearKeyLicenseServer
) -> None:
    info = await store.download(cenc_origin.url + "manifest.mpd", license_url=license_server.url)
    conn = sqlite3.connect(store.path / "store.db")
    (blob,) = conn.execute("SELECT blob FROM licenses").fetchone()
    conn.close()
    flipped = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])
    _edit(store, "UPDATE licenses SET blob = ?", flipped)
    with pytest.raises(PlayerError) as err:
        await store.open(info.id)
    assert err.value.code in (Code.TAMPERED, Code.LICENSE_TAMPERED)


def test_license_wrapping_detects_edits_and_moves() -> None:
    key = StoreKey(os.urandom(32), "app")
    blob = key.wrap(b'{"license": 1}', "license:aaaa")
    assert key.unwrap(blob, "license:aaaa") == b'{"license": 1}'
    assert b"license" not in blob
    for bad, context in [
        (blob[:-1] + bytes([blob[-1] ^ 0x80]), "license:aaaa"),
        (blob[:20], "license:aaaa"),
        (blob, "license:bbbb"),  # another title's blob
        (StoreKey(os.urandom(32), "app").wrap(b"x", "license:aaaa"), "license:aaaa"),
    ]:
        with pytest.raises(PlayerError) as err:
            key.unwrap(bad, context)
        assert err.value.code is Code.LICENSE_TAMPERED


async def test_an_altered_segment_file_stops_playback(
    store: OfflineStore, clear_title: str
) -> None:
    for path in sorted(store.title_dir(clear_title).rglob("seg-1.m4s")):
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    cfg = PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False}})
    async with store.play(clear_title, cfg, sink=NullSink()) as player:
        with pytest.raises(PlayerError) as err:
            await player.wait_ended(timeout=30)
    assert err.value.code is Code.TAMPERED


# -- the store key --------------------------------------------------------------------


async def test_the_store_key_is_checked_and_kept_private(
    tmp_path: Path, clock: Clock, store: OfflineStore, key_file: Path, clear_title: str
) -> None:
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert key_file.parent.stat().st_mode & 0o077 == 0
    assert not key_file.is_relative_to(store.path)  # kept apart from the content
    store.close()
    # A missing key, or another one, does not open the store.
    other = tmp_path / "other.key"
    _refused(lambda: OfflineStore(store.path, clock=clock, key_file=other), Code.STORE_LOCKED)
    other.write_text(os.urandom(32).hex())
    other.chmod(0o600)
    _refused(lambda: OfflineStore(store.path, clock=clock, key_file=other), Code.TAMPERED)
    # A key file others can read is refused.
    key_file.chmod(0o644)
    _refused(lambda: OfflineStore(store.path, clock=clock, key_file=key_file), Code.TAMPERED)
    key_file.chmod(0o600)
    with OfflineStore(store.path, clock=clock, key_file=key_file, use_keyring=False) as again:
        assert [t.id for t in again.list()] == [clear_title]


def test_an_app_supplied_key_is_required_to_reopen(tmp_path: Path, clock: Clock) -> None:
    secret = os.urandom(32)
    with OfflineStore(tmp_path / "s", clock=clock, key=secret) as s:
        assert s.list() == []
    _refused(lambda: OfflineStore(tmp_path / "s", clock=clock), Code.STORE_LOCKED)
    _refused(lambda: OfflineStore(tmp_path / "s", clock=clock, key=os.urandom(32)), Code.TAMPERED)
    with OfflineStore(tmp_path / "s", clock=clock, key=secret) as s:
        assert s.list() == []


# -- path traversal -------------------------------------------------------------------

_MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011"
     type="static" mediaPresentationDuration="PT10.000S" minBufferTime="PT2S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4">
      <Representation id="v" bandwidth="207689" codecs="avc1.64000c" width="256" height="144">
        <SegmentTemplate timescale="12800" initialization="{prefix}init.mp4"
                         media="{prefix}seg-$Number$.m4s" startNumber="1" duration="25600" />
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
"""


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}


def _traversal_origin(root: Path, tiny_title: PackageResult, prefix: str) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "manifest.mpd").write_text(_MPD.format(prefix=prefix))
    shutil.copytree(Path(tiny_title.dir) / "video" / "256x144_150k", root / "escape")


async def test_dot_dot_segment_names_stay_inside_the_store(
    tmp_path: Path, store: OfflineStore, tiny_title: PackageResult
) -> None:
    origin_dir = tmp_path / "origin"
    _traversal_origin(origin_dir, tiny_title, "../../../../../../escape/")
    before = _files(tmp_path)
    async with ShapedOrigin(origin_dir) as origin:
        info = await store.download(origin.url + "a/b/manifest.mpd")
    assert info.complete and info.files_total == 6
    new = _files(tmp_path) - before
    inside = [p for p in new if p.is_relative_to(store.path)]
    assert new == set(inside)  # nothing written anywhere but the store
    title_dir = store.title_dir(info.id)
    media = sorted(p for p in new if p.is_relative_to(title_dir))
    assert len(media) == 6
    assert all(".." not in p.relative_to(title_dir).parts for p in media)
    assert all(p.relative_to(title_dir).parts[0] == "_ext" for p in media)


@pytest.mark.parametrize(
    "prefix", ["%2e%2e/%2e%2e/escape/", "..%2f..%2fescape/", "escape%5c..%5c..%5c", "a%00/"]
)
async def test_encoded_traversal_is_refused_before_any_fetch(
    tmp_path: Path, store: OfflineStore, tiny_title: PackageResult, prefix: str
) -> None:
    origin_dir = tmp_path / "origin"
    _traversal_origin(origin_dir, tiny_title, prefix)
    before = _files(tmp_path)
    async with ShapedOrigin(origin_dir) as origin:
        with pytest.raises(PlayerError) as err:
            await store.download(origin.url + "a/b/manifest.mpd")
        assert origin.stats.requests == 1  # the manifest, nothing else
    assert err.value.code is Code.PATH_TRAVERSAL
    assert store.list() == []
    new = _files(tmp_path) - before
    assert all(p.is_relative_to(store.path) for p in new)  # the database and a lock file
    assert not any(p.is_relative_to(store.path / "titles") for p in new)


def test_a_symlink_inside_the_store_cannot_lead_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "title", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "video").symlink_to(outside)
    with pytest.raises(PlayerError) as err:
        atomic_write(root, "video/seg-1.m4s", b"data")
    assert err.value.code is Code.PATH_TRAVERSAL
    assert list(outside.iterdir()) == []


_PIECES = st.sampled_from(
    ["..", ".", "", "a", "%2e%2e", "%2E.", "%2f", "%5c", "%00", "b c", "~", "é"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=8), st.booleans())
def test_mapped_names_never_leave_the_title_folder(pieces: list[str], other_host: bool) -> None:
    host = "http://evil.example:81" if other_host else "http://127.0.0.1:8000"
    url = host + "/t/x/" + "/".join(pieces)
    root = Path("/srv/store/titles/0123456789abcdef")
    try:
        rel = relpath_for_url(url, "http://127.0.0.1:8000/t/x/manifest.mpd")
    except PlayerError as err:
        assert err.code is Code.PATH_TRAVERSAL
        return
    parts = rel.split("/")
    assert all(p not in ("", ".", "..") and "\\" not in p and "\0" not in p for p in parts)
    assert os.path.normpath(root / rel).startswith(str(root) + "/")
    assert contained(root, rel).is_relative_to(root)
