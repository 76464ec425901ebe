"""The policies' QoE ordering on the real traces in Pensieve's setting (the README table).

Every shipped trace of FCC 2016, Norway 3G and Puffer, Pensieve's video and model,
through the engine-driven simulator: ``hybrid``'s mean QoE is at least ``mpc``'s and
strictly above ``throughput``'s and ``bola``'s on each dataset. The oracle (slow) is
checked on a few traces here; ``bench/qoe_table.py`` prints the full table with it.
"""

from __future__ import annotations

import pytest

import abr.policies  # noqa: F401  (registers the policies)
from traces import trace_files
from traces.sim import load_video
from traces.sim.replay import NamedTrace
from traces.sim.sweep import sweep

DATASETS = ["fcc-2016", "norway-hsdpa-3g", "puffer-2022-02-18"]


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    traces = [NamedTrace(ds, f) for ds in DATASETS for f in trace_files(ds)]
    video = load_video("pensieve-envivio-sizes.json")
    return sweep(traces, ["throughput", "bola", "mpc", "hybrid"], video, "pensieve", jobs=2)


def _mean(rows: list[dict[str, object]], ds: str, policy: str) -> float:
    vals = [float(str(r["qoe_lin"])) for r in rows if r["dataset"] == ds and r["policy"] == policy]
    assert len(vals) == 24
    return sum(vals) / len(vals)


@pytest.mark.parametrize("dataset", DATASETS)
def test_hybrid_leads_on_every_dataset(rows: list[dict[str, object]], dataset: str) -> None:
    hybrid = _mean(rows, dataset, "hybrid")
    assert hybrid >= _mean(rows, dataset, "mpc")
    assert hybrid > _mean(rows, dataset, "throughput")
    assert hybrid > _mean(rows, dataset, "bola")


def test_oracle_tops_every_policy_on_real_traces() -> None:
    traces = [NamedTrace(ds, trace_files(ds)[3]) for ds in DATASETS]
    video = load_video("pensieve-envivio-sizes.json", chunks=24)
    got = sweep(traces, ["hybrid", "mpc", "bola", "oracle"], video, "pensieve", jobs=1)
    for t in traces:
        mine = [r for r in got if r["trace"] == t.name]
        bound = next(float(str(r["oracle_bound"])) for r in mine if r["policy"] == "oracle")
        for r in mine:
            assert float(str(r["qoe_lin"])) <= bound + 1e-6, r
