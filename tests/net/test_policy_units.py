"""RetryPolicy backoff, OriginHealth ordering and alternate-origin expansion."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from player.net import OriginHealth, RetryPolicy, origin_of, with_alternates


@given(
    retry=st.integers(1, 8),
    base=st.floats(0.0, 5.0),
    factor=st.floats(1.0, 4.0),
    fuzz=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32),
)
def test_backoff_within_fuzz_of_exponential(
    retry: int, base: float, factor: float, fuzz: float, seed: int
) -> None:
    policy = RetryPolicy(
        base_delay_s=base, backoff_factor=factor, fuzz_factor=fuzz, max_delay_s=1e9
    )
    delay = policy.delay_s(retry, random.Random(seed))
    unfuzzed = base * factor ** (retry - 1)
    assert unfuzzed * (1 - fuzz) - 1e-9 <= delay <= unfuzzed * (1 + fuzz) + 1e-9


def test_defaults_are_shakas() -> None:
    p = RetryPolicy()
    assert (p.max_attempts, p.base_delay_s, p.backoff_factor, p.fuzz_factor, p.timeout_s) == (
        2,
        1.0,
        2.0,
        0.5,
        30.0,
    )
    assert RetryPolicy(max_delay_s=3.0, fuzz_factor=0.0).delay_s(10) == 3.0
    assert p.delay_s(0) == 0.0


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_origin_health_order_and_expiry() -> None:
    clock = Clock()
    health = OriginHealth(penalty_s=30, clock=clock)
    a, b, c = "http://a.test/x", "http://b.test:8080/x", "https://c.test/x"
    health.penalise(a)
    clock.now = 5
    health.penalise(b)
    assert health.order([a, b, c]) == [c, a, b]  # healthy first, then soonest-ending
    clock.now = 31  # a's penalty is over, b's is not
    assert health.order([a, b, c]) == [a, c, b]
    health.reward(b)
    assert health.order([a, b, c]) == [a, b, c]
    assert health.failures(a) == 1 and health.penalised() == {}


def test_origin_of_and_alternates() -> None:
    assert origin_of("http://Host.test:80/a/b?c") == "http://host.test"
    assert origin_of("https://h.test:8443/") == "https://h.test:8443"
    assert origin_of("not a url") == "not a url"
    urls = with_alternates(
        ["https://a.test/v/1.m4s?tok=a%2Fb", "https://b.test/v/1.m4s"],
        ["https://m1.test", "http://m2.test:81/mirror/", "https://b.test"],
    )
    assert urls == [
        "https://a.test/v/1.m4s?tok=a%2Fb",
        "https://b.test/v/1.m4s",
        "https://m1.test/v/1.m4s?tok=a%2Fb",
        "http://m2.test:81/mirror/v/1.m4s?tok=a%2Fb",
        "https://b.test/v/1.m4s?tok=a%2Fb",
    ]
