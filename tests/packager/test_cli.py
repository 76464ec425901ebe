"""``abrkit package`` and ``abrkit sample`` through the real command-line entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from player.cli import main
from player.packager import PackageResult


def test_package_command_writes_a_title_and_reports_json(
    bbb_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "title"
    code = main(
        [
            "package",
            str(bbb_clip),
            str(out),
            "--ladder",
            "256x144@150k,384x216@300k",
            "--segment",
            "2",
            "--duration",
            "4",
            "--timeline",
            "--encrypt",
            "clearkey",
            "--key-id",
            "0123456789abcdef0123456789abcdef",
            "--key",
            "00112233445566778899aabbccddeeff",
            "--license-url",
            "http://127.0.0.1:9/license",
            "--json",
        ]
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [t["id"] for t in report["video"]] == ["video-256x144_150k", "video-384x216_300k"]
    assert report["key_id"] == "0123456789abcdef0123456789abcdef"
    mpd = (out / "manifest.mpd").read_text()
    assert 'cenc:default_KID="01234567-89ab-cdef-0123-456789abcdef"' in mpd
    assert "<SegmentTimeline>" in mpd
    assert "METHOD=SAMPLE-AES-CTR" in (out / "video/256x144_150k/index.m3u8").read_text()
    assert PackageResult.load(out).timeline


@pytest.mark.parametrize(
    ("args", "name"),
    [
        (["--ladder", "big@fast"], "INVALID_ARGUMENT"),
        (["--codec", "theora"], "UNSUPPORTED_CODEC"),
        (["--encrypt", "clearkey"], "INVALID_ARGUMENT"),
        (["--subtitles", "en"], "INVALID_ARGUMENT"),
    ],
)
def test_package_command_reports_bad_input_without_a_traceback(
    bbb_clip: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    name: str,
) -> None:
    code = main(["package", str(bbb_clip), str(tmp_path / "o"), "--duration", "1", *args])
    assert code == 2
    err = capsys.readouterr().err
    assert name in err and "Traceback" not in err


def test_package_command_on_an_unreadable_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 4096)
    code = main(["package", str(bad), str(tmp_path / "o"), "--json"])
    assert code == 2
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["name"] == "SOURCE_UNREADABLE"


@pytest.mark.slow
def test_sample_command_reuses_the_cached_build(
    sample_title: PackageResult, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sample", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert Path(report["dir"]) == sample_title.dir
    assert report["extra"]["sample_version"] == sample_title.extra["sample_version"]
    assert main(["sample"]) == 0
    assert str(sample_title.mpd) in capsys.readouterr().out
