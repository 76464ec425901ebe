"""Fixtures of the chaos scenarios: the sample title's folder and a time-warped runner."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest

from player.packager import PackageResult
from tests.chaos._timewarp import run_warped

T = TypeVar("T")

# Playback time runs this many times faster than wall time in the scenarios (the
# sample title's 64 s play in about 4 s here), with the Player and the origins on the
# warped clock; outages, backoffs and timeouts are in playback seconds.
TIME_SCALE = 16.0


@pytest.fixture(scope="session")
def sample(sample_title: PackageResult) -> PackageResult:
    """The sample title (64 s, 16 segments of 4 s, 5 video rungs, 2 audio languages)."""
    return sample_title


@pytest.fixture
def warped() -> Callable[[Coroutine[Any, Any, T], float], T]:
    """``warped(coro, wall_timeout)``: run a scenario on a time-warped loop, bounded in
    wall time."""

    def run(coro: Coroutine[Any, Any, T], wall_timeout: float = 60.0) -> T:
        return run_warped(coro, TIME_SCALE, wall_timeout=wall_timeout)

    return run


def title_dir(title: PackageResult) -> Path:
    """The folder a packaged title lives in."""
    return Path(title.dir)
