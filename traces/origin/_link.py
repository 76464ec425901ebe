"""The shared bottleneck: one token bucket refilled at a trace's rate over wall time.

Every response body is written in chunks and every chunk first takes its bytes from the
one :class:`SharedLink` of an origin, so concurrent responses share the link the way
flows share a real bottleneck (round-robin per chunk, through a FIFO lock).

The bucket is kept as a *virtual finish time* rather than a token count: ``_vt`` is the
link time up to which capacity has been handed out. Taking ``n`` bytes waits until the
link is free (``_vt``), then books it until ``start + trace.time_to_deliver(n, start)``
(exact, across rate changes and outages of the trace) and returns, so the caller sends
the chunk at the start of its slot. Sending at the start rather than the end of the slot
means the event loop waking a sleeper late delays the *next* chunk, never pushes bytes
booked before a rate drop past it. An idle link may start a chunk at most ``burst_s`` in
the past, which is the bucket's depth: a burst of ``burst_s`` worth of bytes, and slack
that absorbs that lateness, so oversleeping by a millisecond does not lose capacity (the
next chunk starts at the old finish time, not at "now"). While transfers are running
without a pause the slack is ``catchup_s`` instead: on a shared 2-core machine the event
loop is sometimes not scheduled for tens of milliseconds, and a real link would have
kept moving bytes meanwhile; the origin sends them as soon as it runs again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from traces.trace import Trace

# Write chunk: about CHUNK_SECONDS of the current rate, within these bounds. Small enough
# that 0.5 Mbit/s still moves every ~30 ms, large enough that 50 Mbit/s needs only ~100
# writes a second (asyncio costs tens of microseconds a write).
CHUNK_SECONDS = 0.004
MIN_CHUNK = 1024
MAX_CHUNK = 128 * 1024
UNSHAPED_CHUNK = 256 * 1024


class SharedLink:
    """A token bucket shared by every response of one origin.

    ``trace`` is in link time (seconds since :meth:`start`, already time-scaled); None
    means no shaping. ``clock`` is a monotonic clock and ``sleep`` an awaitable sleep;
    tests can drive both virtually.
    """

    def __init__(
        self,
        trace: Trace | None,
        *,
        burst_s: float = 0.02,
        catchup_s: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.trace = trace
        self.burst_s = burst_s
        self._clock = clock
        self._sleep = sleep
        self._t0 = clock()
        self._vt = 0.0
        self.catchup_s = catchup_s
        self._lock = asyncio.Lock()
        self._active = 0
        self._went_idle = True
        self.bytes_granted = 0
        self.busy_until = 0.0  # link time at which the last granted byte is delivered

    def start(self) -> None:
        """Make link time 0 now (the trace starts playing)."""
        self._t0 = self._clock()
        self._vt = 0.0

    def now(self) -> float:
        """Link time: seconds since :meth:`start`."""
        return self._clock() - self._t0

    def rate_now(self) -> float | None:
        """The trace's rate in bits/s now, None when unshaped."""
        return None if self.trace is None else self.trace.rate_at(self.now())

    def latency_now(self) -> float:
        """The trace's per-request latency now (0 when unshaped)."""
        return 0.0 if self.trace is None else self.trace.latency_at(self.now())

    def chunk_size(self) -> int:
        """How many bytes the next write should carry: what the link moves in the next
        ``CHUNK_SECONDS`` from where it is busy until, so a chunk never straddles a drop
        from 25 to 0.5 Mbit/s carrying 25 Mbit/s worth of bytes."""
        if self.trace is None:
            return UNSHAPED_CHUNK
        t = max(self._vt, self.now() - self.burst_s)
        n = self.trace.bytes_between(t, t + CHUNK_SECONDS)
        return int(min(MAX_CHUNK, max(MIN_CHUNK, n)))

    def transfer_started(self) -> None:
        """A response body starts using the link."""
        self._active += 1

    def transfer_ended(self) -> None:
        """A response body stopped using the link (done, failed or cut)."""
        self._active = max(0, self._active - 1)
        if self._active == 0:
            self._went_idle = True

    async def take(self, nbytes: int) -> None:
        """Wait until the link is free, then book it for ``nbytes`` bytes: the caller sends
        them right away and the next :meth:`take` waits until they have passed."""
        if nbytes <= 0:
            return
        if self.trace is None:
            self.bytes_granted += nbytes
            return
        async with self._lock:
            now = self.now()
            # Busy without a pause since the last booking: the gap is our own lateness
            # (the process was not scheduled), so make up for up to catchup_s of it.
            slack = self.burst_s if self._went_idle else self.catchup_s
            self._went_idle = False
            start = max(self._vt, now - slack)
            if start > now:  # the link is still busy with earlier chunks
                await self._sleep(start - now)
            self._vt = start + self.trace.time_to_deliver(nbytes, start)
            self.busy_until = self._vt
            self.bytes_granted += nbytes
