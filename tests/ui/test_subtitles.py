"""Subtitles in the viewer: WebVTT sidecars (DASH and HLS) and wvtt in fMP4 (DASH),
chosen in the subtitle menu, drawn over the picture at the cues' times and where their
settings put them."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtCore import QRect

from player.packager import PackageResult
from tests.text.conftest import packager_binary
from tests.ui._frames import qimage_to_array
from tests.ui._origin import TestOrigin
from tests.ui.conftest import LOAD_MS, pause_and_settle, wait_playing
from ui.main_window import MainWindow

pytestmark = pytest.mark.gui

VTT_FR = """WEBVTT

1
00:00:00.000 --> 00:00:10.000 line:10% align:start
Sous-titre en haut
"""


def _ink(window: MainWindow) -> QRect:
    """The bounding box of what the subtitles add to the (paused) picture."""
    with_cues = qimage_to_array(window.video.grab().toImage())
    timeline = window.session.timeline
    window.video.set_timeline(None)
    try:
        without = qimage_to_array(window.video.grab().toImage())
    finally:
        window.video.set_timeline(timeline)
    diff = np.abs(with_cues.astype(np.int16) - without.astype(np.int16)).sum(axis=2) > 40
    ys, xs = np.nonzero(diff)
    assert len(xs) > 50, "no subtitle drawn"
    return QRect(int(xs.min()), int(ys.min()), int(xs.max() - xs.min()), int(ys.max() - ys.min()))


def _choose_text(qtbot: object, window: MainWindow, language: str | None) -> None:
    qtbot.waitUntil(lambda: window.controls.text_button.isVisible(), timeout=LOAD_MS)  # type: ignore[attr-defined]
    tracks = window.session.last_snapshot.text_tracks
    track_id = None if language is None else next(t.id for t in tracks if t.language == language)
    action = window.controls.text_action(track_id)
    assert action is not None
    action.trigger()


def _wait_cue(qtbot: object, window: MainWindow, text: str) -> None:
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: [c.plain_text for c in window.video.active_cues()] == [text], timeout=LOAD_MS
    )


def test_dash_sidecar_subtitles_at_their_times_and_places(
    qtbot: object, window: MainWindow, subs_title: PackageResult
) -> None:
    window.open(str(subs_title.mpd))
    wait_playing(qtbot, window, past=0.2)
    titles = [t.title for t in window.session.last_snapshot.text_tracks]
    assert titles == ["English (en)", "Deutsch (de)"]
    assert window.video.active_cues() == []  # off until chosen
    _choose_text(qtbot, window, "en")
    _wait_cue(qtbot, window, "Bottom line one")
    assert window.controls.text_button.text() == "Subtitles: on"
    pause_and_settle(qtbot, window)
    shown = window.video.shown
    assert shown is not None and shown.pts < 4.0
    video = window.video.video_rect()
    ink = _ink(window)
    assert video.contains(ink)
    assert ink.top() > video.top() + 0.7 * video.height()  # bottom of the picture
    assert abs(ink.center().x() - video.center().x()) < 0.05 * video.width()  # centred
    # The second cue says line:10% align:start: top left.
    window.session.seek(5.0)
    _wait_cue(qtbot, window, "Top left cue")
    pause_and_settle(qtbot, window)
    video = window.video.video_rect()
    ink = _ink(window)
    assert video.top() + 0.08 * video.height() <= ink.top() <= video.top() + 0.2 * video.height()
    assert ink.left() < video.left() + 0.05 * video.width()
    # Another language, then off.
    _choose_text(qtbot, window, "de")
    _wait_cue(qtbot, window, "Untertitel unten")
    _choose_text(qtbot, window, None)
    qtbot.waitUntil(  # type: ignore[attr-defined]
        lambda: window.controls.text_button.text() == "Subtitles: off", timeout=10_000
    )
    assert window.video.active_cues() == []
    qtbot.wait(500)  # type: ignore[attr-defined]
    assert window.video.active_cues() == [] and len(window.session.timeline) == 0


def test_hls_subtitles(qtbot: object, window: MainWindow, subs_title: PackageResult) -> None:
    window.open(str(subs_title.hls_master))
    wait_playing(qtbot, window, past=0.2)
    _choose_text(qtbot, window, "de")
    _wait_cue(qtbot, window, "Untertitel unten")


def _wvtt_title(subs_title: PackageResult, root: Path) -> Path:
    """The subs title plus a French wvtt (fMP4) text track made by Shaka Packager."""
    shutil.copytree(subs_title.dir, root, dirs_exist_ok=True)
    (root / "wvtt").mkdir()
    (root / "wvtt" / "fr.vtt").write_text(VTT_FR, encoding="utf-8")
    subprocess.run(
        [
            str(packager_binary()),
            "in=wvtt/fr.vtt,stream=text,init_segment=wvtt/init.mp4,"
            "segment_template=wvtt/seg-$Number$.m4s",
            "--segment_duration",
            "2",
        ],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=60,
    )
    mpd = (root / "manifest.mpd").read_text(encoding="utf-8")
    adaptation = (
        '<AdaptationSet id="90" contentType="text" mimeType="application/mp4" lang="fr">'
        "<Label>Français</Label>"
        '<Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle"/>'
        '<Representation id="text-fr-wvtt" bandwidth="1000" codecs="wvtt">'
        '<SegmentTemplate timescale="1000" initialization="wvtt/init.mp4" '
        'media="wvtt/seg-$Number$.m4s" startNumber="1" duration="2000"/>'
        "</Representation></AdaptationSet>"
    )
    mpd = re.sub(r"(\s*)</Period>", adaptation + r"\1</Period>", mpd, count=1)
    (root / "manifest.mpd").write_text(mpd, encoding="utf-8")
    return root / "manifest.mpd"


def test_dash_wvtt_subtitles_in_fmp4(
    qtbot: object,
    window: MainWindow,
    subs_title: PackageResult,
    tmp_path: Path,
    origin_for: Callable[[Path], TestOrigin],
) -> None:
    root = tmp_path / "title"
    _wvtt_title(subs_title, root)
    origin = origin_for(root)
    window.open(origin.url("manifest.mpd"))
    wait_playing(qtbot, window, past=0.2)
    _choose_text(qtbot, window, "fr")
    _wait_cue(qtbot, window, "Sous-titre en haut")
    assert any(p.startswith("wvtt/seg-") for p in origin.requests)
    cue = window.video.active_cues()[0]
    assert cue.settings.line == 10.0 and cue.settings.align == "start"
    pause_and_settle(qtbot, window)
    video = window.video.video_rect()
    ink = _ink(window)
    assert ink.top() <= video.top() + 0.2 * video.height()
