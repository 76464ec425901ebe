"""Are segment lookups independent of the index size? Side by side, in one run.

Builds, from real MPD text, a SegmentTemplate index and a SegmentTimeline index at a
small and a huge size (``@duration`` templates: 1e3 vs 1e11 segments; timelines: 10 vs
100 000 ``S`` runs of 100 segments each), then times ``at_time`` and ``by_number`` at
random positions, interleaving the sizes every repetition. Prints the median time per
lookup and the ratio huge/small: O(1) lookups give about 1, O(log n) a small constant.
Also times parsing each MPD, since only the timeline's XML grows. Exits 1 when a lookup
ratio exceeds 3. Takes a few seconds.

    .venv/bin/python bench/manifest_index.py [--lookups 2000] [--reps 7]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable

from _figures import figure, print_json

from player.manifest import SegmentIndex, parse_manifest


def _template(segments: int) -> bytes:
    return (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" '
        f'mediaPresentationDuration="PT{segments * 2}S"><Period><AdaptationSet '
        'mimeType="video/mp4"><SegmentTemplate timescale="1000" duration="2000" '
        'media="$RepresentationID$/$Number%06d$.m4s"/><Representation id="v" '
        'bandwidth="1"/></AdaptationSet></Period></MPD>'
    ).encode()


def _timeline(runs: int) -> bytes:
    s = "".join(f'<S d="{2000 + (i % 2)}" r="99"/>' for i in range(runs))
    return (
        '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static"><Period><AdaptationSet '
        'mimeType="video/mp4"><SegmentTemplate timescale="1000" media="$Time$.m4s">'
        f"<SegmentTimeline>{s}</SegmentTimeline></SegmentTemplate>"
        '<Representation id="v" bandwidth="1"/></AdaptationSet></Period></MPD>'
    ).encode()


def _index(data: bytes) -> SegmentIndex:
    index = parse_manifest(data, "https://example.com/m.mpd").periods[0].tracks[0]
    found = index.representations[0].index
    assert isinstance(found, SegmentIndex)
    return found


def _lookups(index: SegmentIndex, n: int, seed: int) -> Callable[[], None]:
    rng = random.Random(seed)
    first, last = index.first_number, index.last_number
    assert last is not None
    end = index.by_number(last)
    assert end is not None
    times = [rng.uniform(0, end.end) for _ in range(n)]
    numbers = [rng.randint(first, last) for _ in range(n)]

    def run() -> None:
        for t in times:
            index.at_time(t)
        for k in numbers:
            index.by_number(k)

    return run


def _median_seconds(fn: Callable[[], None], reps: int) -> float:
    samples = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lookups", type=int, default=2000)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    cases = {
        "template": (_template(1_000), _template(100_000_000_000)),
        "timeline": (_timeline(10), _timeline(100_000)),
    }
    worst = 0.0
    print(f"{'index':10} {'size':>16} {'parse ms':>9} {'lookup us':>10} {'ratio':>6}")
    for name, (small_mpd, huge_mpd) in cases.items():
        parse_small = _median_seconds(lambda d=small_mpd: _index(d), 3)  # type: ignore[misc]
        parse_huge = _median_seconds(lambda d=huge_mpd: _index(d), 3)  # type: ignore[misc]
        small, huge = _index(small_mpd), _index(huge_mpd)
        run_small = _lookups(small, args.lookups, 1)
        run_huge = _lookups(huge, args.lookups, 1)
        t_small: list[float] = []
        t_huge: list[float] = []
        for rep in range(args.reps):  # interleaved, alternating which goes first
            pair = [(run_small, t_small), (run_huge, t_huge)]
            for fn, acc in pair if rep % 2 == 0 else reversed(pair):
                acc.append(_median_seconds(fn, 1))
        per_small = statistics.median(t_small) / (2 * args.lookups) * 1e6
        per_huge = statistics.median(t_huge) / (2 * args.lookups) * 1e6
        ratio = per_huge / per_small
        worst = max(worst, ratio)
        print(f"{name:10} {len(small):>16,} {parse_small * 1e3:>9.1f} {per_small:>10.2f} {'':>6}")
        print(f"{'':10} {len(huge):>16,} {parse_huge * 1e3:>9.1f} {per_huge:>10.2f} {ratio:>6.2f}")
    print(f"worst lookup ratio huge/small: {worst:.2f} (target <= 3)")
    if args.json:
        how = (
            f"median at_time + by_number cost, {args.reps} interleaved reps of {args.lookups} "
            "random lookups: 1e11- vs 1e3-segment template, 1e7- vs 1e3-segment timeline"
        )
        figs = [figure("segment lookup, huge vs small index", round(worst, 2), "x", how)]
        print_json(__file__, figs, ok=worst <= 3)
    return 0 if worst <= 3 else 1


if __name__ == "__main__":
    sys.exit(main())
