"""The oracle: equal to exhaustive search on short sessions, never beaten by a policy.

Exhaustive search here plays every plan through the simulator, i.e. the real engine, and
keeps the best QoE; the oracle's dynamic programme must find that value, to
``qoe_tolerance`` (the engine's 1 us time tolerance at 4.3 per second of rebuffering, per
segment). Where the model lets a policy abandon downloads, a plan also says which
downloads to give up, at which progress report, for which lower rung, and the search
tries every one the engine allows. On longer sessions no registered policy, nor a policy
abandoning at random, may beat the oracle's value.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import math
import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import abr.policies  # noqa: F401  (registers the policies)
from abr.interface import AbrContext, Decision, DownloadProgress
from player.errors import Code, PlayerError
from traces.sim import PolicySpec, SimModel, Simulator, VideoDescription, get_model, load_video
from traces.sim.oracle import GivenUp, ScriptedPolicy, evaluate_plan, oracle, qoe_tolerance
from traces.trace import Trace

POLICIES = ["throughput", "bola", "hybrid", "bba", "mpc"]
SLOW = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _models() -> dict[str, SimModel]:
    sabre = get_model("sabre")
    return {
        "pensieve": get_model("pensieve"),
        "sabre": sabre,
        "default": get_model("default"),
        # A small buffer so the goal holds requests back inside a short session.
        "tight": sabre.with_options(name="tight", buffer_s=5.0),
        # Per-request noise with abandonment would let a policy redraw a segment's noise
        # by abandoning it (the oracle refuses that model): no progress reports here.
        "noisy": sabre.with_options(name="noisy", noise=0.3, seed=3, progress_interval_s=None),
        # Init segments before each new rung; they take time in startup.
        "init": sabre.with_options(name="init", init_segments=True),
    }


MODELS = _models()
#: The same rules without abandonment: exhaustive search over rungs alone.
NO_ABANDON = {
    name: m.with_options(progress_interval_s=None)
    for name, m in MODELS.items()
    if name in ("pensieve", "sabre", "tight", "noisy", "init")
}
#: Abandonment with a progress report a second, so exhaustive search stays small.
ABANDON = {
    name: MODELS[name].with_options(progress_interval_s=1.0) for name in ("sabre", "tight", "init")
}


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
def videos(
    draw: st.DrawFn, segments: tuple[int, int], rungs: tuple[int, int], inits: bool = False
) -> VideoDescription:
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
    init_sizes = tuple(draw(st.integers(500, 40_000)) for _ in ladder) if inits else None
    return VideoDescription("drawn", tuple(ladder), (dur,) * n, sizes, init_sizes)


def _run(sim: Simulator, trace: Trace, policy: PolicySpec) -> float | None:
    """A session's QoE; None when the simulator gave up on it (a link far too slow for
    what the policy fetched: a typed error, and no session to compare)."""
    try:
        return sim.run(trace, policy).summary.qoe_lin
    except PlayerError as exc:
        assert exc.code == Code.INVALID_ARGUMENT and "did not end" in exc.message, exc
        return None


class _Counting(ScriptedPolicy):
    """A scripted plan that also counts the progress reports each download got."""

    def __init__(self, qualities: list[int], abandoned: list[GivenUp]) -> None:
        super().__init__(qualities, abandoned=abandoned)
        self.seen: dict[tuple[int, int], int] = {}
        self._inner = self.should_abandon
        self.should_abandon = self._count

    def _count(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        key = (ctx.segment_number, progress.quality)
        self.seen[key] = self.seen.get(key, 0) + 1
        return None if self._inner is None else self._inner(ctx, progress)


def _exact(video: VideoDescription, model: SimModel) -> bool:
    """Whether the oracle models ``model`` exactly: not where init segments are fetched
    after startup (free to the oracle: a relaxation)."""
    return video.init_sizes is None or not model.init_segments


def _check_model(
    video: VideoDescription,
    trace: Trace,
    model: SimModel,
    got: float,
    plan: list[int],
    abandoned: list[GivenUp] | None = None,
) -> None:
    """The oracle's model of a plan agrees with the engine playing it (exactly, but for
    the engine's 1 us tolerances), or bounds it where the model is a relaxation."""
    modelled = evaluate_plan(video, trace, plan, model, abandoned=abandoned)
    tol = qoe_tolerance(video.n_segments)
    assert modelled >= got - tol, (plan, abandoned, modelled, got)
    if _exact(video, model):
        assert modelled <= got + tol, (plan, abandoned, modelled, got)


def _exhaustive(video: VideoDescription, trace: Trace, model: SimModel) -> float:
    """The best QoE of all rung plans, each played by the engine."""
    sim = Simulator(video, model)
    first = model.config.abr.first_quality
    best = -math.inf
    for plan in itertools.product(range(video.n_rungs), repeat=video.n_segments):
        if first is not None and plan[0] != min(first, video.n_rungs - 1):
            continue  # the engine fixes the first rung: these plans are duplicates
        session = sim.run(trace, ScriptedPolicy(plan))
        assert session.qualities == list(plan)
        _check_model(video, trace, model, session.summary.qoe_lin, list(plan))
        best = max(best, session.summary.qoe_lin)
    return best


def _exhaustive_abandoning(
    video: VideoDescription, trace: Trace, model: SimModel, budget: int
) -> float:
    """The best QoE of all plans with abandonments, each played by the engine: depth
    first over segments, each download kept or given up at any progress report it got,
    for any lower rung."""
    sim = Simulator(video, model)
    n, rungs = video.n_segments, video.n_rungs
    first = model.config.abr.first_quality
    runs = 0
    best = -math.inf

    def walk(k: int, plan: list[int], given: list[GivenUp]) -> None:
        nonlocal runs, best
        starts = range(rungs) if k > 0 or first is None else [min(first, rungs - 1)]
        todo: list[tuple[GivenUp, int]] = [((), q) for q in starts]
        while todo:
            chain, q = todo.pop()
            runs += 1
            assume(runs <= budget)  # too many plans to play: draw something smaller
            # Later segments at rung 0 for now; the walk tries them all further down.
            head = [*plan, q] + [0] * (n - k - 1)
            policy = _Counting(head, [*given, chain])
            session = sim.run(trace, policy)
            assert session.qualities == head
            if k == n - 1:
                got = session.summary.qoe_lin
                _check_model(video, trace, model, got, head, [*given, chain])
                best = max(best, got)
            else:
                walk(k + 1, [*plan, q], [*given, chain])
            if q > 0:
                for j in range(1, policy.seen.get((k, q), 0) + 1):
                    todo.extend(((*chain, (q, j)), q2) for q2 in range(q))

    walk(0, [], [])
    return best


def _check_oracle(video: VideoDescription, trace: Trace, model: SimModel, searched: float) -> None:
    """The oracle finds what exhaustive search found (bounds it, where it relaxes), and
    its plan, played by the engine, reaches its value."""
    best = oracle(video, trace, model)
    tol = qoe_tolerance(video.n_segments)
    replayed = Simulator(video, model).run(trace, best.policy()).summary.qoe_lin
    assert best.qoe >= searched - tol
    assert best.qoe >= replayed - tol
    if _exact(video, model):
        assert best.slack <= tol  # nothing merged: short sessions are solved exactly
        assert best.qoe <= searched + tol
        assert best.qoe <= replayed + tol


@SLOW
@given(
    video=videos(segments=(2, 5), rungs=(2, 3)),
    trace=traces(),
    model=st.sampled_from(sorted(NO_ABANDON)),
)
def test_oracle_equals_exhaustive_search(video: VideoDescription, trace: Trace, model: str) -> None:
    m = NO_ABANDON[model]
    if model == "init":
        video = VideoDescription(
            video.name, video.bitrates_bps, video.segment_durations, video.sizes,
            tuple(2_000 * (q + 1) for q in range(video.n_rungs)),
        )  # fmt: skip
    _check_oracle(video, trace, m, _exhaustive(video, trace, m))


@SLOW
@given(
    video=videos(segments=(2, 3), rungs=(2, 3)),
    trace=traces(max_pieces=4),
    model=st.sampled_from(sorted(ABANDON)),
)
@example(  # a late abandonment buys free startup time (hybrid beat the oracle by 7.5)
    video=VideoDescription("drawn", (150_000, 300_000), (2.0,) * 2, ((37_500, 75_000),) * 2),
    trace=Trace.from_periods([1.75, 0.375], [0.0, 2e5], name="drawn"),
    model="sabre",
)
def test_oracle_equals_exhaustive_search_with_abandonment(
    video: VideoDescription, trace: Trace, model: str
) -> None:
    m = ABANDON[model]
    if model == "init":
        video = VideoDescription(
            video.name, video.bitrates_bps, video.segment_durations, video.sizes,
            tuple(3_000 * (q + 1) for q in range(video.n_rungs)),
        )  # fmt: skip
    _check_oracle(video, trace, m, _exhaustive_abandoning(video, trace, m, budget=400))


@contextlib.contextmanager
def _small_budgets() -> Iterator[None]:
    """The oracle with room for a handful of startup timings only, so that it merges
    them (as it does on long, slow startups) even in sessions small enough to search."""
    module = importlib.import_module("traces.sim.oracle")
    names = ("_ATTEMPTS", "_LAYER_ATTEMPTS", "_WAITING", "_STARTING")
    saved = {name: getattr(module, name) for name in names}
    try:
        for name in names:
            setattr(module, name, 4)
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


@SLOW
@given(
    video=videos(segments=(2, 3), rungs=(2, 3)),
    trace=traces(max_pieces=4),
    model=st.sampled_from(sorted(ABANDON)),
)
def test_merged_startup_timings_keep_the_bound(
    video: VideoDescription, trace: Trace, model: str
) -> None:
    m = ABANDON[model]
    if model == "init":
        video = VideoDescription(
            video.name, video.bitrates_bps, video.segment_durations, video.sizes,
            tuple(3_000 * (q + 1) for q in range(video.n_rungs)),
        )  # fmt: skip
    searched = _exhaustive_abandoning(video, trace, m, budget=400)
    with _small_budgets():
        merged = oracle(video, trace, m)
    assert merged.qoe >= searched - qoe_tolerance(video.n_segments)
    assert merged.slack >= 0


class _RandomAbandoner:
    """Picks rungs at random and abandons downloads at random (seeded): a policy that
    tries what no registered one does, to look for sessions the oracle misses."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.name = f"random-abandoner-{seed}"

    def choose(self, ctx: AbrContext) -> Decision:
        return Decision(self.rng.randint(0, ctx.top), "random")

    def should_abandon(self, ctx: AbrContext, progress: DownloadProgress) -> int | None:
        if self.rng.random() < 0.3:
            return self.rng.randint(0, progress.quality - 1)
        return None


@SLOW
@given(
    video=videos(segments=(6, 14), rungs=(3, 5)),
    trace=traces(max_pieces=12),
    model=st.sampled_from(sorted(MODELS)),
)
@example(  # a late abandonment in startup buys free time (hybrid beat the oracle by 7.5)
    video=VideoDescription(
        "drawn",
        (150_000, 300_000, 600_000),
        (2.0,) * 6,
        ((37_500, 75_000, 150_000), (35_156, 75_000, 150_000), (37_500, 75_000, 150_000))
        + ((37_500, 75_000, 150_000),) * 2
        + ((23_437, 75_000, 150_000),),
    ),
    trace=Trace.from_periods([1.75, 0.375], [0.0, 2e5], name="drawn"),
    model="default",
)
def test_no_policy_beats_the_oracle(video: VideoDescription, trace: Trace, model: str) -> None:
    m = MODELS[model]
    if model == "init":
        video = VideoDescription(
            video.name, video.bitrates_bps, video.segment_durations, video.sizes,
            tuple(4_000 * (q + 1) for q in range(video.n_rungs)),
        )  # fmt: skip
    bound = oracle(video, trace, m).qoe
    sim = Simulator(video, m)
    tol = qoe_tolerance(video.n_segments)
    policies: list[PolicySpec] = [*POLICIES, _RandomAbandoner(1), _RandomAbandoner(2)]
    for policy in policies:
        qoe = _run(sim, trace, policy)
        assert qoe is None or qoe <= bound + tol, (policy, qoe, bound)


def test_oracle_bounds_policies_on_a_real_trace() -> None:
    from traces import load_dataset

    video = load_video("pensieve-envivio-sizes.json").truncated(20)
    trace = load_dataset("norway-hsdpa-3g", limit=1)[0]
    best = oracle(video, trace, "pensieve")
    sim = Simulator(video, "pensieve")
    qoes = {p: sim.run(trace, p).summary.qoe_lin for p in POLICIES}
    tol = qoe_tolerance(video.n_segments)
    assert all(q <= best.qoe + tol for q in qoes.values()), (qoes, best.qoe)
    replayed = sim.run(trace, best.policy()).summary.qoe_lin
    assert replayed == pytest.approx(best.qoe, abs=tol)
    assert best.qualities[0] == 1  # Pensieve's first chunk


def test_oracle_refuses_what_it_cannot_model() -> None:
    video = VideoDescription(
        "v", (300_000, 900_000), (2.0,) * 3, ((75_000, 225_000),) * 3, (900, 900)
    )
    trace = Trace.constant(1e6)
    noisy = get_model("default").with_options(noise=0.2)
    refused = [
        noisy,  # noise with init segments
        noisy.with_options(init_segments=False),  # noise with abandonment
        get_model("pensieve").with_options(progress_interval_s=0.5, init_segments=True),
    ]
    for model in refused:
        with pytest.raises(PlayerError) as info:
            oracle(video, trace, model)
        assert info.value.code == 7002
    # A latency that drops along the trace (the link would not be FIFO).
    varying = Trace.from_periods([1.0, 1.0], [1e6, 1e6], latency_s=[0.3, 0.0])
    with pytest.raises(PlayerError) as info:
        oracle(video, varying, "default")
    assert info.value.code == 7002
    # Without init segments and abandonment (or without noise) it is fine.
    quiet = noisy.with_options(init_segments=False, progress_interval_s=None)
    assert oracle(video, trace, quiet).qoe > 0
    assert oracle(video, trace, "default").qoe > 0
    assert oracle(video, varying, get_model("default").with_options(rtt_s=0.1)).qoe > 0


def test_scripted_plans_are_checked() -> None:
    video = VideoDescription("v", (300_000, 900_000), (2.0,) * 2, ((75_000, 225_000),) * 2)
    trace = Trace.constant(1e6)
    cases: list[tuple[list[int], list[GivenUp]]] = [
        ([0, 1], [((0, 1),)]),  # abandoning rung 0
        ([1, 1], [((1, 1),)]),  # for the same rung
        ([0, 0], [((1, 0),)]),  # at report 0
        ([0, 0], [(), (), ()]),  # for more segments than the plan has
    ]
    for qualities, abandoned in cases:
        with pytest.raises(PlayerError):
            ScriptedPolicy(qualities, abandoned=abandoned)
        with pytest.raises(PlayerError):
            evaluate_plan(video, trace, qualities, "sabre", abandoned=abandoned)
    with pytest.raises(PlayerError):
        ScriptedPolicy([])
    with pytest.raises(PlayerError):
        evaluate_plan(video, trace, [0, 0, 0], "sabre")
    with pytest.raises(PlayerError):
        evaluate_plan(video, trace, [0, 0], "pensieve")  # it starts at rung 1
