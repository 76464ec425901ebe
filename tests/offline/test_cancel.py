"""A download cancelled while a file is being written stops only once that write is over,
records the written file as done, and a resume never fetches it again.

The origin is a real aiohttp server on loopback; the files are really written. The only
thing the test adds is a pause: the store's own durable write is wrapped so that, once it
has written a chosen file, it waits for the test to cancel the download.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from player.offline import OfflineStore, _download
from player.offline.files import atomic_write
from player.packager import PackageResult
from tests.offline.conftest import Clock, source_files
from traces.origin import ShapedOrigin

PAUSED_FILE = "video/256x144_150k/seg-2.m4s"


async def test_a_cancelled_download_finishes_its_write_and_resumes_without_refetching(
    tmp_path: Path,
    clock: Clock,
    key_file: Path,
    tiny_origin: ShapedOrigin,
    tiny_title: PackageResult,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    written = threading.Event()  # the paused file is on disk
    release = threading.Event()  # the test has cancelled the download
    returned = threading.Event()  # the write of the paused file has returned
    real_write = atomic_write

    def pausing_write(root: Path, rel: str, data: bytes) -> Path:
        path = real_write(root, rel, data)
        if rel == PAUSED_FILE:
            written.set()
            release.wait(10.0)
            returned.set()
        return path

    monkeypatch.setattr(_download, "atomic_write", pausing_write)
    store = OfflineStore(
        tmp_path / "s", clock=clock, key_file=key_file, use_keyring=False, parallel=1
    )
    url = tiny_origin.url + "manifest.mpd"
    task = asyncio.create_task(store.download(url))
    assert await asyncio.to_thread(written.wait, 10.0)
    task.cancel()
    for _ in range(20):  # the download must wait for the write it started
        await asyncio.sleep(0.005)
        assert not task.done()
    release.set()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 10.0)
    assert returned.is_set()

    [partial] = store.list()
    assert not partial.complete
    root = store.title_dir(partial.id)
    assert (root / PAUSED_FILE).read_bytes() == source_files(tiny_title)[PAUSED_FILE]
    assert not list(root.rglob(".tmp-*"))

    monkeypatch.setattr(_download, "atomic_write", real_write)
    before = len(tiny_origin.stats.log)
    info = await store.download(url)
    assert info.complete
    refetched = [e.path.lstrip("/") for e in list(tiny_origin.stats.log)[before:]]
    assert PAUSED_FILE not in refetched and "video/256x144_150k/seg-1.m4s" not in refetched
    assert "video/256x144_150k/seg-3.m4s" in refetched
    store.close()
