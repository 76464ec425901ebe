"""The viewer plays: the picture is the decoded frame, pause stops the clock, seek moves
picture and time, the quality menu plays the chosen rung, the overlay shows what the
Player reports. Real title, real loopback HTTP, real decoding, offscreen Qt."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PyQt6.QtCore import Qt

from player import Player
from player.packager import PackageResult
from tests.ui._frames import decode_frame, mean_abs_diff, qimage_to_array, scaled
from tests.ui.conftest import LOAD_MS, pause_and_settle, player_config, snapshot, wait_playing
from ui.main_window import MainWindow
from ui.stats_overlay import format_bitrate

pytestmark = pytest.mark.gui

# Mean absolute difference (0..255) allowed between the window's picture and a direct
# decode scaled the same way: scaling filters differ slightly, nothing more.
SAME_PICTURE = 6.0


def test_picture_is_the_decoded_frame_at_the_current_position(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=2.5)
    pause_and_settle(qtbot, window)
    shown = window.video.shown
    assert shown is not None
    rect = window.video.video_rect()
    # Letterboxed with the frame's aspect ratio (16:9 here) inside the widget.
    assert abs(rect.width() / rect.height() - shown.width / shown.height) < 0.02
    grabbed = qimage_to_array(window.video.grab(rect).toImage())
    reference = scaled(decode_frame(tiny_title, shown.representation_id, shown.pts), rect)
    right = mean_abs_diff(grabbed, reference)
    # A frame 2.5 s away (the clip loops every 5.3 s, so not a multiple of that).
    other_pts = shown.pts - 2.52 if shown.pts >= 2.6 else shown.pts + 2.52  # 63 frames
    wrong = mean_abs_diff(
        grabbed, scaled(decode_frame(tiny_title, shown.representation_id, other_pts), rect)
    )
    assert right < SAME_PICTURE, (right, wrong)
    assert wrong > 2 * SAME_PICTURE and wrong > 3 * right, (right, wrong)
    # The Player's position is the picture's time (within a frame or two).
    position = window.session.call(lambda p: p.position)
    assert abs(float(position) - shown.pts) < 0.15  # type: ignore[arg-type]


def test_pause_stops_the_clock_and_play_resumes_it(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=1.0)
    pause_and_settle(qtbot, window)
    shown = window.video.shown
    assert shown is not None
    pts = shown.pts
    position = window.session.call(lambda p: p.position)
    label = window.controls.time_label.text()
    qtbot.wait(800)  # type: ignore[attr-defined]
    assert window.video.shown is not None and window.video.shown.pts == pts
    assert window.session.call(lambda p: p.position) == position
    assert window.controls.time_label.text() == label
    assert snapshot(window).state == "paused"
    assert window.controls.play_button.text() == "\u25b6"  # shows Play while paused
    window.session.play()
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.video.shown is not None and window.video.shown.pts > pts + 0.3,
        timeout=LOAD_MS,
    )
    assert float(window.session.call(lambda p: p.position)) > float(position)  # type: ignore[arg-type]


def test_seek_moves_picture_and_time(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=0.5)
    window.controls.seekRequested.emit(7.0)  # what the seek bar emits on a click
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.video.shown is not None and 7.0 - 0.05 <= window.video.shown.pts < 8.5,
        timeout=LOAD_MS,
    )
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.controls.time_label.text().split(" / ")[0] in ("0:07", "0:08"),
        timeout=10_000,
    )
    assert window.controls.seek_bar.position >= 7.0 - 0.05
    # The bar shows what is buffered: the Player's ranges, which hold the playhead.
    bar = window.controls.seek_bar
    qtbot.waitUntil(lambda: bar.buffered == snapshot(window).buffered != (), timeout=10_000)  # type: ignore[attr-defined]
    assert any(s <= bar.position <= e for s, e in bar.buffered)
    # Left arrow: back 5 s, picture and time follow.
    qtbot.keyClick(window, Qt.Key.Key_Left)  # type: ignore[attr-defined]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.video.shown is not None and window.video.shown.pts < 4.5,
        timeout=LOAD_MS,
    )
    assert window.controls.time_label.text().split(" / ")[1] == "0:10"


def test_quality_menu_plays_the_chosen_rung(
    qtbot: object, make_window: Callable[..., MainWindow], tiny_title: PackageResult
) -> None:
    # A short buffer goal: a manual choice applies from the next segment fetched (the
    # engine keeps what is buffered), so it shows within a few seconds.
    window = make_window(player_config(goal_s=4.0))
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=0.5)
    qtbot.waitUntil(lambda: len(snapshot(window).ladder) == 3, timeout=10_000)  # type: ignore[attr-defined]
    ladder = snapshot(window).ladder
    playing = snapshot(window).playing_quality
    target = 0 if playing != 0 else 2
    action = window.controls.quality_action(target)
    assert action is not None and not action.isChecked()
    action.trigger()
    rung = ladder[target]

    def on_target() -> bool:
        s = window.video.shown
        return s is not None and s.representation_id == rung.id and s.height == rung.height

    qtbot.waitUntil(on_target, timeout=LOAD_MS)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: snapshot(window).playing_quality == target, timeout=10_000)  # type: ignore[attr-defined]
    snap = snapshot(window)
    assert snap.manual_quality == target
    # The menu relabels on the window's next snapshot signal, a moment after the Player.
    qtbot.waitUntil(lambda: action.isChecked() and "playing" in action.text(), timeout=5_000)  # type: ignore[attr-defined]
    auto = window.controls.quality_action(None)
    assert auto is not None and not auto.isChecked()
    assert window.controls.quality_button.text() == f"{rung.height}p"
    # It stays there: the next frames are all of that rung.
    qtbot.wait(600)  # type: ignore[attr-defined]
    assert on_target()
    # The live chart marks the switch the viewer saw, to the chosen rung.
    assert window.stats.chart.switches and window.stats.chart.switches[-1][2] == target
    auto.trigger()
    qtbot.waitUntil(lambda: snapshot(window).manual_quality is None, timeout=10_000)  # type: ignore[attr-defined]
    assert auto.isChecked()


def test_stats_overlay_shows_what_the_player_reports(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    window.set_stats_visible(True)
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=1.0)
    # Everything downloaded and paused: the Player's numbers hold still.
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: any(e.type == "stream_fetched" for e in window.events), timeout=LOAD_MS
    )
    pause_and_settle(qtbot, window)

    def report(p: Player) -> tuple[object, ...]:
        s = p.stats
        return (
            s.dropped_frames,
            s.frames_decoded,
            round(p.buffer_level, 1),
            s.estimated_bandwidth_bps,
        )

    def settled() -> bool:
        first = window.session.call(report)
        qtbot.wait(300)  # type: ignore[attr-defined]
        return bool(first == window.session.call(report))

    qtbot.waitUntil(settled, timeout=20_000)  # type: ignore[attr-defined]
    before = len(window.stats.chart.points)
    window.session.refresh()
    qtbot.waitUntil(lambda: len(window.stats.chart.points) > before, timeout=10_000)  # type: ignore[attr-defined]
    dropped, decoded, level, estimate = window.session.call(report)  # type: ignore[misc]
    policy = window.session.call(lambda p: p.config.abr.policy)
    tracks = window.session.call(lambda p: p.tracks)
    shown = window.video.shown
    assert shown is not None
    video = next(t for t in tracks if t.kind == "video" and t.selected)  # type: ignore[attr-defined]
    rung = next(r for r in video.rungs if r.id == shown.representation_id)
    values = window.stats.values()
    assert window.stats.isVisible()
    assert values["Resolution"].startswith(f"{shown.width}x{shown.height}")
    assert values["Resolution"].endswith(f"(rung {rung.index + 1} of {len(video.rungs)})")
    assert values["Codec"] == rung.codecs
    assert values["Bitrate"] == format_bitrate(rung.bitrate_bps)
    assert values["Buffer ahead"] == f"{level:.1f} s"
    assert values["Bandwidth estimate"] == format_bitrate(estimate)  # type: ignore[arg-type]
    assert values["Dropped frames"] == f"{dropped} of {decoded}"
    assert values["ABR policy"].startswith(f"{policy} (")
    assert decoded > 0 and estimate is not None
    # The chart holds samples of the same numbers.
    point = window.stats.chart.points[-1]
    assert point.buffer_s == pytest.approx(level, abs=0.06)
    assert point.bitrate_bps == rung.bitrate_bps
