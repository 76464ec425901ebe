"""Does the Fetcher move bytes as fast as bare aiohttp? Side by side, on loopback.

A plain aiohttp origin in a child process serves a few in-memory files (4 MB each by
default). In one run, interleaving the order every repetition, the same files are
downloaded by:

- ``bare``: a bare aiohttp GET loop (``async with session.get(url) as r: await r.read()``);
- ``fetcher``: :class:`player.net.Fetcher` with its default config;
- ``fetcher+progress``: the same with an ``on_progress`` callback (what the player uses).

Prints the median MB/s of each and the ratio to ``bare``; the target is a ratio of at
least 0.8 for ``fetcher``. Exits 1 below it. Takes a few seconds.

    .venv/bin/python bench/fetch_throughput.py [--files 4] [--size-mb 4] [--reps 15]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection

import aiohttp
from _figures import figure, print_json
from aiohttp import web

from player.net import Fetcher, NetworkConfig, Progress

TARGET = 0.8


def _serve(files: int, size: int, conn: Connection) -> None:
    """The origin: a child process, so its CPU is not charged to the clients."""
    blobs = {f"f{i}.bin": os.urandom(size) for i in range(files)}

    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=blobs[request.match_info["name"]])

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/{name}", handler)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        conn.send(runner.addresses[0][1])
        await asyncio.get_running_loop().run_in_executor(None, conn.recv)  # wait for "stop"
        await runner.cleanup()

    asyncio.run(main())


Loader = Callable[[str], Awaitable[int]]


async def run(files: int, size: int, reps: int, port: int) -> dict[str, float]:
    urls = [f"http://127.0.0.1:{port}/f{i}.bin" for i in range(files)]
    async with aiohttp.ClientSession() as session, Fetcher(NetworkConfig()) as fetcher:

        async def bare(url: str) -> int:
            async with session.get(url) as r:
                return len(await r.read())

        async def fetch(url: str) -> int:
            return len((await fetcher.fetch(url)).data)

        seen = [0]

        def on_progress(p: Progress) -> None:
            seen[0] += p.chunk_bytes

        async def fetch_progress(url: str) -> int:
            return len((await fetcher.fetch(url, on_progress=on_progress)).data)

        loaders: dict[str, Loader] = {
            "bare": bare,
            "fetcher": fetch,
            "fetcher+progress": fetch_progress,
        }
        for load in loaders.values():  # warm up: connections, caches
            for url in urls:
                await load(url)
        rates: dict[str, list[float]] = {name: [] for name in loaders}
        names = list(loaders)
        for rep in range(reps):
            order = names[rep % len(names) :] + names[: rep % len(names)]  # rotate the order
            for name in order:
                t0 = time.perf_counter()
                total = 0
                for url in urls:
                    total += await loaders[name](url)
                elapsed = time.perf_counter() - t0
                assert total == files * size, f"{name} got {total} bytes"
                rates[name].append(total / elapsed / 1e6)
        return {name: statistics.median(r) for name, r in rates.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--size-mb", type=float, default=4.0)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    size = int(args.size_mb * 1e6)
    parent, child = mp.Pipe()
    server = mp.Process(target=_serve, args=(args.files, size, child), daemon=True)
    server.start()
    try:
        if not parent.poll(30):
            print("origin did not start", file=sys.stderr)
            return 2
        port = parent.recv()
        medians = asyncio.run(run(args.files, size, args.reps, port))
    finally:
        parent.send("stop")
        server.join(10)
        if server.is_alive():
            server.terminate()
    base = medians["bare"]
    if args.json:
        how = (
            f"median MB/s of {args.reps} interleaved reps of {args.files} x {args.size_mb:g} MB "
            f"from a child-process aiohttp origin on loopback; bare aiohttp {base:.0f} MB/s"
        )
        ratio = medians["fetcher"] / base
        figs = [figure("fetch throughput", round(ratio, 2), "x bare aiohttp", how)]
        print_json(__file__, figs, ok=ratio >= TARGET)
        return 0 if ratio >= TARGET else 1
    print(f"{args.files} files x {args.size_mb:g} MB, {args.reps} interleaved reps, median")
    print(f"{'client':<18} {'MB/s':>9} {'ratio':>7}")
    for name, rate in medians.items():
        print(f"{name:<18} {rate:>9.1f} {rate / base:>7.2f}")
    ratio = medians["fetcher"] / base
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    print(f"fetcher/bare = {ratio:.2f} (target >= {TARGET}): {verdict}")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
