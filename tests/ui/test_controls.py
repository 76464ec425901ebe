"""Controls people expect: keyboard shortcuts, volume and mute, fullscreen, the audio
language menu, the Open URL dialog and recent titles."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PyQt6.QtCore import Qt, QTimer
from PyQt6.QtWidgets import QApplication

from player.packager import PackageResult
from tests.ui.conftest import LOAD_MS, player_config, snapshot, wait_playing
from ui.dialogs import OpenUrlDialog
from ui.main_window import MainWindow
from ui.recent import RecentTitles

pytestmark = pytest.mark.gui


def test_keyboard_shortcuts(qtbot: object, window: MainWindow, tiny_title: PackageResult) -> None:
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=0.3)
    window.activateWindow()
    # Space pauses and plays.
    qtbot.keyClick(window, Qt.Key.Key_Space)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: snapshot(window).paused, timeout=10_000)  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_Space)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not snapshot(window).paused, timeout=10_000)  # type: ignore[attr-defined]
    # Right arrow: 5 s ahead.
    shown = window.video.shown
    assert shown is not None
    start = shown.pts
    qtbot.keyClick(window, Qt.Key.Key_Right)  # type: ignore[attr-defined]
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.video.shown is not None and window.video.shown.pts >= start + 4.5,
        timeout=LOAD_MS,
    )
    # M mutes, Up/Down change the volume; the audio output follows.
    audio = window.session.audio
    assert audio is not None
    qtbot.keyClick(window, Qt.Key.Key_M)  # type: ignore[attr-defined]
    assert audio.muted and window.controls.mute_button.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_Down)  # type: ignore[attr-defined]
    assert audio.volume == pytest.approx(0.9)
    assert window.controls.volume_slider.value() == 90
    qtbot.keyClick(window, Qt.Key.Key_Up)  # type: ignore[attr-defined]
    assert audio.volume == pytest.approx(1.0) and not audio.muted  # louder unmutes
    # I toggles the overlay; F enters full screen and Esc leaves it.
    qtbot.keyClick(window, Qt.Key.Key_I)  # type: ignore[attr-defined]
    assert window.stats.isVisible() and window.controls.stats_button.isChecked()
    qtbot.keyClick(window, Qt.Key.Key_F)  # type: ignore[attr-defined]
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)  # type: ignore[attr-defined]
    qtbot.keyClick(window, Qt.Key.Key_Escape)  # type: ignore[attr-defined]
    assert not window.stats.isVisible()


def test_volume_slider_and_mute_button(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    window.open(str(tiny_title.mpd))
    wait_playing(qtbot, window, past=0.1)
    audio = window.session.audio
    assert audio is not None and audio.is_silent  # no sound card here: the silent sink
    window.controls.volume_slider.setValue(40)
    assert audio.volume == pytest.approx(0.4) and audio.gain == pytest.approx(0.4)
    qtbot.mouseClick(window.controls.mute_button, Qt.MouseButton.LeftButton)  # type: ignore[attr-defined]
    assert audio.muted and audio.gain == 0.0
    # The next title keeps the settings.
    window.open(str(tiny_title.hls_master))
    wait_playing(qtbot, window, past=0.1)
    nxt = window.session.audio
    assert nxt is not None and nxt is not audio
    assert nxt.volume == pytest.approx(0.4) and nxt.muted


def test_audio_language_menu_switches_the_soundtrack(
    qtbot: object, make_window: Callable[..., MainWindow], sample_title: PackageResult
) -> None:
    # The sample has English and German audio; the smallest rung keeps decoding light.
    window = make_window(player_config(preferences={"max_height": 216}, first_quality=0))
    window.open(str(sample_title.mpd))
    wait_playing(qtbot, window, past=0.2)
    qtbot.waitUntil(window.controls.audio_button.isVisible, timeout=10_000)  # type: ignore[attr-defined]
    tracks = snapshot(window).audio_tracks
    assert [t.language for t in tracks] == ["en", "de"]
    assert [t.selected for t in tracks] == [True, False]
    german = next(t for t in tracks if t.language == "de")
    action = window.controls.audio_action(german.id)
    assert action is not None and not action.isChecked()
    action.trigger()
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: [t.selected for t in snapshot(window).audio_tracks] == [False, True],
        timeout=LOAD_MS,
    )
    assert action.isChecked()
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: any(e.type == "track_changed" for e in window.events), timeout=LOAD_MS
    )


def test_recent_titles_are_remembered_and_offered(
    qtbot: object, make_window: Callable[..., MainWindow], tiny_title: PackageResult, tmp_path: Path
) -> None:
    path = tmp_path / "recent.json"
    first = make_window(recent=path)
    first.open(str(tiny_title.mpd))
    wait_playing(qtbot, first, past=0.1)
    first.open(str(tiny_title.hls_master))
    wait_playing(qtbot, first, past=0.1)
    saved = json.loads(path.read_text())
    assert [e["text"] for e in saved] == [str(tiny_title.hls_master), str(tiny_title.mpd)]
    folder = Path(tiny_title.dir).name
    assert [e["title"] for e in saved] == [f"{folder} (HLS)", f"{folder} (DASH)"]
    # A new window lists them, most recent first, in File > Recent.
    second = make_window(recent=path)
    assert [a.text() for a in second.recent_menu.actions()] == [
        f"{folder} (HLS)",
        f"{folder} (DASH)",
    ]
    second.recent_menu.actions()[1].trigger()
    wait_playing(qtbot, second, past=0.1)
    assert second.source is not None and second.source.path == Path(tiny_title.mpd)
    # The Open URL dialog offers them too; accepting opens what was typed.
    dialog = OpenUrlDialog(RecentTitles(path), second)
    assert [dialog.field.itemText(i) for i in range(dialog.field.count())][:2] == [
        str(tiny_title.mpd),
        str(tiny_title.hls_master),
    ]


def test_open_url_dialog_opens_what_is_typed(
    qtbot: object, window: MainWindow, tiny_title: PackageResult
) -> None:
    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        assert isinstance(dialog, OpenUrlDialog)
        dialog.field.setCurrentText(str(tiny_title.mpd))
        dialog.accept()

    QTimer.singleShot(200, answer)
    window.open_url_dialog()  # modal: returns once answered
    wait_playing(qtbot, window, past=0.1)
    assert window.windowTitle().startswith("tiny-")


def test_a_damaged_recent_file_is_an_empty_list(tmp_path: Path) -> None:
    path = tmp_path / "recent.json"
    path.write_text("{not json")
    recent = RecentTitles(path)
    assert recent.items == []
    recent.add("http://example.com/a.mpd", "a.mpd")
    assert RecentTitles(path).items[0].text == "http://example.com/a.mpd"
    path.write_text(json.dumps([{"text": 3}, "x", {"text": "ok", "title": None}]))
    assert [(i.text, i.title) for i in RecentTitles(path).items] == [("ok", "ok")]
    many = RecentTitles(tmp_path / "many.json", limit=3)
    for i in range(5):
        many.add(f"t{i}", f"t{i}")
    many.add("t3", "t3")
    assert [i.text for i in many.items] == ["t3", "t4", "t2"]


def test_the_sample_title_is_what_opens_by_default(
    qtbot: object, make_window: Callable[..., MainWindow], sample_title: PackageResult
) -> None:
    # Nothing typed: the built-in sample, served on loopback by the embedded origin.
    window = make_window(player_config(preferences={"max_height": 216}))
    window.open(None)
    wait_playing(qtbot, window, past=0.5)
    assert window.windowTitle().startswith("abrkit sample")
    snap = snapshot(window)
    assert snap.duration == pytest.approx(sample_title.duration, abs=0.1)
    assert [t.language for t in snap.text_tracks] == ["en", "de"]
    assert len(snap.audio_tracks) == 2
