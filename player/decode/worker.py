"""Threads and bounded queues between the asyncio loop and the decoders.

Decoding runs in worker threads (PyAV releases the GIL while FFmpeg works); the loop hands
chunks over through a :class:`ChunkQueue`, whose :meth:`~ChunkQueue.put` awaits room
without blocking the loop, so a full decoder pushes back on the fetcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")
# Waiters also wake on this period, a safety net should a wake-up ever be missed.
_WAKE_PERIOD = 0.5


def _wake(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)


class ChunkQueue(Generic[T]):
    """A bounded FIFO: coroutines put (awaiting room), one worker thread gets."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = []

    def __len__(self) -> int:
        with self._cond:
            return len(self._items)

    async def put(self, item: T) -> None:
        """Append ``item``, awaiting until the queue has room."""
        loop = asyncio.get_running_loop()
        while True:
            with self._cond:
                if len(self._items) < self._capacity:
                    self._items.append(item)
                    self._cond.notify()
                    return
                fut: asyncio.Future[None] = loop.create_future()
                waiter = (loop, fut)
                self._waiters.append(waiter)
            try:
                await asyncio.wait_for(fut, _WAKE_PERIOD)
            except TimeoutError:
                pass
            finally:
                with self._cond:
                    if waiter in self._waiters:
                        self._waiters.remove(waiter)

    def put_nowait(self, item: T) -> None:
        """Append ``item`` even when full (end-of-stream markers must never wait)."""
        with self._cond:
            self._items.append(item)
            self._cond.notify()

    def get(self, timeout: float) -> T | None:
        """The oldest item, or None after ``timeout`` seconds without one (worker side)."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
            if not self._items:
                return None
            item = self._items.popleft()
        self._wake_putters()
        return item

    def clear(self) -> None:
        """Drop every queued item (a flush)."""
        with self._cond:
            self._items.clear()
            self._cond.notify_all()
        self._wake_putters()

    def _wake_putters(self) -> None:
        with self._cond:
            waiters, self._waiters = self._waiters, []
        for loop, fut in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits any more
                loop.call_soon_threadsafe(_wake, fut)


class WorkerThread:
    """A daemon thread calling ``step()`` until stopped; ``step`` waits with timeouts.

    An exception escaping ``step`` is a bug: it goes to ``on_crash`` and the thread ends,
    rather than dying silently.
    """

    def __init__(
        self, name: str, step: Callable[[], None], on_crash: Callable[[BaseException], None]
    ) -> None:
        self._step = step
        self._on_crash = on_crash
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end after its current step."""
        self._stop.set()

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the thread to end; True if it did."""
        if self._thread.ident is not None:
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
        except BaseException as exc:
            self._on_crash(exc)
