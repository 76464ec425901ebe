"""Aborting a fetch from outside: :class:`CancelToken`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable


class CancelToken:
    """Ask one or more fetches to stop.

    Pass the token to :meth:`player.net.Fetcher.fetch`; ``cancel()`` makes that fetch
    raise ``PlayerError(REQUEST_CANCELLED)`` at once (its connection is closed, a backoff
    wait is cut short). An ABR policy abandoning a download calls it from the progress
    callback. A token stays cancelled; fetches started with it fail immediately.

    Call ``cancel()`` on the event loop's thread; from another thread use
    ``loop.call_soon_threadsafe(token.cancel)``.
    """

    __slots__ = ("_callbacks", "_reason")

    def __init__(self) -> None:
        self._reason: str | None = None
        self._callbacks: list[Callable[[str], None]] = []

    @property
    def cancelled(self) -> bool:
        """True once ``cancel()`` was called."""
        return self._reason is not None

    @property
    def reason(self) -> str | None:
        """The reason given to ``cancel()``."""
        return self._reason

    def cancel(self, reason: str = "cancelled by the caller") -> None:
        """Stop every fetch using this token; later calls do nothing."""
        if self._reason is not None:
            return
        self._reason = reason
        callbacks, self._callbacks = self._callbacks, []
        for cb in callbacks:
            cb(reason)

    def subscribe(self, callback: Callable[[str], None]) -> Callable[[], None]:
        """Call ``callback(reason)`` on cancel; returns a function that unsubscribes."""
        self._callbacks.append(callback)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(callback)

        return unsubscribe
