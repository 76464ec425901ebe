"""abr.slots.slot_constructor: the same objects as the constructor, or a loud failure."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from abr import AbrContext, PlaybackState, Rung, slot_constructor


@dataclass(frozen=True, slots=True)
class _Slotted:
    a: int
    b: float
    tags: list[str] = field(default_factory=list)
    note: str = "n"


@dataclass(frozen=True)
class _NoSlots:
    a: int
    b: float


def test_builds_the_same_object_with_fresh_defaults() -> None:
    build = slot_constructor(_Slotted, ("a", "b"))
    assert build is not _Slotted  # the generated path
    x, y = build(1, 2.0), build(1, 2.0)
    assert x == _Slotted(1, 2.0) and type(x) is _Slotted
    assert x.note == "n" and x.tags == [] and x.tags is not y.tags
    with pytest.raises(AttributeError):
        x.a = 3  # type: ignore[misc]  (still frozen)


def test_the_engine_context_equals_the_constructors() -> None:
    names = (
        "now", "ladder", "segment_duration", "buffer_level", "buffer_target",
        "buffer_capacity", "throughput_bps", "latency_s", "samples", "last_quality",
        "state", "segment_number", "segments_left", "next_sizes", "rebuffer_s",
    )  # fmt: skip
    values = (1.0, (Rung(0, 1000),), 4.0, 3.0, 30.0, 34.0, 2e6, 0.1, (), 0,
              PlaybackState.PLAYING, 5, 7, None, 0.5)  # fmt: skip
    ctx = slot_constructor(AbrContext, names)(*values)
    assert ctx == AbrContext(*values) and ctx.extra == {}


def test_a_class_without_slots_gets_its_own_constructor() -> None:
    assert slot_constructor(_NoSlots, ("a", "b")) is _NoSlots


def test_wrong_or_reordered_fields_fail_loudly() -> None:
    with pytest.raises(TypeError, match="first fields"):
        slot_constructor(_Slotted, ("b", "a"))
    with pytest.raises(TypeError, match="without a default"):
        slot_constructor(_NoSlots, ("a",))
