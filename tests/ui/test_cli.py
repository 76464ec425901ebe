"""``abrkit gui``: screenshot mode end to end in a subprocess (no display: offscreen),
and typed errors for bad arguments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PyQt6.QtGui import QImage

from player.packager import PackageResult
from tests.ui._frames import qimage_to_array

pytestmark = pytest.mark.gui


def _abrkit(
    args: list[str], tmp_path: Path, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")  # no user bandwidth cache
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user recent list
    return subprocess.run(
        [sys.executable, "-m", "player.cli", "gui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_screenshot_of_a_playing_title_with_the_overlay(
    tiny_title: PackageResult, tmp_path: Path
) -> None:
    out = tmp_path / "shot.png"
    r = _abrkit(
        [
            str(tiny_title.mpd),
            "--screenshot",
            str(out),
            "--after",
            "1",
            "--stats",
            "--size",
            "800x500",
        ],
        tmp_path,
    )
    assert r.returncode == 0, r.stderr
    image = QImage(str(out))
    assert (image.width(), image.height()) == (800, 500)
    pixels = qimage_to_array(image)
    assert pixels.std() > 20  # a picture, not a blank window
    # The overlay's dark panel sits top left over the picture.
    assert pixels[60:120, 20:200].mean() < pixels[200:400, 450:750].mean()
    recent = (tmp_path / "config" / "abrkit" / "recent.json").read_text()
    assert str(tiny_title.mpd) in recent


def test_a_title_that_fails_is_captured_with_its_error(tmp_path: Path) -> None:
    out = tmp_path / "error.png"
    missing = tmp_path / "nothing-here.mpd"
    r = _abrkit([str(missing), "--screenshot", str(out), "--after", "1"], tmp_path, timeout=60)
    assert r.returncode == 1
    assert "no such file" in r.stderr
    pixels = qimage_to_array(QImage(str(out)))
    # The banner (dark red) is drawn near the bottom of the picture area.
    reds = (pixels[..., 0].astype(int) - pixels[..., 2].astype(int)) > 15
    assert np.count_nonzero(reds) > 500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--after", "-1", "--screenshot", "x.png"], "--after"),
        (["--size", "12"], "--size"),
        (["--screenshot", "shot.jpg"], ".png"),
    ],
)
def test_bad_arguments_are_typed_errors(args: list[str], message: str, tmp_path: Path) -> None:
    r = _abrkit(args, tmp_path, timeout=60)
    assert r.returncode == 2
    assert message in r.stderr and "Traceback" not in r.stderr
