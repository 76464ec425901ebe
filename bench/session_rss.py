"""Peak memory (RSS) of a headless 1080p Player session, side by side with a baseline.

The sample title (``abrkit sample``: 5 rungs up to 1920x1080, 4 s segments) is served on
loopback by the shaped origin (unshaped: the link is not the bottleneck) and played in
real time at the 1080p rung for ``--seconds`` in a fresh child process per configuration:

- ``baseline``: the child imports the Player and its dependencies and does nothing;
- ``null-sink``: a Player session that fetches and buffers but discards media;
- ``decode``: the same session decoding with PyAV (:class:`player.decode.DecodingSink`).

For each it prints the child's peak RSS (``ru_maxrss``), the increase over the baseline,
and the engine's peak buffered bytes against its byte cap (``--cap-mb``): media held by
the player is bounded by that cap, so the session's RSS should stay within baseline +
cap + decoder state. Exits 1 if the buffer ever exceeded the cap.

    .venv/bin/python bench/session_rss.py [--seconds 20] [--cap-mb 200] [--goal 30]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import resource
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from _figures import figure, print_json


def _child(
    mode: str, url: str, seconds: float, cap_mb: float, goal: float, conn: Connection
) -> None:
    from player.config import PlayerConfig
    from player.player import Player
    from player.sink import MediaSink, NullSink

    out: dict[str, Any] = {"mode": mode}
    if mode != "baseline":
        sink: MediaSink
        if mode == "decode":
            from player.decode import DecodingSink

            sink = DecodingSink()
        else:
            sink = NullSink()
        cfg = PlayerConfig.from_dict(
            {
                "buffer": {"max_bytes": int(cap_mb * 1024 * 1024), "goal_s": goal},
                "abr": {"use_bandwidth_cache": False},
            }
        )

        async def session() -> None:
            peak = 0
            async with Player(cfg, sink=sink) as player:
                await player.load(url)
                engine = player.engine
                assert engine is not None
                top = len(engine.ladder()) - 1
                player.select_quality(top)
                t_end = time.monotonic() + seconds
                while time.monotonic() < t_end and not player.stats.ended:
                    peak = max(peak, engine.buffered_bytes)
                    await asyncio.sleep(0.05)
                st = player.stats
                out.update(
                    peak_buffer=peak,
                    played_s=st.played_s,
                    frames=st.frames_decoded,
                    dropped=st.dropped_frames,
                    rebuffers=st.rebuffer_count,
                    height=engine.ladder()[top].height,
                )

        asyncio.run(session())
    out["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    conn.send(out)


def _run_child(mode: str, url: str, args: argparse.Namespace) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(mode, url, args.seconds, args.cap_mb, args.goal, child))
    proc.start()
    child.close()
    result: dict[str, Any] = parent.recv() if parent.poll(args.seconds + 120) else {"mode": mode}
    proc.join(30)
    if proc.is_alive():
        proc.kill()
    return result


async def _serve_and_measure(args: argparse.Namespace) -> list[dict[str, Any]]:
    from player.packager import build_sample
    from traces.origin import ShapedOrigin

    title = build_sample(progress=True)
    async with ShapedOrigin(title.dir) as origin:
        url = origin.url + "manifest.mpd"
        results = []
        for mode in ("baseline", "null-sink", "decode"):
            # The origin keeps serving on this loop while the child plays.
            results.append(await asyncio.to_thread(_run_child, mode, url, args))
        return results


def main() -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--seconds", type=float, default=20.0, help="seconds played per session")
    p.add_argument("--cap-mb", type=float, default=200.0, help="buffer byte cap (MiB)")
    p.add_argument("--goal", type=float, default=30.0, help="buffering goal (s)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = p.parse_args()
    results = asyncio.run(_serve_and_measure(args))
    base = results[0].get("maxrss_kb", 0) / 1024
    cap = args.cap_mb
    print(f"headless session at the top rung, {args.seconds:g} s each, buffer cap {cap:g} MiB")
    print(
        f"{'mode':<10} {'peak RSS':>10} {'vs base':>9} {'peak buffer':>12} {'played':>7} "
        f"{'frames':>7} {'dropped':>8}"
    )
    over = False
    for r in results:
        rss = r.get("maxrss_kb", 0) / 1024
        buf = r.get("peak_buffer")
        if buf is not None and buf > cap * 1024 * 1024:
            over = True
        print(
            f"{r['mode']:<10} {rss:>8.1f}MB {rss / base if base else 0:>8.2f}x "
            f"{'-' if buf is None else f'{buf / 2**20:.1f}MB':>12} "
            f"{r.get('played_s', 0):>6.1f}s {r.get('frames', 0):>7} {r.get('dropped', 0):>8}"
        )
    heights = {r.get("height") for r in results if r.get("height")}
    print(f"video height played: {', '.join(str(h) for h in sorted(heights)) or '?'}")
    if args.json:
        how = (
            f"ru_maxrss of a child process playing the sample title at its top rung "
            f"({', '.join(str(h) for h in sorted(heights)) or '?'}p) for {args.seconds:g} s "
            f"from loopback, buffer cap {cap:g} MiB; baseline = the child after imports "
            f"({base:.0f} MB)"
        )
        by_mode = {r["mode"]: r.get("maxrss_kb", 0) / 1024 for r in results}
        figs = [
            figure(f"peak RSS, 1080p session ({mode})", round(rss), "MB", how)
            for mode, rss in by_mode.items()
            if mode != "baseline"
        ]
        print_json(__file__, figs, ok=not over)
    if over:
        print("FAIL: the buffer exceeded its byte cap")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
