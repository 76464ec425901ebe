"""``abrkit serve``: serve a folder over HTTP on loopback, optionally as a shaped origin."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from player.cli import Command
from player.errors import Code, PlayerError
from traces.loaders import DATA_DIR, load_trace
from traces.origin import LiveConfig, ShapedOrigin, parse_faults
from traces.origin._faults import __doc__ as _FAULTS_DOC
from traces.sim._cli import replay_command, sweep_command
from traces.trace import Trace

_FAULT_HELP = (
    "faults to inject, e.g. 5xx=0.05,reset=0.02,stall=0.01:2s,outage=10s@30s,every=60s,"
    "paths=*.m4s (grammar below)"
)


def _grammar() -> str:
    doc = _FAULTS_DOC or ""
    start, end = doc.find("Grammar of"), doc.find("Bad specs")
    return doc[start:end].strip() if start >= 0 and end > start else ""


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = _grammar()
    p.add_argument("directory", metavar="DIR", help="folder to serve")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000; 0 = any)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    shaping = p.add_argument_group("network conditions")
    shaping.add_argument(
        "--trace",
        metavar="FILE",
        help="bandwidth trace to follow (a path, or DATASET/FILE of the curated traces)",
    )
    shaping.add_argument(
        "--trace-format",
        choices=["two-column", "sabre-json", "puffer"],
        help="trace file format (default: from the folder's dataset.json or the content)",
    )
    shaping.add_argument(
        "--trace-unit",
        metavar="UNIT",
        help="throughput unit of a two-column trace: bit/s, kbit/s, Mbit/s, B/s, kB/s, MB/s "
        "(required unless the folder's dataset.json states it; never guessed)",
    )
    shaping.add_argument(
        "--rate-mbps",
        type=float,
        metavar="MBIT_S",
        help="a constant link rate in Mbit/s instead of a trace",
    )
    shaping.add_argument(
        "--latency-ms",
        type=float,
        default=0.0,
        help="extra latency before every response, added to the trace's own (default 0)",
    )
    shaping.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="K",
        help="play the trace K times faster (trace time = wall time x K); rates are "
        "unchanged, only the time axis shrinks (default 1)",
    )
    shaping.add_argument("--faults", metavar="SPEC", help=_FAULT_HELP)
    shaping.add_argument("--seed", type=int, help="seed of the fault RNG")
    live = p.add_argument_group("live")
    live.add_argument(
        "--live",
        action="store_true",
        help="serve the folder's VOD title as live (DASH dynamic MPD, sliding HLS playlists)",
    )
    live.add_argument(
        "--live-window",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="time-shift window of the live stream (default 30)",
    )
    p.add_argument("--json", action="store_true", help="print the URL as JSON")


def _resolve_trace_path(value: str) -> Path:
    path = Path(value)
    if path.exists():
        return path
    curated = DATA_DIR / value
    if ".." not in Path(value).parts and curated.is_file():
        return curated
    raise PlayerError(
        Code.TRACE_INVALID,
        f"no trace file {value!r} (neither a path nor DATASET/FILE under {DATA_DIR})",
    )


def build_origin(args: argparse.Namespace) -> ShapedOrigin:
    """The origin ``abrkit serve`` would run for these arguments (not started)."""
    trace: Trace | None = None
    if args.trace is not None and args.rate_mbps is not None:
        raise PlayerError(Code.INVALID_ARGUMENT, "give --trace or --rate-mbps, not both")
    if args.trace is not None:
        trace = load_trace(
            _resolve_trace_path(args.trace), format=args.trace_format, unit=args.trace_unit
        )
    elif args.rate_mbps is not None:
        if not args.rate_mbps > 0:
            raise PlayerError(Code.INVALID_ARGUMENT, "--rate-mbps must be > 0")
        trace = Trace.constant(args.rate_mbps * 1e6, name=f"{args.rate_mbps:g} Mbit/s")
    return ShapedOrigin(
        args.directory,
        trace=trace,
        latency_ms=args.latency_ms,
        time_scale=args.time_scale,
        faults=parse_faults(args.faults) if args.faults else None,
        seed=args.seed,
        host=args.host,
        port=args.port,
        live=LiveConfig(window_s=args.live_window) if args.live else None,
    )


async def _serve(origin: ShapedOrigin, as_json: bool) -> None:
    async with origin:
        if as_json:
            print(json.dumps({"url": origin.url, "port": origin.port}), flush=True)
        else:
            shaping = f" shaped by {origin.trace!r}" if origin.trace is not None else ""
            print(f"serving {origin.root} at {origin.url}{shaping} (Ctrl-C to stop)", flush=True)
        await asyncio.Event().wait()  # until cancelled by Ctrl-C


def _run(args: argparse.Namespace) -> int:
    origin = build_origin(args)
    try:
        asyncio.run(_serve(origin, args.json))
    except KeyboardInterrupt:
        s = origin.stats
        print(
            f"\nstopped: {s.requests} requests, {s.bytes_sent} body bytes, "
            f"{s.faults_injected} faults injected",
            file=sys.stderr,
        )
    return 0


serve = Command(
    name="serve",
    help="serve a folder over HTTP on 127.0.0.1, optionally shaped by a bandwidth trace, "
    "with latency, injected faults, or as live",
    add_arguments=_add_arguments,
    run=_run,
)

# The simulator's commands live with it; registered here with the traces' other commands.
replay = replay_command
sweep = sweep_command
