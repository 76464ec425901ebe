"""Space: the estimate is checked before anything is fetched (``QUOTA_EXCEEDED``), and a
disk that fills mid-way stops the download cleanly (``DISK_FULL``) with a title that
resumes to completion once there is room.

The full disk is real: a 2 MB or 8 MB tmpfs mounted for the test (root only). Where
mounting is not allowed, the mid-way test uses ``RLIMIT_FSIZE`` in a subprocess instead
(the kernel's own ``EFBIG``), and the up-front test reads the free space of a small
filesystem through ``shutil.disk_usage`` set to report it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from player.errors import Category, Code, PlayerError
from player.offline import DownloadProgress, OfflineStore, Selection
from player.packager import PackageResult
from tests.offline.conftest import Clock, source_files
from traces.origin import ShapedOrigin


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` on ``path``; yields False when mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    if os.environ.get("ABRKIT_TEST_NO_MOUNT"):
        yield False
        return
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _stored(store: OfflineStore, title_id: str) -> dict[str, bytes]:
    root = store.title_dir(title_id)
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


async def test_store_quota_fails_up_front(
    tmp_path: Path, clock: Clock, key_file: Path, tiny_origin: ShapedOrigin
) -> None:
    with OfflineStore(
        tmp_path / "s", clock=clock, key_file=key_file, use_keyring=False, quota_bytes=500_000
    ) as store:
        with pytest.raises(PlayerError) as err:
            await store.download(tiny_origin.url + "manifest.mpd")
        assert err.value.code is Code.QUOTA_EXCEEDED and err.value.category is Category.STORAGE
        assert err.value.data["quota"] == 500_000 and err.value.data["needed"] > 500_000
        assert tiny_origin.stats.requests == 1  # the manifest only: no byte of media
        assert store.list() == [] and store.stored_bytes() == 0
        # What fits the quota downloads.
        info = await store.download(tiny_origin.url + "manifest.mpd", _lowest())
        assert info.complete and info.bytes <= 500_000


def _lowest() -> Selection:
    return Selection(max_height=144, audio_languages=("en",))


async def test_free_space_is_checked_up_front(
    tmp_path: Path,
    clock: Clock,
    key_file: Path,
    tiny_origin: ShapedOrigin,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with tmpfs(tmp_path / "small", "2m") as mounted:
        if not mounted:  # report the free space a 2 MB filesystem would have
            import shutil

            real = shutil.disk_usage
            monkeypatch.setattr(
                shutil, "disk_usage", lambda p: real(p)._replace(free=2 * 1024 * 1024)
            )
        with OfflineStore(
            tmp_path / "small" / "s", clock=clock, key_file=key_file, use_keyring=False
        ) as store:
            with pytest.raises(PlayerError) as err:
                await store.download(tiny_origin.url + "manifest.mpd")
            assert err.value.code is Code.QUOTA_EXCEEDED
            assert err.value.data["free"] < err.value.data["needed"] + 1024 * 1024
            assert tiny_origin.stats.requests == 1
            assert not any((store.path / "titles").iterdir())


async def test_a_disk_filling_mid_way_stops_cleanly_and_resumes(
    tmp_path: Path,
    clock: Clock,
    key_file: Path,
    tiny_origin: ShapedOrigin,
    tiny_title: PackageResult,
) -> None:
    disk = tmp_path / "disk"
    with tmpfs(disk, "8m") as mounted:
        if not mounted:
            await _disk_full_by_rlimit(tmp_path, tiny_origin, tiny_title)
            return
        filler = disk / "filler"
        store = OfflineStore(disk / "s", clock=clock, key_file=key_file, use_keyring=False)

        def fill(p: DownloadProgress) -> None:
            # Another program fills the disk once the download is under way.
            if p.files_done == 3 and not filler.exists():
                st = os.statvfs(disk)
                fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                os.posix_fallocate(fd, 0, st.f_bavail * st.f_frsize - 64 * 1024)
                os.close(fd)

        url = tiny_origin.url + "manifest.mpd"
        with pytest.raises(PlayerError) as err:
            await store.download(url, on_progress=fill)
        assert err.value.code is Code.DISK_FULL and err.value.recoverable
        [partial] = store.list()
        assert not partial.complete and 3 <= partial.files_done < partial.files_total
        # No temporary file is left, and what is marked done is whole.
        title_dir = store.title_dir(partial.id)
        assert not [p for p in title_dir.rglob(".tmp-*")]
        src = source_files(tiny_title)
        done = _stored(store, partial.id)
        assert done and all(src[k] == v for k, v in done.items())
        # Room again: the same call resumes and completes, byte-identical.
        # Files the store marked done are never fetched again. A file written just
        # before the disk filled may be on disk but unmarked (the database's own commit
        # needed room too): that one is fetched again, since only marked files are trusted.
        marked = _marked_done(disk / "s" / "store.db")
        assert len(marked) == partial.files_done and marked <= set(done)
        filler.unlink()
        requests = await _settled_log_length(tiny_origin)
        info = await store.download(url)
        assert info.complete and _stored(store, info.id) == src
        refetched = {e.path.lstrip("/") for e in list(tiny_origin.stats.log)[requests:]}
        assert not refetched & marked
        assert refetched | marked == set(src)
        store.close()


def _marked_done(db: Path) -> set[str]:
    """The paths the store's database marks done (read directly, read-only)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {str(p) for (p,) in conn.execute("SELECT path FROM segments WHERE done = 1")}
    finally:
        conn.close()


async def _settled_log_length(origin: ShapedOrigin) -> int:
    """The origin's log length once every request it took has been logged.

    A request is logged when its handler ends, which can come after the client has
    its bytes (or has hung up): counting too early would charge the first download's
    last requests to the resume.
    """
    for _ in range(500):  # at most about 5 s
        if len(origin.stats.log) >= origin.stats.requests:
            break
        await asyncio.sleep(0.01)
    assert len(origin.stats.log) == origin.stats.requests
    return len(origin.stats.log)


_RLIMIT_RUNNER = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))
from player.cli import main
sys.exit(main(sys.argv[2:]))
"""


async def _disk_full_by_rlimit(
    tmp_path: Path, origin: ShapedOrigin, tiny_title: PackageResult
) -> None:
    """The same story with the kernel refusing files over 150 kB (``EFBIG``)."""
    url = origin.url + "manifest.mpd"
    args = ["download", url, "--store", str(tmp_path / "s"), "--key-file", str(tmp_path / "k")]
    args += ["--parallel", "1", "--json"]

    def run(limit: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", _RLIMIT_RUNNER, str(limit), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    first = await asyncio.to_thread(run, 150_000)
    assert first.returncode == 2, first.stderr
    error = json.loads(first.stdout)["error"]
    assert error["category"] == "STORAGE" and error["code"] == int(Code.DISK_FULL)
    second = await asyncio.to_thread(run, 1 << 40)
    assert second.returncode == 0, second.stderr
    record = json.loads(second.stdout)
    assert record["complete"]
    root = tmp_path / "s" / "titles" / record["id"]
    stored = {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}
    assert stored == source_files(tiny_title)
