"""A download killed with SIGKILL at random points resumes, never refetching a file it
had completed, and ends byte-identical to the served files and to an uninterrupted one.

The downloader is the real ``abrkit download`` in a subprocess; the origin is a real
aiohttp server on loopback shaped to 2 Mbit/s so the kills land mid-download; the
license server is the real ClearKey server (persistent license for the encrypted title).
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import signal
import sqlite3
import sys
import time
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer, LicensePolicy
from player.offline import OfflineStore
from player.packager import PackageResult
from tests.offline.conftest import KEY, KID, source_files
from traces import Trace
from traces.origin import ShapedOrigin

KILLS = 20
SEED = 20240610
RATE_BPS = 4_000_000
BUDGET_S = 150.0  # the whole test, kills and final run, on a loaded machine


def _done_files(db: Path) -> dict[str, tuple[int, str]]:
    """``{path: (size, sha256)}`` of the files the store marks done (read directly)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT path, size, sha256 FROM segments WHERE done = 1").fetchall()
    except sqlite3.OperationalError:  # killed before the schema was committed
        rows = []
    finally:
        conn.close()
    return {str(p): (int(s), str(h)) for p, s, h in rows}


def _title_dirs(store_dir: Path) -> list[Path]:
    titles = store_dir / "titles"
    return [p for p in titles.iterdir() if p.is_dir()] if titles.is_dir() else []


def _check_done_files_intact(store_dir: Path) -> dict[str, tuple[int, str]]:
    done = _done_files(store_dir / "store.db")
    dirs = _title_dirs(store_dir)
    for path, (size, sha) in done.items():
        assert len(dirs) == 1
        data = (dirs[0] / path).read_bytes()
        assert len(data) == size and hashlib.sha256(data).hexdigest() == sha, path
    return done


async def _downloader(url: str, store_dir: Path, key_file: Path, license_url: str, log: Path):
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "player.cli", "download", url,
        "--store", str(store_dir), "--key-file", str(key_file),
        "--license-url", license_url, "--parallel", "2", "--quiet",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
    )  # fmt: skip


class _Round:
    """One download into a fresh store, killed until it is done or the kills run out."""

    def __init__(self, store_dir: Path, key_file: Path, log: Path) -> None:
        self.store_dir, self.key_file, self.log = store_dir, key_file, log
        self.kills = 0
        self.with_progress = 0  # kills after which more files were done than before
        self.completed_at: dict[str, int] = {}  # path -> origin log length once complete

    async def run(
        self,
        origin: ShapedOrigin,
        lic: ClearKeyLicenseServer,
        rng: random.Random,
        kills_left: int,
        deadline: float,
    ) -> None:
        url = origin.url + "manifest.mpd"
        previous: dict[str, tuple[int, str]] = {}
        while self.kills < kills_left:
            assert time.monotonic() < deadline, f"only {self.kills} kills within the budget"
            before = origin.stats.requests
            proc = await _downloader(url, self.store_dir, self.key_file, lic.url, self.log)
            # Kill at a random moment after the downloader's first request.
            while origin.stats.requests == before and proc.returncode is None:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.01)
            await asyncio.sleep(rng.uniform(0.0, 1.0))
            if proc.returncode is not None:
                assert proc.returncode == 0, self.log.read_text()[-2000:]
                break  # it finished before this kill point
            proc.send_signal(signal.SIGKILL)
            assert await proc.wait() == -signal.SIGKILL
            self.kills += 1
            await asyncio.sleep(0.3)  # let the origin log the connections the kill cut
            done = _check_done_files_intact(self.store_dir)
            # What was complete stays complete, unchanged.
            assert all(done.get(p) == v for p, v in previous.items())
            if len(done) > len(previous):
                self.with_progress += 1
            for path in done:
                self.completed_at.setdefault(path, len(origin.stats.log))
            previous = done
        # The last run goes to the end.
        proc = await _downloader(url, self.store_dir, self.key_file, lic.url, self.log)
        rc = await asyncio.wait_for(proc.wait(), max(10.0, deadline - time.monotonic()))
        assert rc == 0, self.log.read_text()[-2000:]
        await asyncio.sleep(0.3)
        # No file was fetched again once the store had it complete.
        entries = list(origin.stats.log)
        for path, mark in self.completed_at.items():
            again = [e for e in entries[mark:] if e.path.lstrip("/") == path]
            assert not again, f"{path} fetched again after it was complete"


@pytest.mark.slow
@pytest.mark.timeout(400)
async def test_sigkill_at_random_points_resumes_byte_identical(
    tmp_path: Path, cenc_title: PackageResult
) -> None:
    rng = random.Random(SEED)
    deadline = time.monotonic() + BUDGET_S
    rounds: list[_Round] = []
    async with (
        ShapedOrigin(cenc_title.dir, trace=Trace.constant(RATE_BPS)) as origin,
        ClearKeyLicenseServer({KID: KEY}, LicensePolicy(license_duration_s=86400)) as lic,
    ):
        # Fresh stores until 20 kills have landed (a download may end before them).
        while sum(r.kills for r in rounds) < KILLS:
            n = len(rounds)
            r = _Round(tmp_path / f"store{n}", tmp_path / f"store{n}.key", tmp_path / "stderr")
            rounds.append(r)
            await r.run(origin, lic, rng, KILLS - sum(x.kills for x in rounds[:-1]), deadline)

    assert sum(r.kills for r in rounds) == KILLS
    assert sum(r.with_progress for r in rounds) >= KILLS // 2
    src = source_files(cenc_title)
    for r in rounds:
        # Every stored file is byte-identical to what the origin serves.
        [title_dir] = _title_dirs(r.store_dir)
        stored = {
            str(p.relative_to(title_dir)): p.read_bytes()
            for p in title_dir.rglob("*")
            if p.is_file()
        }
        assert stored == src
        # The resumed title is whole: it opens with its license, offline.
        with OfflineStore(r.store_dir, key_file=r.key_file, use_keyring=False) as store:
            [title] = store.list()
            assert title.complete and title.protected and title.files_done == title.files_total
            playback = await store.open(title.id)
            assert playback.keys == {KID: KEY}
            await playback.close()
    # ... and to an uninterrupted download of the same title.
    async with (
        ShapedOrigin(cenc_title.dir) as origin,
        ClearKeyLicenseServer({KID: KEY}, LicensePolicy(license_duration_s=86400)) as lic,
    ):
        with OfflineStore(tmp_path / "straight", key_file=tmp_path / "k2", use_keyring=False) as s2:
            info = await s2.download(origin.url + "manifest.mpd", license_url=lic.url)
            straight = {
                str(p.relative_to(s2.title_dir(info.id))): p.read_bytes()
                for p in s2.title_dir(info.id).rglob("*")
                if p.is_file()
            }
    assert straight == src
