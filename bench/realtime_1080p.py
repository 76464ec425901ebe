"""Headless real-time playback of 1080p30 through the decode path: are frames dropped?

60 s (``--seconds``) of 1080p30 H.264 + AAC (Big Buck Bunny upscaled, see
``_decode_content.py``) are appended to a :class:`player.decode.DecodingSink` as a Player
would (backpressure from its bounded queues) and played in real time against the audio
clock of a :class:`player.decode.VirtualAudioOutput` (a silent device playing samples at
48 kHz). Frames go to a null output, or are converted to RGB first with ``--rgb`` (what
a viewer does). Prints frames decoded, shown and dropped (late), how late shown frames
were against the audio clock, and the process's CPU use. The target is 0 dropped frames;
exits 1 otherwise.

    .venv/bin/python bench/realtime_1080p.py [--seconds 60] [--rgb]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import statistics
import sys
import time
from typing import Any

from _decode_content import Rung, content_1080p30
from _figures import figure, print_json

from player.decode import CallbackVideoOutput, DecodingSink, VideoFrame, VirtualAudioOutput
from player.manifest.model import TrackKind
from player.sink import MediaChunk


async def feed(sink: DecodingSink, rung: Rung, kind: TrackKind, first: int, end: int) -> None:
    """Append segments ``first..end-1`` (awaiting the sink's backpressure)."""
    for i in range(first, end):
        await sink.append(
            MediaChunk(kind, rung.representation_id, i, 2.0 * i, 2.0, rung.init, rung.segments[i])
        )


async def play(video: Rung, audio: Rung, rgb: bool, timeout: float) -> dict[str, Any]:
    lateness: list[float] = []
    shown: list[float] = []
    sink: DecodingSink

    def show(frame: VideoFrame) -> None:
        lateness.append(sink.clock.position() - frame.pts)
        shown.append(frame.pts)
        if rgb:
            _ = frame.rgb

    sink = DecodingSink(CallbackVideoOutput(show), VirtualAudioOutput())
    load0 = os.getloadavg()[0]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    try:
        # Start the clock once the first segment of each track is in, as a Player would.
        await feed(sink, video, TrackKind.VIDEO, 0, 1)
        await feed(sink, audio, TrackKind.AUDIO, 0, 1)
        sink.set_playing(True)
        await asyncio.gather(
            feed(sink, video, TrackKind.VIDEO, 1, len(video.segments)),
            feed(sink, audio, TrackKind.AUDIO, 1, len(audio.segments)),
        )
        sink.end_of_stream()
        while not sink.ended and time.monotonic() - t0 < timeout:
            await asyncio.sleep(0.1)
        wall = time.monotonic() - t0
    finally:
        await sink.close()
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    stats = sink.stats
    late_ms = sorted(x * 1000 for x in lateness[1:]) or [0.0]
    # Where frames were dropped: gaps in the times of the frames shown.
    gaps = [f"{a:.2f}" for a, b in itertools.pairwise(shown) if b - a > 1.5 / 30]
    return {
        "gaps": gaps,
        "load": (load0 + os.getloadavg()[0]) / 2,
        "ended": float(sink.ended),
        "wall": wall,
        "cpu": cpu,
        "decoded": stats.frames_decoded,
        "rendered": stats.frames_rendered,
        "dropped": stats.dropped_frames,
        "audio_s": stats.audio_samples / 48000,
        "ttff": (stats.first_frame_at or t0) - t0,
        "late_p50": statistics.median(late_ms),
        "late_p99": late_ms[int(0.99 * (len(late_ms) - 1))],
        "late_max": late_ms[-1],
        "errors": len(stats.errors),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rgb", action="store_true", help="convert each shown frame to RGB")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = parser.parse_args()
    video, audio = content_1080p30(60)
    n = max(1, min(len(video.segments), args.seconds // 2))
    video = Rung(video.representation_id, video.init, video.segments[:n], video.codec)
    audio = Rung(audio.representation_id, audio.init, audio.segments[:n], audio.codec)
    r = asyncio.run(play(video, audio, args.rgb, timeout=2 * args.seconds + 60))
    output = "RGB conversion" if args.rgb else "null output"
    print(f"1080p30 H.264 + AAC, {n * 2} s, real time against the audio clock, {output}")
    print(
        f"  frames decoded {r['decoded']:.0f}, shown {r['rendered']:.0f}, "
        f"dropped {r['dropped']:.0f}; audio {r['audio_s']:.2f} s; errors {r['errors']:.0f}"
    )
    print(
        f"  lateness of shown frames vs audio clock: p50 {r['late_p50']:.1f} ms, "
        f"p99 {r['late_p99']:.1f} ms, max {r['late_max']:.1f} ms"
    )
    print(
        f"  wall {r['wall']:.1f} s, CPU {r['cpu']:.1f} s ({100 * r['cpu'] / r['wall']:.0f}% of "
        f"one core), first frame after {1000 * r['ttff']:.0f} ms"
    )
    print(f"  load average of the machine meanwhile: {r['load']:.1f} (2 cores)")
    if r["gaps"]:
        print(f"  dropped after the frames at {', '.join(r['gaps'][:10])} s")
    ok = r["ended"] and r["dropped"] == 0 and r["errors"] == 0
    print(f"  dropped frames: {r['dropped']:.0f} (target 0) -> {'ok' if ok else 'FAIL'}")
    if args.json:
        how = (
            f"{n * 2} s of 1080p30 H.264 + AAC through a DecodingSink in real time against a "
            f"virtual audio clock, {output}; load average {r['load']:.1f} on the shared machine"
        )
        figs = [
            figure("1080p30 real time: dropped frames", int(r["dropped"]), "frames", how),
            figure("1080p30 real time: lateness p99", round(r["late_p99"], 1), "ms", how),
            figure("1080p30 real time: CPU", round(100 * r["cpu"] / r["wall"]), "% of a core", how),
        ]
        print_json(__file__, figs, ok=bool(ok))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
