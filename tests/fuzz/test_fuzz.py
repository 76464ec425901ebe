"""Fuzzing the parsers of untrusted input: only the typed error may escape.

A short hypothesis run per target (``make test``); ``bench/fuzz_long.py`` runs the same
targets for 100,000 inputs each (atheris when installed). Mutations start from real
inputs (``tests/fuzz/_targets.py`` lists where each comes from), and hypothesis shrinks
a finding to a minimal edit list.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz._targets import N_OPS, TARGETS, Edit, Target, apply_edits, check

pytestmark = pytest.mark.timeout(240)

_edit = st.tuples(
    st.integers(0, N_OPS - 1),
    st.integers(0, 1 << 20),
    st.integers(0, 1 << 16),
    st.binary(max_size=8),
)
_FUZZ = settings(
    max_examples=200,
    deadline=None,  # a loaded CI machine must not turn slowness into a finding
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # the short run is the same on every machine; the long run explores
)


def _assert_typed(target: Target, data: bytes) -> None:
    escaped = check(target, data)
    assert escaped is None, (
        f"{target.name}: {type(escaped).__name__}: {escaped!r} escaped on input {data[:300]!r}"
    )


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_seed_is_accepted_or_refused_with_the_typed_error(name: str) -> None:
    target = TARGETS[name]
    seeds = target.seeds()
    assert seeds, f"{name} has seeds to mutate"
    for data in seeds:
        _assert_typed(target, data)


@pytest.mark.parametrize("name", sorted(TARGETS))
@_FUZZ
@given(data=st.data())
def test_mutated_real_inputs_raise_only_the_typed_error(name: str, data: st.DataObject) -> None:
    target = TARGETS[name]
    seeds = target.seeds()
    base = data.draw(st.sampled_from(seeds), label="seed")
    other = data.draw(st.sampled_from(seeds), label="splice")
    edits: list[Edit] = data.draw(st.lists(_edit, min_size=1, max_size=6), label="edits")
    _assert_typed(target, apply_edits(base, edits, target.tokens, other))


@pytest.mark.parametrize("name", sorted(TARGETS))
@settings(_FUZZ, max_examples=60)
@given(raw=st.binary(max_size=512))
def test_random_bytes_raise_only_the_typed_error(name: str, raw: bytes) -> None:
    _assert_typed(TARGETS[name], raw)


def test_the_mutator_changes_inputs_and_is_deterministic() -> None:
    seed = TARGETS["dash"].seeds()[0]
    tokens = TARGETS["dash"].tokens
    edits: list[Edit] = [(7, 3, 2, b""), (11, 1, 1, b""), (0, 10, 3, b"")]
    a = apply_edits(seed, edits, tokens, seed)
    assert a != seed
    assert a == apply_edits(seed, edits, tokens, seed)


def test_a_finding_is_reported() -> None:
    """The harness itself can fail: a target that raises something untyped is caught."""

    def broken(data: bytes) -> object:
        table: dict[str, int] = {}
        return table["missing"]

    target = Target("broken", broken, (ValueError,), lambda: [b"x"])
    escaped = check(target, b"x")
    assert isinstance(escaped, KeyError)


# Inputs the long run found, kept as regression tests once fixed.
FINDINGS: list[tuple[str, bytes]] = [
    # Finite durations x rates overflowed the trace's cumulative bits to inf (traces/trace.py).
    (
        "trace-sabre-json",
        b'[{"duration_ms": 1000, "bandwidth_kbps": 1, "latency_ms": 20},'
        b' {"duration_ms": 1e308, "bandwidth_kbps": 800.5, "latency_ms": 75}]',
    ),
    # An empty sidx box (size 0: "to the end") read its version byte past the end
    # (player/manifest/_sidx.py); atheris found it.
    ("sidx", bytes.fromhex("0000000073696478")),
    # A trace of 1e-304 bit/s: time_to_deliver overflowed; now TRACE_INVALID (traces/trace.py).
    ("trace-two-column", b"0\t1e-310"),
]


@pytest.mark.parametrize(("name", "data"), FINDINGS)
def test_findings_stay_fixed(name: str, data: bytes) -> None:
    _assert_typed(TARGETS[name], data)
