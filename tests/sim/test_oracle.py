"""The oracle: equal to exhaustive search on short sessions, never beaten by a policy.

Exhaustive search here plays every plan (one rung per segment) through the simulator,
i.e. the real engine, and keeps the best QoE; the oracle's dynamic programme must find
exactly that value. On longer sessions no registered policy may beat the oracle's value.
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import abr.policies  # noqa: F401  (registers the policies)
from traces.sim import SimModel, Simulator, VideoDescription, get_model, load_video
from traces.sim.oracle import ScriptedPolicy, evaluate_plan, oracle
from traces.trace import Trace

POLICIES = ["throughput", "bola", "hybrid", "bba", "mpc"]
SLOW = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _models() -> dict[str, SimModel]:
    return {
        "pensieve": get_model("pensieve"),
        "sabre": get_model("sabre"),
        "default": get_model("default"),
        # A small buffer so the goal holds requests back inside a short session.
        "tight": get_model("sabre").with_options(name="tight", buffer_s=5.0),
        "noisy": get_model("sabre").with_options(name="noisy", noise=0.3, seed=3),
    }


MODELS = _models()


@st.composite
def traces(draw: st.DrawFn, max_pieces: int = 8) -> Trace:
    n = draw(st.integers(1, max_pieces))
    durations = [draw(st.floats(0.3, 6.0)) for _ in range(n)]
    rates = [draw(st.just(0.0) | st.floats(1e3, 4e6)) for _ in range(n)]
    if max(rates[-1:]) < 2e5:
        rates[-1] = 2e5  # a link that delivers something, also as Pensieve reads it
    latency = draw(st.sampled_from([0.0, 0.05, 0.3]))
    return Trace.from_periods(durations, rates, latency_s=latency, name="drawn")


@st.composite
def videos(draw: st.DrawFn, segments: tuple[int, int], rungs: tuple[int, int]) -> VideoDescription:
    n = draw(st.integers(*segments))
    r = draw(st.integers(*rungs))
    dur = draw(st.sampled_from([1.0, 2.0, 4.0]))
    rate = draw(st.integers(150_000, 600_000))
    ladder = []
    for _ in range(r):
        ladder.append(rate)
        rate = int(rate * draw(st.floats(1.3, 2.5)))
    sizes = tuple(
        tuple(max(1, int(b * dur / 8 * draw(st.floats(0.6, 1.4)))) for b in ladder)
        for _ in range(n)
    )
    return VideoDescription("drawn", tuple(ladder), (dur,) * n, sizes)


def _exhaustive(video: VideoDescription, trace: Trace, model: SimModel) -> float:
    sim = Simulator(video, model)
    first = model.config.abr.first_quality
    best = -math.inf
    for plan in itertools.product(range(video.n_rungs), repeat=video.n_segments):
        if first is not None and plan[0] != min(first, video.n_rungs - 1):
            continue  # the engine fixes the first rung: these plans are duplicates
        session = sim.run(trace, ScriptedPolicy(plan))
        assert session.qualities == list(plan)
        got = session.summary.qoe_lin
        # The oracle's model of the session agrees with the engine, plan by plan.
        assert evaluate_plan(video, trace, plan, model) >= got - 1e-3
        best = max(best, got)
    return best


@SLOW
@given(
    video=videos(segments=(2, 5), rungs=(2, 3)),
    trace=traces(),
    model=st.sampled_from(["pensieve", "sabre", "tight", "noisy"]),
)
def test_oracle_equals_exhaustive_search(video: VideoDescription, trace: Trace, model: str) -> None:
    m = MODELS[model]
    best = oracle(video, trace, m)
    assert best.qoe == pytest.approx(_exhaustive(video, trace, m), abs=1e-3)
    # Its plan, played by the engine, reaches its value.
    replayed = Simulator(video, m).run(trace, ScriptedPolicy(best.qualities))
    assert replayed.summary.qoe_lin == pytest.approx(best.qoe, abs=1e-3)


@SLOW
@given(
    video=videos(segments=(6, 14), rungs=(3, 5)),
    trace=traces(max_pieces=12),
    model=st.sampled_from(sorted(MODELS)),
)
def test_no_policy_beats_the_oracle(video: VideoDescription, trace: Trace, model: str) -> None:
    m = MODELS[model]
    bound = oracle(video, trace, m).qoe
    sim = Simulator(video, m)
    for policy in POLICIES:
        qoe = sim.run(trace, policy).summary.qoe_lin
        assert qoe <= bound + 1e-3, (policy, qoe, bound)


def test_oracle_bounds_policies_on_a_real_trace() -> None:
    from traces import load_dataset

    video = load_video("pensieve-envivio-sizes.json").truncated(20)
    trace = load_dataset("norway-hsdpa-3g", limit=1)[0]
    best = oracle(video, trace, "pensieve")
    sim = Simulator(video, "pensieve")
    qoes = {p: sim.run(trace, p).summary.qoe_lin for p in POLICIES}
    assert all(q <= best.qoe + 1e-6 for q in qoes.values()), (qoes, best.qoe)
    replayed = sim.run(trace, ScriptedPolicy(best.qualities)).summary.qoe_lin
    assert replayed <= best.qoe + 1e-6
    assert best.qualities[0] == 1  # Pensieve's first chunk


def test_oracle_refuses_what_it_cannot_model() -> None:
    from player.errors import PlayerError

    video = VideoDescription(
        "v", (300_000, 900_000), (2.0,) * 3, ((75_000, 225_000),) * 3, (900, 900)
    )
    trace = Trace.constant(1e6)
    noisy = get_model("default").with_options(noise=0.2)
    with pytest.raises(PlayerError) as info:
        oracle(video, trace, noisy)
    assert info.value.code == 7002
    # Without init segments (or without noise) it is fine.
    assert oracle(video, trace, noisy.with_options(init_segments=False)).qoe > 0
    assert oracle(video, trace, "default").qoe > 0
