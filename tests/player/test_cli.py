"""``abrkit play`` and ``abrkit demo`` end to end (the console script's main)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from player.cli import main
from traces.origin import ShapedOrigin

from .conftest import real_trace

STATS_KEYS = {
    "time_to_first_frame_s",
    "rebuffer_count",
    "rebuffer_s",
    "switches",
    "avg_bitrate_kbps",
    "qoe_lin",
    "bytes",
    "dropped_frames",
    "errors",
}

pytestmark = pytest.mark.timeout(180)


async def test_play_json_prints_the_stats_record(
    tiny_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # keep the user's bandwidth cache out
    async with ShapedOrigin(tiny_dir, trace=real_trace("fcc-2016", "trace_26611")) as origin:
        url = origin.url + "manifest.mpd"
        # The origin serves on this loop; the command runs its own loop in a thread.
        rc = await asyncio.to_thread(main, ["play", url, "--json", "--abr", "bola"])
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    assert set(rec) >= STATS_KEYS
    assert rec["ended"] and rec["segments"] == 5 and rec["errors"] == []
    assert rec["frames_decoded"] == 250, "10 s at 25 fps really decoded"
    assert (tmp_path / "abrkit" / "bandwidth.json").is_file(), "the estimate was kept"


async def test_play_for_seconds_and_errors(
    tiny_dir: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    async with ShapedOrigin(tiny_dir) as origin:
        base = origin.url
        rc = await asyncio.to_thread(
            main, ["play", base + "manifest.mpd", "--for", "2", "--no-decode", "--quality", "0"]
        )
        out = capsys.readouterr().out
        assert rc == 0 and "time to first frame" in out and "(ended)" not in out
        rc = await asyncio.to_thread(main, ["play", base + "missing.mpd", "--json"])
        err = json.loads(capsys.readouterr().out)["error"]
        assert rc == 2 and err["category"] == "NETWORK"
        rc = await asyncio.to_thread(main, ["play", base + "manifest.mpd", "--abr", "nope"])
        assert rc == 2 and "UNKNOWN_POLICY" in capsys.readouterr().err


@pytest.mark.slow
def test_demo_plays_the_sample_title_over_a_real_trace(
    sample_title: object, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    plot = tmp_path / "demo.png"
    argv = ["demo", "--for", "6", "--no-decode", "--json", "--plot", str(plot)]
    rc = main([*argv, "--compare", "throughput,hybrid"])
    assert rc == 0
    rec = json.loads(capsys.readouterr().out)
    assert set(rec) >= STATS_KEYS
    assert rec["played_s"] > 3.0 and rec["bytes"] > 0
    # The same trace through the simulator, bounded above by the oracle.
    simulated = {row["policy"]: row["qoe_lin"] for row in rec["simulated"]}
    assert set(simulated) == {"throughput", "hybrid", "oracle"}
    assert max(simulated["throughput"], simulated["hybrid"]) <= simulated["oracle"] + 1e-6
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
