"""abr.testing's property suite: our five policies' decisions, and bad policies caught.

Sessions run through the default runner, the simulator on the real engine
(tests/sim/test_check_policy.py runs the whole suite on the five policies that way).
"""

from __future__ import annotations

import sys

import pytest

from abr.interface import AbrContext, Decision
from abr.policies import BbaPolicy, BolaPolicy, HybridPolicy, MpcPolicy, ThroughputPolicy
from abr.testing import (
    PolicyPropertyError,
    PropertySettings,
    SessionRunnerUnavailable,
    check_policy,
    count_blips,
)

FIVE = [ThroughputPolicy, BolaPolicy, HybridPolicy, BbaPolicy, MpcPolicy]
QUICK = PropertySettings(max_examples=40, session_examples=10, derandomize=True)


@pytest.mark.parametrize("factory", FIVE, ids=lambda f: f.name)
def test_decision_properties(factory: type) -> None:
    check_policy(factory, sessions=False, config=QUICK)


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
        check_policy(FlipFlop, config=QUICK)  # the default runner: the real engine
    text = str(info.value) + "".join(str(e) for e in getattr(info.value, "exceptions", ()))
    assert "property" in text


def test_always_top_rebuffers() -> None:
    class AlwaysTop:
        name = "top"

        def choose(self, ctx: AbrContext) -> Decision:
            return Decision(ctx.top)

    with pytest.raises(PolicyPropertyError, match="rebuffering"):
        check_policy(AlwaysTop, config=QUICK)


def test_missing_default_runner_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "traces.testing", None)  # import now fails
    with pytest.raises(SessionRunnerUnavailable, match="run_session"):
        check_policy(HybridPolicy, config=QUICK)


def test_count_blips() -> None:
    assert count_blips([1, 2, 1, 2, 1]) == 3
    assert count_blips([1, 1, 1, 2, 2, 2, 3, 3, 3]) == 0  # a staircase is not a blip
    assert count_blips([2, 2, 2, 1, 1, 2, 2, 2]) == 1
    assert count_blips([2, 2, 2, 1, 1, 1, 2, 2, 2]) == 0  # dwelt long enough
