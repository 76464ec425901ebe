"""Mean QoE of every policy per dataset, as a fraction of the oracle, in Pensieve's setting.

Pensieve's setting: the ``pensieve`` model (its fixed_env: 80 ms RTT, 0.95 payload, 60 s
buffer with 500 ms sleeps, first chunk at rung 1) and its EnvivioDash3 video (48 chunks of
4 s, 6 rungs), over the real traces shipped in ``traces/data`` (24 each of FCC 2016,
Norway HSDPA 3G and Puffer 2022-02-18; Puffer read in its true unit, MB/s). Every session
runs through the headless simulator, i.e. the Player's own engine. ``oracle`` is the
offline optimum's value (an upper bound on any policy's QoE, see ``traces.sim.oracle``);
"oracle plan" is that plan replayed through the engine. Prints a Markdown table (the
README's) and checks the ordering claims: ``hybrid`` at least as good as ``mpc`` on
every dataset mean, strictly better than ``throughput`` and ``bola``.

Takes a few minutes (the oracle's dynamic programme dominates); ``--limit N`` uses the
first N traces of each dataset, ``--no-oracle`` skips it.

    .venv/bin/python bench/qoe_table.py [--limit N] [--jobs 2] [--no-oracle]
"""

from __future__ import annotations

import argparse
import time

from _figures import figure, print_json

from traces import trace_files
from traces.sim import load_video
from traces.sim.replay import NamedTrace
from traces.sim.sweep import sweep

DATASETS = ["fcc-2016", "norway-hsdpa-3g", "puffer-2022-02-18"]
POLICIES = ["throughput", "bola", "bba", "mpc", "hybrid"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="traces per dataset (0: all)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-oracle", action="store_true")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    traces = []
    for ds in DATASETS:
        files = trace_files(ds)
        traces += [NamedTrace(ds, f) for f in (files[: args.limit] if args.limit else files)]
    policies = POLICIES + ([] if args.no_oracle else ["oracle"])
    video = load_video("pensieve-envivio-sizes.json")
    t0 = time.perf_counter()
    rows = sweep(traces, policies, video, "pensieve", jobs=args.jobs)
    wall = time.perf_counter() - t0

    def mean(ds: str, policy: str, key: str = "qoe_lin") -> float:
        vals = [float(r[key]) for r in rows if r["dataset"] == ds and r["policy"] == policy]
        return sum(vals) / len(vals)

    counts = {ds: sum(1 for t in traces if t.dataset == ds) for ds in DATASETS}
    bound = {} if args.no_oracle else {ds: mean(ds, "oracle", "oracle_bound") for ds in DATASETS}
    print(
        f"Mean linear QoE per session (Pensieve's QoE_lin over chunks 1..47), model "
        f"pensieve, video EnvivioDash3 (48 x 4 s); {wall:.0f} s on {args.jobs} worker(s)\n"
    )
    head = "| policy | " + " | ".join(f"{ds} ({counts[ds]} traces)" for ds in DATASETS) + " |"
    print(head)
    print("|---|" + "---:|" * len(DATASETS))
    for policy in POLICIES:
        cells = []
        for ds in DATASETS:
            m = mean(ds, policy)
            cells.append(f"{m:.2f}" + (f" ({m / bound[ds]:.1%})" if bound else ""))
        print(f"| {policy} | " + " | ".join(cells) + " |")
    if bound:
        plan = [
            f"{mean(ds, 'oracle'):.2f} ({mean(ds, 'oracle') / bound[ds]:.1%})" for ds in DATASETS
        ]
        print("| oracle plan, replayed | " + " | ".join(plan) + " |")
        print(
            "| **oracle** (optimum) | " + " | ".join(f"{bound[ds]:.2f}" for ds in DATASETS) + " |"
        )
    print()
    ok = True
    for ds in DATASETS:
        h = mean(ds, "hybrid")
        checks = [
            ("hybrid >= mpc", h >= mean(ds, "mpc")),
            ("hybrid > throughput", h > mean(ds, "throughput")),
            ("hybrid > bola", h > mean(ds, "bola")),
        ]
        if bound:
            checks.append(("no session above its oracle bound", _bounded(rows, ds)))
        for name, passed in checks:
            ok &= passed
            print(f"{ds:20} {name:34} {'yes' if passed else 'NO'}")
    if args.json:
        how = (
            f"mean QoE_lin per session, pensieve model, EnvivioDash3 (48 x 4 s), "
            f"{', '.join(f'{counts[ds]} {ds}' for ds in DATASETS)} traces, through the "
            "engine-driven simulator; (x%) = fraction of the oracle's optimum"
        )
        figs = []
        for policy in POLICIES:
            cells = []
            for ds in DATASETS:
                m = mean(ds, policy)
                cells.append(f"{ds} {m:.2f}" + (f" ({m / bound[ds]:.0%})" if bound else ""))
            figs.append(figure(f"QoE_lin, {policy}", " / ".join(cells), "", how))
        if bound:
            figs.append(
                figure(
                    "QoE_lin, oracle (optimum)",
                    " / ".join(f"{ds} {bound[ds]:.2f}" for ds in DATASETS),
                    "",
                    how,
                )
            )
        print_json(__file__, figs, ok=ok)
    return 0 if ok else 1


def _bounded(rows: list[dict[str, object]], ds: str) -> bool:
    bounds = {
        r["trace"]: float(str(r["oracle_bound"]))
        for r in rows
        if r["dataset"] == ds and r["policy"] == "oracle"
    }
    return all(
        float(str(r["qoe_lin"])) <= bounds[r["trace"]] + 1e-6
        for r in rows
        if r["dataset"] == ds and r["trace"] in bounds
    )


if __name__ == "__main__":
    raise SystemExit(main())
