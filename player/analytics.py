"""Analytics sinks: every Player event, with its time, to a JSON-lines file or a callback.

Records are dicts: the event's fields (``PlayerEvent.to_record``) plus ``session_id`` and
``session_time`` (seconds since the Player started loading). Sinks batch: they deliver
when ``batch_size`` records are waiting or ``flush_interval_s`` passed since the last
delivery, and on :meth:`close`. A sink that fails (a full disk, a callback that raises)
reports ``False`` from :meth:`emit` once and drops the batch instead of stopping playback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any, Protocol

from player.config import AnalyticsConfig

__all__ = ["AnalyticsSink", "CallbackAnalytics", "JsonLinesAnalytics", "make_analytics"]

Record = dict[str, Any]


class AnalyticsSink(Protocol):
    """Where event records go."""

    def emit(self, record: Record, now: float) -> bool:
        """Queue one record; False when a delivery just failed."""
        ...

    def flush(self) -> bool:
        """Deliver what is queued; False when delivery failed."""
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...


class _Batching:
    def __init__(self, batch_size: int, flush_interval_s: float) -> None:
        self._batch: list[Record] = []
        self._batch_size = batch_size
        self._interval = flush_interval_s
        self._last: float | None = None
        self.delivered = 0
        self.failures = 0

    def emit(self, record: Record, now: float) -> bool:
        self._batch.append(record)
        if self._last is None:
            self._last = now
        if len(self._batch) >= self._batch_size or now - self._last >= self._interval:
            self._last = now
            return self.flush()
        return True

    def flush(self) -> bool:
        if not self._batch:
            return True
        batch, self._batch = self._batch, []
        try:
            self._deliver(batch)
        except Exception:  # analytics must never stop playback
            self.failures += 1
            return False
        self.delivered += len(batch)
        return True

    def _deliver(self, batch: list[Record]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        self.flush()


class JsonLinesAnalytics(_Batching):
    """Appends one JSON object per line to ``path`` (created with its directory)."""

    def __init__(
        self, path: str | os.PathLike[str], batch_size: int = 32, flush_interval_s: float = 5.0
    ) -> None:
        super().__init__(batch_size, flush_interval_s)
        self.path = os.fspath(path)

    def _deliver(self, batch: list[Record]) -> None:
        directory = os.path.dirname(self.path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        lines = "".join(json.dumps(r, separators=(",", ":"), default=str) + "\n" for r in batch)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(lines)


class CallbackAnalytics(_Batching):
    """Calls ``callback(records)`` with each batch (the app's own analytics)."""

    def __init__(
        self,
        callback: Callable[[list[Record]], None],
        batch_size: int = 32,
        flush_interval_s: float = 5.0,
    ) -> None:
        super().__init__(batch_size, flush_interval_s)
        self._callback = callback

    def _deliver(self, batch: list[Record]) -> None:
        self._callback(batch)


class _Fanout:
    def __init__(self, sinks: list[AnalyticsSink]) -> None:
        self._sinks = sinks

    def emit(self, record: Record, now: float) -> bool:
        return all([s.emit(record, now) for s in self._sinks])

    def flush(self) -> bool:
        return all([s.flush() for s in self._sinks])

    def close(self) -> None:
        for s in self._sinks:
            s.close()


def make_analytics(config: AnalyticsConfig) -> AnalyticsSink | None:
    """The sink(s) an :class:`~player.config.AnalyticsConfig` asks for, or None."""
    sinks: list[AnalyticsSink] = []
    if config.path is not None:
        sinks.append(JsonLinesAnalytics(config.path, config.batch_size, config.flush_interval_s))
    if config.callback is not None:
        sinks.append(CallbackAnalytics(config.callback, config.batch_size, config.flush_interval_s))
    if not sinks:
        return None
    return sinks[0] if len(sinks) == 1 else _Fanout(sinks)
