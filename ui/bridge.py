"""The asyncio loop thread and the way back to the Qt thread.

The Player, its downloads and the local origin run on one asyncio loop in a thread of its
own (:class:`LoopThread`); Qt stays on the main thread and never waits on the network.
Work goes to the loop with :meth:`LoopThread.submit`; results and events come back through
:class:`QtInvoker`, a queued Qt signal, so callbacks run on the Qt thread.

A dedicated thread rather than qasync: the loop keeps running while Qt blocks in a modal
dialog or a native resize, and shutting it down is one bounded join.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PyQt6.QtCore import QObject, pyqtSignal, pyqtSlot

from player import Code, PlayerError

__all__ = ["LoopThread", "QtInvoker"]

T = TypeVar("T")


class LoopThread:
    """An asyncio event loop running in a daemon thread until :meth:`shutdown`."""

    def __init__(self, name: str = "abrkit-loop") -> None:
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._closed = False
        self._thread.start()
        self._ready.wait(5.0)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.call_soon(self._ready.set)
        try:
            self._loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        """The loop (use it only through :meth:`submit` and :meth:`call` from other threads)."""
        return self._loop

    @property
    def alive(self) -> bool:
        """Whether the loop's thread is still running."""
        return self._thread.is_alive()

    def in_loop(self) -> bool:
        """Whether the caller runs on the loop's thread."""
        return threading.current_thread() is self._thread

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        """Run ``coro`` on the loop; returns a future for its result (never blocks)."""
        if self._closed:
            coro.close()
            raise PlayerError(Code.INVALID_STATE, "the player loop is shut down")
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def call(self, fn: Callable[[], T]) -> concurrent.futures.Future[T]:
        """Run ``fn()`` on the loop; returns a future for its result."""

        async def run() -> T:
            return fn()

        return self.submit(run())

    def shutdown(
        self,
        cleanup: Callable[[], Coroutine[Any, Any, object]] | None = None,
        timeout: float = 1.0,
    ) -> bool:
        """Run ``cleanup()`` (closing the player) and stop the loop, all within ``timeout``
        seconds: what is still running then is cancelled. Returns whether the thread
        ended in time (it is a daemon either way, so it never holds the process)."""
        if self._closed:
            return not self._thread.is_alive()
        self._closed = True
        deadline = time.monotonic() + timeout
        if self._thread.is_alive():
            # Most of the budget goes to a clean close; the rest to cancelling stragglers.
            budget = timeout * 0.6
            fut = asyncio.run_coroutine_threadsafe(self._stop(cleanup, budget), self._loop)
            with contextlib.suppress(Exception):
                fut.result(max(0.0, deadline - time.monotonic()))
            if self._thread.is_alive() and not fut.done():
                self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(max(0.0, deadline - time.monotonic()))
        return not self._thread.is_alive()

    async def _stop(
        self, cleanup: Callable[[], Coroutine[Any, Any, object]] | None, budget: float
    ) -> None:
        loop = asyncio.get_running_loop()
        if cleanup is not None:
            with contextlib.suppress(Exception, asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(cleanup(), budget)
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks(loop) if t is not me]
        for task in others:
            task.cancel()
        if others:
            await asyncio.wait(others, timeout=0.2)
        loop.call_soon(loop.stop)


class QtInvoker(QObject):
    """Runs callables on the Qt thread, whichever thread asks (a queued signal)."""

    _invoke = pyqtSignal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._invoke.connect(self._run)

    def post(self, fn: Callable[[], object]) -> None:
        """Queue ``fn()`` to run on the Qt thread (safe from any thread)."""
        with contextlib.suppress(RuntimeError):  # the window is gone: nobody to tell
            self._invoke.emit(fn)

    def deliver(
        self,
        future: concurrent.futures.Future[T],
        on_result: Callable[[T], object] | None = None,
        on_error: Callable[[BaseException], object] | None = None,
    ) -> None:
        """When ``future`` finishes, call ``on_result(value)`` or ``on_error(exc)`` on
        the Qt thread (a cancelled future calls neither)."""

        def done(f: concurrent.futures.Future[T]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            if exc is not None:
                if on_error is not None:
                    self.post(lambda: on_error(exc))
            elif on_result is not None:
                value = f.result()
                self.post(lambda: on_result(value))

        future.add_done_callback(done)

    @pyqtSlot(object)
    def _run(self, fn: Callable[[], object]) -> None:
        fn()
