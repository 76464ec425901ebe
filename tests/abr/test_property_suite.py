"""abr.testing's property suite: our five policies through it, and bad policies caught."""

from __future__ import annotations

import sys

import pytest

from abr.interface import AbrContext, Decision, Rung
from abr.policies import BbaPolicy, BolaPolicy, HybridPolicy, MpcPolicy, ThroughputPolicy
from abr.testing import (
    PolicyPropertyError,
    PropertySettings,
    SessionRunnerUnavailable,
    check_policy,
    count_blips,
)
from tests.abr.reference_runner import PensieveReferenceRunner

FIVE = [ThroughputPolicy, BolaPolicy, HybridPolicy, BbaPolicy, MpcPolicy]
QUICK = PropertySettings(max_examples=40, session_examples=10, derandomize=True)


@pytest.mark.parametrize("factory", FIVE, ids=lambda f: f.name)
def test_decision_properties(factory: type) -> None:
    check_policy(factory, sessions=False, config=QUICK)


@pytest.mark.parametrize("factory", FIVE, ids=lambda f: f.name)
def test_session_properties_on_the_reference_model(factory: type) -> None:
    # Pensieve's chunk-level model, independent of traces' engine-driven simulator
    # (tests/sim/test_check_policy.py runs the same suite through the engine).
    check_policy(factory, run_session=PensieveReferenceRunner(), config=QUICK)


class FlipFlop:
    """Top rung on even segments, bottom on odd ones."""

    name = "flipflop"

    def choose(self, ctx: AbrContext) -> Decision:
        return Decision(ctx.top if ctx.segment_number % 2 == 0 else 0)


class Forgetful:
    """Answers differently each time it is asked: not deterministic."""

    name = "forgetful"

    def __init__(self) -> None:
        self.calls = 0

    def choose(self, ctx: AbrContext) -> Decision:
        self.calls += 1
        return Decision(self.calls % len(ctx.ladder))


class OffByOne:
    name = "offbyone"

    def choose(self, ctx: AbrContext) -> Decision:
        return Decision(len(ctx.ladder))


def test_invalid_rung_is_caught() -> None:
    with pytest.raises(PolicyPropertyError, match="valid rung"):
        check_policy(OffByOne, sessions=False, config=QUICK)


def test_nondeterminism_is_caught() -> None:
    with pytest.raises(PolicyPropertyError, match="same context"):
        check_policy(Forgetful, sessions=False, config=QUICK)


def test_flip_flop_is_caught_in_sessions() -> None:
    with pytest.raises(BaseException) as info:  # hypothesis may group several failures
        check_policy(FlipFlop, run_session=PensieveReferenceRunner(), config=QUICK)
    text = str(info.value) + "".join(str(e) for e in getattr(info.value, "exceptions", ()))
    assert "property" in text


def test_always_top_rebuffers() -> None:
    class AlwaysTop:
        name = "top"

        def choose(self, ctx: AbrContext) -> Decision:
            return Decision(ctx.top)

    with pytest.raises(PolicyPropertyError, match="rebuffering"):
        check_policy(AlwaysTop, run_session=PensieveReferenceRunner(), config=QUICK)


def test_missing_default_runner_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "traces.testing", None)  # import now fails
    with pytest.raises(SessionRunnerUnavailable, match="run_session"):
        check_policy(HybridPolicy, config=QUICK)


def test_count_blips() -> None:
    assert count_blips([1, 2, 1, 2, 1]) == 3
    assert count_blips([1, 1, 1, 2, 2, 2, 3, 3, 3]) == 0  # a staircase is not a blip
    assert count_blips([2, 2, 2, 1, 1, 2, 2, 2]) == 1
    assert count_blips([2, 2, 2, 1, 1, 1, 2, 2, 2]) == 0  # dwelt long enough


def test_reference_runner_follows_pensieve_dynamics() -> None:
    ladder = (Rung(0, 1_000_000), Rung(1, 2_000_000))

    class Low:
        name = "low"

        def choose(self, ctx: AbrContext) -> Decision:
            return Decision(0)

    recs = PensieveReferenceRunner().run(Low(), [(1000.0, 1_000_000.0)], ladder, 4.0, 3)
    # 500 kB at 0.95 x 1 Mbit/s plus one 80 ms round trip.
    delay = 500_000 / (1_000_000 / 8 * 0.95) + 0.08
    assert recs[0].download_s == pytest.approx(delay)
    assert recs[0].rebuffer_s == pytest.approx(delay)  # startup
    assert recs[1].rebuffer_s == pytest.approx(delay - 4.0)  # 4 s buffered, fetch outlasts it
    assert recs[1].buffer_s == pytest.approx(4.0)
