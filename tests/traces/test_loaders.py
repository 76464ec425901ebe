"""Loaders on the curated real traces, with explicit units; bad files are typed errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from player.errors import Code, PlayerError
from traces import (
    Unit,
    dataset_names,
    load_dataset,
    load_puffer,
    load_sabre_json,
    load_trace,
    load_two_column,
    trace_files,
)
from traces.loaders import DATA_DIR

CURATED = ["fcc-2016", "ghent-4g-lte", "norway-hsdpa-3g", "puffer-2022-02-18"]


def _rows(path: Path) -> np.ndarray:
    return np.array(
        [
            [float(x) for x in line.split()[:2]]
            for line in path.read_text().split("\n")
            if line.strip()
        ]
    )


def test_curated_datasets_are_present_with_attribution() -> None:
    assert dataset_names() == CURATED
    total = 0
    for name in CURATED:
        folder = DATA_DIR / name
        assert (folder / "SOURCE.md").read_text().count("Selection in abrkit") == 1
        assert any(f.name.startswith("LICENSE") for f in folder.iterdir())
        files = trace_files(name)
        assert 20 <= len(files) <= 40
        total += sum(f.stat().st_size for f in folder.iterdir())
    assert total < 3_000_000


def test_fcc_is_mbit_per_second_holding_forward() -> None:
    f = trace_files("fcc-2016")[0]
    rows = _rows(f)
    tr = load_two_column(f, Unit.MBIT_S)
    assert len(tr) == len(rows)
    np.testing.assert_allclose(tr.rates_bps, rows[:, 1] * 1e6)
    np.testing.assert_allclose(tr.starts, rows[:, 0])
    # The value at time stamp i holds until time stamp i+1.
    mid = (rows[3, 0] + rows[4, 0]) / 2
    assert tr.rate_at(mid) == rows[3, 1] * 1e6
    # The sidecar states the same unit, so load_trace agrees without being told.
    assert load_trace(f) == tr
    assert load_trace(f, unit="kbit/s").mean_bps == pytest.approx(tr.mean_bps / 1000)


def test_puffer_values_are_megabytes_per_second() -> None:
    f = trace_files("puffer-2022-02-18")[0]
    rows = _rows(f)
    tr = load_puffer(f)
    # value * 8 == Mbit/s
    np.testing.assert_allclose(tr.rates_bps / 1e6, rows[:, 1] * 8)
    assert load_trace(f) == tr  # sidecar says format "puffer"
    with pytest.raises(PlayerError) as info:
        load_trace(f, unit=Unit.MBIT_S)  # contradicts the format
    assert info.value.code is Code.TRACE_INVALID


def test_sabre_json_periods_and_latency() -> None:
    f = trace_files("ghent-4g-lte")[0]
    doc = json.loads(f.read_text())
    tr = load_sabre_json(f)
    assert len(tr) == len(doc)
    assert tr.duration == pytest.approx(sum(p["duration_ms"] for p in doc) / 1000)
    assert tr.rates_bps[0] == doc[0]["bandwidth_kbps"] * 1000
    assert tr.latency_at(0.0) == pytest.approx(0.020)
    assert load_trace(f) == tr


def test_norway_and_every_curated_file_loads() -> None:
    for name in CURATED:
        traces = load_dataset(name)
        assert traces and all(t.mean_bps > 1e5 for t in traces)
    first3 = load_dataset("norway-hsdpa-3g", limit=3)
    assert [t.name for t in first3] == [f.name for f in trace_files("norway-hsdpa-3g")[:3]]


def test_units_are_never_guessed(tmp_path: Path) -> None:
    src = trace_files("fcc-2016")[0]
    loose = tmp_path / "loose_trace"
    shutil.copyfile(src, loose)
    with pytest.raises(PlayerError) as info:
        load_trace(loose)
    assert info.value.code is Code.TRACE_INVALID
    assert "unit" in info.value.message
    assert load_trace(loose, unit="Mbit/s") == load_two_column(src, Unit.MBIT_S)
    # A sidecar is enough.
    (tmp_path / "dataset.json").write_text(json.dumps({"format": "two-column", "unit": "kB/s"}))
    assert load_trace(loose).rates_bps[0] == _rows(src)[0, 1] * 8e3
    # Content detection: a JSON array is Sabre's format even with no sidecar.
    other = tmp_path / "sub"
    other.mkdir()
    shutil.copyfile(trace_files("ghent-4g-lte")[0], other / "x.json")
    assert load_trace(other / "x.json").latency_at(0) == pytest.approx(0.02)


def test_unit_spellings() -> None:
    assert Unit.parse("Mbit/s") is Unit.MBIT_S
    assert Unit.parse("mbps") is Unit.MBIT_S
    assert Unit.parse("MB/s") is Unit.MBYTE_S
    assert Unit.parse("kbit/s").bps == 1e3
    with pytest.raises(PlayerError):
        Unit.parse("furlongs")


@pytest.mark.parametrize(
    ("content", "loader"),
    [
        ("", "two"),
        ("0.0\n", "two"),
        ("0.0 abc\n", "two"),
        ("0.0 1\n0.0 2\n", "two"),
        ("0.0 -1\n", "two"),
        ("0.0 inf\n", "two"),
        ("{}", "sabre"),
        ("[]", "sabre"),
        ('[{"duration_ms": 0, "bandwidth_kbps": 5}]', "sabre"),
        ('[{"bandwidth_kbps": 5}]', "sabre"),
        ("[1, 2]", "sabre"),
        ("not json", "sabre"),
    ],
)
def test_bad_files_raise_trace_invalid(tmp_path: Path, content: str, loader: str) -> None:
    f = tmp_path / "bad"
    f.write_text(content)
    with pytest.raises(PlayerError) as info:
        if loader == "two":
            load_two_column(f, Unit.MBIT_S)
        else:
            load_sabre_json(f)
    assert info.value.code is Code.TRACE_INVALID


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(PlayerError) as info:
        load_trace(tmp_path / "nope", unit="Mbit/s")
    assert info.value.code is Code.TRACE_INVALID
    f = tmp_path / "t"
    f.write_text("0 1\n1 2\n")
    with pytest.raises(PlayerError) as info:
        load_trace(f, format="mahimahi", unit="Mbit/s")
    assert info.value.code is Code.TRACE_INVALID
    with pytest.raises(PlayerError):
        load_dataset("no-such-dataset")
