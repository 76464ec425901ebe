"""The shared bottleneck: one token bucket refilled at a trace's rate over wall time.

Every response body is written in chunks and every chunk first takes its bytes from the
one :class:`SharedLink` of an origin, so concurrent responses share the link the way
flows share a real bottleneck (round-robin per chunk, through a FIFO lock).

The bucket is kept as a *virtual finish time* rather than a token count: ``_vt`` is the
link time up to which capacity has been handed out. Taking ``n`` bytes moves it to
``vt + trace.time_to_deliver(n, vt)`` (exact, across rate changes and outages of the
trace) and sleeps until then. An idle link may start a chunk at most ``burst_s`` in the
past, which is the bucket's depth: a burst of ``burst_s`` worth of bytes, and slack that
absorbs the event loop's lateness in waking a sleeper, so oversleeping by a millisecond
does not lose capacity (the next chunk starts at the old finish time, not at "now").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from traces.trace import Trace

# Write chunk: about CHUNK_SECONDS of the current rate, within these bounds. Small enough
# that 0.5 Mbit/s still moves every ~30 ms, large enough that 50 Mbit/s needs only ~100
# writes a second (asyncio costs tens of microseconds a write).
CHUNK_SECONDS = 0.01
MIN_CHUNK = 2048
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
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.trace = trace
        self.burst_s = burst_s
        self._clock = clock
        self._sleep = sleep
        self._t0 = clock()
        self._vt = 0.0
        self._lock = asyncio.Lock()
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
        """How many bytes the next write should carry at the current rate."""
        rate = self.rate_now()
        if rate is None:
            return UNSHAPED_CHUNK
        return int(min(MAX_CHUNK, max(MIN_CHUNK, rate / 8 * CHUNK_SECONDS)))

    async def take(self, nbytes: int) -> None:
        """Wait until the link has carried ``nbytes`` more bytes for the caller."""
        if nbytes <= 0:
            return
        if self.trace is None:
            self.bytes_granted += nbytes
            return
        async with self._lock:
            now = self.now()
            vt = max(self._vt, now - self.burst_s)
            end = vt + self.trace.time_to_deliver(nbytes, vt)
            self._vt = end
            self.busy_until = end
            self.bytes_granted += nbytes
            if end > now:
                await self._sleep(end - now)
