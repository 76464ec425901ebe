"""Does the shaped origin deliver what the trace says? Per 1-s window, on loopback.

For constant links of 0.5, 2, 10 and 50 Mbit/s, one step trace (10 -> 2 -> 25 -> 0.5
Mbit/s) and the first 8 s of a real Norway 3G trace, download a large file from a real
:class:`traces.origin.ShapedOrigin` on 127.0.0.1 with a plain aiohttp client, count the
bytes the client receives in each 1-s window (from its first byte on) and compare with
the trace's mean rate over the same window of link time. Prints each window's
delivered/expected ratio and the worst error; exits 1 if any window is off by more
than 10%. Runs in about 40 s.

    .venv/bin/python bench/origin_shaping.py [--windows N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import aiohttp
from _figures import figure, print_json

from traces import Trace, load_trace, trace_files
from traces.origin import ShapedOrigin

LIMIT = 0.10


async def measure(folder: Path, trace: Trace, windows: int) -> list[tuple[float, float]]:
    """(delivered, expected) bits/s for each 1-s window of one download."""
    async with ShapedOrigin(folder, trace=trace) as origin, aiohttp.ClientSession() as s:
        link = origin.link
        counts = [0] * windows
        start: float | None = None
        async with s.get(origin.url + "big.bin") as r:
            async for chunk in r.content.iter_any():
                now = link.now()  # the link's own clock: same process, same monotonic time
                if start is None:
                    start = now
                k = int(now - start)
                if k >= windows:
                    break
                counts[k] += len(chunk)
        assert start is not None
        return [
            (8.0 * c, trace.mean_rate_between(start + k, start + k + 1))
            for k, c in enumerate(counts)
        ]


async def main(windows: int, as_json: bool = False) -> int:
    # The last period outlasts the run so the trace's loop point is not measured.
    step = Trace.from_periods([2, 2, 2, 10], [10e6, 2e6, 25e6, 0.5e6], name="step")
    cases = [(f"{r / 1e6:g} Mbit/s", Trace.constant(r)) for r in (0.5e6, 2e6, 10e6, 50e6)]
    cases.append(("step 10/2/25/0.5", step))
    # A real trace (irregular sample spacing, rates moving every ~0.5-1 s).
    norway = load_trace(trace_files("norway-hsdpa-3g")[0])
    cases.append((f"real {norway.name}", norway))
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # Larger than 50 Mbit/s can move in the run, so every window is busy.
        (folder / "big.bin").write_bytes(os.urandom(50_000_000))
        print(f"{'link':>18}  per-window delivered/expected (1-s windows)        max err")
        for name, trace in cases:
            n = windows if name.endswith("Mbit/s") else 8
            rows = await measure(folder, trace, n)
            ratios = [d / e for d, e in rows]
            err = max(abs(x - 1) for x in ratios)
            worst = max(worst, err)
            cells = " ".join(f"{x:5.3f}" for x in ratios)
            print(f"{name:>18}  {cells}  {100 * err:5.1f}%")
    verdict = "OK" if worst <= LIMIT else "FAIL"
    print(f"load average during the run: {os.getloadavg()[0]:.1f} (2-core machine, shared)")
    print(f"worst window error {100 * worst:.1f}% (limit {100 * LIMIT:.0f}%): {verdict}")
    if as_json:
        how = (
            "worst |delivered/expected - 1| over 1-s windows seen by an aiohttp client, "
            "constant 0.5-50 Mbit/s, a 10/2/25/0.5 Mbit/s step and a real Norway 3G trace"
        )
        figs = [figure("origin shaping error (worst 1-s window)", round(100 * worst, 1), "%", how)]
        print_json(__file__, figs, ok=worst <= LIMIT)
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--windows", type=int, default=5, help="1-s windows per constant rate")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    cli = ap.parse_args()
    sys.exit(asyncio.run(main(cli.windows, cli.json)))
