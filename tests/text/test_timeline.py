"""The cue timeline: which cues show when, duplicates, joins, threads."""

from __future__ import annotations

import threading

from hypothesis import given, settings
from hypothesis import strategies as st

from player.text import Cue, CueTimeline


def test_active_cues_at_positions() -> None:
    tl = CueTimeline([Cue(1, 3, "a"), Cue(2, 4, "b"), Cue(10, 11, "c")])
    assert tl.active(0.5) == []
    assert [c.text for c in tl.active(1.0)] == ["a"]
    assert [c.text for c in tl.active(2.5)] == ["a", "b"]
    assert [c.text for c in tl.active(3.0)] == ["b"]  # end is exclusive
    assert tl.active(5) == []
    assert [c.text for c in tl.active(10.9)] == ["c"]


def test_duplicates_are_kept_once_and_version_changes() -> None:
    tl = CueTimeline()
    v0 = tl.version
    assert tl.add([Cue(1, 2, "a")]) == 1
    assert tl.add([Cue(1, 2, "a")]) == 0
    assert len(tl) == 1 and tl.version > v0
    tl.clear()
    assert len(tl) == 0 and tl.active(1.5) == []


def test_adjacent_pieces_join_in_any_order() -> None:
    tl = CueTimeline([Cue(4, 5.5, "x", "2"), Cue(3, 4, "x", "2"), Cue(5.5, 6, "x", "2")])
    assert [(c.start, c.end) for c in tl.cues] == [(3, 6)]
    # Different text at the same boundary is a different cue.
    tl.add([Cue(6, 7, "y", "2")])
    assert len(tl) == 2


def test_empty_cues_are_ignored() -> None:
    assert len(CueTimeline([Cue(1, 1, "zero")])) == 0


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 100), st.integers(1, 30), st.sampled_from("abc")), max_size=30
    ),
    st.floats(0, 140),
)
def test_active_matches_a_linear_scan(items: list[tuple[int, int, str]], t: float) -> None:
    cues = [Cue(s / 2, (s + d) / 2, text, str(i)) for i, (s, d, text) in enumerate(items)]
    tl = CueTimeline(cues)
    expected = sorted((c.start, c.end, c.text) for c in tl.cues if c.start <= t < c.end)
    assert sorted((c.start, c.end, c.text) for c in tl.active(t)) == expected
    # Every original cue's time is covered by some kept cue with its text.
    for c in cues:
        mid = (c.start + c.end) / 2
        assert any(k.text == c.text and k.start <= mid < k.end for k in tl.active(mid))


def test_concurrent_adds_and_reads() -> None:
    tl = CueTimeline()
    errors: list[BaseException] = []

    def writer(base: int) -> None:
        try:
            for i in range(300):
                tl.add([Cue(base + i, base + i + 0.5, f"{base}-{i}")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    def reader() -> None:
        try:
            for i in range(600):
                for cue in tl.active(i % 700):
                    assert cue.active_at(i % 700)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(b,)) for b in (0, 400)]
    threads.append(threading.Thread(target=reader))
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    assert not errors
    assert len(tl) == 600
