"""``abrkit replay`` and ``abrkit sweep``: exact JSON schema, CSV, tables, plots, Dask."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import abr.policies  # noqa: F401  (registers the policies)
from player.cli import main
from traces import trace_files
from traces.sim import Simulator, load_video
from traces.sim.replay import resolve_traces
from traces.sim.report import read_csv, summarize
from traces.sim.sweep import sweep

PNG = b"\x89PNG\r\n\x1a\n"
SUMMARY_KEYS = [
    "qoe_lin",
    "avg_bitrate_kbps",
    "rebuffer_s",
    "rebuffer_events",
    "switches",
    "startup_s",
]
SEGMENT_KEYS = [
    "index",
    "quality",
    "bitrate_kbps",
    "bytes",
    "request_s",
    "complete_s",
    "buffer_before_s",
    "buffer_after_s",
    "rebuffer_s",
]


def test_replay_json_schema_is_exact(tmp_path: Path) -> None:
    traces = [str(p) for p in trace_files("norway-hsdpa-3g")[:2]]
    out, plot = tmp_path / "r.json", tmp_path / "r.png"
    code = main(
        ["replay", "--trace", *traces, "--policy", "bola,mpc,oracle", "--video",
         "pensieve-envivio-sizes.json", "--model", "pensieve", "--segments", "16",
         "--json", str(out), "--plot", str(plot)]
    )  # fmt: skip
    assert code == 0
    doc = json.loads(out.read_text())
    assert list(doc) == ["sessions"]
    assert len(doc["sessions"]) == 6
    assert [(s["trace"], s["policy"]) for s in doc["sessions"]] == [
        (Path(t).name, p) for t in traces for p in ("bola", "mpc", "oracle")
    ]
    for s in doc["sessions"]:
        assert list(s) == ["trace", "policy", "summary", "segments"]
        assert list(s["summary"]) == SUMMARY_KEYS
        assert [seg["index"] for seg in s["segments"]] == list(range(16))
        for seg in s["segments"]:
            assert list(seg) == SEGMENT_KEYS
            assert seg["complete_s"] > seg["request_s"] >= 0
            assert seg["bitrate_kbps"] in (300, 750, 1200, 1850, 2850, 4300)
        # The summary is the segments' own.
        segs = s["segments"]
        assert s["summary"]["avg_bitrate_kbps"] == pytest.approx(
            sum(x["bitrate_kbps"] for x in segs) / len(segs)
        )
        assert s["summary"]["rebuffer_s"] == pytest.approx(sum(x["rebuffer_s"] for x in segs[1:]))
    by_policy = {(s["trace"], s["policy"]): s["summary"]["qoe_lin"] for s in doc["sessions"]}
    for t in traces:
        name = Path(t).name
        assert by_policy[(name, "oracle")] >= max(
            by_policy[(name, "bola")], by_policy[(name, "mpc")]
        )
    assert plot.read_bytes().startswith(PNG)


def test_replay_json_to_stdout_from_the_console_script(tmp_path: Path) -> None:
    trace = str(trace_files("fcc-2016")[0])
    proc = subprocess.run(
        [sys.executable, "-m", "player.cli", "replay", "--trace", trace, "--policy", "throughput",
         "--video", "bbb.json", "--model", "sabre", "--segments", "20", "--json", "-"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["sessions"][0]["policy"] == "throughput"
    assert len(doc["sessions"][0]["segments"]) == 20


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["--policy", "nope"], 7005),
        (["--video", "no-such-video.json"], 7008),
        (["--trace", "no/such/trace"], 7007),
        (["--segments", "0"], 7002),
    ],
)
def test_replay_bad_input_is_a_typed_error(
    argv: list[str], code: int, capsys: pytest.CaptureFixture[str]
) -> None:
    args = {
        "--trace": str(trace_files("fcc-2016")[0]),
        "--policy": "bola",
        "--video": "bbb.json",
        "--segments": "5",
    }
    args[argv[0]] = argv[1]
    flat = [x for kv in args.items() for x in kv]
    assert main(["replay", *flat, "--json", "-"]) == 2
    err = json.loads(capsys.readouterr().out)["error"]
    assert err["code"] == code


def test_bad_video_files_are_typed_errors(tmp_path: Path) -> None:
    from player.errors import PlayerError

    bad = tmp_path / "bad.json"
    texts = [
        "{",
        "[]",
        '{"segment_duration_ms": 3000, "bitrates_kbps": [1, 2]}',
        '{"segment_duration_ms": 3000, "bitrates_kbps": [2, 1], "segment_sizes_bits": [[1, 2]]}',
        '{"chunk_seconds": 4, "bitrates_kbps": [300], "chunk_sizes_bytes": [[-1]]}',
    ]
    for text in texts:
        bad.write_text(text)
        with pytest.raises(PlayerError) as info:
            load_video(bad)
        assert info.value.code == 7008, text


def _sweep_args() -> tuple[list[str], list[str]]:
    traces = [str(p) for p in trace_files("fcc-2016")[:2] + trace_files("norway-hsdpa-3g")[:2]]
    return traces, ["throughput", "bola"]


def test_sweep_cli_local_pool(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    traces, policies = _sweep_args()
    out = tmp_path / "results.csv"
    code = main(
        ["sweep", "--traces", *traces, "--policies", ",".join(policies), "--video",
         "pensieve-envivio-sizes.json", "--model", "pensieve", "--segments", "12",
         "--jobs", "2", "--out", str(out), "--no-progress"]
    )  # fmt: skip
    assert code == 0
    rows = read_csv(out)
    assert len(rows) == 8
    assert {(r["dataset"], r["policy"]) for r in rows} == {
        (d, p) for d in ("fcc-2016", "norway-hsdpa-3g") for p in policies
    }
    printed = capsys.readouterr().out
    for s in summarize(rows):
        assert f"{s.mean:.3f}" in printed
    assert (tmp_path / "results-cdf.png").read_bytes().startswith(PNG)
    # The same sessions as replaying them one by one.
    video = load_video("pensieve-envivio-sizes.json", chunks=12)
    sim = Simulator(video, "pensieve")
    first = resolve_traces([traces[0]])[0]
    direct = sim.run(first.load(), "bola").summary.qoe_lin
    got = next(r for r in rows if r["trace"] == first.name and r["policy"] == "bola")
    assert got["qoe_lin"] == pytest.approx(direct)


@pytest.mark.timeout(240)
def test_sweep_on_a_dask_local_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    traces, policies = _sweep_args()
    named = resolve_traces(traces)
    video = load_video("pensieve-envivio-sizes.json", chunks=12)
    local = sweep(named, policies, video, "pensieve", jobs=1)
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        seen: list[int] = []
        remote = sweep(
            named, policies, video, "pensieve", scheduler=cluster.scheduler_address,
            progress=seen.append,
        )  # fmt: skip
    assert sum(seen) == len(local) == 8
    key = lambda r: (r["trace"], r["policy"])  # noqa: E731
    assert sorted(remote, key=key) == sorted(local, key=key)


def test_sweep_unreachable_scheduler_is_a_typed_error() -> None:
    from player.errors import PlayerError

    named = resolve_traces([str(trace_files("fcc-2016")[0])])
    video = load_video("bbb.json", chunks=5)
    with pytest.raises(PlayerError) as info:
        sweep(named, ["bola"], video, "sabre", scheduler="tcp://127.0.0.1:9", connect_timeout_s=2)
    assert info.value.code == 1002
