"""Does the decode path decode 1080p as fast as bare PyAV? Side by side, in one run.

The same 1080p30 H.264 segments (Big Buck Bunny upscaled, see ``_decode_content.py``) are
decoded, alternating the order every repetition, by:

- ``bare``: ``av.open(init + all segments)`` and ``decode()`` with ``thread_type="AUTO"``;
- ``path``: the player's path, a :class:`player.decode.DecodingSink` with
  ``realtime=False``: chunks appended from asyncio, demuxed per segment, decoded in its
  worker thread by one persistent decoder, frames handed to the presenter thread.

Both only decode (no conversion to RGB) unless ``--rgb``, which converts every frame in
both. Prints the median frames per second of each and the ratio; the target is a ratio
of at least 0.9. Exits 1 below it.

    .venv/bin/python bench/decode_throughput.py [--seconds 10] [--reps 7] [--rgb]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time

import av
from _decode_content import Rung, content_1080p30
from _figures import figure, print_json

from player.decode import CallbackVideoOutput, DecodingSink, VideoFrame
from player.manifest.model import TrackKind
from player.sink import MediaChunk

TARGET = 0.9


def bare(rung: Rung, rgb: bool) -> tuple[int, float]:
    """Frames decoded and seconds taken by a bare PyAV decode of the same bytes."""
    t0 = time.perf_counter()
    n = 0
    with av.open(io.BytesIO(rung.whole), "r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if rgb:
                frame.to_ndarray(format="rgb24")
            n += 1
    return n, time.perf_counter() - t0


async def path(rung: Rung, rgb: bool) -> tuple[int, float]:
    """Frames presented and seconds taken through the player's decode path."""

    def convert(frame: VideoFrame) -> None:
        if rgb:
            _ = frame.rgb

    t0 = time.perf_counter()
    sink = DecodingSink(CallbackVideoOutput(convert), realtime=False)
    try:
        sink.set_playing(True)
        for i, seg in enumerate(rung.segments):
            await sink.append(
                MediaChunk(TrackKind.VIDEO, rung.representation_id, i, 2.0 * i, 2.0, rung.init, seg)
            )
        sink.end_of_stream()
        while not sink.ended:
            await asyncio.sleep(0.002)
        elapsed = time.perf_counter() - t0
    finally:
        await sink.close()
    if sink.stats.errors:
        raise SystemExit(f"decode errors: {sink.stats.errors}")
    return sink.stats.frames_rendered, elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="seconds of 1080p to decode")
    # Single runs of 300 frames vary by +-15 % on a shared machine: a median of 7.
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--rgb", action="store_true", help="also convert every frame to RGB")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    video, _ = content_1080p30(60)
    segments = max(1, args.seconds // 2)
    rung = Rung(video.representation_id, video.init, video.segments[:segments], video.codec)
    results: dict[str, list[float]] = {"bare": [], "path": []}
    counts: dict[str, int] = {}
    for rep in range(args.reps):
        order = ["bare", "path"] if rep % 2 == 0 else ["path", "bare"]
        for name in order:
            if name == "bare":
                n, dt = bare(rung, args.rgb)
            else:
                n, dt = asyncio.run(path(rung, args.rgb))
            counts.setdefault(name, n)
            if n != counts[name] or n != counts.get("bare", n):
                raise SystemExit(f"{name} decoded {n} frames, expected {counts}")
            results[name].append(n / dt)
    fps = {k: statistics.median(v) for k, v in results.items()}
    ratio = fps["path"] / fps["bare"]
    mode = "decode + RGB" if args.rgb else "decode only"
    if args.json:
        how = (
            f"median fps over {args.reps} alternating reps, {counts['bare']} frames of 1080p30 "
            f"H.264 ({mode}): DecodingSink (realtime=False) vs bare PyAV "
            f"{fps['bare']:.0f} fps"
        )
        figs = [figure("decode throughput (1080p)", round(ratio, 2), "x bare PyAV", how)]
        print_json(__file__, figs, ok=ratio >= TARGET)
        return 0 if ratio >= TARGET else 1
    print(f"1080p30 H.264, {counts['bare']} frames, {args.reps} reps, {mode}")
    for name in ("bare", "path"):
        runs = ", ".join(f"{v:.1f}" for v in results[name])
        print(f"  {name:5s} {fps[name]:7.1f} fps  (runs: {runs})")
    print(f"  ratio path/bare: {ratio:.3f}  (target >= {TARGET})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
