"""Time to first frame on loopback: the Player against the bare minimum, side by side.

The sample title (``abrkit sample``; built on first use, cached) is served by an
unshaped :class:`traces.origin.ShapedOrigin` in a child process on 127.0.0.1 (its CPU is
not charged to the clients). In one run, alternating the order every repetition, the
first picture of the title is obtained by:

- ``bare``: a fresh aiohttp session GETs the MPD, the lowest video rung's init segment
  and first segment, and PyAV decodes the first frame: the floor;
- ``player``: a fresh :class:`player.Player` with a :class:`player.decode.DecodingSink`
  loads the MPD and plays from the lowest rung (``abr.first_quality=0``): manifest
  parsing, ABR, the engine, audio and video init and first segments, demux and decode,
  until the video output is handed its first frame.

Prints the median time of each and the ratio player/bare (what the player's machinery
adds to the network and decoder floor). Takes a few seconds once the sample exists.

    .venv/bin/python bench/ttff.py [--reps 7] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import multiprocessing as mp
import statistics
import sys
import time
from multiprocessing.connection import Connection

import aiohttp
import av
from _figures import figure, print_json


def _serve(directory: str, conn: Connection) -> None:
    from traces.origin import ShapedOrigin

    async def main() -> None:
        async with ShapedOrigin(directory) as origin:
            conn.send(origin.port)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # "stop"

    asyncio.run(main())


async def _bare(base: str, rung: tuple[str, str]) -> float:
    t0 = time.perf_counter()
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "manifest.mpd") as r:
            await r.read()
        async with http.get(base + rung[0]) as r:
            init = await r.read()
        async with http.get(base + rung[1]) as r:
            media = await r.read()
    with av.open(io.BytesIO(init + media), mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _frame in container.decode(stream):
            break
    return time.perf_counter() - t0


async def _player(base: str) -> tuple[float, float | None]:
    from player.config import PlayerConfig
    from player.decode import CallbackVideoOutput, DecodingSink
    from player.player import Player

    first = asyncio.get_running_loop().create_future()
    loop = asyncio.get_running_loop()

    def on_frame(_frame: object) -> None:
        stamp = time.perf_counter()

        def settle() -> None:
            if not first.done():
                first.set_result(stamp)

        loop.call_soon_threadsafe(settle)

    cfg = PlayerConfig.from_dict({"abr": {"use_bandwidth_cache": False, "first_quality": 0}})
    sink = DecodingSink(CallbackVideoOutput(on_frame))
    t0 = time.perf_counter()
    async with Player(cfg, sink=sink) as player:
        await player.load(base + "manifest.mpd")
        shown = await asyncio.wait_for(first, 60)
        reported = player.stats.time_to_first_frame_s
    return shown - t0, reported


async def run(base: str, rung: tuple[str, str], reps: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"bare": [], "player": [], "reported": []}
    await _bare(base, rung)  # warm-up: imports, codecs, the origin's file cache
    await _player(base)
    for i in range(reps):
        order = ["bare", "player"] if i % 2 == 0 else ["player", "bare"]
        for name in order:
            if name == "bare":
                times["bare"].append(await _bare(base, rung))
            else:
                shown, reported = await _player(base)
                times["player"].append(shown)
                if reported is not None:
                    times["reported"].append(reported)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    from player.packager import build_sample

    sample = build_sample(progress=not args.json)
    lowest = sample.rungs[0]
    rung = (lowest.init, lowest.segments[0])
    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(str(sample.dir), child), daemon=True)
    server.start()
    try:
        if not parent.poll(30):
            print("origin did not start", file=sys.stderr)
            return 2
        base = f"http://127.0.0.1:{parent.recv()}/"
        times = asyncio.run(run(base, rung, args.reps))
    finally:
        parent.send("stop")
        server.join(10)
        if server.is_alive():
            server.terminate()
    bare = statistics.median(times["bare"])
    player = statistics.median(times["player"])
    reported = statistics.median(times["reported"]) if times["reported"] else float("nan")
    ratio = player / bare
    how = (
        f"median of {args.reps} interleaved reps on loopback, sample title "
        f"({sample.rungs[0].width}x{sample.rungs[0].height} first): Player+DecodingSink load() "
        "to first frame handed to the video output, vs aiohttp GET of MPD + init + first "
        "segment and PyAV decode of one frame"
    )
    if args.json:
        print_json(
            __file__,
            [
                figure("time to first frame (loopback)", round(ratio, 2), "x bare floor", how),
                figure("time to first frame, player", round(player * 1000, 1), "ms", how),
                figure("time to first frame, bare floor", round(bare * 1000, 1), "ms", how),
            ],
        )
        return 0
    print(f"time to first frame on loopback, {args.reps} interleaved reps, median")
    print(f"{'path':<10} {'ms':>8} {'ratio':>7}")
    print(f"{'bare':<10} {bare * 1000:>8.1f} {1.0:>7.2f}")
    print(f"{'player':<10} {player * 1000:>8.1f} {ratio:>7.2f}")
    print(f"the Player's own stats report {reported * 1000:.1f} ms (time to first frame)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
