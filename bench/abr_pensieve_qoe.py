"""Per-dataset mean linear QoE of each policy in Pensieve's setting, side by side.

Runs every built-in policy over the real traces in ``../shared/traces-real`` (FCC 2016,
Norway 3G, Puffer as stored and Puffer x 8, see its SOURCE.md units caveat) with
Pensieve's EnvivioDash3 chunk sizes (``../shared/videos-real``), 48 chunks of 4 s, the
first at rung 1, through the TEST REFERENCE model of Pensieve's simulator
(``tests/abr/reference_runner.py``), not the engine-driven simulator of ``traces``.
Prints mean QoE_lin per dataset and each policy's margin over ``mpc``. Takes about a
minute for every trace (``--limit`` N traces per dataset for less).

    .venv/bin/python bench/abr_pensieve_qoe.py [--limit N] [--estimator ewma|dashjs|reference]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from abr import (  # noqa: E402
    BandwidthEstimator,
    EwmaEstimator,
    Rung,
    create_estimator,
    create_policy,
    policy_names,
    qoe_lin,
)
from tests.abr.reference_runner import PensieveReferenceRunner  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _figures import figure, print_json  # noqa: E402

SHARED = ROOT.parent / "shared"
DATASETS = [
    ("fcc", "fcc-2016", 1.0),
    ("norway", "norway-hsdpa-3g", 1.0),
    ("puffer", "puffer-2022-02-18", 1.0),
    ("puffer x8", "puffer-2022-02-18", 8.0),
]


def load(path: Path, scale: float) -> list[tuple[float, float]]:
    """A Pensieve-format trace as ``(duration_s, bps)`` pieces (sample i holds until i)."""
    rows = [line.split() for line in path.read_text().splitlines()]
    pts = [(float(r[0]), float(r[1])) for r in rows if len(r) >= 2]
    return [(pts[i][0] - pts[i - 1][0], pts[i][1] * 1e6 * scale) for i in range(1, len(pts))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--estimator", default="ewma", choices=["ewma", "dashjs", "reference"])
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    if not (SHARED / "traces-real").is_dir():
        print(f"no traces at {SHARED / 'traces-real'}", file=sys.stderr)
        if args.json:  # outside the repository: absent on a fresh clone, not a failure
            why = f"needs {SHARED / 'traces-real'} (outside the repository); see qoe_table.py"
            print_json(__file__, [figure("reference-model QoE_lin", "not run", "", why)])
            return 0
        return 2
    video = json.loads((SHARED / "videos-real" / "pensieve-envivio-sizes.json").read_text())
    ladder = tuple(Rung(i, b * 1000) for i, b in enumerate(video["bitrates_kbps"]))
    estimators: dict[str, Callable[[], BandwidthEstimator] | None] = {
        "ewma": lambda: create_estimator("ewma"),
        "dashjs": EwmaEstimator.dashjs,
        "reference": None,
    }
    runner = PensieveReferenceRunner(
        first_quality=1, sizes=video["chunk_sizes_bytes"], estimator=estimators[args.estimator]
    )
    means: dict[str, dict[str, float]] = {}
    for label, folder, scale in DATASETS:
        files = sorted(p for p in (SHARED / "traces-real" / folder).iterdir() if p.suffix != ".md")
        traces = [load(p, scale) for p in files[: args.limit or None]]
        for name in policy_names():
            scores = []
            for trace in traces:
                recs = runner.run(create_policy(name), trace, ladder, 4.0, 48)
                scores.append(
                    qoe_lin([r.bitrate_bps / 1000 for r in recs], [r.rebuffer_s for r in recs])
                )
            means.setdefault(name, {})[label] = sum(scores) / len(scores)
    labels = [d[0] for d in DATASETS]
    print(f"mean QoE_lin, estimator {args.estimator}")
    print(f"{'policy':<12}" + "".join(f"{lb:>11}" for lb in labels) + "   min margin over mpc")
    for name in policy_names():
        margin = min(means[name][lb] - means["mpc"][lb] for lb in labels)
        cells = "".join(f"{means[name][lb]:>11.2f}" for lb in labels)
        print(f"{name:<12}{cells}   {margin:+.2f}")
    if args.json:
        how = (
            "mean QoE_lin over the traces of ../shared/traces-real, Pensieve's EnvivioDash3 "
            f"sizes, through the reference model of Pensieve's simulator, estimator "
            f"{args.estimator}"
        )
        figs = [
            figure(
                f"reference-model QoE_lin, {name}",
                " / ".join(f"{lb} {means[name][lb]:.2f}" for lb in labels),
                "QoE_lin per dataset",
                how,
            )
            for name in policy_names()
        ]
        print_json(__file__, figs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
