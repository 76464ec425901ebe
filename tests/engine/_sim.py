"""A tiny discrete-event driver for engine tests: completes fetches at a scripted rate.

It is a second driver of the real engine (no sockets, no clock), in the spirit of the
headless simulator: every Fetch takes ``rtt + bytes*8/bandwidth`` seconds; ``fail``
decides which fetches fail; ``data`` supplies bodies (index and manifest requests).
"""

from __future__ import annotations

from collections.abc import Callable

from player.engine import Abort, Action, Engine, Fetch, FetchPurpose, PlayerEvent, WaitUntil
from player.errors import PlayerError


def fetch_size(f: Fetch) -> int:
    if f.purpose is FetchPurpose.MEDIA:
        assert f.bitrate_bps is not None and f.segment is not None
        return int(f.bitrate_bps * f.segment.duration / 8)
    if f.purpose is FetchPurpose.INIT:
        return 800
    return 2_000


class Sim:
    def __init__(
        self,
        engine: Engine,
        bandwidth: Callable[[float], float] | float = 5e6,
        rtt: float = 0.02,
        fail: Callable[[Fetch, float], PlayerError | None] | None = None,
        data: Callable[[Fetch], bytes | None] | None = None,
    ) -> None:
        self.engine = engine
        self.bandwidth = bandwidth if callable(bandwidth) else (lambda t, b=bandwidth: b)
        self.rtt = rtt
        self.fail = fail
        self.data = data
        self.now = 0.0
        self.pending: dict[int, tuple[Fetch, float]] = {}
        self.wait: float | None = None
        self.actions: list[Action] = []
        self.fetches: list[Fetch] = []
        self.issued: dict[int, float] = {}
        self.after_step: Callable[[Sim], None] | None = None

    def feed(self, actions: list[Action]) -> list[Action]:
        for a in actions:
            if isinstance(a, Fetch):
                size = fetch_size(a)
                self.fetches.append(a)
                self.issued[a.request_id] = self.now
                self.pending[a.request_id] = (
                    a,
                    self.now + self.rtt + size * 8 / self.bandwidth(self.now),
                )
            elif isinstance(a, Abort):
                self.pending.pop(a.request_id, None)
            elif isinstance(a, WaitUntil):
                self.wait = a.time
        self.actions.extend(actions)
        return actions

    def start(self, now: float = 0.0, **kw: object) -> list[Action]:
        self.now = now
        return self.feed(self.engine.start(now, **kw))  # type: ignore[arg-type]

    def step(self) -> bool:
        """Process the next event; False when there is none."""
        nxt: tuple[float, int | None] | None = None
        for rid, (_, t) in self.pending.items():
            if nxt is None or t < nxt[0]:
                nxt = (t, rid)
        if self.wait is not None and (nxt is None or self.wait < nxt[0]):
            nxt = (self.wait, None)
        if nxt is None:
            return False
        t, rid = nxt
        self.now = max(self.now, t)
        if rid is None:
            self.wait = None
            self.feed(self.engine.tick(self.now))
        else:
            f, _ = self.pending.pop(rid)
            err = self.fail(f, self.now) if self.fail else None
            if err is not None:
                self.feed(self.engine.failed(rid, err, self.now))
            else:
                body = self.data(f) if self.data else None
                if body is not None:
                    self.feed(self.engine.complete(rid, self.now, body))
                else:
                    self.feed(self.engine.complete(rid, self.now, nbytes=fetch_size(f)))
        if self.after_step is not None:
            self.after_step(self)
        return True

    def run(self, until: float, max_steps: int = 20_000) -> None:
        for _ in range(max_steps):
            nxt = min(
                [t for _, t in self.pending.values()]
                + ([self.wait] if self.wait is not None else []),
                default=None,
            )
            if nxt is None or nxt > until:
                self.now = max(self.now, until)
                return
            self.step()
        raise AssertionError("simulation did not settle within max_steps")

    def events(self, kind: type[PlayerEvent] | None = None) -> list[PlayerEvent]:
        return [
            a
            for a in self.actions
            if isinstance(a, PlayerEvent) and (kind is None or isinstance(a, kind))
        ]
