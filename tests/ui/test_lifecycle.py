"""Loading, waiting, failing and closing: errors in plain words with details a click
away, buffering shown as such, a window that never waits on the network, and a close
during a download that ends everything within a second."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt, QTimer

from player.packager import PackageResult
from tests.ui._frames import qimage_to_array
from tests.ui._origin import TestOrigin
from tests.ui.conftest import LOAD_MS, wait_playing
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui


def _loop_threads() -> set[threading.Thread]:
    names = ("abrkit-loop", "abrkit-video-decode", "abrkit-present", "abrkit-audio")
    return {t for t in threading.enumerate() if t.name in names and t.is_alive()}


def test_closing_while_a_download_is_in_flight_ends_within_a_second(
    qtbot: object,
    make_window: Callable[..., MainWindow],
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    before = _loop_threads()
    origin = origin_for(Path(tiny_title.dir))
    origin.hold_suffix = "seg-2.m4s"  # the second segment of any rung never comes
    window = make_window()
    window.open(origin.url("manifest.mpd"))
    wait_playing(qtbot, window, past=0.2)
    qtbot.waitUntil(origin.held.is_set, timeout=LOAD_MS)  # type: ignore[attr-defined]
    mine = _loop_threads() - before
    assert any(t.name == "abrkit-loop" for t in mine)
    window.close()  # closeEvent: close the Player, cancel downloads, stop the loop (1 s)
    # Every thread the window started is gone once close() returned: nothing lingers.
    assert not window.session.loop.alive
    assert not [t for t in mine if t.is_alive()]
    # The held download was cancelled: the client hung up on the origin.
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: any(p.endswith("seg-2.m4s") for p in origin.disconnected), timeout=5_000
    )
    window.close()  # closing twice is harmless
    window.session.open(window.source)  # type: ignore[arg-type]  # after close: ignored
    assert not window.session.loop.alive


def test_the_window_answers_while_the_manifest_is_on_its_way(
    qtbot: object,
    window: MainWindow,
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    origin = origin_for(Path(tiny_title.dir))
    origin.hold_suffix = "manifest.mpd"
    ticks = [0]
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.__setitem__(0, ticks[0] + 1))
    timer.start(20)
    window.open(origin.url("manifest.mpd"))
    qtbot.waitUntil(origin.held.is_set, timeout=10_000)  # type: ignore[attr-defined]
    # The request is held by the server; the Qt thread keeps handling input and timers.
    start = ticks[0]
    qtbot.keyClick(window, Qt.Key.Key_I)  # type: ignore[attr-defined]
    assert window.stats.isVisible()
    qtbot.waitUntil(lambda: ticks[0] >= start + 10, timeout=10_000)  # type: ignore[attr-defined]
    assert origin.held.is_set() and not origin.release.is_set()
    assert window.video.shown is None
    origin.release.set()
    wait_playing(qtbot, window, past=0.3)
    timer.stop()


def test_buffering_is_shown_as_such(
    qtbot: object,
    window: MainWindow,
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    origin = origin_for(Path(tiny_title.dir))
    origin.hold_suffix = "seg-1.m4s"
    window.open(origin.url("manifest.mpd"))
    qtbot.waitUntil(lambda: window.video.buffering, timeout=LOAD_MS)  # type: ignore[attr-defined]
    assert window.session.last_snapshot.state == "buffering"
    # The badge is painted over the black area: the centre is no longer black.
    picture = qimage_to_array(window.video.grab().toImage())
    h, w = picture.shape[:2]
    assert picture[h // 2 - 10 : h // 2 + 10, w // 3 : 2 * w // 3].max() > 100
    assert picture[:10, :10].max() < 10  # the corner stays black
    origin.release.set()
    wait_playing(qtbot, window, past=0.5)
    qtbot.waitUntil(lambda: not window.video.buffering, timeout=10_000)  # type: ignore[attr-defined]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("case", "headline"),
    [
        ("missing", "could not be found"),
        ("not-a-manifest", "not a video the player understands"),
        ("no-server", "could not be reached"),
        ("bad-scheme", "opens http and https"),
        ("local-media-file", "not a DASH (.mpd) or HLS (.m3u8) manifest"),
    ],
)
def test_errors_are_told_in_plain_words_with_details_a_click_away(
    qtbot: object,
    window: MainWindow,
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
    case: str,
    headline: str,
) -> None:
    origin = origin_for(Path(tiny_title.dir))
    origin.missing.add("manifest.mpd")
    url = {
        "missing": origin.url("manifest.mpd"),
        "not-a-manifest": origin.url("package.json"),
        "no-server": f"http://127.0.0.1:{_free_port()}/manifest.mpd",
        "bad-scheme": "ftp://example.com/manifest.mpd",
        "local-media-file": str(Path(tiny_title.dir) / tiny_title.video[0].init),
    }[case]
    window.open(url)
    qtbot.waitUntil(window.banner.isVisible, timeout=LOAD_MS)  # type: ignore[attr-defined]
    err = window.banner.error
    assert err is not None
    text = window.banner.headline.text()
    assert headline in text
    assert str(int(err.code)) not in text  # no codes in the sentence
    assert not window.banner.details.isVisible()
    qtbot.mouseClick(window.banner.details_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert window.banner.details.isVisible()
    details = window.banner.details.toPlainText()
    assert f"{int(err.code)} {err.code.name}" in details and err.message in details
    assert not window.video.buffering
    qtbot.mouseClick(window.banner.close_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert not window.banner.isVisible()


def test_a_segment_missing_mid_title_is_shown(
    qtbot: object,
    window: MainWindow,
    tiny_title: PackageResult,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    origin = origin_for(Path(tiny_title.dir))
    # Segment 3 of every rung is gone: playback starts, then cannot go on.
    origin.missing.update(f"{Path(t.segments[2]).as_posix()}" for t in tiny_title.video)
    window.open(origin.url("manifest.mpd"))
    qtbot.waitUntil(window.banner.isVisible, timeout=LOAD_MS)  # type: ignore[attr-defined]
    err = window.banner.error
    assert err is not None
    assert "seg-3.m4s" in window.banner.details.toPlainText()
    assert window.banner.headline.text() == "The video could not be found on the server."
    # The title had loaded: its controls are there behind the banner.
    assert window.session.last_snapshot.ladder
