"""What does durability cost a download? The offline store against a bare fetch loop.

A synthetic DASH title (2 rungs x N segments of random bytes, SegmentTemplate) is served
from a child process by an unshaped :class:`traces.origin.ShapedOrigin` on loopback. In
one run, alternating the order each repetition, the whole title is downloaded by:

- ``bare``: :class:`player.net.Fetcher` with the same parallelism, each file written with
  a plain ``write`` (no fsync, no metadata): the floor;
- ``store``: :meth:`player.offline.OfflineStore.download` (plan committed to SQLite, each
  file written to a temporary name, fsynced, renamed, folder fsynced, SHA-256 and a
  signed row committed per file).

Prints the median time and MB/s of each and the ratio ``store / bare`` (how much longer
the durable download takes). Takes a few seconds.

    .venv/bin/python bench/offline_download.py [--segments 30] [--size-kb 100] [--reps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import shutil
import statistics
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path

from _figures import figure, print_json

_MPD = """<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011"
     type="static" mediaPresentationDuration="PT{duration}S" minBufferTime="PT2S">
  <Period id="0" start="PT0S">
    <AdaptationSet id="0" contentType="video" mimeType="video/mp4">
{reps}
    </AdaptationSet>
  </Period>
</MPD>
"""
_REP = """      <Representation id="r{i}" bandwidth="{bw}" codecs="avc1.64000c"
                      width="{w}" height="{h}">
        <SegmentTemplate timescale="1000" initialization="r{i}/init.mp4"
                         media="r{i}/seg-$Number$.m4s" startNumber="1" duration="2000" />
      </Representation>"""


def _make_title(root: Path, segments: int, size: int) -> int:
    reps = []
    total = 0
    for i, (w, h) in enumerate([(256, 144), (384, 216)]):
        d = root / f"r{i}"
        d.mkdir(parents=True)
        (d / "init.mp4").write_bytes(os.urandom(800))
        total += 800
        for n in range(1, segments + 1):
            (d / f"seg-{n}.m4s").write_bytes(os.urandom(size))
            total += size
        reps.append(_REP.format(i=i, bw=size * 8 // 2, w=w, h=h))
    (root / "manifest.mpd").write_text(_MPD.format(duration=2 * segments, reps="\n".join(reps)))
    return total


def _serve(directory: str, conn: Connection) -> None:
    from traces.origin import ShapedOrigin

    async def main() -> None:
        async with ShapedOrigin(directory) as origin:
            conn.send(origin.url)
            await asyncio.get_running_loop().run_in_executor(None, conn.recv)

    asyncio.run(main())


async def _bare(url: str, out: Path, parallel: int) -> None:
    from player.manifest import parse_manifest
    from player.net import Fetcher

    async with Fetcher() as fetcher:
        pres = parse_manifest((await fetcher.fetch(url)).data, url)
        jobs = []
        for rep in pres.periods[0].tracks[0].representations:
            idx = rep.segments
            assert idx is not None and idx.init is not None
            jobs.append(idx.init.url)
            jobs.extend(s.url for s in idx)
        it = iter(jobs)

        async def worker() -> None:
            for u in it:
                data = (await fetcher.fetch(u)).data
                path = out / u.split("/", 3)[3]
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)

        await asyncio.gather(*(worker() for _ in range(parallel)))


async def _store(url: str, out: Path, parallel: int) -> None:
    from player.offline import OfflineStore

    with OfflineStore(out, key=b"k" * 32, parallel=parallel) as store:
        info = await store.download(url)
        assert info.complete


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--segments", type=int, default=30)
    ap.add_argument("--size-kb", type=int, default=100)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--dir", default=None, help="where downloads go (default: a temp dir)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="abrkit-bench-", dir=args.dir))
    try:
        total = _make_title(work / "origin", args.segments, args.size_kb * 1024)
        parent, child = mp.Pipe()
        proc = mp.get_context("spawn").Process(target=_serve, args=(str(work / "origin"), child))
        proc.start()
        url = parent.recv() + "manifest.mpd"
        times: dict[str, list[float]] = {"bare": [], "store": []}
        runners = {"bare": _bare, "store": _store}
        for rep in range(args.reps):
            order = ["bare", "store"] if rep % 2 == 0 else ["store", "bare"]
            for name in order:
                out = work / f"{name}-{rep}"
                t0 = time.perf_counter()
                asyncio.run(runners[name](url, out, args.parallel))
                times[name].append(time.perf_counter() - t0)
                shutil.rmtree(out, ignore_errors=True)
        parent.send("stop")
        proc.join(10)
        mb = total / 1e6
        print(f"title: {mb:.1f} MB in {2 * (args.segments + 1)} files, parallel {args.parallel}")
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, t in med.items():
            print(f"{name:>6}: {t:6.3f} s  {mb / t:7.1f} MB/s")
        print(f"store / bare time ratio: {med['store'] / med['bare']:.2f}")
        if args.json:
            how = (
                f"median of {args.reps} alternating downloads of a {mb:.1f} MB title "
                f"({2 * (args.segments + 1)} files, parallel {args.parallel}) from loopback: "
                f"OfflineStore (fsync, SQLite rows, SHA-256) vs a bare Fetcher loop "
                f"({mb / med['bare']:.0f} MB/s)"
            )
            ratio = med["store"] / med["bare"]
            print_json(__file__, [figure("offline download time", round(ratio, 2), "x bare", how)])
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
