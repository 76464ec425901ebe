"""``abrkit demo``: the sample title, served over a real bandwidth trace, played headless.

What ``make demo`` runs: build (or reuse) the sample title (``abrkit sample``), serve it on
127.0.0.1 through the shaped origin following a curated real trace (default: a Norwegian
3G bus ride, about 4.5 Mbit/s), play it in real time with the Player and the PyAV decode
path (no window), print the events as they happen and the session's stats at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

from player.cli import Command
from player.cli.play import format_event, format_stats
from player.config import PlayerConfig
from player.errors import Code, PlayerError
from player.player import Player
from player.sink import MediaSink, NullSink
from player.stats import PlaybackStats
from traces.loaders import dataset_path, load_trace
from traces.origin import ShapedOrigin

__all__ = ["command"]

DEFAULT_TRACE = "norway-hsdpa-3g/norway_bus_16"


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trace",
        default=DEFAULT_TRACE,
        help=f"bandwidth trace: a path, or DATASET/FILE of the curated traces "
        f"(default {DEFAULT_TRACE})",
    )
    p.add_argument("--abr", default=None, help="ABR policy (default: throughput)")
    p.add_argument("--for", dest="seconds", type=float, default=None, help="stop after SECONDS")
    p.add_argument("--no-decode", action="store_true", help="discard media instead of decoding")
    p.add_argument("--json", action="store_true", help="print only the stats record as JSON")


def _trace_path(value: str) -> Path:
    path = Path(value)
    if path.is_file():
        return path
    dataset, _, name = value.partition("/")
    if name:
        try:
            candidate = dataset_path(dataset) / name
        except PlayerError:
            candidate = None
        if candidate is not None and candidate.is_file():
            return candidate
    raise PlayerError(
        Code.INVALID_ARGUMENT, f"no trace {value!r} (a path, or DATASET/FILE of curated traces)"
    )


async def _demo(args: argparse.Namespace) -> PlaybackStats:
    from player.packager import build_sample

    trace = load_trace(_trace_path(args.trace))
    title = build_sample(progress=not args.json)
    data: dict[str, object] = {"abr": {"use_bandwidth_cache": False}}
    if args.abr:
        data["abr"] = {"use_bandwidth_cache": False, "policy": args.abr}
    sink: MediaSink
    if args.no_decode:
        sink = NullSink()
    else:
        from player.decode import DecodingSink

        sink = DecodingSink()
    async with ShapedOrigin(title.dir, trace=trace) as origin:
        url = origin.url + "manifest.mpd"
        if not args.json:
            print(f"serving {title.dir} at {url}", file=sys.stderr)
            print(f"link: {trace!r}", file=sys.stderr)
        player = Player(PlayerConfig.from_dict(data), sink=sink)
        t0 = time.monotonic()
        if not args.json:

            def show(ev: object) -> None:
                line = format_event(ev, t0)  # type: ignore[arg-type]
                if line is not None:
                    print(line, file=sys.stderr)

            player.on(None, show)
        try:
            await player.load(url)
            try:
                await player.wait_ended(timeout=args.seconds)
            except TimeoutError:
                pass
            except PlayerError:
                pass  # the fatal error is in the stats
            return player.stats
        finally:
            await player.close()


def _run(args: argparse.Namespace) -> int:
    stats = asyncio.run(_demo(args))
    if args.json:
        print(json.dumps(stats.to_json()))
    else:
        print(format_stats(stats))
    return 1 if any(e.get("fatal") for e in stats.errors) else 0


command = Command(
    name="demo",
    help="build the sample title, serve it over a real bandwidth trace, play it headless",
    add_arguments=_add_arguments,
    run=_run,
)
