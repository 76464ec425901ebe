"""Run real asyncio code (sockets, aiohttp, the Player, the shaped origin) K times faster.

:class:`TimeWarpLoop` is an ordinary selector event loop whose clock runs K times faster
than ``time.monotonic()``: ``loop.time()`` is warped and the selector's timeouts are
shrunk to match, so every ``asyncio.sleep``, ``wait_for``, ``call_later`` and aiohttp
timeout fires after 1/K of the wall time it names. Sockets stay real, bytes really cross
loopback; only waiting is shortened. Give the Player and the shaped origin ``loop.time``
as their clock and an hour of playback over a real trace takes an hour / K of wall time
with the same rates, buffer levels and timeouts as seen in playback time.

What cannot be warped is work: decoding, parsing and copying take the wall time they take,
so K must stay low enough for the machine to keep up (a headless ``NullSink`` session of
small segments manages K = 10-60 here; a decoding sink is timed by its own clock and is
not warped).
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Coroutine, Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class _WarpSelector(selectors.BaseSelector):
    """A selector whose ``select`` timeout (given in warped seconds) is scaled to wall time."""

    def __init__(self, inner: selectors.BaseSelector, scale: float) -> None:
        self._inner = inner
        self._scale = scale

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.unregister(fileobj)

    def modify(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        return self._inner.modify(fileobj, events, data)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is not None and timeout > 0:
            timeout /= self._scale
        return self._inner.select(timeout)

    def close(self) -> None:
        self._inner.close()

    def get_key(self, fileobj: Any) -> selectors.SelectorKey:
        return self._inner.get_key(fileobj)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._inner.get_map()


class TimeWarpLoop(asyncio.SelectorEventLoop):
    """An event loop whose time runs ``scale`` times faster than the wall clock."""

    def __init__(self, scale: float) -> None:
        if not scale > 0:
            raise ValueError(f"scale must be > 0, not {scale}")
        self.scale = float(scale)
        self._wall0 = time.monotonic()
        super().__init__(_WarpSelector(selectors.DefaultSelector(), self.scale))

    def time(self) -> float:
        """Warped monotonic seconds: start + wall seconds since start x scale."""
        return self._wall0 + (time.monotonic() - self._wall0) * self.scale

    def wall(self) -> float:
        """Wall-clock seconds since this loop was made."""
        return time.monotonic() - self._wall0


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
