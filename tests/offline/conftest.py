"""Fixtures of the offline store tests: packaged titles served by a real origin on
loopback, a real ClearKey license server, and a store with an injectable wall clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from drm import ClearKeyLicenseServer, LicensePolicy
from player.offline import OfflineStore
from player.packager import ClearKeyEncryption, PackageResult, package
from tests.conftest import TINY_LADDER, cached_title
from traces.origin import ShapedOrigin

KID = "0123456789abcdef0123456789abcdef"
KEY = "00112233445566778899aabbccddeeff"
START = 1_800_000_000.0  # the fake wall clock's first reading (2027-01-15)
DAY = 86400.0


class Clock:
    """A wall clock tests move by hand (POSIX seconds)."""

    def __init__(self, t: float = START) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture(scope="session")
def cenc_title(bbb_clip: Path) -> PackageResult:
    """tiny_title's ladder, encrypted with ClearKey ``cenc`` (KID/KEY above), 10 s."""

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=TINY_LADDER,
            segment_duration=2.0,
            duration=10.0,
            loop=True,
            language="en",
            encryption=ClearKeyEncryption.from_hex(KID, KEY),
            progress=False,
        )

    return cached_title("offline-cenc", f"{TINY_LADDER}|2|10|en|{KID}", build)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "store.key"


@pytest.fixture
def store(tmp_path: Path, clock: Clock, key_file: Path) -> Iterator[OfflineStore]:
    s = OfflineStore(tmp_path / "store", clock=clock, key_file=key_file, use_keyring=False)
    yield s
    s.close()


async def _serve(directory: Path) -> AsyncIterator[ShapedOrigin]:
    async with ShapedOrigin(directory) as origin:
        yield origin


@pytest.fixture
async def tiny_origin(tiny_title: PackageResult) -> AsyncIterator[ShapedOrigin]:
    async for origin in _serve(tiny_title.dir):
        yield origin


@pytest.fixture
async def cenc_origin(cenc_title: PackageResult) -> AsyncIterator[ShapedOrigin]:
    async for origin in _serve(cenc_title.dir):
        yield origin


@pytest.fixture
async def license_server(clock: Clock) -> AsyncIterator[ClearKeyLicenseServer]:
    """Licenses for KID: 30 days, a 48 h playback window, on the tests' clock."""
    policy = LicensePolicy(license_duration_s=30 * DAY, playback_window_s=2 * DAY)
    async with ClearKeyLicenseServer({KID: KEY}, policy, clock=clock) as server:
        yield server


def source_files(title: PackageResult) -> dict[str, bytes]:
    """Every file of a packaged title by its path relative to the title folder."""
    root = Path(title.dir)
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in root.rglob("*")
        if p.is_file() and p.suffix in (".mp4", ".m4s")
    }
