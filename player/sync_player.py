"""A thread-backed Player for apps that are not async.

:class:`SyncPlayer` runs a :class:`~player.player.Player` on an event loop in its own
thread and turns every call into a blocking one::

    with SyncPlayer(PlayerConfig()) as player:
        player.load("http://127.0.0.1:8000/manifest.mpd")
        stats = player.wait_ended(timeout=120)

Callbacks given to :meth:`SyncPlayer.on` run on the player's thread: keep them short and
hand work to your own thread (or use :meth:`SyncPlayer.events`, a blocking iterator fed
through a thread-safe queue).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable, Coroutine, Iterator
from types import TracebackType
from typing import Any, TypeVar

from player.config import PlayerConfig
from player.engine import EngineState, PlayerEvent
from player.errors import Code, PlayerError
from player.manifest.model import TrackKind
from player.player import EventCallback, Player, TrackInfo
from player.sink import MediaSink
from player.stats import PlaybackStats

__all__ = ["SyncPlayer"]

T = TypeVar("T")


class SyncPlayer:
    """The :class:`~player.player.Player` API, blocking, backed by a thread.

    Arguments are those of :class:`~player.player.Player`. ``call_timeout`` bounds every
    call but :meth:`load` and :meth:`wait_ended`, which take their own timeouts.
    """

    def __init__(
        self,
        config: PlayerConfig | None = None,
        *,
        sink: MediaSink | None = None,
        call_timeout: float = 10.0,
        **player_kwargs: Any,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="abrkit-sync-player", daemon=True
        )
        self._thread.start()
        self._timeout = call_timeout
        self._closed = False

        async def make() -> Player:
            return Player(config, sink=sink, **player_kwargs)

        self._player = self._run(make(), call_timeout)

    # -- plumbing ---------------------------------------------------------------------

    def _run(self, coro: Coroutine[Any, Any, T], timeout: float | None) -> T:
        if self._closed:
            coro.close()
            raise PlayerError(Code.INVALID_STATE, "the player is closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise

    def _call(self, fn: Callable[[], T]) -> T:
        async def wrapper() -> T:
            return fn()

        return self._run(wrapper(), self._timeout)

    # -- the Player API ---------------------------------------------------------------

    def load(self, url: str, start: float | None = None, timeout: float | None = 30.0) -> None:
        """Load ``url`` and start streaming (blocks until streaming has begun)."""
        self._run(self._player.load(url, start), timeout)

    def play(self) -> None:
        """Start or resume playback."""
        self._call(self._player.play)

    def pause(self) -> None:
        """Pause playback."""
        self._call(self._player.pause)

    def seek(self, position: float) -> None:
        """Seek to ``position`` seconds."""
        self._call(lambda: self._player.seek(position))

    def select_quality(self, quality: int | None, kind: TrackKind = TrackKind.VIDEO) -> None:
        """Fix a rung, or None for ABR."""
        self._call(lambda: self._player.select_quality(quality, kind))

    def select_audio_language(self, language: str) -> None:
        """Switch audio language without a stall."""
        self._call(lambda: self._player.select_audio_language(language))

    def select_text_language(self, language: str | None) -> None:
        """Subtitles in ``language``; None turns them off."""
        self._call(lambda: self._player.select_text_language(language))

    @property
    def state(self) -> EngineState:
        """The engine's state."""
        return self._call(lambda: self._player.state)

    @property
    def position(self) -> float:
        """The playhead."""
        return self._call(lambda: self._player.position)

    @property
    def tracks(self) -> list[TrackInfo]:
        """The tracks of the title."""
        return self._call(lambda: self._player.tracks)

    @property
    def stats(self) -> PlaybackStats:
        """The session's stats so far."""
        return self._call(lambda: self._player.stats)

    def on(self, event: type[PlayerEvent] | None, callback: EventCallback) -> Callable[[], None]:
        """Subscribe ``callback`` (run on the player's thread); returns an unsubscriber."""
        unsubscribe = self._call(lambda: self._player.on(event, callback))

        def off() -> None:
            if not self._closed:
                self._call(unsubscribe)

        return off

    def events(self, timeout: float | None = None) -> Iterator[PlayerEvent]:
        """Events from now on, blocking; ends when the player closes or ``timeout``
        seconds pass without an event."""
        q: queue.Queue[PlayerEvent | None] = queue.Queue()
        off = self.on(None, q.put)
        try:
            while True:
                try:
                    ev = q.get(timeout=timeout)
                except queue.Empty:
                    return
                if ev is None:
                    return
                yield ev
                if self._closed:
                    return
        finally:
            off()

    def wait_ended(self, timeout: float | None = None) -> PlaybackStats:
        """Block until playback ends; returns the stats (raises a fatal PlayerError)."""
        return self._run(self._player.wait_ended(timeout), None if timeout is None else timeout + 5)

    def close(self) -> None:
        """Close the player and stop its thread."""
        if self._closed:
            return
        try:
            self._run(self._player.close(), self._timeout)
        finally:
            self._closed = True
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(self._timeout)
            if not self._thread.is_alive():
                self._loop.close()

    def __enter__(self) -> SyncPlayer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
