"""A replay agrees with an independent recomputation from its own decision log.

The simulator drives the real engine; these tests recompute every segment's request and
completion time, the buffer before and after it and its rebuffering from nothing but the
session's rungs and the raw trace file, with a few lines of plain code:

- for ``pensieve``, a literal port of the chunk loop of Pensieve's ``sim/fixed_env.py``
  reading the two-column file itself (its own trace walk, 0.95 payload, 80 ms RTT, 60 s
  cap with 500 ms sleeps);
- for ``sabre`` (without abandonment), latency then bytes through the trace periods
  stepped one by one, playback from the first segment, fetching once a segment fits
  under 25 s.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import abr.policies  # noqa: F401  (registers the policies)
from traces import trace_files
from traces.loaders import load_trace
from traces.sim import Session, Simulator, get_model, load_video

TOL = 1e-6


def _raw(path: Path) -> tuple[list[float], list[float]]:
    rows = np.loadtxt(path)
    return rows[:, 0].tolist(), rows[:, 1].tolist()


def _fixed_env(path: Path, sizes: list[list[int]], qualities: list[int]) -> list[dict[str, float]]:
    """Pensieve's fixed_env.get_video_chunk, chunk by chunk (times in seconds)."""
    cooked_time, cooked_bw = _raw(path)
    ptr, last_time = 1, cooked_time[0]
    buffer, clock = 0.0, 0.0
    out = []
    for k, q in enumerate(qualities):
        size = sizes[k][q]
        delay, sent = 0.0, 0.0
        while True:
            throughput = cooked_bw[ptr] * 1e6 / 8.0
            duration = cooked_time[ptr] - last_time
            payload = throughput * duration * 0.95
            if sent + payload > size:
                frac = (size - sent) / throughput / 0.95
                delay += frac
                last_time += frac
                break
            sent += payload
            delay += duration
            last_time = cooked_time[ptr]
            ptr += 1
            if ptr >= len(cooked_bw):
                ptr, last_time = 1, 0.0
        delay += 0.08
        rebuf = max(delay - buffer, 0.0)
        row = {"request": clock, "before": buffer, "rebuffer": rebuf}
        buffer = max(buffer - delay, 0.0) + 4.0
        clock += delay
        row.update(complete=clock, after=buffer)
        if buffer > 60.0:
            sleep = math.ceil((buffer - 60.0) / 0.5) * 0.5
            buffer -= sleep
            clock += sleep
            while True:
                duration = cooked_time[ptr] - last_time
                if duration > sleep:
                    last_time += sleep
                    break
                sleep -= duration
                last_time = cooked_time[ptr]
                ptr += 1
                if ptr >= len(cooked_bw):
                    ptr, last_time = 1, 0.0
        out.append(row)
    return out


def _compare(session: Session, expected: list[dict[str, float]], tol: float = TOL) -> None:
    assert len(session.segments) == len(expected)
    for seg, row in zip(session.segments, expected, strict=True):
        where = f"segment {seg.index}"
        assert seg.request_s == pytest.approx(row["request"], abs=tol), where
        assert seg.complete_s == pytest.approx(row["complete"], abs=tol), where
        assert seg.buffer_before_s == pytest.approx(row["before"], abs=tol), where
        assert seg.buffer_after_s == pytest.approx(row["after"], abs=tol), where
        assert seg.rebuffer_s == pytest.approx(row["rebuffer"], abs=tol), where


@pytest.mark.parametrize("dataset", ["fcc-2016", "norway-hsdpa-3g"])
@pytest.mark.parametrize("policy", ["mpc", "bola", "throughput"])
def test_pensieve_replay_matches_fixed_env(dataset: str, policy: str) -> None:
    video = load_video("pensieve-envivio-sizes.json")
    sim = Simulator(video, "pensieve")
    files = trace_files(dataset)
    slept = stalled = 0
    for path in files[::4]:
        session = sim.run(load_trace(path), policy)
        qualities = session.qualities
        assert qualities[0] == 1  # Pensieve's DEFAULT_QUALITY
        sizes = [list(row) for row in video.sizes]
        expected = _fixed_env(path, sizes, qualities)
        _compare(session, expected)
        slept += any(r["after"] > 60 for r in expected)
        stalled += any(r["rebuffer"] > 0 for r in expected[1:])
    # The recomputation covered at least one of Pensieve's special cases.
    assert slept or stalled


def test_pensieve_sleeps_and_stalls_match_fixed_env(tmp_path: Path) -> None:
    """A made-up trace that fills the 60 s buffer, then drops out: sleeps and stalls."""
    path = tmp_path / "fast-then-outage"
    rows = [(i * 0.5, 9.0 if i < 150 else (0.02 if i < 420 else 3.0)) for i in range(600)]
    path.write_text("".join(f"{t}\t{b}\n" for t, b in rows))
    video = load_video("pensieve-envivio-sizes.json")
    sim = Simulator(video, "pensieve")
    for policy in ("mpc", "bola", "bba"):
        session = sim.run(load_trace(path, unit="Mbit/s"), policy)
        expected = _fixed_env(path, [list(r) for r in video.sizes], session.qualities)
        _compare(session, expected)
        assert any(r["after"] > 60 for r in expected), policy
        assert session.summary.rebuffer_s > 0, policy


def _sabre_recompute(
    starts: list[float],
    rates: list[float],
    latencies: list[float],
    period_end: float,
    durations: list[float],
    sizes: list[list[int]],
    qualities: list[int],
    buffer_s: float,
) -> list[dict[str, float]]:
    def rate_at(t: float) -> tuple[float, float, float]:
        """(rate, latency, end of its period) at trace time t, looping."""
        loops = math.floor(t / period_end)
        r = t - loops * period_end
        i = max(j for j, s in enumerate(starts) if s <= r)
        end = starts[i + 1] if i + 1 < len(starts) else period_end
        return rates[i], latencies[i], loops * period_end + end

    clock, level, playing = 0.0, 0.0, False
    out = []
    for k, q in enumerate(qualities):
        # Fetch once the segment fits under the buffer size (Sabre's rule).
        wait = max(0.0, level + durations[k] - buffer_s) if playing else 0.0
        clock += wait
        level -= wait
        row = {"request": clock, "before": level}
        _, latency, _ = rate_at(clock)
        t = clock + latency
        left = sizes[k][q] * 8.0
        while True:
            rate, _, end = rate_at(t)
            if rate * (end - t) >= left and rate > 0:
                t += left / rate
                break
            left -= rate * (end - t)
            t = end
        delay = t - clock
        stall = max(0.0, delay - level) if playing else 0.0
        row["rebuffer"] = stall if k > 0 else delay
        level = max(0.0, level - delay) + durations[k] if playing else level + durations[k]
        playing = True
        clock = t
        row.update(complete=clock, after=level)
        out.append(row)
    return out


@pytest.mark.parametrize("policy", ["bola", "throughput", "hybrid"])
def test_sabre_replay_matches_plain_recomputation(policy: str) -> None:
    video = load_video("bbb.json").truncated(60)
    model = get_model("sabre").with_options(progress_interval_s=None)
    sim = Simulator(video, model)
    for path in trace_files("ghent-4g-lte")[:2] + trace_files("fcc-2016")[:1]:
        trace = load_trace(path)
        session = sim.run(trace, policy)
        expected = _sabre_recompute(
            trace.starts.tolist(),
            trace.rates_bps.tolist(),
            trace.latencies_s.tolist(),
            trace.duration,
            list(video.segment_durations),
            [list(r) for r in video.sizes],
            session.qualities,
            25.0,
        )
        # The engine wakes 1 us after the buffer drops under its goal (its time
        # tolerance); over a session those microseconds add up to well under 0.1 ms.
        _compare(session, expected, tol=1e-4)


def test_a_link_too_slow_for_the_title_is_a_typed_error() -> None:
    from player.errors import PlayerError
    from traces.trace import Trace

    video = load_video("bbb.json").truncated(10)
    model = get_model("sabre").with_options(max_session_s=600.0)
    trace = Trace.from_periods([1.0, 100.0], [1_000.0, 0.0], name="dial-up")
    with pytest.raises(PlayerError) as info:
        Simulator(video, model).run(trace, "bola")
    assert info.value.code == 7002
    assert "did not end" in info.value.message
