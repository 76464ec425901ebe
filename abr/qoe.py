"""Quality of experience: Pensieve's QoE metrics and the usual session statistics.

Source: H. Mao, R. Netravali, M. Alizadeh, "Neural Adaptive Video Streaming with
Pensieve" (SIGCOMM 2017), §5.1, and its code (``sim/`` and ``test/``: per-chunk reward
``q(R_n) - mu * T_n - |q(R_n) - q(R_{n-1})|``).

Indexing, exactly as Pensieve scores a session of chunks ``0 .. N-1``: the reward of
chunk ``n`` is ``q(R_n) - mu * T_n - |q(R_n) - q(R_{n-1})|`` (``T_n`` = seconds of
rebuffering while chunk ``n`` was being fetched), and the session's QoE is the sum over
chunks ``1 .. N-1``. Chunk 0 is left out (its fetch time is startup delay, not
rebuffering), but its bitrate is still ``R_0`` in chunk 1's smoothness term.

- ``qoe_lin``: ``q(R) = R`` in Mbit/s, ``mu = 4.3``.
- ``qoe_log``: ``q(R) = ln(R / R_min)`` with ``R_min`` the ladder's lowest bitrate,
  ``mu = 2.66``.
- ``qoe_hd``: Pensieve's HD map ``{300: 1, 750: 2, 1200: 3, 1850: 12, 2850: 15,
  4300: 20}`` (kbit/s to score), ``mu = 8``. Generalised to any ladder by linear
  interpolation between the map's points, ``R / 300`` below 300 kbit/s, and 20 above
  4300 kbit/s; on Pensieve's ladder it is the map itself.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Pensieve's rebuffer penalties per QoE variant.
LIN_REBUFFER_PENALTY = 4.3
LOG_REBUFFER_PENALTY = 2.66
HD_REBUFFER_PENALTY = 8.0
#: Pensieve's HD score per bitrate (kbit/s).
PENSIEVE_HD_MAP: dict[int, float] = {300: 1, 750: 2, 1200: 3, 1850: 12, 2850: 15, 4300: 20}


def _check(bitrates_kbps: Sequence[float], rebuffer_s: Sequence[float]) -> None:
    if len(bitrates_kbps) != len(rebuffer_s):
        raise ValueError(
            f"{len(bitrates_kbps)} bitrates but {len(rebuffer_s)} rebuffer values: "
            "give one of each per chunk"
        )
    for b in bitrates_kbps:
        if not (math.isfinite(b) and b > 0):
            raise ValueError(f"bitrate {b} kbit/s is not a positive number")
    for t in rebuffer_s:
        if not (math.isfinite(t) and t >= 0):
            raise ValueError(f"rebuffer {t} s is not a non-negative number")


def chunk_rewards(
    bitrates_kbps: Sequence[float],
    rebuffer_s: Sequence[float],
    quality: Callable[[float], float],
    rebuffer_penalty: float,
    smooth_penalty: float = 1.0,
) -> list[float]:
    """Pensieve's reward of every chunk ``1 .. N-1`` (chunk 0 has none; see module doc)."""
    _check(bitrates_kbps, rebuffer_s)
    q = [quality(float(b)) for b in bitrates_kbps]
    return [
        q[n] - rebuffer_penalty * float(rebuffer_s[n]) - smooth_penalty * abs(q[n] - q[n - 1])
        for n in range(1, len(q))
    ]


def qoe_lin(
    bitrates_kbps: Sequence[float],
    rebuffer_s: Sequence[float],
    *,
    rebuffer_penalty: float = LIN_REBUFFER_PENALTY,
    smooth_penalty: float = 1.0,
) -> float:
    """Pensieve's linear QoE: sum over chunks 1..N-1 of R/1000 - 4.3 T - |dR|/1000."""
    return float(
        sum(
            chunk_rewards(
                bitrates_kbps, rebuffer_s, lambda r: r / 1000.0, rebuffer_penalty, smooth_penalty
            )
        )
    )


def qoe_log(
    bitrates_kbps: Sequence[float],
    rebuffer_s: Sequence[float],
    *,
    lowest_kbps: float | None = None,
    rebuffer_penalty: float = LOG_REBUFFER_PENALTY,
    smooth_penalty: float = 1.0,
) -> float:
    """Pensieve's log QoE, ``q(R) = ln(R / R_min)``.

    ``lowest_kbps`` is the ladder's lowest bitrate; when not given, the lowest bitrate in
    ``bitrates_kbps`` stands in for it (the same whenever rung 0 was played).
    """
    if lowest_kbps is None:
        _check(bitrates_kbps, rebuffer_s)
        lowest_kbps = min(bitrates_kbps) if bitrates_kbps else 1.0
    if not (math.isfinite(lowest_kbps) and lowest_kbps > 0):
        raise ValueError(f"lowest_kbps {lowest_kbps} is not a positive number")
    base = float(lowest_kbps)
    return float(
        sum(
            chunk_rewards(
                bitrates_kbps,
                rebuffer_s,
                lambda r: math.log(r / base),
                rebuffer_penalty,
                smooth_penalty,
            )
        )
    )


def hd_score(bitrate_kbps: float) -> float:
    """Pensieve's HD map, generalised to any bitrate (see the module docstring)."""
    points = sorted(PENSIEVE_HD_MAP.items())
    xs = [float(k) for k, _ in points]
    ys = [float(v) for _, v in points]
    if bitrate_kbps < xs[0]:
        return ys[0] * bitrate_kbps / xs[0]
    return float(np.interp(bitrate_kbps, xs, ys))


def qoe_hd(
    bitrates_kbps: Sequence[float],
    rebuffer_s: Sequence[float],
    *,
    rebuffer_penalty: float = HD_REBUFFER_PENALTY,
    smooth_penalty: float = 1.0,
) -> float:
    """Pensieve's HD QoE (``q`` = :func:`hd_score`, rebuffer penalty 8)."""
    return float(
        sum(chunk_rewards(bitrates_kbps, rebuffer_s, hd_score, rebuffer_penalty, smooth_penalty))
    )


@dataclass(frozen=True, slots=True)
class SegmentRecord:
    """One played segment of a session, as a session runner or the player records it.

    ``rebuffer_s`` is the time playback stood still waiting for this segment; for the
    first segment that is the startup delay.
    """

    index: int
    quality: int
    bitrate_bps: int
    duration_s: float
    rebuffer_s: float = 0.0
    buffer_s: float = 0.0  # buffer level just after this segment was added
    download_s: float = 0.0  # request to last byte
    nbytes: int = 0
    end_time: float = 0.0  # session time the download finished


@dataclass(frozen=True, slots=True)
class SessionStats:
    """What players report about a session, computed from its segment records."""

    segments: int
    startup_delay_s: float
    rebuffer_s: float  # after startup
    rebuffer_events: int
    switches: int
    time_weighted_bitrate_bps: float
    mean_bitrate_bps: float
    qoe_lin: float

    @classmethod
    def from_records(cls, records: Sequence[SegmentRecord]) -> SessionStats:
        """Stats of a session; ``records`` in playback order (first segment first).

        A rebuffer event is a segment after the first whose wait stalled playback.
        """
        if not records:
            return cls(0, 0.0, 0.0, 0, 0, 0.0, 0.0, 0.0)
        stalls = [r.rebuffer_s for r in records[1:]]
        total_media = sum(r.duration_s for r in records)
        weighted = sum(r.bitrate_bps * r.duration_s for r in records)
        return cls(
            segments=len(records),
            startup_delay_s=records[0].rebuffer_s,
            rebuffer_s=float(sum(stalls)),
            rebuffer_events=sum(1 for s in stalls if s > 0),
            switches=sum(1 for a, b in itertools.pairwise(records) if a.quality != b.quality),
            time_weighted_bitrate_bps=weighted / total_media if total_media > 0 else 0.0,
            mean_bitrate_bps=sum(r.bitrate_bps for r in records) / len(records),
            qoe_lin=qoe_lin(
                [r.bitrate_bps / 1000.0 for r in records], [r.rebuffer_s for r in records]
            ),
        )
