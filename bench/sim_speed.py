"""Speed of the headless simulator: simulated seconds per wall second, side by side.

1. One session of Sabre's ``bbb.json`` (199 segments of 3 s, about 600 s of video, 10
   rungs) with ``bola`` over a real trace, through the Player's own engine, repeated;
   the median wall and CPU time per session. Three variants in one run: the ``sabre``
   model as shipped (in-flight downloads report progress every 0.5 s so BOLA-E may
   abandon them), the same without progress reports (no abandonment checks), and the
   ``pensieve`` model on Pensieve's 48-chunk video for scale.
2. Where the first variant's time goes: its engine calls (start, tick, progress,
   complete, as the simulator made them) recorded once and replayed on fresh engines,
   with ``bola`` and with a policy that always answers the same rung; the rest of a
   session is the simulator's link model and bookkeeping.
3. The compiled engine core against ``core.py`` (``ABRKIT_PURE_PYTHON=1``): the first
   variant in two processes of the working tree, runs interleaved (see ``setup.py``).
4. With ``--against REV`` (a git revision, e.g. ``HEAD~3``): the first variant at that
   revision and at the working tree, each in its own process, runs interleaved, so the
   speed-up is measured side by side under the same load.
5. A sweep of 500 sessions (the curated traces cycled, four policies) on 1 and on 2
   worker processes.

The machine is shared: CPU time (``time.process_time``) is printed next to wall time, and
every figure comes from this one run.

    .venv/bin/python bench/sim_speed.py [--repeat 21] [--sessions 500] [--against REV]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from _figures import figure, print_json

import abr.policies  # noqa: F401  (registers the policies)
import traces.sim.simulator as simulator_module
from abr import AbrContext, Decision, create_policy
from player.engine import COMPILED, PURE_PYTHON_ENV, Engine
from traces import trace_files
from traces.loaders import load_trace
from traces.sim import Simulator, get_model, load_video
from traces.sim.replay import NamedTrace
from traces.sim.sweep import sweep

ROOT = Path(__file__).resolve().parent.parent

DATASETS = ["fcc-2016", "norway-hsdpa-3g", "puffer-2022-02-18", "ghent-4g-lte"]


def one_session(repeat: int) -> list[tuple[str, float]]:
    bbb = load_video("bbb.json")
    trace = load_trace(trace_files("ghent-4g-lte")[0])
    variants = [
        ("sabre, abandonment checks every 0.5 s", bbb, get_model("sabre")),
        (
            "sabre, no progress reports",
            bbb,
            get_model("sabre").with_options(progress_interval_s=None),
        ),
        (
            "pensieve (48 x 4 s, 6 rungs)",
            load_video("pensieve-envivio-sizes.json"),
            get_model("pensieve"),
        ),
    ]
    core = "compiled (mypyc)" if COMPILED else "core.py (not compiled)"
    print(f"one session with bola over {trace.name} ({repeat} runs each, median); engine {core}")
    head = ("variant", "segs", "sim s", "wall ms", "cpu ms", "sim s / wall s")
    print(f"{head[0]:40} {head[1]:>5} {head[2]:>7} {head[3]:>8} {head[4]:>8} {head[5]:>15}")
    speeds: list[tuple[str, float]] = []
    for label, video, model in variants:
        sim = Simulator(video, model)
        sim.run(trace, "bola")  # warm up (imports, first-call caches)
        walls, cpus = [], []
        session = None
        for _ in range(repeat):
            w0, c0 = time.perf_counter(), time.process_time()
            session = sim.run(trace, "bola")
            cpus.append(time.process_time() - c0)
            walls.append(time.perf_counter() - w0)
        assert session is not None
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"{label:40} {len(session.segments):5d} {session.end_s:7.1f} {wall * 1e3:8.2f} "
            f"{cpu * 1e3:8.2f} {session.end_s / wall:15.0f}"
        )
        speeds.append((label, session.end_s / wall))
    return speeds


class _OneRung:
    """A policy that costs nothing: always rung 5, never abandons."""

    name = "one-rung"

    def choose(self, ctx: AbrContext) -> Decision:
        return Decision(min(5, len(ctx.ladder) - 1), "fixed")


class _RecordingEngine:
    """An :class:`Engine` that records the calls a simulator makes of it (a wrapper: a
    compiled engine class takes no patched methods)."""

    calls: ClassVar[list[tuple[str, tuple[Any, ...], dict[str, Any]]]] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._engine = Engine(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._engine, name)
        if name not in ("start", "tick", "progress", "complete"):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            return attr(*args, **kwargs)

        return call


def engine_alone(repeat: int) -> dict[str, float]:
    """Median CPU ms of the first variant's engine calls replayed on fresh engines."""
    bbb = load_video("bbb.json")
    trace = load_trace(trace_files("ghent-4g-lte")[0])
    sim = Simulator(bbb, get_model("sabre"))
    names = ("start", "tick", "progress", "complete")
    calls = _RecordingEngine.calls
    calls.clear()
    simulator_module.Engine = _RecordingEngine  # type: ignore[misc]
    try:
        sim.run(trace, "bola")
    finally:
        simulator_module.Engine = Engine  # type: ignore[misc]

    def replay(policy: Any) -> float:
        engine = Engine(
            sim._presentation, policy, sim.estimator(), sim.config, decodable=lambda _: True
        )
        c0 = time.process_time()
        for name, args, kwargs in calls:
            getattr(engine, name)(*args, **kwargs)
        return time.process_time() - c0

    out: dict[str, float] = {}
    makers: list[tuple[str, Callable[[], Any]]] = [
        ("bola", lambda: create_policy("bola")),
        ("one rung", _OneRung),
    ]
    for label, make in makers:
        replay(make())
        out[label] = statistics.median(replay(make()) for _ in range(repeat)) * 1e3
    counts = {n: sum(1 for c in calls if c[0] == n) for n in names}
    print(
        f"\nthe engine alone: the first variant's {len(calls)} engine calls "
        f"({counts['tick']} tick, {counts['progress']} progress, {counts['complete']} "
        f"complete) replayed on fresh engines (median CPU ms of {repeat})"
    )
    print(f"  with bola                          {out['bola']:8.2f}")
    print(f"  with a policy that costs nothing   {out['one rung']:8.2f}")
    return out


_AB_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[1])
import abr.policies  # noqa: F401
from traces import trace_files
from traces.loaders import load_trace
from traces.sim import Simulator, get_model, load_video
sim = Simulator(load_video("bbb.json"), get_model("sabre"))
trace = load_trace(trace_files("ghent-4g-lte")[0])
sim.run(trace, "bola")
for _ in sys.stdin:
    c0 = time.process_time()
    sim.run(trace, "bola")
    print(time.process_time() - c0, flush=True)
"""


def _interleaved(runs: dict[str, tuple[str, dict[str, str]]], repeat: int) -> dict[str, float]:
    """Median CPU ms of the first variant per ``label: (source tree, extra environment)``,
    each in its own process, the runs interleaved so they share the machine's load."""
    procs = {
        label: subprocess.Popen(
            [sys.executable, "-c", _AB_CHILD, tree],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        for label, (tree, env) in runs.items()
    }
    times: dict[str, list[float]] = {label: [] for label in runs}
    try:
        for _ in range(repeat):
            for label, p in procs.items():
                assert p.stdin is not None and p.stdout is not None
                p.stdin.write("\n")
                p.stdin.flush()
                times[label].append(float(p.stdout.readline()))
    finally:
        for p in procs.values():
            if p.stdin is not None:
                p.stdin.close()
            p.wait(timeout=60)
    return {label: statistics.median(ts) * 1e3 for label, ts in times.items()}


def compiled_vs_pure(repeat: int) -> tuple[float, float] | None:
    """The first variant on ``core.py`` and on the compiled core, interleaved."""
    if not COMPILED:
        print("\nthe engine core is not compiled here (see setup.py): no comparison")
        return None
    ms = _interleaved(
        {"pure": (str(ROOT), {PURE_PYTHON_ENV: "1"}), "compiled": (str(ROOT), {})}, repeat
    )
    print(
        f"\nthe first variant on core.py and on the compiled core, interleaved in two "
        f"processes (median CPU ms of {repeat}): {ms['pure']:.2f} -> {ms['compiled']:.2f}, "
        f"{ms['pure'] / ms['compiled']:.2f}x as fast"
    )
    return ms["pure"], ms["compiled"]


def against(rev: str, repeat: int) -> tuple[float, float]:
    """Median CPU ms of the first variant at ``rev`` and at the working tree, interleaved."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev], check=True, capture_output=True
        ).stdout
        old = Path(tmp) / "old"
        old.mkdir()
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(old, filter="data")
        # The old tree is a plain export with no build: its engine core runs as Python,
        # the working tree's as built (compiled unless ABRKIT_PURE_PYTHON=1 is set).
        ms = _interleaved({"old": (str(old), {}), "new": (str(ROOT), {})}, repeat)
    print(
        f"\nthe first variant at {rev} and now, interleaved in two processes "
        f"(median CPU ms of {repeat}): {ms['old']:.2f} -> {ms['new']:.2f}, "
        f"{ms['old'] / ms['new']:.2f}x as fast"
    )
    return ms["old"], ms["new"]


def many_sessions(n: int) -> dict[int, float]:
    video = load_video("bbb.json")
    files = [NamedTrace(ds, f) for ds in DATASETS for f in trace_files(ds)]
    policies = ["throughput", "bola", "hybrid", "bba"]
    count = -(-n // len(policies))
    named = [files[i % len(files)] for i in range(count)]
    total = count * len(policies)
    print(f"\nsweep of {total} sessions ({count} traces x {len(policies)} policies, bbb, sabre)")
    print(f"{'workers':>7} {'wall s':>8} {'sessions/s':>11} {'sim s / wall s':>15}")
    speeds: dict[int, float] = {}
    for jobs in (1, 2):
        w0 = time.perf_counter()
        rows = sweep(named, policies, video, "sabre", jobs=jobs)
        wall = time.perf_counter() - w0
        simulated = len(rows) * video.duration
        print(f"{jobs:7d} {wall:8.2f} {len(rows) / wall:11.1f} {simulated / wall:15.0f}")
        speeds[jobs] = simulated / wall
    return speeds


def calibration() -> None:
    """How fast plain Python runs here, to scale the figures to another machine."""
    best = min(_timed(lambda: sum(i * i for i in range(100_000))) for _ in range(5))
    print(f"machine: sum(i*i for i in range(100000)) takes {best * 1e3:.2f} ms here\n")


def _timed(fn: object) -> float:
    assert callable(fn)
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=21)
    ap.add_argument("--sessions", type=int, default=500)
    ap.add_argument(
        "--against", metavar="REV", help="also time the first variant at this git revision"
    )
    ap.add_argument("--json", action="store_true", help="print the figures as JSON (last line)")
    args = ap.parse_args()
    calibration()
    one = one_session(args.repeat)
    alone = engine_alone(args.repeat)
    accel = compiled_vs_pure(args.repeat)
    versus = against(args.against, args.repeat) if args.against else None
    many = many_sessions(args.sessions)
    if args.json:
        label, speed = one[0]
        figs = [
            figure(
                "simulation speed (one session)",
                round(speed),
                "simulated s / wall s",
                f"median of {args.repeat} runs: bola over a Ghent 4G trace, Sabre's bbb.json "
                f"(199 x 3 s, 10 rungs), {label}, through the Player's engine",
            ),
            figure(
                "simulation speed (sweep, 2 workers)",
                round(many[2]),
                "simulated s / wall s",
                f"{args.sessions} sessions (curated traces x 4 policies, bbb, sabre) on 2 "
                f"processes; {many[1]:.0f} on 1",
            ),
            figure(
                "engine alone (one session's calls)",
                round(alone["bola"], 2),
                "CPU ms",
                f"median of {args.repeat}: the first variant's engine calls replayed with "
                f"bola; {alone['one rung']:.2f} ms with a policy that costs nothing",
            ),
        ]
        if accel is not None:
            figs.append(
                figure(
                    "compiled engine core against core.py",
                    round(accel[0] / accel[1], 2),
                    "x",
                    f"median CPU ms of {args.repeat} interleaved runs of the first variant: "
                    f"{accel[0]:.2f} on core.py, {accel[1]:.2f} compiled (mypyc)",
                )
            )
        if versus is not None:
            figs.append(
                figure(
                    f"simulation speed-up since {args.against}",
                    round(versus[0] / versus[1], 2),
                    "x",
                    f"median CPU ms of {args.repeat} interleaved runs of the first variant: "
                    f"{versus[0]:.2f} at {args.against}, {versus[1]:.2f} now",
                )
            )
        print_json(__file__, figs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
