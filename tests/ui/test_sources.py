"""What the viewer opens (typed text to a source, with typed errors) and how local titles
are served (a real loopback origin), plus the loop bridge."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from player import Code, PlayerError
from player.packager import PackageResult
from ui.bridge import LoopThread
from ui.origin import LocalOrigin
from ui.sources import SourceKind, find_manifest, parse_source


def test_typed_text_becomes_a_source(tiny_title: PackageResult) -> None:
    assert parse_source(None).kind is SourceKind.SAMPLE
    assert parse_source("  sample ").kind is SourceKind.SAMPLE
    url = parse_source("https://cdn.example.com/a/b/manifest.mpd")
    assert url.kind is SourceKind.URL and url.title == "manifest.mpd"
    folder = parse_source(str(tiny_title.dir))
    assert folder.kind is SourceKind.LOCAL and folder.path == Path(tiny_title.mpd)
    uri = parse_source(Path(tiny_title.hls_master).as_uri())
    assert uri.path == Path(tiny_title.hls_master)
    assert uri.title.endswith(" (HLS)")


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("ftp://example.com/x.mpd", Code.UNSUPPORTED_SCHEME),
        ("http:///nohost.mpd", Code.MALFORMED_URL),
        ("/definitely/not/here.mpd", Code.INVALID_ARGUMENT),
    ],
)
def test_bad_text_is_a_typed_error(text: str, code: Code) -> None:
    with pytest.raises(PlayerError) as info:
        parse_source(text)
    assert info.value.code is code


def test_folders_and_files_that_are_not_manifests(tmp_path: Path) -> None:
    (tmp_path / "clip.mp4").write_bytes(b"\0\0\0\x18ftypisom")
    with pytest.raises(PlayerError) as info:
        find_manifest(tmp_path / "clip.mp4")
    assert info.value.code is Code.UNKNOWN_FORMAT and "abrkit package" in info.value.message
    with pytest.raises(PlayerError) as info:
        find_manifest(tmp_path)
    assert "no manifests" in info.value.message
    (tmp_path / "a.mpd").write_text("<MPD/>")
    assert find_manifest(tmp_path) == tmp_path / "a.mpd"
    (tmp_path / "b.m3u8").write_text("#EXTM3U")
    with pytest.raises(PlayerError) as info:
        find_manifest(tmp_path)
    assert "several" in info.value.message


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""


def test_local_origin_serves_the_folder_with_ranges_and_nothing_else(
    tiny_title: PackageResult,
) -> None:
    loop = LoopThread("test-local-origin")
    origin = LocalOrigin(Path(tiny_title.dir))
    try:
        loop.submit(origin.start()).result(10)
        init = Path(tiny_title.dir) / tiny_title.video[0].init
        status, body = _get(origin.url_for(init))
        assert status == 200 and body == init.read_bytes()
        status, body = _get(origin.url_for(init), {"Range": "bytes=4-11"})
        assert status == 206 and body == init.read_bytes()[4:12]
        status, _ = _get(origin.url_for(init).rsplit("/", 3)[0] + "/../../etc/passwd")
        assert status in (403, 404)
        assert _get(origin.url_for(Path(tiny_title.dir) / "nope.mpd"))[0] == 404
    finally:
        loop.shutdown(origin.stop, timeout=3.0)
    with pytest.raises(PlayerError):
        LocalOrigin(Path(tiny_title.dir) / "package.json")


def test_loop_thread_runs_work_and_shuts_down_within_its_budget() -> None:
    loop = LoopThread("test-loop")
    assert loop.call(lambda: 41 + 1).result(5) == 42
    assert loop.call(loop.in_loop).result(5) and not loop.in_loop()

    async def forever() -> None:
        await asyncio.sleep(3600)

    async def stubborn_cleanup() -> None:
        await asyncio.sleep(3600)  # a close that never ends is cut off

    task = loop.submit(forever())
    # True: the thread ended within the 1 s budget although the cleanup never returns.
    assert loop.shutdown(stubborn_cleanup, timeout=1.0)
    assert not loop.alive and task.cancelled()
    with pytest.raises(PlayerError):
        loop.call(lambda: None)
