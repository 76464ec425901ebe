"""The simulated link: a :class:`~traces.Trace` turned into request completion times.

A request issued at session time ``t`` for ``n`` bytes first waits its latency (a fixed
round trip, or the trace's latency at ``t``), then its bytes flow at the trace's rate
times ``payload_factor`` (and times a per-request noise factor, when asked for). Transfer
times come from the trace's exact piecewise-constant integration, looping the trace
when it runs out; nothing is sampled.

Session time maps to trace time as ``trace_time = offset + t``, except in Pensieve's
accounting (``latency_pauses_trace``): there the round trip is added to a chunk's delay
but the trace does not move during it (``sim/fixed_env.py`` adds ``LINK_RTT`` after
walking the trace), so the trace runs ``offset + t - (latency paid so far)``.

One request is in flight at a time (the engine fetches one media request at a time), so
the link is a plain FIFO: a request that starts later never finishes earlier.
"""

from __future__ import annotations

import math

import numpy as np

from player.errors import Code, PlayerError
from traces.trace import Trace

__all__ = ["Link", "pensieve_view"]


def pensieve_view(trace: Trace) -> Trace:
    """The trace as Pensieve's simulator walks it.

    Pensieve reads ``(time, bandwidth)`` samples and charges sample ``i``'s bandwidth for
    the interval that *ends* at its time stamp (``duration = cooked_time[ptr] -
    last_mahimahi_time`` at rate ``cooked_bw[ptr]``); sample 0's bandwidth is never used,
    and on wrapping it restarts at ``ptr = 1`` from time 0, so one loop lasts the last
    time stamp. Our :class:`Trace` holds each sample from its time stamp to the next;
    this view shifts the rates by one sample to match, so replays agree with Pensieve's
    numbers. A one-sample trace is returned unchanged.
    """
    if len(trace) < 2:
        return trace
    starts = trace.starts
    return Trace(
        starts[:-1],
        trace.rates_bps[1:],
        duration=float(starts[-1]),
        latency_s=trace.latencies_s[1:],
        name=trace.name,
    )


class Link:
    """A trace-driven link for one session (see the module docstring).

    ``rtt_s``: a fixed latency per request (None: the trace's latency at the request's
    issue time). ``payload_factor``: the share of the link rate that carries payload
    (Pensieve: 0.95). ``offset_s``: the trace time at session time 0.
    ``latency_pauses_trace``: Pensieve's accounting of the round trip (see the module
    docstring). ``noise``: each request's rate is multiplied by a factor drawn uniformly
    from ``[1 - noise, 1 + noise]`` by a generator seeded with ``seed`` (0: none).
    """

    __slots__ = (
        "_lat_paid",
        "_pause",
        "_rng",
        "_scale",
        "noise",
        "offset_s",
        "payload_factor",
        "rtt_s",
        "trace",
    )

    def __init__(
        self,
        trace: Trace,
        *,
        rtt_s: float | None = None,
        payload_factor: float = 1.0,
        offset_s: float = 0.0,
        latency_pauses_trace: bool = False,
        noise: float = 0.0,
        seed: int | None = None,
    ) -> None:
        if rtt_s is not None and not (math.isfinite(rtt_s) and rtt_s >= 0):
            raise PlayerError(Code.INVALID_ARGUMENT, f"rtt_s must be >= 0, not {rtt_s}")
        if not (math.isfinite(payload_factor) and 0 < payload_factor <= 1):
            raise PlayerError(
                Code.INVALID_ARGUMENT, f"payload_factor must be in (0, 1], not {payload_factor}"
            )
        if not (math.isfinite(offset_s) and offset_s >= 0):
            raise PlayerError(Code.INVALID_ARGUMENT, f"offset_s must be >= 0, not {offset_s}")
        if not (math.isfinite(noise) and 0 <= noise < 1):
            raise PlayerError(Code.INVALID_ARGUMENT, f"noise must be in [0, 1), not {noise}")
        self.trace = trace
        self.rtt_s = rtt_s
        self.payload_factor = payload_factor
        self.offset_s = offset_s
        self.noise = noise
        self._pause = latency_pauses_trace
        self._lat_paid = 0.0
        self._rng = np.random.default_rng(seed) if noise > 0 else None
        self._scale = 1.0 / payload_factor

    def trace_time(self, t: float) -> float:
        """The trace time at session time ``t`` (with the latency paid so far)."""
        return self.offset_s + t - self._lat_paid

    def latency_at(self, t: float) -> float:
        """The latency of a request issued at session time ``t``."""
        if self.rtt_s is not None:
            return self.rtt_s
        return self.trace.latency_at(self.trace_time(t))

    def request(self, nbytes: float, t: float) -> Transfer:
        """Issue a request for ``nbytes`` at session time ``t``; its timing."""
        if not (nbytes >= 0 and math.isfinite(nbytes)):
            raise PlayerError(Code.INVALID_ARGUMENT, f"cannot transfer {nbytes} bytes")
        lat = self.rtt_s
        if lat is None:
            lat = self.trace.latency_at(self.offset_s + t - self._lat_paid)
        scale = self._scale
        if self._rng is not None:
            scale /= float(self._rng.uniform(1.0 - self.noise, 1.0 + self.noise))
        if self._pause:
            # Pensieve: the trace stands still during the round trip.
            self._lat_paid += lat
        first = t + lat
        start_tt = self.offset_s + first - self._lat_paid
        duration = self.trace.time_to_deliver(nbytes * scale, start_tt)
        return Transfer(t, first, first + duration, start_tt, scale, nbytes)

    def delivered(self, transfer: Transfer, t: float) -> int:
        """Bytes of ``transfer`` delivered by session time ``t``."""
        if t <= transfer.first_byte:
            return 0
        if t >= transfer.done:
            return int(transfer.nbytes)
        tt = transfer.trace_start + (t - transfer.first_byte)
        got = self.trace.bytes_between(transfer.trace_start, tt) / transfer.scale
        return min(int(transfer.nbytes), int(got))


class Transfer:
    """Timing of one request on a :class:`Link`: issued, first byte, done (session time)."""

    __slots__ = ("done", "first_byte", "issued", "nbytes", "scale", "trace_start")

    def __init__(
        self,
        issued: float,
        first_byte: float,
        done: float,
        trace_start: float,
        scale: float,
        nbytes: float,
    ) -> None:
        self.issued = issued
        self.first_byte = first_byte
        self.done = done
        self.trace_start = trace_start
        self.scale = scale  # trace bytes per payload byte (1 / payload / noise)
        self.nbytes = nbytes
