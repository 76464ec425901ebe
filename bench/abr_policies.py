"""What does each ABR policy cost per session? Side by side, in one run.

Builds one deterministic 200-segment session of contexts (Pensieve's 6-rung ladder,
4 s segments, a buffer and throughput that wander, real-looking samples) and times
``choose`` over the whole session for each built-in policy, interleaving the policies
every repetition. Prints the median milliseconds per 200-segment session and the ratio
to ``throughput`` (the cheapest rule). The simulation-speed target is < 10 ms per
session for ``bola``; exits 1 when ``bola`` misses it. Takes a few seconds.

    .venv/bin/python bench/abr_policies.py [--reps 7] [--segments 200]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time

from _figures import figure, print_json

from abr import AbrContext, PlaybackState, Rung, ThroughputSample, create_policy, policy_names

KBPS = [300, 750, 1200, 1850, 2850, 4300]


def session(segments: int) -> list[AbrContext]:
    """One plausible session's contexts, with no randomness."""
    ladder = tuple(Rung(i, b * 1000) for i, b in enumerate(KBPS))
    out: list[AbrContext] = []
    samples: list[ThroughputSample] = []
    now, last = 0.0, None
    for k in range(segments):
        bw = 2.0e6 + 1.5e6 * math.sin(k / 7.0)
        buffer = 0.0 if k == 0 else 10.0 + 20.0 * (1 + math.sin(k / 11.0)) / 2
        out.append(
            AbrContext(
                now=now,
                ladder=ladder,
                segment_duration=4.0,
                buffer_level=buffer,
                buffer_target=60.0,
                buffer_capacity=60.0,
                throughput_bps=bw if k else None,
                latency_s=0.08,
                samples=tuple(samples[-20:]),
                last_quality=last,
                state=PlaybackState.STARTUP if k == 0 else PlaybackState.PLAYING,
                segment_number=k,
                segments_left=segments - k,
            )
        )
        q = k % len(KBPS)
        nbytes = KBPS[q] * 1000 * 4 // 8
        seconds = nbytes * 8 / bw + 0.08
        now += seconds
        samples.append(ThroughputSample(nbytes, seconds, now, 0.08))
        last = q
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--segments", type=int, default=200)
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    ctxs = session(args.segments)
    names = policy_names()
    times: dict[str, list[float]] = {n: [] for n in names}
    for _ in range(args.reps):
        for name in names:
            policy = create_policy(name)
            t0 = time.perf_counter()
            for c in ctxs:
                policy.choose(c)
            times[name].append(time.perf_counter() - t0)
    base = statistics.median(times["throughput"])
    print(f"{'policy':<12}{'ms/session':>12}{'x throughput':>14}   ({args.segments} segments)")
    for name in names:
        med = statistics.median(times[name])
        print(f"{name:<12}{med * 1e3:>12.2f}{med / base:>14.1f}")
    bola_ms = statistics.median(times["bola"]) * 1e3 * 200 / args.segments
    if args.json:
        how = (
            f"median of {args.reps} interleaved runs of choose() over one deterministic "
            f"{args.segments}-segment session (6 rungs), per policy"
        )
        figs = [
            figure(
                "ABR decision cost per 200-segment session",
                " / ".join(
                    f"{n} {statistics.median(times[n]) * 1e3 * 200 / args.segments:.2f}"
                    for n in names
                ),
                "ms",
                how,
            )
        ]
        print_json(__file__, figs, ok=bola_ms < 10.0)
    return 0 if bola_ms < 10.0 else 1


if __name__ == "__main__":
    sys.exit(main())
