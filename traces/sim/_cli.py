"""``abrkit replay`` and ``abrkit sweep`` (registered in ``traces.cli``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from player.cli import Command
from player.errors import Code, PlayerError
from traces.sim.presets import get_model, model_names
from traces.sim.video import VideoDescription, load_video, video_names

_FORMATS = ["two-column", "sabre-json", "puffer"]


def _common(p: argparse.ArgumentParser, *, plural: bool) -> None:
    flag = "--policies" if plural else "--policy"
    p.add_argument(
        flag,
        dest="policy",
        required=True,
        metavar="NAME[,NAME...]",
        help="ABR policies by registered name (throughput, bola, hybrid, bba, mpc, ...) or "
        "'oracle' for the offline optimum",
    )
    p.add_argument(
        "--video",
        required=True,
        metavar="PATH_OR_URL",
        help="a size file (Sabre movie JSON, Pensieve sizes JSON; shipped: "
        + ", ".join(video_names())
        + "), a manifest, a packaged title's folder, or an http(s) manifest URL",
    )
    p.add_argument(
        "--model",
        default="default",
        choices=model_names(),
        help="simulation model: pensieve (Pensieve's fixed_env), sabre, or default (the "
        "Player's own config); default: default",
    )
    p.add_argument("--segments", type=int, metavar="N", help="play only the first N segments")
    p.add_argument("--seed", type=int, help="seed of the trace start and the link noise")
    p.add_argument(
        "--noise", type=float, default=0.0, help="per-request link-rate noise, +/- share"
    )
    p.add_argument(
        "--random-start",
        action="store_true",
        help="start each trace at a random sample (Pensieve's env.py), seeded by --seed",
    )
    p.add_argument("--trace-format", choices=_FORMATS, help="trace format (default: sidecar)")
    p.add_argument(
        "--trace-unit",
        metavar="UNIT",
        help="throughput unit of two-column traces (default: the folder's dataset.json)",
    )


def _model(args: argparse.Namespace) -> Any:
    model = get_model(args.model)
    changes: dict[str, Any] = {}
    if args.seed is not None:
        changes["seed"] = args.seed
    if args.noise:
        changes["noise"] = args.noise
    if args.random_start:
        changes["random_start"] = True
    return model.with_options(**changes) if changes else model


def _video(args: argparse.Namespace) -> VideoDescription:
    if args.segments is not None and args.segments < 1:
        raise PlayerError(Code.INVALID_ARGUMENT, "--segments must be >= 1")
    return load_video(args.video, chunks=args.segments)


def _replay_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trace",
        required=True,
        nargs="+",
        metavar="FILE_OR_DIR",
        help="trace files, dataset folders, or curated dataset names (fcc-2016, ...)",
    )
    _common(p, plural=False)
    p.add_argument("--json", metavar="OUT", help="write the sessions as JSON ('-': stdout)")
    p.add_argument("--plot", metavar="OUT.png", help="plot bitrate, buffer, throughput")


def _run_replay(args: argparse.Namespace) -> int:
    from traces.sim.plot import plot_sessions
    from traces.sim.replay import replay, resolve_traces

    named = resolve_traces(args.trace)
    video = _video(args)
    result = replay(
        named,
        [args.policy],
        video,
        _model(args),
        trace_format=args.trace_format,
        trace_unit=args.trace_unit,
    )
    doc = result.to_json()
    if args.json == "-":
        json.dump(doc, sys.stdout)
        print()
    else:
        if args.json:
            _write_json(doc, Path(args.json))
        _print_sessions(result.sessions, result.oracle_bounds)
    if args.plot:
        loaded = {t.name: t.load(args.trace_format, args.trace_unit) for t in named[:6]}
        path = plot_sessions(result.sessions, args.plot, loaded)
        print(f"plot: {path}", file=sys.stderr)
    return 0


def _write_json(doc: dict[str, Any], path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=1))
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot write {path}: {exc}") from exc


def _print_sessions(sessions: Any, bounds: Any) -> None:
    print(
        f"{'trace':32} {'policy':12} {'qoe_lin':>9} {'kbit/s':>8} {'rebuf s':>8} "
        f"{'stalls':>6} {'switch':>6} {'start s':>7}"
    )
    for s, bound in zip(sessions, bounds, strict=True):
        m = s.summary
        extra = f"  (DP optimum {bound:.3f})" if bound is not None else ""
        print(
            f"{s.trace[:32]:32} {s.policy[:12]:12} {m.qoe_lin:9.3f} {m.avg_bitrate_kbps:8.1f} "
            f"{m.rebuffer_s:8.3f} {m.rebuffer_events:6d} {m.switches:6d} {m.startup_s:7.3f}{extra}"
        )


def _sweep_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--traces",
        required=True,
        nargs="+",
        metavar="DIR",
        help="dataset folders (or curated dataset names, or trace files)",
    )
    _common(p, plural=True)
    p.add_argument("--jobs", type=int, help="worker processes (default: CPU count)")
    p.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="run on this Dask cluster instead of local processes",
    )
    p.add_argument("--out", required=True, metavar="results.csv", help="results CSV")
    p.add_argument(
        "--plot",
        metavar="OUT.png",
        help="CDF plot of per-session QoE (default: beside --out, *-cdf.png)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_sweep(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from traces.sim.plot import plot_cdf
    from traces.sim.replay import parse_policies, resolve_traces
    from traces.sim.report import format_table, summarize, write_csv
    from traces.sim.sweep import sweep

    named = resolve_traces(args.traces)
    video = _video(args)
    policies = parse_policies(args.policy)
    total = len(named) * len(policies)
    with tqdm(
        total=total, unit="session", disable=args.no_progress, file=sys.stderr, leave=False
    ) as bar:
        rows = sweep(
            named,
            policies,
            video,
            _model(args),
            jobs=args.jobs,
            scheduler=args.scheduler,
            trace_format=args.trace_format,
            trace_unit=args.trace_unit,
            progress=bar.update,
        )
    out = write_csv(rows, args.out)
    stats = summarize(rows)
    reference = None
    if "oracle" in policies:
        bounds: dict[str, list[float]] = {}
        for r in rows:
            if r["policy"] == "oracle":
                bounds.setdefault(r["dataset"], []).append(float(r["oracle_bound"]))
        reference = {ds: sum(v) / len(v) for ds, v in bounds.items()}
    print(f"QoE (linear) per session, {len(named)} traces x {len(policies)} policies")
    print(format_table(stats, reference=reference, reference_name="oracle bound"))
    cdf: dict[str, dict[str, list[float]]] = {}
    for r in rows:
        cdf.setdefault(r["dataset"], {}).setdefault(r["policy"], []).append(float(r["qoe_lin"]))
    plot_path = Path(args.plot) if args.plot else out.with_name(out.stem + "-cdf.png")
    plot_cdf(cdf, plot_path)
    print(f"results: {out}\nCDF plot: {plot_path}", file=sys.stderr)
    return 0


replay_command = Command(
    name="replay",
    help="replay ABR policies over bandwidth traces in the headless simulator (the "
    "Player's own engine on a virtual clock)",
    add_arguments=_replay_arguments,
    run=_run_replay,
)

sweep_command = Command(
    name="sweep",
    help="every trace x policy in parallel (local processes or a Dask cluster): CSV, "
    "per-dataset table, CDF plot",
    add_arguments=_sweep_arguments,
    run=_run_sweep,
)
