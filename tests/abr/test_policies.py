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
from traces.testing import EngineSessionRunner

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
    """Pensieve's mpc.py loop, transcribed: all combinations, >= keeps the last best.

    Rewards are compared as real numbers: two combinations whose rewards differ only by
    float rounding (the order of additions differs from MpcPolicy's numpy sums) tie, and
    the tie goes to the one enumerated last, as Pensieve's ``>=`` resolves equal rewards.
    """
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
    scored: list[tuple[float, tuple[int, ...]]] = []
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
        scored.append((total / 1e6 - 4.3 * rebuf - smooth / 1e6, combo))
    best = max(reward for reward, _ in scored)
    tied = [combo for reward, combo in scored if reward >= best - 1e-9 * max(1.0, abs(best))]
    return tied[-1][0]


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
    assert MpcPolicy.pensieve().choose(c).quality == _pensieve_mpc(c)


def test_mpc_exact_tie_goes_to_the_last_enumerated() -> None:
    # Found by hypothesis: 150 kbit/s measured, 1 s buffered, one 1 s segment left.
    # Rung 0 scores 0.1; rung 1 scores 0.15 - 0.05 (its switch) = 0.1 too, though the
    # float sums differ in the last bit depending on their order. A real tie: Pensieve's
    # >= keeps the combination enumerated last, rung 1.
    ladder = (Rung(0, 100_000), Rung(1, 150_000))
    c = ctx(
        now=0.0,
        ladder=ladder,
        segment_duration=1.0,
        buffer_level=1.0,
        throughput_bps=None,
        samples=(ThroughputSample(18_750, 1.0, 0.0),),
        last_quality=None,
        state=PlaybackState.STARTUP,
        segment_number=0,
        segments_left=1,
    )
    assert _pensieve_mpc(c) == 1
    assert MpcPolicy.pensieve().choose(c).quality == 1


def _samples(bps: float, sizes: list[int], latency: float = 0.0) -> tuple[ThroughputSample, ...]:
    """Downloads over a constant link: ``latency`` to first byte, then ``bps``."""
    out: list[ThroughputSample] = []
    end = 100.0
    for n in sizes:
        seconds = latency + n * 8 / bps
        end += seconds
        out.append(ThroughputSample(n, seconds, end, latency))
    return tuple(out)


def test_mpc_measures_throughput_net_of_latency() -> None:
    # 1 Mbit/s behind a 200 ms time to first byte, segments of mixed sizes: Pensieve's
    # bytes / request time makes small segments look slow, so its robust error is
    # never 0 and the forecast sinks; net of the latency every sample is 1 Mbit/s.
    c = ctx(
        samples=_samples(1e6, [50_000, 500_000, 100_000, 1_000_000, 200_000, 400_000], 0.2),
        latency_s=0.2,
    )
    assert MpcPolicy().forecast_bps(c) == pytest.approx(1e6)
    pensieve = MpcPolicy.pensieve().forecast_bps(c)
    assert pensieve is not None and pensieve < 0.8e6


def test_mpc_does_not_start_a_download_it_expects_to_stall_on() -> None:
    # The last segment, 4.18 s buffered at a steady 173.9 kbit/s: the top rung takes
    # 4.2 s. Pensieve's MPC trades those 20 ms of stall for the rung; ours steps down.
    ladder = (Rung(0, 100_000), Rung(1, 114_999), Rung(2, 182_605))
    c = ctx(
        ladder=ladder,
        buffer_level=4.18,
        throughput_bps=173_912.0,
        samples=_samples(173_912.0, [91_302] * 6),
        last_quality=2,
        segments_left=1,
    )
    assert MpcPolicy.pensieve().choose(c).quality == 2
    assert MpcPolicy().choose(c).quality == 1


def test_mpc_does_not_dip_to_fit_more_top_segments_in_its_window() -> None:
    # Constant 150 kbit/s between rungs 1 and 2, 5.75 s buffered: Pensieve's MPC plans
    # 0 2 2 2 2 (a dip now banks time for one more top segment in the window) and
    # cycles 2 1 0 1 2 ...; ours holds rung 1.
    ladder = (Rung(0, 100_000), Rung(1, 118_750), Rung(2, 178_125))
    c = ctx(
        ladder=ladder,
        buffer_level=5.75,
        throughput_bps=150_000.0,
        samples=_samples(150_000.0, [89_062] * 4 + [59_375] * 2),
        last_quality=1,
        segments_left=28,
    )
    assert MpcPolicy.pensieve().choose(c).quality == 0
    assert MpcPolicy().choose(c).quality == 1


def test_mpc_rebuffer_penalty_scales_with_the_ladder() -> None:
    # A 10/30/90 Mbit/s ladder over 50 Mbit/s: at Pensieve's fixed 4.3 per second a
    # stall costs less than the top rung gains, so its MPC stalls on purpose.
    # The real engine in Pensieve's simulator model (0.95 payload, 80 ms RTT, 60 s cap).
    ladder = (Rung(0, 10_000_000), Rung(1, 30_000_000), Rung(2, 90_000_000))
    runner = EngineSessionRunner("pensieve")

    def stalled(policy: MpcPolicy) -> float:
        records = runner.run(policy, [(1000.0, 50e6)], ladder, 4.0, 20)
        return sum(r.rebuffer_s for r in records[1:])

    assert stalled(MpcPolicy.pensieve()) > 10.0
    assert stalled(MpcPolicy()) == 0.0


def test_mpc_pensieve_is_the_baseline() -> None:
    p = MpcPolicy.pensieve()
    assert (p.rebuffer_penalty, p.latency_aware, p.stall_guard, p.dips, p.up_factor) == (
        4.3,
        False,
        False,
        True,
        1.0,
    )
    with pytest.raises(ValueError):
        MpcPolicy(up_factor=0.0)


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


def test_hybrid_does_not_hold_a_rung_the_buffer_cannot_carry() -> None:
    # 14.2 s buffered, but 1850 kbit/s at 679 kbit/s takes 10.9 s: holding would leave
    # under a segment's worth. Down to the throughput rung (0.9 x 679 -> 300).
    c = ctx(buffer_level=14.2, last_quality=3, throughput_bps=679_000.0)
    assert HybridPolicy().choose(c).quality == 0


def test_hybrid_spends_the_buffer_at_the_end_of_the_title() -> None:
    # 20 s buffered, 3 segments left, 0.9 x 2 Mbit/s: at 2850 each takes 6.3 s and the
    # buffer never falls under 9 s; at 4300 (9.6 s each) it would run down to -0.7 s.
    end = ctx(buffer_level=20.0, last_quality=3, throughput_bps=2e6, segments_left=3)
    assert HybridPolicy().choose(end).quality == 4
    # Mid-title (or live) the same buffer just holds the rung.
    assert HybridPolicy().choose(ctx(buffer_level=20.0, last_quality=3)).quality == 3
