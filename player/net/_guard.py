"""Interrupting the current task with a typed error (timeouts, cancel tokens).

Like ``asyncio.timeout``: a guard cancels the task that entered it and turns the
resulting ``CancelledError`` into a :class:`PlayerError` on exit, while a cancellation
from outside (the caller cancelling its task) still propagates as ``CancelledError``.
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from player.errors import Code, PlayerError
from player.net.retry import RetryPolicy, limit


class Guard:
    """An async context that can be interrupted with a :class:`PlayerError`."""

    def __init__(self) -> None:
        self._task: asyncio.Task[object] | None = None
        self._cancelling = 0
        self._error: PlayerError | None = None
        self._cancel_sent = False
        self._active = False

    async def __aenter__(self) -> Guard:
        task = asyncio.current_task()
        if task is None:  # pragma: no cover - always inside a task under asyncio
            raise RuntimeError("Guard used outside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self._active = True
        return self

    def fire(self, error: PlayerError) -> None:
        """Interrupt the guarded block with ``error`` (first call wins)."""
        if not self._active or self._error is not None or self._task is None:
            return
        self._error = error
        if asyncio.current_task() is self._task:
            return  # raised at the block's next check(), no self-cancel needed
        self._cancel_sent = True
        self._task.cancel()

    def check(self) -> None:
        """Raise the error now if the block was interrupted from inside its own task."""
        if self._error is not None and not self._cancel_sent:
            raise self._error

    @property
    def error(self) -> PlayerError | None:
        """The error the block was interrupted with, if any."""
        return self._error

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._active = False
        self._on_exit()
        if self._error is None or not self._cancel_sent or self._task is None:
            return
        if self._task.uncancel() <= self._cancelling and exc_type is asyncio.CancelledError:
            raise self._error from None
        return

    def _on_exit(self) -> None:
        """Hook for subclasses (stop timers)."""


class AttemptGuard(Guard):
    """The deadlines of one HTTP attempt: whole attempt, first byte, stall.

    One timer, re-armed lazily: reading a chunk only stores a time, and the timer, when
    it fires, either raises the matching error or moves itself to the next deadline.
    ``first_byte`` counts from when the request was sent (the session's trace hook
    calls :meth:`request_sent`); with a session that has no such hook it counts from the
    attempt start plus the connect allowance.
    """

    def __init__(self, policy: RetryPolicy, url: str, *, traced: bool) -> None:
        super().__init__()
        self._loop = asyncio.get_running_loop()
        now = self._loop.time()
        self._url = url
        total = limit(policy.timeout_s)
        self._total_deadline = None if total is None else now + total
        self._first_byte = limit(policy.first_byte_timeout_s)
        self._stall = limit(policy.stall_timeout_s)
        self._headers_deadline: float | None = None
        if not traced and self._first_byte is not None:
            self._headers_deadline = (
                now + (limit(policy.connect_timeout_s) or 0.0) + self._first_byte
            )
        self.last_data = now
        self._in_body = False
        self._paused_at = now
        self._timer: asyncio.TimerHandle | None = None

    async def __aenter__(self) -> AttemptGuard:
        await super().__aenter__()
        self._arm()
        return self

    def request_sent(self) -> None:
        """The request went out on a connection: the first-byte clock starts."""
        if self._first_byte is not None and not self._in_body:
            self._headers_deadline = self._loop.time() + self._first_byte
            self._arm()

    def headers_received(self) -> None:
        """Response headers arrived: from now on silence counts as a stall."""
        self._in_body = True
        self._headers_deadline = None
        self.last_data = self._loop.time()
        self._arm()

    def pause(self) -> None:
        """Stop the clocks while the body waits for a slow consumer."""
        self._paused_at = self._loop.time()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def resume(self) -> None:
        """Restart the clocks; the time spent paused is not held against the network."""
        now = self._loop.time()
        if self._total_deadline is not None:
            self._total_deadline += now - self._paused_at
        self.last_data = now
        self._arm()

    def _next_deadline(self) -> float | None:
        candidates = [d for d in (self._total_deadline, self._headers_deadline) if d is not None]
        if self._in_body and self._stall is not None:
            candidates.append(self.last_data + self._stall)
        return min(candidates, default=None)

    def _arm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        deadline = self._next_deadline()
        if deadline is not None and self._active:
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        now = self._loop.time()
        url = self._url
        if self._total_deadline is not None and now >= self._total_deadline:
            self.fire(
                PlayerError(
                    Code.TIMEOUT, f"request timed out: {url}", recoverable=True, data={"url": url}
                )
            )
        elif self._headers_deadline is not None and now >= self._headers_deadline:
            self.fire(
                PlayerError(
                    Code.FIRST_BYTE_TIMEOUT,
                    f"no response headers in time: {url}",
                    recoverable=True,
                    data={"url": url},
                )
            )
        elif self._in_body and self._stall is not None and now >= self.last_data + self._stall:
            self.fire(
                PlayerError(
                    Code.STALL_TIMEOUT,
                    f"body stalled for {self._stall} s: {url}",
                    recoverable=True,
                    data={"url": url, "stall_s": self._stall},
                )
            )
        else:
            self._arm()

    def _on_exit(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
