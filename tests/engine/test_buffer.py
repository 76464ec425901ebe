"""TrackBuffer and BufferGoals: ranges, gaps, overlap replacement, eviction."""

from __future__ import annotations

import pytest

from player.buffer import BufferedSegment, BufferGoals, TrackBuffer
from player.errors import Code, PlayerError


def seg(start: float, end: float, nbytes: int = 100, q: int = 0) -> BufferedSegment:
    return BufferedSegment(start, end, nbytes, q, int(start))


def test_contiguous_end_bridges_small_gaps_only() -> None:
    b = TrackBuffer(gap_tolerance=0.3)
    for s, e in [(0, 2), (2.1, 4), (4, 6), (7, 9)]:
        b.add(seg(s, e))
    assert b.contiguous_end(0.0) == 6
    assert b.contiguous_end(5.9) == 6
    assert b.contiguous_end(6.0) is None  # the gap 6..7 is too wide
    assert b.contiguous_end(6.8) == 9  # starts within tolerance of 7
    assert b.contiguous_end(9.0) is None
    assert b.level(1.0) == pytest.approx(5.0)
    assert b.ranges() == [(0, 6), (7, 9)]


def test_add_replaces_overlapping_segments_and_counts_bytes() -> None:
    b = TrackBuffer()
    b.add(seg(0, 2, 100))
    b.add(seg(2, 4, 100))
    b.add(seg(4, 6, 100))
    removed = b.add(seg(1.5, 4.5, 999, q=2))
    assert [(r.start, r.end) for r in removed] == [(0, 2), (2, 4), (4, 6)]
    assert b.nbytes == 999
    assert [(s.start, s.end) for s in b.segments] == [(1.5, 4.5)]


def test_eviction_before_and_from() -> None:
    b = TrackBuffer()
    for k in range(5):
        b.add(seg(2 * k, 2 * k + 2, 10))
    assert [s.start for s in b.evict_before(4.0)] == [0, 2]
    assert b.nbytes == 30
    assert [s.start for s in b.evict_from(8.0)] == [8]
    assert b.ranges() == [(4, 8)]
    assert b.contiguous_end(4.5) == 8
    last = b.pop_last()
    assert last is not None and last.start == 6
    assert b.contiguous_end(4.5) == 6  # the cached run was invalidated
    b.clear()
    assert b.nbytes == 0 and b.contiguous_end(4.5) is None


def test_segments_from_returns_what_a_sink_needs_after_a_flush() -> None:
    b = TrackBuffer()
    for k in range(4):
        b.add(seg(2 * k, 2 * k + 2))
    assert [s.start for s in b.segments_from(3.0)] == [2, 4, 6]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"start_s": -1.0},
        {"goal_s": 1.0},  # below start_s / resume_s
        {"max_bytes": 0},
        {"behind_s": float("nan")},
    ],
)
def test_bad_goals_are_typed_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(PlayerError) as exc:
        BufferGoals(**kwargs)  # type: ignore[arg-type]
    assert exc.value.code == Code.INVALID_CONFIG
