"""``abrkit demo``: the sample title, served over a real bandwidth trace, played headless.

What ``make demo`` runs: build (or reuse) the sample title (``abrkit sample``), serve it on
127.0.0.1 through the shaped origin following a curated real trace (default: a Norwegian
3G bus ride, about 4.5 Mbit/s), play it in real time with the Player and the PyAV decode
path (no window, the audio clock leading), print the events as they happen and the
session's stats and QoE at the end. Then the same title over the same trace goes through
the headless simulator once per ABR policy, with the oracle's optimum for scale, and a
PNG plot shows the real session (bitrate, link rate, estimate, buffer) beside the
simulated policies' QoE.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from player.cli import Command
from player.cli.play import format_event, format_stats
from player.config import PlayerConfig
from player.engine import PlayerEvent, Resumed, SegmentAppended
from player.errors import Code, PlayerError
from player.manifest import TrackKind
from player.player import Player
from player.sink import MediaSink, NullSink
from player.stats import PlaybackStats
from traces.loaders import dataset_path, load_trace
from traces.origin import ShapedOrigin
from traces.trace import Trace

__all__ = ["command"]

DEFAULT_TRACE = "norway-hsdpa-3g/norway_bus_16"
DEFAULT_POLICY = "hybrid"
COMPARED = ("throughput", "bola", "bba", "mpc", "hybrid")
#: How often the buffer level and the estimate are sampled for the plot.
SAMPLE_EVERY_S = 0.25


@dataclass
class _Timeline:
    """What the plot shows of the real session, on the Player's clock from load."""

    bitrate: list[tuple[float, float]] = field(default_factory=list)  # (t, kbit/s) per segment
    buffer: list[tuple[float, float]] = field(default_factory=list)  # (t, s)
    estimate: list[tuple[float, float]] = field(default_factory=list)  # (t, kbit/s)
    stalls: list[tuple[float, float]] = field(default_factory=list)  # (start, end)


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--trace",
        default=DEFAULT_TRACE,
        help=f"bandwidth trace: a path, or DATASET/FILE of the curated traces "
        f"(default {DEFAULT_TRACE})",
    )
    p.add_argument("--abr", default=DEFAULT_POLICY, help=f"ABR policy (default: {DEFAULT_POLICY})")
    p.add_argument("--for", dest="seconds", type=float, default=None, help="stop after SECONDS")
    p.add_argument("--no-decode", action="store_true", help="discard media instead of decoding")
    p.add_argument("--json", action="store_true", help="print only the stats record as JSON")
    p.add_argument(
        "--plot",
        default="out/demo.png",
        help="write the session plot here (default out/demo.png; '' for none)",
    )
    p.add_argument(
        "--compare",
        default=",".join(COMPARED),
        help="policies to replay over the same trace in the simulator ('' for none)",
    )


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


async def _demo(
    args: argparse.Namespace, trace: Trace, title_dir: Path, timeline: _Timeline
) -> PlaybackStats:
    data: dict[str, object] = {"abr": {"use_bandwidth_cache": False, "policy": args.abr}}
    sink: MediaSink
    if args.no_decode:
        sink = NullSink()
    else:
        from player.decode import DecodingSink, VirtualAudioOutput

        sink = DecodingSink(audio_output=VirtualAudioOutput())
    async with ShapedOrigin(title_dir, trace=trace) as origin:
        url = origin.url + "manifest.mpd"
        if not args.json:
            print(f"serving {title_dir} at {url}", file=sys.stderr)
            print(f"link: {trace!r}", file=sys.stderr)
        player = Player(PlayerConfig.from_dict(data), sink=sink)
        t0 = time.monotonic()
        if not args.json:

            def show(ev: object) -> None:
                line = format_event(ev, t0)  # type: ignore[arg-type]
                if line is not None:
                    print(line, file=sys.stderr)

            player.on(None, show)
        player.on(None, lambda ev: _note(timeline, ev, t0))
        sampler = asyncio.create_task(_sample(player, timeline, t0))
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
            sampler.cancel()
            await player.close()


def _note(timeline: _Timeline, ev: PlayerEvent, t0: float) -> None:
    if isinstance(ev, SegmentAppended) and ev.track is TrackKind.VIDEO:
        timeline.bitrate.append((ev.time - t0, ev.bitrate_bps / 1e3))
    elif isinstance(ev, Resumed):
        timeline.stalls.append((ev.time - t0 - ev.stall_s, ev.time - t0))


async def _sample(player: Player, timeline: _Timeline, t0: float) -> None:
    # Bounded by the session: cancelled when playback ends or --for elapses.
    while True:
        now = time.monotonic() - t0
        timeline.buffer.append((now, player.buffer_level))
        est = player.stats.estimated_bandwidth_bps
        if est is not None:
            timeline.estimate.append((now, est / 1e3))
        await asyncio.sleep(SAMPLE_EVERY_S)


def _simulate(
    title_dir: Path, trace: Trace, policies: list[str]
) -> list[tuple[str, float, float, float, int]]:
    """(policy, QoE_lin, mean kbit/s, rebuffer s, switches) per policy, then the oracle."""
    from traces.sim import Simulator, load_video, oracle

    video = load_video(title_dir)
    sim = Simulator(video, "default")
    rows = []
    for name in policies:
        s = sim.run(trace, name, trace_name=trace.name).summary
        rows.append((name, s.qoe_lin, s.avg_bitrate_kbps, s.rebuffer_s, s.switches))
    best = oracle(video, trace, "default")
    rows.append(("oracle", best.qoe, float("nan"), float("nan"), -1))
    return rows


def _format_simulated(rows: list[tuple[str, float, float, float, int]]) -> str:
    lines = [
        "the same title over the same trace in the headless simulator (model 'default'):",
        f"  {'policy':<11} {'QoE_lin':>8} {'kbit/s':>8} {'rebuffer':>9} {'switches':>9}",
    ]
    for name, qoe, kbps, rebuf, switches in rows:
        if name == "oracle":
            lines.append(f"  {name:<11} {qoe:>8.2f}   (the optimum, seeing the whole trace)")
        else:
            lines.append(f"  {name:<11} {qoe:>8.2f} {kbps:>8.0f} {rebuf:>8.2f}s {switches:>9d}")
    return "\n".join(lines)


def _plot(
    out: Path,
    timeline: _Timeline,
    trace: Trace,
    stats: PlaybackStats,
    policy: str,
    simulated: list[tuple[str, float, float, float, int]],
) -> Path:
    from traces.sim.plot import pyplot, save_figure

    plt = pyplot()

    fig, (ax_rate, ax_buf, ax_qoe) = plt.subplots(
        3, 1, figsize=(9, 9), gridspec_kw={"height_ratios": [3, 2, 2]}
    )
    end = max([t for t, _ in timeline.buffer] + [1.0])
    grid = [i * SAMPLE_EVERY_S for i in range(int(end / SAMPLE_EVERY_S) + 1)]
    ax_rate.plot(grid, [trace.rate_at(t) / 1e3 for t in grid], color="0.6", label="link (trace)")
    if timeline.estimate:
        ax_rate.plot(*zip(*timeline.estimate, strict=True), color="tab:orange", label="estimate")
    if timeline.bitrate:
        ax_rate.step(
            *zip(*timeline.bitrate, strict=True), where="post", color="tab:blue", label="video"
        )
    ax_rate.set_ylabel("kbit/s")
    ax_rate.set_title(
        f"abrkit demo: {policy}, QoE_lin {stats.qoe_lin or 0:.1f}, "
        f"{stats.rebuffer_count} stalls ({stats.rebuffer_s:.1f} s), {stats.switches} switches"
    )
    ax_rate.legend(loc="upper right")
    if timeline.buffer:
        ax_buf.plot(*zip(*timeline.buffer, strict=True), color="tab:green")
    for a, b in timeline.stalls:
        ax_buf.axvspan(a, b, color="tab:red", alpha=0.3)
    ax_buf.set_ylabel("buffer (s)")
    ax_buf.set_xlabel("seconds since load")
    if simulated:
        names = [r[0] for r in simulated]
        ax_qoe.bar(names, [r[1] for r in simulated], color="tab:purple")
        ax_qoe.set_ylabel("QoE_lin (simulated)")
        ax_qoe.set_title("each policy over the same trace in the simulator")
    fig.tight_layout()
    return save_figure(fig, out)


def _run(args: argparse.Namespace) -> int:
    from player.packager import build_sample

    trace = load_trace(_trace_path(args.trace))
    title = build_sample(progress=not args.json)
    timeline = _Timeline()
    stats = asyncio.run(_demo(args, trace, title.dir, timeline))
    policies = [p for p in args.compare.split(",") if p]
    simulated = _simulate(title.dir, trace, policies) if policies else []
    if args.json:
        record = stats.to_json()
        record["simulated"] = [
            {"policy": name, "qoe_lin": round(qoe, 3)} for name, qoe, *_ in simulated
        ]
        print(json.dumps(record))
    else:
        print(format_stats(stats))
        if simulated:
            print(_format_simulated(simulated))
    if args.plot:
        path = _plot(Path(args.plot), timeline, trace, stats, args.abr, simulated)
        if not args.json:
            print(f"plot: {path}")
    return 1 if any(e.get("fatal") for e in stats.errors) else 0


command = Command(
    name="demo",
    help="build the sample title, serve it over a real bandwidth trace, play it headless",
    add_arguments=_add_arguments,
    run=_run,
)
