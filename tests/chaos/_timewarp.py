"""Run real asyncio code (sockets, aiohttp, the Player, the shaped origin) K times faster.

:class:`TimeWarpLoop` is an ordinary selector event loop whose clock runs K times faster
than ``time.monotonic()`` while the loop waits: ``loop.time()`` is warped and the
selector's timeouts shrink to match, so every ``asyncio.sleep``, ``wait_for``,
``call_later`` and aiohttp timeout fires after 1/K of the wall time it names. While the
loop works, its clock runs at wall speed, so CPU work and the lateness of a process
starved on a loaded machine count once, not K times (a 0.3 s hiccup stays 0.3 s of
playback instead of becoming a 5 s stall). Sockets stay real, bytes really cross
loopback; only waiting is shortened. Give the Player and the shaped origin ``loop.time``
as their clock and an hour of playback over a real trace takes about an hour / K of wall
time, with the same rates, buffer levels and timeouts as seen in playback time.

Work is not sped up: decoding, parsing and copying take the time they take, so K must
leave the machine room (a headless ``NullSink`` session of small segments manages
K = 10-60 here; a ``DecodingSink`` given ``now=loop.time`` shows frames on the warped
clock, which small rungs allow at K = 4).
"""

from __future__ import annotations

import asyncio
import selectors
import threading
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class _WarpClock:
    """Warped monotonic time: wall time while the loop works, ``scale`` times faster while
    it waits in ``select``. Only waiting is shortened, so a loop busy with real work (or
    starved of CPU on a loaded machine) does not see its own lateness multiplied."""

    def __init__(self, scale: float) -> None:
        self.scale = scale
        self.wall0 = time.monotonic()
        self._idle = 0.0  # wall seconds spent waiting in select, finished waits
        self._since: float | None = None  # start of the wait in progress
        self._last = self.wall0
        self._lock = threading.Lock()  # decode threads read the clock too

    def idle_begin(self) -> None:
        with self._lock:
            self._since = time.monotonic()

    def idle_end(self) -> None:
        with self._lock:
            if self._since is not None:
                self._idle += time.monotonic() - self._since
                self._since = None

    def now(self) -> float:
        with self._lock:
            wall = time.monotonic()
            idle = self._idle + (wall - self._since if self._since is not None else 0.0)
            t = wall + (self.scale - 1.0) * idle
            self._last = t = max(t, self._last)
            return t


class _WarpSelector(selectors.BaseSelector):
    """A selector whose ``select`` timeout (given in warped seconds) is scaled to wall time,
    and whose waits are what the warped clock speeds up."""

    def __init__(self, inner: selectors.BaseSelector, clock: _WarpClock) -> None:
        self._inner = inner
        self._clock = clock

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0:
            timeout /= self._clock.scale
        self._clock.idle_begin()
        try:
            return self._inner.select(timeout)
        finally:
            self._clock.idle_end()

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class TimeWarpLoop(asyncio.SelectorEventLoop):
    """An event loop whose time runs up to ``scale`` times faster than the wall clock:
    ``scale`` times while it waits for I/O or timers, at wall speed while it works."""

    def __init__(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, not {scale}")
        self.scale = float(scale)
        self._warp = _WarpClock(self.scale)
        super().__init__(_WarpSelector(selectors.DefaultSelector(), self._warp))

    def time(self) -> float:
        """Warped monotonic seconds (thread-safe: decode threads may use it as a clock)."""
        return self._warp.now()

    def wall(self) -> float:
        """Wall-clock seconds since this loop was made."""
        return time.monotonic() - self._warp.wall0


def run_warped(coro: Coroutine[Any, Any, T], scale: float, *, wall_timeout: float) -> T:
    """Run ``coro`` to completion on a fresh :class:`TimeWarpLoop`.

    ``wall_timeout`` bounds the run in wall seconds (TimeoutError after it), so a hung
    scenario fails instead of blocking the suite. The loop's async generators and default
    executor are shut down and the loop closed before returning, as ``asyncio.run`` does.
    """
    loop = TimeWarpLoop(scale)
    try:
        asyncio.set_event_loop(loop)
        bounded = asyncio.wait_for(coro, timeout=wall_timeout * scale)
        return loop.run_until_complete(bounded)
    finally:
        try:
            _cancel_all(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def _cancel_all(loop: asyncio.AbstractEventLoop) -> None:
    tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
    for t in tasks:
        t.cancel()
    if tasks:
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
