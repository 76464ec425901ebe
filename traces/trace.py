"""A bandwidth trace: piecewise-constant link rate over time, plus per-request latency.

A :class:`Trace` is a list of periods. Period ``i`` starts at ``starts[i]`` seconds (the
first at 0), lasts until the next start (the last one until :attr:`Trace.duration`), and
delivers ``rates_bps[i]`` bits per second; a request issued during period ``i`` pays
``latencies_s[i]`` seconds before its first byte. When time runs past the end the trace
loops, as Pensieve's and Sabre's simulators do, so every trace describes an unbounded link.

The integration helpers are exact for the piecewise-constant model (no sampling): they
work on the cumulative bits delivered at each period start (``numpy.cumsum``) and find
the period holding a time or a bit count by binary search. :meth:`Trace.cumulative_bits`
also takes arrays (``numpy.searchsorted``); the scalar helpers use :mod:`bisect` on plain
lists, which is several times faster than numpy for one value at a time, and the
simulator calls them once per chunk.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import overload

import numpy as np
import numpy.typing as npt

from player.errors import Code, PlayerError

FloatArray = npt.NDArray[np.float64]

_bisect_left = bisect.bisect_left
_bisect_right = bisect.bisect_right


def _invalid(message: str, name: str) -> PlayerError:
    return PlayerError(Code.TRACE_INVALID, message, data={"trace": name})


class Trace:
    """Piecewise-constant bandwidth (bits/s) with per-request latency, looping forever.

    ``starts`` are period start times in seconds (strictly increasing, the first 0);
    ``rates_bps`` the rate of each period in bits per second (finite, >= 0, not all 0);
    ``duration`` where the last period ends and the trace loops (default: the last start
    plus the median period length, or 1 s for a single period); ``latency_s`` the
    per-request latency, one value for all periods or one per period. Invalid input
    raises ``PlayerError(TRACE_INVALID)``.
    """

    __slots__ = (
        "_cum",
        "_cum_list",
        "_latencies",
        "_rates",
        "_rates_list",
        "_starts",
        "_starts_list",
        "duration",
        "name",
    )

    def __init__(
        self,
        starts: Sequence[float] | FloatArray,
        rates_bps: Sequence[float] | FloatArray,
        *,
        duration: float | None = None,
        latency_s: float | Sequence[float] | FloatArray = 0.0,
        name: str = "",
    ) -> None:
        self.name = name
        try:
            s = np.array(starts, dtype=np.float64).reshape(-1)
            r = np.array(rates_bps, dtype=np.float64).reshape(-1)
            lat = np.array(latency_s, dtype=np.float64).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise _invalid(f"trace {name!r}: values are not numbers ({exc})", name) from exc
        n = s.size
        if n == 0:
            raise _invalid(f"trace {name!r} has no periods", name)
        if r.size != n:
            raise _invalid(f"trace {name!r}: {n} start times but {r.size} rates", name)
        if lat.size == 1:
            lat = np.full(n, lat[0])
        elif lat.size != n:
            raise _invalid(f"trace {name!r}: {n} periods but {lat.size} latencies", name)
        if not (np.all(np.isfinite(s)) and np.all(np.isfinite(r)) and np.all(np.isfinite(lat))):
            raise _invalid(f"trace {name!r} holds a non-finite value", name)
        if s[0] != 0.0:
            raise _invalid(f"trace {name!r} must start at time 0, not {s[0]}", name)
        if n > 1 and np.any(np.diff(s) <= 0):
            raise _invalid(f"trace {name!r}: start times are not strictly increasing", name)
        if np.any(r < 0) or np.any(lat < 0):
            raise _invalid(f"trace {name!r} holds a negative rate or latency", name)
        if duration is None:
            duration = float(s[-1] + (np.median(np.diff(s)) if n > 1 else 1.0))
        if not math.isfinite(duration) or duration <= s[-1]:
            raise _invalid(
                f"trace {name!r}: duration {duration} must be after the last start {s[-1]}",
                name,
            )
        self.duration = float(duration)
        ends = np.append(s[1:], self.duration)
        with np.errstate(over="ignore"):  # an overflow is refused just below, not warned
            cum = np.concatenate(([0.0], np.cumsum(r * (ends - s))))
        if cum[-1] <= 0:
            raise _invalid(f"trace {name!r} delivers nothing (every rate is 0)", name)
        if not math.isfinite(cum[-1]):  # finite rates x durations can still overflow
            raise _invalid(f"trace {name!r} delivers more bits than a float holds", name)
        for arr in (s, r, lat, cum):
            arr.flags.writeable = False
        self._starts, self._rates, self._latencies, self._cum = s, r, lat, cum
        # Plain lists for the scalar fast path (bisect on floats beats numpy scalars).
        self._starts_list: list[float] = s.tolist()
        self._rates_list: list[float] = r.tolist()
        self._cum_list: list[float] = cum.tolist()

    # -- construction helpers ------------------------------------------------------

    @classmethod
    def constant(
        cls, rate_bps: float, *, duration: float = 1.0, latency_s: float = 0.0, name: str = ""
    ) -> Trace:
        """A link of one constant rate (it loops, so ``duration`` hardly matters)."""
        return cls([0.0], [rate_bps], duration=duration, latency_s=latency_s, name=name)

    @classmethod
    def from_periods(
        cls,
        durations_s: Sequence[float] | FloatArray,
        rates_bps: Sequence[float] | FloatArray,
        *,
        latency_s: float | Sequence[float] | FloatArray = 0.0,
        name: str = "",
    ) -> Trace:
        """A trace from period lengths (seconds, each > 0) and their rates (bits/s)."""
        d = np.array(durations_s, dtype=np.float64).reshape(-1)
        if d.size == 0 or not np.all(np.isfinite(d)) or np.any(d <= 0):
            raise _invalid(f"trace {name!r}: period durations must be finite and > 0", name)
        starts = np.concatenate(([0.0], np.cumsum(d)[:-1]))
        return cls(starts, rates_bps, duration=float(d.sum()), latency_s=latency_s, name=name)

    # -- views -----------------------------------------------------------------------

    @property
    def starts(self) -> FloatArray:
        """Period start times in seconds (read-only)."""
        return self._starts

    @property
    def rates_bps(self) -> FloatArray:
        """Period rates in bits per second (read-only)."""
        return self._rates

    @property
    def latencies_s(self) -> FloatArray:
        """Per-request latency of each period in seconds (read-only)."""
        return self._latencies

    @property
    def total_bits(self) -> float:
        """Bits delivered by one pass through the trace."""
        return self._cum_list[-1]

    @property
    def mean_bps(self) -> float:
        """Time-weighted mean rate over one pass, bits/s."""
        return self._cum_list[-1] / self.duration

    def __len__(self) -> int:
        return len(self._starts_list)

    def __repr__(self) -> str:
        return (
            f"Trace({self.name!r}, {len(self)} periods, {self.duration:.3f} s, "
            f"mean {self.mean_bps / 1e6:.3f} Mbit/s)"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Trace):
            return NotImplemented
        return (
            self.duration == other.duration
            and np.array_equal(self._starts, other._starts)
            and np.array_equal(self._rates, other._rates)
            and np.array_equal(self._latencies, other._latencies)
        )

    __hash__ = None  # type: ignore[assignment]  # mutable-looking, compared by value

    # -- point lookups -------------------------------------------------------------

    def _index(self, t: float) -> tuple[int, float]:
        """(period index, time within the loop) of trace time ``t`` (looped)."""
        r = t % self.duration if (t >= self.duration or t < 0) else t
        return bisect.bisect_right(self._starts_list, r) - 1, r

    def rate_at(self, t: float) -> float:
        """Link rate in bits/s at trace time ``t`` (looped)."""
        return self._rates_list[self._index(t)[0]]

    def latency_at(self, t: float) -> float:
        """Per-request latency in seconds for a request issued at trace time ``t``."""
        return float(self._latencies[self._index(t)[0]])

    # -- integration -----------------------------------------------------------------

    @overload
    def cumulative_bits(self, t: float) -> float: ...

    @overload
    def cumulative_bits(self, t: FloatArray | Sequence[float]) -> FloatArray: ...

    def cumulative_bits(self, t: float | FloatArray | Sequence[float]) -> float | FloatArray:
        """Bits deliverable in ``[0, t)`` (looped); scalar in, scalar out; arrays too."""
        if isinstance(t, (int, float)):
            return self._cum_scalar(float(t))
        ts = np.asarray(t, dtype=np.float64)
        loops = np.floor(ts / self.duration)
        rem = ts - loops * self.duration
        idx = np.searchsorted(self._starts, rem, side="right") - 1
        idx = np.clip(idx, 0, len(self) - 1)
        part = self._cum[idx] + self._rates[idx] * (rem - self._starts[idx])
        out: FloatArray = loops * self._cum[-1] + part
        return out

    def _cum_scalar(self, t: float) -> float:
        loops = math.floor(t / self.duration)
        rem = t - loops * self.duration
        i = bisect.bisect_right(self._starts_list, rem) - 1
        i = min(max(i, 0), len(self._starts_list) - 1)
        return (
            loops * self._cum_list[-1]
            + self._cum_list[i]
            + self._rates_list[i] * (rem - self._starts_list[i])
        )

    def _loop_base(self, t: float) -> float:
        """Start time of the loop holding ``t``; shifting by it keeps the arithmetic on
        small numbers, so results stay exact to float precision hours into a trace."""
        return math.floor(t / self.duration) * self.duration

    def bits_between(self, t0: float, t1: float) -> float:
        """Bits the link delivers from trace time ``t0`` to ``t1`` (0 when ``t1 <= t0``)."""
        if t1 <= t0:
            return 0.0
        d = self.duration
        base = math.floor(t0 / d) * d
        a = t0 - base
        b = t1 - base
        if a >= 0.0 and b < d:
            # Both ends in one loop (the common case): _cum_scalar's arithmetic with
            # loops = 0, inlined; the same floats come out.
            starts, cum, rates = self._starts_list, self._cum_list, self._rates_list
            i = _bisect_right(starts, a) - 1
            j = _bisect_right(starts, b) - 1
            return max(
                0.0, (cum[j] + rates[j] * (b - starts[j])) - (cum[i] + rates[i] * (a - starts[i]))
            )
        return max(0.0, self._cum_scalar(b) - self._cum_scalar(a))

    def bytes_between(self, t0: float, t1: float) -> float:
        """Bytes the link delivers from trace time ``t0`` to ``t1`` (fractional)."""
        return self.bits_between(t0, t1) / 8.0

    def time_when_cumulative(self, bits: float) -> float:
        """The earliest trace time by which ``bits`` bits have been delivered since 0."""
        if bits <= 0:
            return 0.0
        total = self._cum_list[-1]
        ratio = bits / total
        if not math.isfinite(ratio):  # a vanishingly slow trace: no finite time delivers
            raise _invalid(
                f"trace {self.name!r} is too slow to deliver {bits:g} bits "
                f"({total:g} bits per loop)",
                self.name,
            )
        loops = math.floor(ratio)
        rem = bits - loops * total
        if rem <= 0:  # exactly a whole number of loops: it ended inside the previous one
            loops -= 1
            rem = total
        # First period whose end-cumulative reaches rem; its rate is > 0 because the
        # cumulative count strictly rises inside it.
        i = bisect.bisect_left(self._cum_list, rem, 1) - 1
        i = min(max(i, 0), len(self._starts_list) - 1)
        rate = self._rates_list[i]
        within = (rem - self._cum_list[i]) / rate if rate > 0 else 0.0
        return loops * self.duration + self._starts_list[i] + within

    def time_to_deliver(self, nbytes: float, start: float) -> float:
        """Seconds the link needs to deliver ``nbytes`` bytes starting at trace time
        ``start`` (looping as needed; periods of rate 0 are waited out)."""
        if nbytes <= 0:
            return 0.0
        d = self.duration
        s = start - math.floor(start / d) * d
        if not 0.0 <= s < d:  # float rounding at a loop boundary: the general path
            target = self._cum_scalar(s) + 8.0 * nbytes
            return max(0.0, self.time_when_cumulative(target) - s)
        # The simulator's per-request call: _cum_scalar and time_when_cumulative inlined
        # for a start and an end inside one loop (loops = 0), the same floats come out.
        starts, cum, rates = self._starts_list, self._cum_list, self._rates_list
        i = _bisect_right(starts, s) - 1
        target = cum[i] + rates[i] * (s - starts[i]) + 8.0 * nbytes
        if not target < cum[-1]:
            return max(0.0, self.time_when_cumulative(target) - s)
        j = _bisect_left(cum, target, 1) - 1
        if j >= len(starts):
            j = len(starts) - 1
        rate = rates[j]
        within = (target - cum[j]) / rate if rate > 0 else 0.0
        return max(0.0, (starts[j] + within) - s)

    def mean_rate_between(self, t0: float, t1: float) -> float:
        """Mean rate in bits/s over ``[t0, t1)``, the figure a 1-s window check wants."""
        if t1 <= t0:
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"empty interval [{t0}, {t1})", data={"trace": self.name}
            )
        return self.bits_between(t0, t1) / (t1 - t0)

    # -- transforms ------------------------------------------------------------------

    def time_scaled(self, factor: float) -> Trace:
        """The same trace played ``factor`` times faster: trace time = new time * factor.

        Only the time axis shrinks; rates (and latencies) are unchanged, so a 600 s trace
        scaled by 10 fits in 60 s and delivers a tenth of the bytes.
        """
        if not (math.isfinite(factor) and factor > 0):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"time scale must be finite and > 0, not {factor}"
            )
        if factor == 1.0:
            return self
        return Trace(
            self._starts / factor,
            self._rates,
            duration=self.duration / factor,
            latency_s=self._latencies,
            name=self.name,
        )
