"""Viewer tests: offscreen Qt, real titles served on loopback, the real decode path.

Every test gets a :class:`~ui.main_window.MainWindow` with a silent audio output (there
is no sound card here), a recent-titles file of its own and a Player that does not read
the user's bandwidth cache. Waits are bounded (``qtbot.waitUntil`` with a timeout).
"""

from __future__ import annotations

import os

os.environ["QT_QPA_PLATFORM"] = "offscreen"  # before any QApplication exists

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from player import PlayerConfig
from player.packager import PackageResult, Subtitles, package
from tests.conftest import cached_title
from tests.ui._origin import TestOrigin
from ui.audio_output import SilentAudioOutput
from ui.main_window import MainWindow
from ui.recent import RecentTitles
from ui.session import Snapshot

SUBS_LADDER = "256x144@150k,384x216@300k"
VTT_EN = """WEBVTT

1
00:00:00.000 --> 00:00:04.000
Bottom line one

2
00:00:04.000 --> 00:00:10.000 line:10% align:start
Top left cue
"""
VTT_DE = """WEBVTT

1
00:00:00.000 --> 00:00:10.000
Untertitel unten
"""

LOAD_MS = 60_000  # bound on a title starting to play on a loaded machine


def player_config(
    goal_s: float | None = None, preferences: dict[str, object] | None = None, **abr: object
) -> PlayerConfig:
    """A PlayerConfig that never reads or writes the user's bandwidth cache; ``goal_s``
    sets the buffering goal (a manual quality choice plays once the buffer ahead has)."""
    data: dict[str, object] = {"abr": {"use_bandwidth_cache": False, **abr}}
    if goal_s is not None:
        data["buffer"] = {"goal_s": goal_s}
    if preferences:
        data["preferences"] = preferences
    return PlayerConfig.from_dict(data)


@pytest.fixture(scope="session")
def subs_title(bbb_clip: Path) -> PackageResult:
    """10 s, 2 rungs, AAC, WebVTT subtitles in English and German (sidecar files)."""

    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=SUBS_LADDER,
            segment_duration=2.0,
            duration=10.0,
            loop=True,
            language="en",
            subtitles=[Subtitles("en", "English", VTT_EN), Subtitles("de", "Deutsch", VTT_DE)],
            progress=False,
        )

    return cached_title("tiny-subs", f"{SUBS_LADDER}|2|10|{VTT_EN}|{VTT_DE}", build)


@pytest.fixture
def make_window(qtbot: object, tmp_path: Path) -> Iterator[Callable[..., MainWindow]]:
    """Builds viewer windows; each is shut down (bounded) at the end of the test."""
    windows: list[MainWindow] = []

    def make(config: PlayerConfig | None = None, recent: Path | None = None) -> MainWindow:
        w = MainWindow(
            config or player_config(),
            recent=RecentTitles(recent or tmp_path / "recent.json"),
            audio_factory=SilentAudioOutput,
        )
        w.resize(800, 520)
        w.show()
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.shutdown(timeout=2.0)
        w.close()
        w.deleteLater()


@pytest.fixture
def window(make_window: Callable[..., MainWindow]) -> MainWindow:
    return make_window()


@pytest.fixture
def origin_for() -> Iterator[Callable[[Path], TestOrigin]]:
    """Starts :class:`TestOrigin` servers; stopped at the end of the test."""
    started: list[TestOrigin] = []

    def start(root: Path) -> TestOrigin:
        o = TestOrigin(root).start()
        started.append(o)
        return o

    yield start
    for o in started:
        o.stop()


def snapshot(window: MainWindow) -> Snapshot:
    return window.session.last_snapshot


def wait_playing(qtbot: object, window: MainWindow, past: float = 0.5) -> None:
    """Until a frame at or after ``past`` seconds is on screen."""
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.video.shown is not None and window.video.shown.pts >= past,
        timeout=LOAD_MS,
    )


def pause_and_settle(qtbot: object, window: MainWindow) -> None:
    """Pause and wait until the picture holds still."""
    window.session.pause()
    qtbot.waitUntil(lambda: snapshot(window).paused, timeout=10_000)  # type: ignore[attr-defined]
    # The presenter may be showing one more frame when pause lands: wait until stable.
    last = [-1.0, 0]

    def stable() -> bool:
        shown = window.video.shown
        pts = -2.0 if shown is None else shown.pts
        if pts == last[0]:
            last[1] += 1
        else:
            last[0], last[1] = pts, 0
        return last[1] >= 20

    qtbot.waitUntil(stable, timeout=10_000)  # type: ignore[attr-defined]
