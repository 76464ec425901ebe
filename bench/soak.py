"""Soak: an hour of live playback at a high time scale; do memory and descriptors stay flat?

The sample title (``abrkit sample``) is served as a looping live stream by
:class:`traces.origin.ShapedOrigin` (``live=LiveConfig``, DASH dynamic MPD refreshed
every segment) on 127.0.0.1, and a headless :class:`player.Player` (``NullSink``) plays
it for ``--hours`` of playback time. Everything runs on a time-warped event loop
(``tests/chaos/_timewarp.py``): the Player's clock, the origin's clock and the live
stream's wall clock all run ``--scale`` times faster than real time, so an hour plays in
a minute at the default 60x, with real sockets, real MPD refreshes and real segments
(360p and below by default, so loopback carries about 6 MB/s; ``--trace`` shapes the
link with a real trace instead, which costs more CPU per second of playback).

Every ``--every`` seconds of playback the process's RSS and open file descriptors are
sampled (psutil, else /proc/self). Prints peak and final RSS and fds, and the growth over
the second half of the run (a least-squares slope, per hour of playback), after the
buffers and caches of the first half have filled. Flat means: RSS grows by less than
``--max-growth-mb`` per hour and the fd count by at most 2. Exits 1 otherwise.

    .venv/bin/python bench/soak.py [--hours 1] [--scale 60] [--max-height 360] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from _figures import figure, print_json

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.chaos._timewarp import TimeWarpLoop, run_warped


def _rss_and_fds() -> tuple[int, int]:
    try:
        import psutil  # type: ignore[import-untyped]

        proc = psutil.Process()
        return int(proc.memory_info().rss), int(proc.num_fds())
    except ImportError:
        with open("/proc/self/statm") as f:
            rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        return rss, len(os.listdir("/proc/self/fd"))


@dataclass
class Samples:
    """Playback time (s), RSS (bytes) and open fds at each sample."""

    t: list[float] = field(default_factory=list)
    rss: list[int] = field(default_factory=list)
    fds: list[int] = field(default_factory=list)
    segments: int = 0
    stalls: int = 0
    errors: int = 0
    refreshes: int = 0


def _live_title(sample_dir: Path, max_height: int, into: Path) -> Path:
    """A copy of the sample title the live origin can loop: its subtitles (sidecar
    WebVTT, not numbered segments) and the rungs above ``max_height`` left out."""
    import shutil
    import xml.etree.ElementTree as ET

    ns = "urn:mpeg:dash:schema:mpd:2011"
    ET.register_namespace("", ns)
    tree = ET.parse(sample_dir / "manifest.mpd")
    for period in tree.getroot().iter(f"{{{ns}}}Period"):
        for aset in list(period.iter(f"{{{ns}}}AdaptationSet")):
            if aset.get("contentType") == "text":
                period.remove(aset)
                continue
            for rep in list(aset.iter(f"{{{ns}}}Representation")):
                height = rep.get("height")
                if height is not None and int(height) > max_height:
                    aset.remove(rep)
                    continue
                for tmpl in rep.iter(f"{{{ns}}}SegmentTemplate"):
                    folder = Path(tmpl.get("initialization", "")).parent
                    shutil.copytree(sample_dir / folder, into / folder, dirs_exist_ok=True)
    tree.write(into / "manifest.mpd", xml_declaration=True, encoding="utf-8")
    return into


def _slope_per_hour(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    if n < 2:
        return 0.0
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx * 3600.0


async def _soak(
    directory: Path, hours: float, every: float, max_height: int, trace: str
) -> Samples:
    import traces
    from player.config import PlayerConfig
    from player.engine import Error, ManifestUpdated, SegmentAppended, Stalled
    from player.player import Player
    from traces.origin import LiveConfig, ShapedOrigin

    loop = asyncio.get_running_loop()
    assert isinstance(loop, TimeWarpLoop)
    # The live stream's POSIX clock runs on the warped loop, anchored to the real POSIX
    # time when the Player starts, so the Player's wall time (time.time() at load, then
    # its warped clock) and the origin's agree.
    anchor = [time.time(), loop.time()]

    def posix() -> float:
        return anchor[0] + (loop.time() - anchor[1])

    link = None
    if trace:
        dataset, _, prefix = trace.partition("/")
        link = next(
            traces.load_trace(p) for p in traces.trace_files(dataset) if p.name.startswith(prefix)
        )
    live = LiveConfig(window_s=30.0, availability_start=float(int(time.time()) - 60), clock=posix)
    cfg = PlayerConfig.from_dict(
        {
            "abr": {"use_bandwidth_cache": False},
            "preferences": {"max_height": max_height},
        }
    )
    out = Samples()
    async with ShapedOrigin(directory, trace=link, live=live, clock=loop.time) as origin:
        player = Player(cfg, clock=loop.time)

        def count(ev: object) -> None:
            if isinstance(ev, SegmentAppended):
                out.segments += 1
            elif isinstance(ev, Stalled):
                out.stalls += 1
            elif isinstance(ev, Error):
                out.errors += 1
            elif isinstance(ev, ManifestUpdated):
                out.refreshes += 1

        player.on(None, count)
        try:
            anchor[:] = [time.time(), loop.time()]
            await player.load(origin.url + "manifest.mpd")
            t0 = loop.time()
            while (elapsed := loop.time() - t0) < hours * 3600.0:
                rss, fds = _rss_and_fds()
                out.t.append(elapsed)
                out.rss.append(rss)
                out.fds.append(fds)
                if player.engine is not None and player.engine.error is not None:
                    raise player.engine.error
                await asyncio.sleep(every)
        finally:
            await player.close()
    rss, fds = _rss_and_fds()
    out.t.append(hours * 3600.0)
    out.rss.append(rss)
    out.fds.append(fds)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=1.0, help="playback time")
    parser.add_argument("--scale", type=float, default=60.0, help="playback s per wall s")
    parser.add_argument("--every", type=float, default=30.0, help="sample every N s played")
    parser.add_argument("--max-height", type=int, default=360)
    parser.add_argument("--trace", default="", help="shape the link, e.g. fcc-2016/trace_26611")
    parser.add_argument("--max-growth-mb", type=float, default=10.0, help="per hour played")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    import tempfile

    from player.packager import build_sample

    sample = build_sample(progress=not args.json)
    with tempfile.TemporaryDirectory(prefix="abrkit-soak-") as tmp:
        title = _live_title(Path(sample.dir), args.max_height, Path(tmp))
        wall0 = time.monotonic()
        s = run_warped(
            _soak(title, args.hours, args.every, args.max_height, args.trace),
            args.scale,
            wall_timeout=args.hours * 3600.0 / args.scale * 3 + 60,
        )
        wall = time.monotonic() - wall0
    half = len(s.t) // 2
    mb = [r / 2**20 for r in s.rss]
    growth = _slope_per_hour(s.t[half:], mb[half:])
    fd_growth = max(s.fds[half:]) - s.fds[half]
    peak = max(max(mb), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    flat = growth < args.max_growth_mb and fd_growth <= 2 and s.errors == 0
    played = s.t[-1]
    how = (
        f"{played / 3600:g} h of live playback (sample title looped, <= {args.max_height}p, "
        f"{'trace ' + args.trace if args.trace else 'unshaped link'}) at {args.scale:g}x "
        f"on a time-warped loop in {wall:.0f} s wall; RSS/fds sampled every {args.every:g} s "
        "played; growth = least-squares slope over the second half"
    )
    if args.json:
        print_json(
            __file__,
            [
                figure("soak: RSS growth", round(growth, 2), "MB per hour played", how),
                figure("soak: peak / final RSS", f"{peak:.0f} / {mb[-1]:.0f}", "MB", how),
                figure(
                    "soak: open fds peak / final (growth)",
                    f"{max(s.fds)} / {s.fds[-1]} ({fd_growth:+d})",
                    "fds",
                    how,
                ),
                figure("soak: playback per wall second", round(played / wall, 1), "x", how),
            ],
            ok=flat,
        )
        return 0 if flat else 1
    print(how)
    print(f"segments appended {s.segments}, manifest refreshes {s.refreshes}, stalls {s.stalls}")
    print(f"errors {s.errors}")
    print(f"RSS  first {mb[0]:.1f} MB, peak {peak:.1f} MB, final {mb[-1]:.1f} MB")
    print(f"RSS  growth over the second half: {growth:+.2f} MB per hour played")
    print(
        f"fds  first {s.fds[0]}, peak {max(s.fds)}, final {s.fds[-1]}, second half {fd_growth:+d}"
    )
    verdict = "FLAT" if flat else "GROWING"
    print(f"{verdict} (limits: < {args.max_growth_mb:g} MB/h, fds +2, no errors)")
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
