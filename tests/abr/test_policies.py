"""Known decisions for known contexts, derived independently from each algorithm."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings

import abr
from abr.interface import AbrContext, DownloadProgress, PlaybackState, Rung, ThroughputSample
from abr.policies import (
    BbaPolicy,
    BolaPolicy,
    HybridPolicy,
    InvalidContextError,
    MpcPolicy,
    ThroughputPolicy,
)
from abr.policies.bola import bola_parameters
from abr.policies.mpc import robust_forecast
from abr.testing import contexts, ladders

KBPS = [300, 750, 1200, 1850, 2850, 4300]
LADDER = tuple(Rung(i, b * 1000) for i, b in enumerate(KBPS))


def ctx(**kw: object) -> AbrContext:
    base: dict[str, object] = dict(
        now=100.0,
        ladder=LADDER,
        segment_duration=4.0,
        buffer_level=20.0,
        buffer_target=60.0,
        buffer_capacity=60.0,
        throughput_bps=2_000_000.0,
        state=PlaybackState.PLAYING,
        segment_number=10,
    )
    base.update(kw)
    return AbrContext(**base)  # type: ignore[arg-type]


def test_all_five_registered() -> None:
    assert {"throughput", "bola", "hybrid", "bba", "mpc"} <= set(abr.policy_names())
    for name in ("throughput", "bola", "hybrid", "bba", "mpc"):
        assert abr.create_policy(name).name == name
    with pytest.raises(abr.UnknownNameError):
        abr.create_policy("no-such-policy")


@pytest.mark.parametrize(
    "factory", [ThroughputPolicy, BolaPolicy, HybridPolicy, BbaPolicy, MpcPolicy]
)
def test_invalid_context_is_a_typed_error(factory: type) -> None:
    policy = factory()
    for bad in (
        ctx(ladder=()),
        ctx(buffer_level=float("nan")),
        ctx(segment_duration=0.0),
        ctx(ladder=(LADDER[1], LADDER[0])),
        ctx(last_quality=9),
        ctx(throughput_bps=-1.0),
    ):
        with pytest.raises(InvalidContextError):
            policy.choose(bad)


# --- throughput (dash.js ThroughputRule + InsufficientBufferRule + AbandonRequestsRule)


def test_throughput_rule_safety_factor_and_latency() -> None:
    p = ThroughputPolicy()
    # 0.9 x 2.0 Mbit/s = 1.8 Mbit/s: 1200 fits, 1850 does not.
    assert p.choose(ctx(throughput_bps=2_000_000.0)).quality == 2
    # 0.9 x 2.1 = 1.89 Mbit/s: 1850 fits ...
    assert p.choose(ctx(throughput_bps=2_100_000.0)).quality == 3
    # ... unless 0.4 s of each 4 s goes to latency: 1.89 x 0.9 = 1.70 Mbit/s.
    assert p.choose(ctx(throughput_bps=2_100_000.0, latency_s=0.4)).quality == 2
    # A latency longer than a segment leaves rung 0.
    assert p.choose(ctx(throughput_bps=9e9, latency_s=5.0)).quality == 0


def test_insufficient_buffer_cap() -> None:
    p = ThroughputPolicy()
    # Rule: 0.9 x 4 Mbit/s = 3.6 -> 2850. Cap: 4 Mbit/s x (4 s / 4 s) x 0.5 = 2 -> 1850.
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=4.0)).quality == 3
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=40.0)).quality == 4
    # Ignored for the first two segments and during startup; rung 0 while stalled.
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=4.0, segment_number=1)).quality == 4
    assert (
        p.choose(ctx(throughput_bps=4e6, buffer_level=0.0, state=PlaybackState.STALLED)).quality
        == 0
    )


def test_throughput_hysteresis_as_shaka() -> None:
    p = ThroughputPolicy()
    # Playing 1200: climbing to 1850 needs 1850 / 0.85 = 2.18 Mbit/s of estimate ...
    assert p.choose(ctx(throughput_bps=2_100_000.0, last_quality=2)).quality == 2
    assert p.choose(ctx(throughput_bps=2_200_000.0, last_quality=2)).quality == 3
    # ... and 1850 is kept down to 1850 / 0.95 = 1.95 Mbit/s, where dash.js's 0.9 alone
    # would already step down.
    assert p.choose(ctx(throughput_bps=2_000_000.0, last_quality=3)).quality == 3
    # Below that, down to dash.js's rung: 0.9 x 1.9 = 1.71 Mbit/s -> 1200.
    assert p.choose(ctx(throughput_bps=1_900_000.0, last_quality=3)).quality == 2
    # A big drop lands where the safety factor says, not one rung down.
    assert p.choose(ctx(throughput_bps=700_000.0, last_quality=5)).quality == 0


def test_throughput_dash_js_rules_alone() -> None:
    dash = ThroughputPolicy(upgrade_target=0.9, downgrade_target=0.9, hold_buffer_share=0.5)
    for tp in (500e3, 1.3e6, 2.0e6, 2.1e6, 4e6, 9e6):
        for last in range(len(LADDER)):
            c = ctx(throughput_bps=tp, last_quality=last)
            assert (
                dash.choose(c).quality == ThroughputPolicy().choose(ctx(throughput_bps=tp)).quality
            )
    with pytest.raises(ValueError):
        ThroughputPolicy(upgrade_target=0.95)  # above the safety factor: no hysteresis band


def test_insufficient_buffer_cap_holds_the_rung_playing() -> None:
    p = ThroughputPolicy()
    # 4 s buffered at 4 Mbit/s: the cap for a climb is 2 Mbit/s (1850), but 2850 playing
    # is kept while its download takes at most 3/4 of the buffer (3 Mbit/s x 4 s / 4 s).
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=4.0, last_quality=4)).quality == 4
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=4.0, last_quality=2)).quality == 3
    # At 3 s it takes more than 3/4: down to the cap (4 x 3 / 4 x 0.5 = 1.5 -> 1200).
    assert p.choose(ctx(throughput_bps=4e6, buffer_level=3.0, last_quality=4)).quality == 2


def test_throughput_abandonment() -> None:
    p = ThroughputPolicy()
    c = ctx(throughput_bps=4e6)
    total = 2_850_000 * 4 // 8
    slow = DownloadProgress(4, 100_000, total, 2.0, 4.0)  # 400 kbit/s: 28.5 s in all
    assert p.should_abandon(c, slow) == 0  # 0.9 x 400 kbit/s -> 300 kbit/s rung
    assert p.should_abandon(c, DownloadProgress(4, 10_000, total, 0.3, 4.0)) is None  # grace
    assert p.should_abandon(c, DownloadProgress(4, 1_000_000, total, 2.0, 4.0)) is None  # on time
    assert p.should_abandon(c, DownloadProgress(0, 1_000, 150_000, 5.0, 4.0)) is None  # lowest


# --- bola (BOLA-E as dash.js)


def test_bola_parameters_as_dash_js() -> None:
    params = bola_parameters(LADDER, 12.0)
    assert params is not None
    u = [math.log(b / KBPS[0]) + 1 for b in KBPS]
    buffer_time = 10 + 2 * 6  # max(stableBufferTime 12, 10 + 2 x rungs)
    gp = (u[-1] - 1) / (buffer_time / 10 - 1)
    vp = 10 / gp
    assert params.gp == pytest.approx(gp)
    assert params.vp == pytest.approx(vp)
    for b10 in range(0, 400):
        buffer = b10 / 10
        scores = [(vp * (u[i] + gp) - buffer) / (KBPS[i] * 1000) for i in range(6)]
        best = max(i for i in range(6) if scores[i] == max(scores))
        assert params.quality_for_buffer(buffer) == best
    # Utilities are built so that rung 0 is preferred up to 10 s ...
    assert params.quality_for_buffer(9.9) == 0
    # ... and the top rung at the buffer target.
    assert params.quality_for_buffer(buffer_time) == 5
    assert bola_parameters((Rung(0, 1000),), 12.0) is None


def test_bola_startup_then_steady() -> None:
    p = BolaPolicy()
    # Startup: the throughput rung (0.9 x 2 Mbit/s -> 1200).
    first = ctx(state=PlaybackState.STARTUP, segment_number=0, buffer_level=0.0, buffer_target=12.0)
    assert p.choose(first).quality == 2
    # A segment later with 4 s buffered: still the throughput rung, now steady next time.
    s = ThroughputSample(600_000, 2.4, 102.4)
    second = ctx(
        now=102.4,
        segment_number=1,
        buffer_level=4.0,
        buffer_target=12.0,
        samples=(s,),
        last_quality=2,
    )
    assert p.choose(second).quality == 2
    params = bola_parameters(LADDER, 12.0)
    assert params is not None
    # Steady with no placeholder left to matter and a deep buffer: BOLA's own choice,
    # capped by BOLA-O at the throughput rung (0.9 x 2 Mbit/s -> rung 2) above the last.
    s2 = ThroughputSample(600_000, 2.4, 104.8)
    third = ctx(
        now=104.8,
        segment_number=2,
        buffer_level=30.0,
        buffer_target=12.0,
        samples=(s, s2),
        last_quality=2,
    )
    assert p.choose(third).quality == 2
    # With a fast link BOLA-O does not bind and the deep buffer gives the top rung.
    fast = ctx(
        now=104.8,
        segment_number=2,
        buffer_level=30.0,
        buffer_target=12.0,
        samples=(s, s2),
        last_quality=2,
        throughput_bps=50e6,
    )
    assert p.choose(fast).quality == params.quality_for_buffer(30.0) == 5


def test_bola_abandons_a_hopeless_download() -> None:
    p = BolaPolicy()
    c = ctx(buffer_level=3.0, buffer_target=12.0)
    p.choose(c)
    total = 4_300_000 * 4 // 8
    assert p.should_abandon(c, DownloadProgress(5, 50_000, total, 4.0, 4.0)) is not None
    assert p.should_abandon(c, DownloadProgress(5, total - 1000, total, 4.0, 4.0)) is None


# --- bba (BBA-0)


def test_bba0_rate_map_and_hysteresis() -> None:
    p = BbaPolicy(safe_area=False)  # the paper's BBA-0 map alone
    assert p.choose(ctx(buffer_level=3.0, last_quality=4)).quality == 0  # reservoir
    assert p.choose(ctx(buffer_level=16.0, last_quality=0)).quality == 5  # past the cushion
    # f(10 s) = 300 + 4000 x 5/10 = 2300 kbit/s.
    assert p.choose(ctx(buffer_level=10.0, last_quality=0)).quality == 3  # up: max R < f
    assert p.choose(ctx(buffer_level=10.0, last_quality=3)).quality == 3  # R- < f < R+: hold
    assert p.choose(ctx(buffer_level=10.0, last_quality=5)).quality == 4  # down: min R > f


def test_bba_safe_area() -> None:
    p = BbaPolicy()
    # Holding 1850 kbit/s at 10 s would need 1850 x 4 / 300 = 24.7 s: down to 750.
    assert p.choose(ctx(buffer_level=10.0, last_quality=3)).quality == 1
    # Stepping up needs 2 segments of room: at 11 s only 300 x (11 - 8) / 4 = 225 -> hold 0.
    assert p.choose(ctx(buffer_level=11.0, last_quality=0)).quality == 0


# --- mpc (robustMPC as Pensieve)


def test_robust_forecast_by_hand() -> None:
    hm, err = robust_forecast([1e6, 2e6])
    assert hm == pytest.approx(2 / (1 / 1e6 + 1 / 2e6))
    assert err == pytest.approx(0.5)  # forecast 1 Mbit/s, actual 2: |1 - 2| / 2


def _pensieve_mpc(c: AbrContext) -> int:
    """Pensieve's mpc.py loop, transcribed: all combinations, >= keeps the last best."""
    bps = [s.bps for s in c.samples if s.bps > 0]
    past = bps[-5:]
    harmonic = 1.0 / (sum(1.0 / v for v in past) / len(past))
    errors = [0.0] + [
        abs(
            1.0 / (sum(1.0 / v for v in bps[max(0, j - 5) : j]) / len(bps[max(0, j - 5) : j]))
            - bps[j]
        )
        / bps[j]
        for j in range(1, len(bps))
    ]
    future = harmonic / (1 + max(errors[-5:]))
    horizon = min(5, c.segments_left or 5)
    rates = [r.bitrate_bps for r in c.ladder]
    last = c.last_quality or 0
    best, best_combo = -1e18, None
    for combo in itertools.product(range(len(rates)), repeat=horizon):
        buf, rebuf, total, smooth, prev = c.buffer_level, 0.0, 0.0, 0.0, last
        for q in combo:
            t = rates[q] * c.segment_duration / future
            if buf < t:
                rebuf += t - buf
                buf = 0.0
            else:
                buf -= t
            buf += c.segment_duration
            total += rates[q]
            smooth += abs(rates[q] - rates[prev])
            prev = q
        reward = total / 1e6 - 4.3 * rebuf - smooth / 1e6
        if reward >= best:
            best, best_combo = reward, combo
    assert best_combo is not None
    return best_combo[0]


@settings(max_examples=25, deadline=None)
@given(contexts(ladders(min_rungs=2, max_rungs=5)))
def test_mpc_matches_pensieve_loop(c: AbrContext) -> None:
    if not any(s.bps > 0 for s in c.samples):
        return
    c = AbrContext(
        **{
            **{
                f: getattr(c, f)
                for f in (
                    "now",
                    "ladder",
                    "segment_duration",
                    "buffer_level",
                    "buffer_target",
                    "buffer_capacity",
                    "throughput_bps",
                    "latency_s",
                    "samples",
                    "last_quality",
                    "state",
                    "segment_number",
                    "segments_left",
                    "rebuffer_s",
                )
            },
            "next_sizes": None,
        }
    )
    assert MpcPolicy().choose(c).quality == _pensieve_mpc(c)


# --- hybrid


def test_hybrid_startup_is_throughput_led() -> None:
    p = HybridPolicy()
    c = ctx(state=PlaybackState.STARTUP, segment_number=0, buffer_level=0.0)
    assert p.choose(c).quality == 2  # 0.9 x 2 Mbit/s -> 1200


def test_hybrid_does_not_step_up_on_a_thin_buffer() -> None:
    p = HybridPolicy()
    slow = tuple(ThroughputSample(500_000, 1.0, 90.0 + i) for i in range(3))  # 4 Mbit/s
    c = ctx(buffer_level=3.0, last_quality=1, throughput_bps=10e6, samples=slow)
    assert p.choose(c).quality == 1  # under 5 s buffered, 4 Mbit/s is not 1.5 x 4.3
    fast = tuple(ThroughputSample(2_000_000, 1.0, 90.0 + i) for i in range(3))  # 16 Mbit/s
    c2 = ctx(buffer_level=3.0, last_quality=1, throughput_bps=10e6, samples=fast)
    assert HybridPolicy().choose(c2).quality == 5


def test_hybrid_quick_downgrade_when_buffer_at_risk() -> None:
    # 2 s left, 1 Mbit/s: only a segment under 250 kB arrives in time (rung 0).
    c = ctx(buffer_level=2.0, last_quality=5, throughput_bps=1e6)
    assert HybridPolicy().choose(c).quality == 0


def test_hybrid_holds_instead_of_stepping_down_on_a_deep_buffer() -> None:
    # 1.5 Mbit/s would say 1200 (rung 2), but 20 s are buffered and 1850 still arrives.
    c = ctx(buffer_level=20.0, last_quality=3, throughput_bps=1.5e6)
    assert HybridPolicy().choose(c).quality == 3
