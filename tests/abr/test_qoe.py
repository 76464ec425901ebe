"""QoE metrics against hand-computed values and Pensieve's per-chunk formula."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from abr.qoe import SegmentRecord, SessionStats, hd_score, qoe_hd, qoe_lin, qoe_log

LADDER_KBPS = [300, 750, 1200, 1850, 2850, 4300]


def test_lin_by_hand() -> None:
    # chunk 1: 0.75 - 4.3 * 0.5 - |0.75 - 0.3| = -1.85; chunk 2: 0.75; chunk 0 excluded.
    assert qoe_lin([300, 750, 750], [1.0, 0.5, 0.0]) == pytest.approx(-1.1)


def test_log_by_hand() -> None:
    # chunk 1: ln 2.5 - 2.66 * 0.5 - ln 2.5; chunk 2: ln 2.5.
    got = qoe_log([300, 750, 750], [1.0, 0.5, 0.0], lowest_kbps=300)
    assert got == pytest.approx(-1.33 + math.log(2.5))


def test_hd_by_hand() -> None:
    # chunk 1: 12 - 0 - |12 - 1| = 1; chunk 2: 20 - 8 * 1 - |20 - 12| = 4.
    assert qoe_hd([300, 1850, 4300], [0.0, 0.0, 1.0]) == pytest.approx(5.0)


def test_hd_map_generalised() -> None:
    assert [hd_score(b) for b in LADDER_KBPS] == [1, 2, 3, 12, 15, 20]
    assert hd_score(1000) == pytest.approx(2 + 250 / 450)
    assert hd_score(150) == pytest.approx(0.5)
    assert hd_score(10_000) == 20


def test_first_chunk_excluded_but_its_bitrate_counts_for_smoothness() -> None:
    assert qoe_lin([4300], [10.0]) == 0.0
    assert qoe_lin([4300, 300], [10.0, 0.0]) == pytest.approx(0.3 - 4.0)


@pytest.mark.parametrize(
    ("bitrates", "rebuffers"),
    [([300, 750], [0.0]), ([300, float("nan")], [0.0, 0.0]), ([300, 750], [0.0, -1.0]), ([0], [0])],
)
def test_bad_input_raises_value_error(bitrates: list[float], rebuffers: list[float]) -> None:
    with pytest.raises(ValueError):
        qoe_lin(bitrates, rebuffers)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(LADDER_KBPS), st.floats(0, 20, allow_nan=False)),
        min_size=1,
        max_size=60,
    )
)
def test_lin_matches_pensieve_reward_loop(chunks: list[tuple[int, float]]) -> None:
    # Pensieve (test/mpc.py): reward = R/1000 - 4.3 rebuf - |R - R_last|/1000, logged per
    # chunk; the score of a session sums reward[1:].
    r = np.array([c[0] for c in chunks], dtype=float)
    t = np.array([c[1] for c in chunks])
    last = np.concatenate([[r[0]], r[:-1]])
    reward = r / 1000 - 4.3 * t - np.abs(r - last) / 1000
    assert qoe_lin(r.tolist(), t.tolist()) == pytest.approx(float(reward[1:].sum()), abs=1e-9)


def test_session_stats() -> None:
    recs = [
        SegmentRecord(0, 1, 750_000, 4.0, rebuffer_s=1.5),
        SegmentRecord(1, 1, 750_000, 4.0),
        SegmentRecord(2, 3, 1_850_000, 2.0, rebuffer_s=0.5),
        SegmentRecord(3, 0, 300_000, 4.0, rebuffer_s=1.0),
    ]
    s = SessionStats.from_records(recs)
    assert s.segments == 4
    assert s.startup_delay_s == 1.5
    assert s.rebuffer_s == pytest.approx(1.5)
    assert s.rebuffer_events == 2
    assert s.switches == 2
    assert s.mean_bitrate_bps == pytest.approx((750 + 750 + 1850 + 300) * 1000 / 4)
    assert s.time_weighted_bitrate_bps == pytest.approx(
        (750 * 4 + 750 * 4 + 1850 * 2 + 300 * 4) * 1000 / 14
    )
    assert s.qoe_lin == pytest.approx(qoe_lin([750, 750, 1850, 300], [1.5, 0, 0.5, 1.0]))
    assert SessionStats.from_records([]).segments == 0
