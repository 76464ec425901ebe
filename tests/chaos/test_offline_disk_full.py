"""Chaos in storage: the disk fills up during an offline download of the sample title.

A small tmpfs is mounted for the store (root only; otherwise the kernel's per-process file
size limit, ``RLIMIT_FSIZE``, makes the same ``EFBIG``/``ENOSPC`` failure in a
subprocess). A title already stored must survive untouched and still play; the download
that hits the full disk must stop with the one typed error, ``PlayerError(STORAGE,
DISK_FULL, recoverable)``, leave no half file and nothing marked stored that is not
whole; once there is room again the same call resumes it to a byte-identical copy that
plays to the end with no network.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from player.engine import Ended
from player.errors import Category, Code, PlayerError
from player.offline import DownloadProgress, OfflineStore, Selection
from player.packager import PackageResult
from player.player import Player
from tests.chaos._harness import config, real_trace
from tests.chaos._timewarp import run_warped
from tests.chaos.conftest import TIME_SCALE, title_dir
from traces.origin import ShapedOrigin

pytestmark = pytest.mark.timeout(240)

STORED = Selection(max_height=216, audio_languages=("en",))  # about 3.8 MB
DOWNLOADING = Selection(max_height=360, audio_languages=("de",))  # about 6.4 MB


@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[bool]:
    """Mount a tmpfs of ``size`` on ``path``; yields False when mounting is not allowed."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or os.environ.get("ABRKIT_TEST_NO_MOUNT"):
        if done.returncode == 0:
            subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)
        yield False
        return
    try:
        yield True
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.suffix in (".mp4", ".m4s")
    }


def _matches_source(stored: dict[str, str], source: Path) -> None:
    assert stored, "something is stored"
    for rel, digest in stored.items():
        assert hashlib.sha256((source / rel).read_bytes()).hexdigest() == digest, rel


async def _play_offline(store: OfflineStore, title_id: str) -> tuple[bool, float]:
    """Play a stored title to the end with no network on the warped clock."""
    loop = asyncio.get_running_loop()
    playback = await store.open(title_id)
    player = Player(config(), fetcher=playback.fetcher, clock=loop.time)
    try:
        ended: list[Ended] = []
        player.on(Ended, lambda ev: ended.append(ev))  # type: ignore[arg-type]
        await player.load(playback.presentation)
        await player.wait_ended(timeout=600)
        return bool(ended), player.position
    finally:
        await player.close()
        await playback.close()


def test_disk_full_mid_download_loses_nothing_and_resumes(
    sample: PackageResult, tmp_path: Path
) -> None:
    disk = tmp_path / "disk"
    with _tmpfs(disk, "32m") as mounted:
        if not mounted:
            _disk_full_by_rlimit(sample, tmp_path)
            return
        run_warped(_scenario(sample, disk), TIME_SCALE, wall_timeout=180)


async def _scenario(sample: PackageResult, disk: Path) -> None:
    loop = asyncio.get_running_loop()
    source = title_dir(sample)
    filler = disk / "filler"
    async with ShapedOrigin(
        source, trace=real_trace("fcc-2016", "trace_26611"), clock=loop.time
    ) as origin:
        url = origin.url + "manifest.mpd"
        with OfflineStore(disk / "store", key_file=disk / "store.key", use_keyring=False) as store:
            kept = await store.download(url, STORED)
            assert kept.complete
            kept_files = _digests(store.title_dir(kept.id))
            _matches_source(kept_files, source)

            def fill(p: DownloadProgress) -> None:
                # Another program takes the rest of the disk once the download is going.
                if p.files_done == 4 and not filler.exists():
                    st = os.statvfs(disk)
                    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
                    try:
                        os.posix_fallocate(fd, 0, st.f_bavail * st.f_frsize - 32 * 1024)
                    finally:
                        os.close(fd)

            with pytest.raises(PlayerError) as err:
                await store.download(url, DOWNLOADING, on_progress=fill)
            assert err.value.code is Code.DISK_FULL
            assert err.value.category is Category.STORAGE and err.value.recoverable

            # Nothing lost: the stored title is whole and still plays to the end.
            assert _digests(store.title_dir(kept.id)) == kept_files
            assert store.get(kept.id).complete
            ended, position = await _play_offline(store, kept.id)
            assert ended and position == pytest.approx(sample.duration, abs=0.5)

            # Nothing corrupt: no temporary left, every file kept is whole.
            [partial] = [t for t in store.list() if not t.complete]
            partial_dir = store.title_dir(partial.id)
            assert not list(partial_dir.rglob(".tmp-*"))
            done_before = _digests(partial_dir)
            _matches_source(done_before, source)
            with pytest.raises(PlayerError) as incomplete:
                await store.open(partial.id)
            assert incomplete.value.code is Code.DOWNLOAD_INCOMPLETE

            # Room again: the same call resumes, fetching only what is missing.
            filler.unlink()
            seen = len(origin.stats.log)
            info = await store.download(url, DOWNLOADING)
            assert info.complete and info.id == partial.id
            refetched = {r.path.lstrip("/") for r in list(origin.stats.log)[seen:]}
            assert not refetched & set(done_before), "stored files are not fetched again"
            done_after = _digests(partial_dir)
            _matches_source(done_after, source)
            assert set(done_before) < set(done_after)
            ended, position = await _play_offline(store, info.id)
            assert ended and position == pytest.approx(sample.duration, abs=0.5)


_RLIMIT_RUNNER = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
limit = int(sys.argv[1])
if limit:
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from player.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _disk_full_by_rlimit(sample: PackageResult, tmp_path: Path) -> None:
    """The same story where mounting is not allowed: the kernel refuses files over
    300 kB in a subprocess running ``abrkit download``."""

    async def serve_and(limit_runs: list[int]) -> list[subprocess.CompletedProcess[str]]:
        out = []
        async with ShapedOrigin(title_dir(sample)) as origin:
            for limit in limit_runs:
                args = [
                    "download",
                    origin.url + "manifest.mpd",
                    "--max-height",
                    "360",
                    "--lang",
                    "de",
                    "--store",
                    str(tmp_path / "s"),
                    "--key-file",
                    str(tmp_path / "k"),
                    "--parallel",
                    "1",
                    "--json",
                    "--quiet",
                ]
                out.append(
                    await asyncio.to_thread(
                        subprocess.run,
                        [sys.executable, "-c", _RLIMIT_RUNNER, str(limit), *args],
                        capture_output=True,
                        text=True,
                        timeout=120,
                        check=False,
                    )
                )
        return out

    first, second = asyncio.run(serve_and([300_000, 0]))
    error: dict[str, Any] = json.loads(first.stdout)["error"]
    assert error["category"] == "STORAGE" and error["code"] == int(Code.DISK_FULL)
    assert second.returncode == 0, second.stderr
    record = json.loads(second.stdout)
    assert record["complete"]
    _matches_source(_digests(tmp_path / "s" / "titles" / record["id"]), title_dir(sample))
