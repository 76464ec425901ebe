"""``abrkit serve`` as a user runs it: a real process, a real client, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import aiohttp
import pytest

from player.cli import build_parser, main
from player.errors import Code, PlayerError
from player.packager import PackageResult
from traces.cli import build_origin
from traces.loaders import trace_files


def _abrkit(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "player.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serve_runs_until_ctrl_c(site: Path) -> None:
    trace = "fcc-2016/" + trace_files("fcc-2016")[0].name
    proc = _abrkit("serve", str(site), "--port", "0", "--json", "--trace", trace)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        url = json.loads(line)["url"]
        assert url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url + "manifest.mpd", timeout=30) as r:
            assert r.headers["Content-Type"] == "application/dash+xml"
            assert r.read() == (site / "manifest.mpd").read_bytes()
    finally:
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "1 requests" in err


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--faults", "reset=2"], "INVALID_ARGUMENT"),
        (["--time-scale", "0"], "INVALID_ARGUMENT"),
        (["--trace", "no/such/trace"], "TRACE_INVALID"),
        (["--rate-mbps", "2", "--trace", "x"], "INVALID_ARGUMENT"),
    ],
)
def test_bad_arguments_exit_2_with_a_typed_error(
    site: Path, extra: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["serve", str(site), "--port", "0", "--json", *extra]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["error"]["name"] == needle


def test_two_column_trace_needs_a_unit(site: Path, tmp_path: Path) -> None:
    loose = tmp_path / "loose"
    loose.write_bytes(trace_files("norway-hsdpa-3g")[0].read_bytes())
    parser = build_parser()
    args = parser.parse_args(["serve", str(site), "--trace", str(loose)])
    with pytest.raises(PlayerError) as info:
        build_origin(args)
    assert info.value.code is Code.TRACE_INVALID and "unit" in info.value.message
    args = parser.parse_args(["serve", str(site), "--trace", str(loose), "--trace-unit", "Mbit/s"])
    origin = build_origin(args)
    assert origin.trace is not None and origin.trace.rates_bps[0] > 1e5
    assert origin.host == "127.0.0.1"


async def test_serve_live_flag_serves_a_dynamic_mpd(tiny_title: PackageResult) -> None:
    args = build_parser().parse_args(
        ["serve", str(tiny_title.dir), "--port", "0", "--live", "--live-window", "12"]
    )
    origin = build_origin(args)
    async with origin, aiohttp.ClientSession() as s:
        async with s.get(origin.url + tiny_title.mpd.name) as r:
            text = await r.text()
        assert 'type="dynamic"' in text and 'timeShiftBufferDepth="PT12.000S"' in text
