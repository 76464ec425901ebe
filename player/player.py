"""The Player facade: the sans-I/O engine driven in real time on asyncio.

::

    async with Player(PlayerConfig()) as player:
        await player.load("http://127.0.0.1:8000/manifest.mpd")
        player.on(Stalled, lambda ev: print("stall at", ev.position))
        await player.wait_ended()
        print(player.stats.to_json())

The Player owns one :class:`~player.net.Fetcher`, one :class:`~player.engine.Engine`, a
:class:`~player.sink.MediaSink` (``NullSink`` by default: headless, no decoding; pass a
``player.decode.DecodingSink`` to decode) and the session's stats and analytics. Its loop
task feeds the engine events with ``time.monotonic()`` times, carries out the actions
(fetch tasks, aborts, sink flushes) and forwards the engine's events to callbacks
(:meth:`on`), async iterators (:meth:`events`), the analytics sink and the stats. Media
reaches the sink through one feeder task per track, so a full video queue never holds
audio back. When the sink keeps a clock (``position()`` is not None) it is the playhead.

Everything runs on the event loop that called :meth:`load`; the public methods are to be
called from that loop (use :class:`~player.sync_player.SyncPlayer` from other threads).
Nothing here blocks the loop: decoding runs in the sink's threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from abr.interface import AbrPolicy, BandwidthEstimator, Rung
from abr.registry import UnknownNameError, create_estimator, create_policy
from player import cmcd
from player.analytics import AnalyticsSink, make_analytics
from player.bandwidth_cache import BandwidthCache, host_of
from player.config import PlayerConfig
from player.drm_session import DrmSession
from player.engine import (
    Abort,
    Action,
    Ended,
    Engine,
    EngineState,
    Error,
    Fetch,
    FetchPurpose,
    Flush,
    PlaybackStarted,
    PlayerEvent,
    Resumed,
    Seeked,
    SegmentAppended,
    Stalled,
    StreamFetched,
    WaitUntil,
)
from player.errors import Code, PlayerError
from player.manifest import Presentation, TrackKind, parse_manifest
from player.net import CancelToken, Fetcher, NetworkConfig, Progress, RequestType
from player.sink import MediaChunk, MediaSink, NullSink
from player.stats import PlaybackStats, StatsCollector

__all__ = ["EventCallback", "Player", "TrackInfo"]

EventCallback = Callable[[PlayerEvent], None]

_REQUEST_TYPE = {
    FetchPurpose.MEDIA: RequestType.SEGMENT,
    FetchPurpose.INIT: RequestType.INIT_SEGMENT,
    FetchPurpose.INDEX: RequestType.INDEX,
    FetchPurpose.MANIFEST: RequestType.MANIFEST,
}
_OBJECT_TYPE = {TrackKind.VIDEO: "v", TrackKind.AUDIO: "a", TrackKind.TEXT: "tt"}
_PROGRESS_INTERVAL_S = 0.1  # how often an in-flight download is shown to the policy
_SINK_TICK_S = 0.25  # how often a sink's clock is read while playing
_EVENT_QUEUE = 1024  # events an async iterator may fall behind before dropping
_END_GRACE_S = 2.0  # how long past the media's end a rendering sink may take to play out
_END_POLL_S = 0.02  # how often a rendering sink is asked whether it played out


@dataclass(frozen=True, slots=True)
class TrackInfo:
    """A track of the loaded title, as ``Player.tracks`` lists it."""

    kind: TrackKind
    id: str
    language: str | None
    label: str | None
    codecs: str | None
    roles: tuple[str, ...]
    selected: bool
    rungs: tuple[Rung, ...]  # playable rungs, lowest first (selected track only)


class _Feeder:
    """Feeds one track's chunks to the sink in order; stale ones are skipped."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[int, MediaChunk | None]] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None
        self.eos_gen = -1


def _ensure_registered() -> None:
    # Policies and estimators register themselves when their modules are imported.
    for name in ("abr.estimators", "abr.policies"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)


class Player:
    """Plays one title at a time; see the module docstring.

    ``config``: the :class:`~player.config.PlayerConfig`. ``sink``: where media goes
    (default :class:`~player.sink.NullSink`). ``fetcher``: a shared
    :class:`~player.net.Fetcher` (default: one of the Player's own, closed with it).
    ``policy`` / ``estimator``: instances to use instead of the ones ``config.abr``
    names. ``clock``: the monotonic clock events are timed with.
    """

    def __init__(
        self,
        config: PlayerConfig | None = None,
        *,
        sink: MediaSink | None = None,
        fetcher: Fetcher | None = None,
        policy: AbrPolicy | None = None,
        estimator: BandwidthEstimator | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config or PlayerConfig()
        self._sink: MediaSink = sink if sink is not None else NullSink()
        self._own_fetcher = fetcher is None
        self._fetcher = fetcher
        self._policy = policy
        self._estimator = estimator
        self._clock = clock
        self._engine: Engine | None = None
        self._url: str | None = None
        self._load_time = clock()
        self._stats = StatsCollector(self._load_time)
        self._analytics: AnalyticsSink | None = make_analytics(self.config.analytics)
        self._session_id = self.config.cmcd.session_id or str(uuid.uuid4())
        self._inbox: asyncio.Queue[Callable[[float], list[Action]] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._inflight: dict[int, tuple[asyncio.Task[None], CancelToken]] = {}
        self._feeders: dict[TrackKind, _Feeder] = {}
        self._feed_gen = 0
        self._wake: float | None = None
        self._callbacks: list[tuple[type[PlayerEvent] | None, EventCallback]] = []
        self._subscribers: list[asyncio.Queue[PlayerEvent | None]] = []
        self._done: asyncio.Future[None] | None = None
        self._closed = False
        self._paused = not self.config.streaming.autoplay
        self._starved = False
        self._bw_cache: BandwidthCache | None = None
        self._drm: DrmSession | None = None
        self._keys_hold = False  # playback waits for a license, as a media element does
        self._stopped = False  # a fatal error outside the engine: fetch nothing more
        self._end_task: asyncio.Task[None] | None = None

    # -- lifecycle --------------------------------------------------------------------

    async def __aenter__(self) -> Player:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def load(self, url: str | Presentation, start: float | None = None) -> None:
        """Fetch and parse the manifest at ``url`` and start streaming from ``start``
        (None: the beginning, or the live edge). Returns once streaming has begun;
        raises ``PlayerError`` when the manifest cannot be fetched or played.

        ``url`` may also be a ready :class:`~player.manifest.Presentation` (an offline
        title from ``player.offline``): nothing is fetched for it, and it is never
        refreshed; its segments come through the Player's ``fetcher``."""
        if self._closed:
            raise PlayerError(Code.INVALID_STATE, "the player is closed")
        if self._engine is not None:
            raise PlayerError(Code.INVALID_STATE, "a title is already loaded; use a new Player")
        loop = asyncio.get_running_loop()
        self._load_time = self._clock()
        self._stats = StatsCollector(self._load_time)
        self._url = url.url if isinstance(url, Presentation) else url
        if self._fetcher is None:
            network = self.config.network
            if network is not None and not isinstance(network, NetworkConfig):
                raise PlayerError(Code.INVALID_CONFIG, "config.network must be a NetworkConfig")
            self._fetcher = Fetcher(network or NetworkConfig(), clock=self._clock)
        if isinstance(url, Presentation):
            presentation, parser = url, None
        else:
            query = self._cmcd_query_for_manifest()
            result = await self._fetcher.fetch(url, request_type=RequestType.MANIFEST, **query)
            self._stats.add_bytes(result.nbytes)
            presentation, parser = parse_manifest(result.data, url), _parse
        seed = self._cached_bandwidth(self._url) or self.config.abr.default_bandwidth_bps
        policy, estimator = self._make_abr(seed)
        engine = Engine(
            presentation,
            policy,
            estimator,
            self.config,
            manifest_parser=parser,
            initial_bandwidth_bps=seed,
        )
        drm_session = self._make_drm(engine, offline=isinstance(url, Presentation))
        self._engine = engine
        self._done = loop.create_future()
        self._drm = drm_session
        for kind in (TrackKind.VIDEO, TrackKind.AUDIO, TrackKind.TEXT):
            self._feeder(kind)
        actions = engine.start(self._clock(), position=start, wall_time=time.time())
        self._task = loop.create_task(self._run(), name="abrkit-player")
        self._carry_out(actions)

    async def close(self) -> None:
        """Stop streaming, cancel downloads, close the sink (and the fetcher if it is the
        Player's own), flush analytics and remember the bandwidth estimate."""
        if self._closed:
            return
        self._closed = True
        self._inbox.put_nowait(None)
        tasks: list[asyncio.Task[None]] = []
        for task, token in list(self._inflight.values()):
            token.cancel("player closed")
            task.cancel()
            tasks.append(task)
        self._inflight.clear()
        for feeder in self._feeders.values():
            if feeder.task is not None:
                feeder.task.cancel()
                tasks.append(feeder.task)
        if self._task is not None:
            self._task.cancel()
            tasks.append(self._task)
        if self._end_task is not None:
            self._end_task.cancel()
            tasks.append(self._end_task)
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        self._remember_bandwidth()
        if self._drm is not None:
            with contextlib.suppress(Exception):
                await self._drm.close()
        with contextlib.suppress(Exception):
            await self._sink.close()
        if self._own_fetcher and self._fetcher is not None:
            await self._fetcher.close()
        if self._analytics is not None:
            self._analytics.close()
        for q in self._subscribers:
            _put_dropping(q, None)
        if self._done is not None and not self._done.done():
            self._done.set_result(None)

    # -- controls ---------------------------------------------------------------------

    def fail(self, error: PlayerError) -> None:
        """Stop playback on ``error`` found outside the engine (an offline title's
        license expiring mid-play): downloads stop, the sink stops, a fatal ``Error``
        event is emitted and :meth:`wait_ended` raises ``error``. Close the Player next."""
        engine = self._need_engine()
        self._stopped = True
        for _task, token in list(self._inflight.values()):
            token.cancel("playback stopped")
        self._inflight.clear()
        if engine.error is None and self._done is not None and not self._done.done():
            self._dispatch(Error(self._clock(), error, True))

    def play(self) -> None:
        """Start or resume playback (once the content keys are in, if a license is
        being obtained)."""
        self._paused = False
        if self._keys_hold and not self._closed:
            self._need_engine()
            return  # playback starts when the keys arrive
        self._command(self._resume)

    def pause(self) -> None:
        """Pause; buffering goes on up to the goal."""
        self._paused = True
        self._sink.set_playing(False)
        self._command(lambda now: self._need_engine().pause(now))

    def seek(self, position: float) -> None:
        """Seek to ``position`` (seconds on the presentation timeline)."""
        engine = self._need_engine()
        if not isinstance(position, int | float) or isinstance(position, bool):
            # The engine takes a wrong type for a programming error (TypeError); an
            # application's caller gets the typed error.
            raise PlayerError(Code.INVALID_ARGUMENT, f"seek to a number, not {position!r}")
        self._command(lambda now: engine.seek(position, now), validate=True)

    def select_quality(self, quality: int | None, kind: TrackKind = TrackKind.VIDEO) -> None:
        """Fix the rung (index into the track's ladder) or go back to ABR with None."""
        engine = self._need_engine()
        if quality is not None and (not isinstance(quality, int) or isinstance(quality, bool)):
            raise PlayerError(Code.INVALID_ARGUMENT, f"a quality is a rung index, not {quality!r}")
        self._command(lambda now: engine.select_quality(quality, now, track=kind), validate=True)

    def select_audio_language(self, language: str) -> None:
        """Switch audio to ``language`` without a stall."""
        engine = self._need_engine()
        self._command(lambda now: engine.select_audio(now, language=language), validate=True)

    def select_text_language(self, language: str | None) -> None:
        """Show subtitles in ``language``; None turns them off."""
        engine = self._need_engine()
        self._command(lambda now: engine.select_text(now, language=language), validate=True)

    def select_track(self, track_id: str, kind: TrackKind) -> None:
        """Switch the audio or text track to the one with ``track_id``."""
        engine = self._need_engine()
        if kind == TrackKind.AUDIO:
            self._command(lambda now: engine.select_audio(now, track_id=track_id), validate=True)
        elif kind == TrackKind.TEXT:
            self._command(lambda now: engine.select_text(now, track_id=track_id), validate=True)
        else:
            raise PlayerError(Code.INVALID_ARGUMENT, f"cannot select a {kind} track by id")

    # -- state ------------------------------------------------------------------------

    @property
    def state(self) -> EngineState:
        """The engine's state (IDLE before :meth:`load`)."""
        return EngineState.IDLE if self._engine is None else self._engine.state

    @property
    def position(self) -> float:
        """The playhead now."""
        if self._engine is None:
            return 0.0
        return self._engine.position_at(self._clock())

    @property
    def presentation(self) -> Presentation | None:
        """The loaded presentation."""
        return None if self._engine is None else self._engine.presentation

    @property
    def duration(self) -> float | None:
        """Duration of the title (None for live)."""
        p = self.presentation
        return None if p is None or self.is_live else p.duration

    @property
    def is_live(self) -> bool:
        """Whether the loaded title is live."""
        return self._engine is not None and self._engine.is_live

    @property
    def buffer_level(self) -> float:
        """Seconds playable ahead of the playhead."""
        return 0.0 if self._engine is None else self._engine.buffer_level

    @property
    def engine(self) -> Engine | None:
        """The engine (read-only use: buffered ranges, ladder)."""
        return self._engine

    @property
    def tracks(self) -> list[TrackInfo]:
        """The tracks of the current period, with which ones play."""
        engine = self._engine
        if engine is None:
            return []
        pres = engine.presentation
        selected = {
            kind: engine.selected_track(kind)
            for kind in (TrackKind.VIDEO, TrackKind.AUDIO, TrackKind.TEXT)
        }
        out = []
        for period in pres.periods[:1] if not pres.is_live else pres.periods[-1:]:
            for t in period.tracks:
                sel = selected.get(t.kind)
                chosen = sel is not None and sel.id == t.id
                out.append(
                    TrackInfo(
                        kind=t.kind,
                        id=t.id,
                        language=t.language,
                        label=t.label,
                        codecs=t.codecs
                        or (t.representations[0].codecs if t.representations else None),
                        roles=t.roles,
                        selected=chosen,
                        rungs=engine.ladder(t.kind) if chosen else (),
                    )
                )
        return out

    @property
    def stats(self) -> PlaybackStats:
        """The session's stats so far."""
        engine = self._engine
        sink_stats = self._sink.stats
        now = self._clock()
        snap = self._stats.snapshot(
            now,
            estimate_bps=None if engine is None else engine.estimate_bps,
            dropped_frames=sink_stats.dropped_frames,
            frames_decoded=sink_stats.frames_decoded,
            played_s=0.0 if engine is None else engine.position_at(now),
        )
        first = sink_stats.first_frame_at
        # A rendering sink knows when the first frame was really shown. Its time is only
        # comparable when the sink keeps the Player's clock: then it lies within the session.
        if first is not None and self._load_time <= first <= now:
            snap.time_to_first_frame_s = first - self._load_time
        return snap

    # -- events -----------------------------------------------------------------------

    def on(self, event: type[PlayerEvent] | None, callback: EventCallback) -> Callable[[], None]:
        """Call ``callback(ev)`` for every event of type ``event`` (None: all); returns
        a function that unsubscribes. Callbacks run on the loop: keep them short."""
        entry = (event, callback)
        self._callbacks.append(entry)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._callbacks.remove(entry)

        return unsubscribe

    async def events(self) -> AsyncIterator[PlayerEvent]:
        """Every event from now on, until the Player closes. A consumer that falls more
        than 1024 events behind loses the oldest."""
        q: asyncio.Queue[PlayerEvent | None] = asyncio.Queue(_EVENT_QUEUE)
        self._subscribers.append(q)
        try:
            while True:
                ev = await q.get()
                if ev is None:
                    return
                yield ev
        finally:
            with contextlib.suppress(ValueError):
                self._subscribers.remove(q)

    async def wait_ended(self, timeout: float | None = None) -> PlaybackStats:
        """Wait until playback ends (or the Player closes); returns the stats. Raises the
        fatal ``PlayerError`` if playback stopped on one, and ``TimeoutError`` after
        ``timeout`` seconds."""
        done = self._done
        if done is None:
            raise PlayerError(Code.NOT_LOADED, "load() a title first")
        await asyncio.wait_for(asyncio.shield(done), timeout)
        return self.stats

    # -- the loop ---------------------------------------------------------------------

    def _need_engine(self) -> Engine:
        if self._engine is None:
            raise PlayerError(Code.NOT_LOADED, "load() a title first")
        return self._engine

    def _command(self, fn: Callable[[float], list[Action]], validate: bool = False) -> None:
        if self._closed:
            raise PlayerError(Code.INVALID_STATE, "the player is closed")
        if self._engine is None:
            raise PlayerError(Code.NOT_LOADED, "load() a title first")
        # Run now so bad arguments raise to the caller; the loop picks up the new wake.
        self._carry_out(fn(self._clock()))
        self._inbox.put_nowait(None)

    def _resume(self, now: float) -> list[Action]:
        engine = self._need_engine()
        actions = engine.play(now)
        if engine.state is EngineState.PLAYING:
            # Un-pausing sends no PlaybackStarted/Resumed/Seeked, the events that
            # otherwise start the sink's clock: start it here.
            self._sink.set_playing(True)
        return actions

    def _post(self, fn: Callable[[float], list[Action]]) -> None:
        if not self._closed:
            self._inbox.put_nowait(fn)

    async def _run(self) -> None:
        engine = self._need_engine()
        clock = self._clock
        while not self._closed:
            timeout: float | None = None
            if self._wake is not None:
                timeout = max(0.0, self._wake - clock())
            if self._sink_clock_running():
                timeout = _SINK_TICK_S if timeout is None else min(timeout, _SINK_TICK_S)
            try:
                if timeout is None:
                    item = await self._inbox.get()
                else:
                    item = await asyncio.wait_for(self._inbox.get(), timeout)
            except TimeoutError:
                item = None
            if self._closed:
                return
            now = clock()
            try:
                if item is None:
                    actions = engine.tick(now, position=self._sink.position())
                else:
                    actions = item(now)
            except PlayerError as err:  # a bad report from a task; keep going
                self._stats.add_error({**err.to_json(), "fatal": False})
                continue
            except Exception as exc:  # a bug must end the session visibly, not hang it
                crash = PlayerError(Code.INTERNAL, f"the streaming engine failed: {exc!r}")
                self._dispatch(Error(now, crash, True))
                return
            self._carry_out(actions)

    def _sink_clock_running(self) -> bool:
        engine = self._engine
        return (
            engine is not None
            and engine.state is EngineState.PLAYING
            and self._sink.position() is not None
        )

    def _carry_out(self, actions: list[Action]) -> None:
        if not actions:
            return
        wake: float | None = None
        for a in actions:
            t = type(a)
            if t is Fetch:
                assert isinstance(a, Fetch)
                self._start_fetch(a)
            elif t is Abort:
                assert isinstance(a, Abort)
                entry = self._inflight.pop(a.request_id, None)
                if entry is not None:
                    entry[1].cancel(a.reason or "aborted by the engine")
            elif t is WaitUntil:
                assert isinstance(a, WaitUntil)
                wake = a.time
            elif t is Flush:
                assert isinstance(a, Flush)
                self._flush(a.position)
            elif t is Ended and self._sink_still_playing():
                assert isinstance(a, Ended)
                self._end_task = asyncio.get_running_loop().create_task(
                    self._end_when_played_out(a), name="abrkit-play-out"
                )
            else:
                assert isinstance(a, PlayerEvent)
                self._dispatch(a)
        self._wake = wake

    # -- fetching ---------------------------------------------------------------------

    def _start_fetch(self, f: Fetch) -> None:
        if self._stopped:
            return  # playback failed outside the engine (fail()): nothing more to fetch
        token = CancelToken()
        task = asyncio.get_running_loop().create_task(self._fetch(f, token))
        self._inflight[f.request_id] = (task, token)

    async def _fetch(self, f: Fetch, token: CancelToken) -> None:
        engine = self._need_engine()
        fetcher = self._fetcher
        assert fetcher is not None
        rid = f.request_id
        on_progress: Callable[[Progress], None] | None = None
        if f.purpose is FetchPurpose.MEDIA:
            last = [0.0]

            def on_progress(p: Progress) -> None:
                if p.time - last[0] >= _PROGRESS_INTERVAL_S:
                    last[0] = p.time
                    loaded, total = p.bytes_loaded, p.bytes_total
                    self._post(lambda now: engine.progress(rid, loaded, now, total))

        kwargs = self._cmcd(f)
        try:
            result = await fetcher.fetch(
                f.urls,
                byte_range=f.byte_range,
                on_progress=on_progress,
                request_type=_REQUEST_TYPE[f.purpose],
                cancel=token,
                **kwargs,
            )
        except PlayerError as err:
            if token.cancelled:
                return
            self._inflight.pop(rid, None)
            self._post(_failed(engine, rid, err))
            return
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a filter or callback of the app's raised
            self._inflight.pop(rid, None)
            wrapped = PlayerError(Code.HTTP_ERROR, f"fetch failed: {exc!r}", recoverable=True)
            self._post(_failed(engine, rid, wrapped))
            return
        if token.cancelled:
            return
        self._inflight.pop(rid, None)
        data = result.data
        if self._drm is not None:
            if f.purpose is FetchPurpose.INIT:
                self._want_keys(data)  # before complete(): no playback start without keys
            elif f.purpose is FetchPurpose.INDEX:
                self._drm.note_playlist(data, result.url)
        self._post(lambda now: engine.complete(rid, now, data))

    # -- CMCD -------------------------------------------------------------------------

    def _cmcd_query_for_manifest(self) -> dict[str, Any]:
        c = self.config.cmcd
        if not c.enabled:
            return {}
        keys = cmcd.request_keys(
            object_type="m", session_id=self._session_id, content_id=c.content_id
        )
        return _cmcd_kwargs(c.mode, keys)

    def _cmcd(self, f: Fetch) -> dict[str, Any]:
        c = self.config.cmcd
        engine = self._engine
        if not c.enabled or engine is None:
            return {}
        pres = engine.presentation
        if f.purpose is FetchPurpose.MANIFEST:
            ot = "m"
        elif f.purpose is FetchPurpose.INIT:
            ot = "i"
        elif f.purpose is FetchPurpose.INDEX:
            ot = "m" if pres.format == "hls" else "i"
        else:
            ot = _OBJECT_TYPE.get(f.track, "o") if f.track is not None else "o"
        state = engine.state
        next_url = None
        ladder: tuple[Rung, ...] = ()
        level = None
        if f.track is not None:
            ladder = engine.ladder(f.track)
            level = engine.track_level(f.track)
            if f.purpose is FetchPurpose.MEDIA and f.segment is not None and f.quality is not None:
                nxt = engine.next_segment(f.track, f.quality, f.segment)
                if nxt is not None:
                    next_url = cmcd.relative_url(nxt.url, f.url)
        keys = cmcd.request_keys(
            object_type=ot,
            session_id=self._session_id,
            content_id=c.content_id,
            streaming_format="d" if pres.format == "dash" else "h",
            live=pres.is_live,
            bitrate_bps=f.bitrate_bps,
            top_bitrate_bps=ladder[-1].bitrate_bps if ladder and f.bitrate_bps else None,
            duration_s=f.segment.duration if f.segment is not None else None,
            buffer_s=level if f.purpose is FetchPurpose.MEDIA else None,
            throughput_bps=engine.estimate_bps,
            starved=self._starved,
            startup=state in (EngineState.BUFFERING, EngineState.STALLED, EngineState.SEEKING),
            next_url=next_url,
        )
        if f.purpose is FetchPurpose.MEDIA:
            self._starved = False
        return _cmcd_kwargs(c.mode, keys)

    # -- media to the sink ------------------------------------------------------------

    def _feeder(self, kind: TrackKind) -> _Feeder:
        feeder = self._feeders.get(kind)
        if feeder is None:
            feeder = self._feeders[kind] = _Feeder()
            feeder.task = asyncio.get_running_loop().create_task(
                self._feed(kind, feeder), name=f"abrkit-feed-{kind}"
            )
        return feeder

    def _enqueue(self, kind: TrackKind, number: int, start: float) -> None:
        engine = self._need_engine()
        for seg in engine.buffered_segments(kind, start):
            if seg.number == number and seg.payload is not None:
                self._feeder(kind).queue.put_nowait((self._feed_gen, self._chunk(kind, seg)))
                return

    def _chunk(self, kind: TrackKind, seg: Any) -> MediaChunk:
        engine = self._need_engine()
        init = b""
        if seg.init_key is not None:
            init = engine.init_data(seg.init_key) or b""
        track = engine.selected_track(kind)
        rep_id = ""
        if track is not None:
            ladder = engine.ladder(kind)
            rep_id = ladder[seg.quality].id or "" if seg.quality < len(ladder) else ""
        return MediaChunk(
            kind=kind,
            representation_id=rep_id,
            number=seg.number,
            start=seg.start,
            duration=seg.end - seg.start,
            init=init,
            data=seg.payload,
            discontinuity=seg.discontinuity,
        )

    def _flush(self, position: float) -> None:
        engine = self._need_engine()
        self._feed_gen += 1
        for feeder in self._feeders.values():
            while not feeder.queue.empty():
                feeder.queue.get_nowait()
        try:
            self._sink.flush(position)
        except PlayerError as err:
            self._stats.add_error({**err.to_json(), "fatal": False})
        for kind in engine.active_kinds():
            feeder = self._feeder(kind)
            for seg in engine.buffered_segments(kind, position):
                if seg.payload is not None:
                    feeder.queue.put_nowait((self._feed_gen, self._chunk(kind, seg)))

    async def _feed(self, kind: TrackKind, feeder: _Feeder) -> None:
        while True:
            gen, chunk = await feeder.queue.get()
            if gen != self._feed_gen:
                continue
            if chunk is None:
                feeder.eos_gen = gen
                self._maybe_end_of_stream()
                continue
            if self._stopped:
                continue  # after a fatal error nothing more reaches the sink
            if self._drm is not None and not await self._keys_for(chunk, gen):
                continue
            try:
                await self._sink.append(chunk)
            except PlayerError as err:
                self._stats.add_error({**err.to_json(), "fatal": False, "track": str(kind)})
            except Exception as exc:  # a custom sink's bug: report it, keep feeding
                self._stats.add_error(
                    {
                        "category": "MEDIA",
                        "code": int(Code.INTERNAL),
                        "name": "INTERNAL",
                        "message": f"sink.append raised {exc!r}",
                        "fatal": False,
                        "track": str(kind),
                    }
                )

    def _maybe_end_of_stream(self) -> None:
        engine = self._engine
        if engine is None:
            return
        kinds = [k for k in engine.active_kinds() if k in self._feeders]
        if all(self._feeders[k].eos_gen == self._feed_gen for k in kinds):
            with contextlib.suppress(PlayerError):
                self._sink.end_of_stream()

    # -- content protection -----------------------------------------------------------

    def _make_drm(self, engine: Engine, *, offline: bool) -> DrmSession:
        cfg = self.config.drm
        sink = self._sink

        def sink_keys() -> Mapping[str, str]:
            held = getattr(sink, "keys", None)  # DecodingSink: keys the app gave it
            return held if isinstance(held, Mapping) else {}

        session = DrmSession(  # checks drm.clear_keys (INVALID_CONFIG)
            cfg,
            lambda: engine.presentation,
            # NullSink decrypts nothing, so there is nothing to check its keys against.
            verify=not isinstance(sink, NullSink),
            sink_keys=sink_keys,
            # An offline title's keys come from the store's persistent license.
            licenses=not offline,
        )
        if session.keys:
            sink.set_keys(session.keys)
        return session

    def _want_keys(self, init: bytes) -> None:
        """An init segment arrived: start its license now and hold playback until the
        keys are in (the engine pauses; media keeps downloading meanwhile)."""
        drm_session = self._drm
        assert drm_session is not None
        try:
            task = drm_session.request(init)
        except PlayerError as err:
            self._drm_failed(err)
            return
        if task is None:
            return
        engine = self._need_engine()
        if not self._keys_hold:
            self._keys_hold = True
            self._post(lambda now: engine.pause(now))
        task.add_done_callback(lambda t: self._license_done(t))

    def _license_done(self, task: asyncio.Task[None]) -> None:
        if self._closed or task.cancelled():
            return
        err = task.exception()
        if err is not None:
            wrapped = (
                err
                if isinstance(err, PlayerError)
                else PlayerError(Code.INTERNAL, f"getting a license failed: {err!r}")
            )
            self._drm_failed(wrapped)
            return
        drm_session = self._drm
        if self._keys_hold and drm_session is not None and not drm_session.waiting:
            self._keys_hold = False
            if not self._paused:
                self._post(self._resume)

    async def _keys_for(self, chunk: MediaChunk, gen: int) -> bool:
        """Give the sink the keys ``chunk`` needs; False when it must not be appended."""
        drm_session = self._drm
        assert drm_session is not None
        try:
            keys = await drm_session.keys_for(chunk)
        except PlayerError as err:
            self._drm_failed(err)
            return False
        except Exception as exc:  # a bug must stop playback visibly, not kill the feeder
            self._drm_failed(PlayerError(Code.INTERNAL, f"getting content keys failed: {exc!r}"))
            return False
        if gen != self._feed_gen or self._stopped:
            return False  # flushed (a seek) or failed while waiting for the keys
        if keys:
            try:
                self._sink.set_keys(keys)
            except PlayerError as err:
                self._drm_failed(err)
                return False
        return True

    def _drm_failed(self, error: PlayerError) -> None:
        """A fatal DRM error: playback stops with it before any media it concerns."""
        if self._stopped or self._closed or self._engine is None:
            return
        self.fail(error)

    # -- the end ----------------------------------------------------------------------

    def _sink_still_playing(self) -> bool:
        ended = getattr(self._sink, "ended", None)
        return isinstance(ended, bool) and not ended and self._sink.position() is not None

    async def _end_when_played_out(self, ev: Ended) -> None:
        """The engine reached the end within its gap tolerance: let a rendering sink show
        its last frames (bounded) before reporting ``Ended`` and pausing it."""
        engine = self._need_engine()
        end = engine.position
        position = self._sink.position()
        remaining = max(0.0, end - position) if position is not None else 0.0
        deadline = self._clock() + remaining + _END_GRACE_S
        while self._clock() < deadline and not self._closed:
            if getattr(self._sink, "ended", True):
                break
            await asyncio.sleep(_END_POLL_S)
        if not self._closed:
            self._dispatch(Ended(self._clock(), ev.position))

    # -- events -----------------------------------------------------------------------

    def _dispatch(self, ev: PlayerEvent) -> None:
        t = type(ev)
        self._stats.on_event(ev)
        if t is SegmentAppended:
            assert isinstance(ev, SegmentAppended)
            self._enqueue(ev.track, ev.number, ev.start)
        elif t is PlaybackStarted or t is Resumed or t is Seeked:
            self._sink.set_playing(not self._paused)
        elif t is Stalled:
            self._starved = True
            self._sink.set_playing(False)
        elif t is StreamFetched:
            for kind in self._need_engine().active_kinds():
                self._feeder(kind).queue.put_nowait((self._feed_gen, None))
        elif t is Ended:
            self._sink.set_playing(False)
            self._finish(None)
        elif t is Error:
            assert isinstance(ev, Error)
            if ev.fatal:
                self._sink.set_playing(False)
                self._finish(ev.error)
        if self._analytics is not None:
            rec = ev.to_record()
            rec["session_id"] = self._session_id
            rec["session_time"] = round(ev.time - self._load_time, 6)
            self._analytics.emit(rec, ev.time)
        for wanted, cb in list(self._callbacks):
            if wanted is None or isinstance(ev, wanted):
                try:
                    cb(ev)
                except Exception as exc:  # an app's callback must not stop playback
                    self._stats.add_error(
                        {
                            "category": "PLAYER",
                            "code": int(Code.INTERNAL),
                            "name": "INTERNAL",
                            "message": f"event callback raised {exc!r}",
                            "fatal": False,
                        }
                    )
        for q in self._subscribers:
            _put_dropping(q, ev)

    def _finish(self, error: PlayerError | None) -> None:
        done = self._done
        if done is None or done.done():
            return
        if error is None:
            done.set_result(None)
        else:
            done.set_exception(error)
            done.exception()  # retrieved here, so an unawaited failure is not logged

    # -- ABR set-up and the bandwidth cache -------------------------------------------

    def _make_abr(self, seed: float | None) -> tuple[AbrPolicy, BandwidthEstimator]:
        _ensure_registered()
        a = self.config.abr
        try:
            policy = self._policy or create_policy(a.policy, **dict(a.params))
            estimator = self._estimator or create_estimator(a.estimator, **dict(a.estimator_params))
        except UnknownNameError as exc:
            raise PlayerError(Code.UNKNOWN_POLICY, str(exc.args[0] if exc.args else exc)) from None
        except (TypeError, ValueError) as exc:
            raise PlayerError(Code.INVALID_CONFIG, f"bad ABR parameters: {exc}") from None
        if seed is not None and hasattr(estimator, "default_bps"):
            # Like Shaka's defaultBandwidthEstimate: the estimate until enough is sampled.
            estimator.default_bps = seed
        return policy, estimator

    def _cache(self) -> BandwidthCache | None:
        a = self.config.abr
        if not a.use_bandwidth_cache:
            return None
        if self._bw_cache is None:
            self._bw_cache = BandwidthCache(a.bandwidth_cache_path)
        return self._bw_cache

    def _cached_bandwidth(self, url: str) -> float | None:
        cache = self._cache()
        return None if cache is None else cache.get(host_of(url))

    def _remember_bandwidth(self) -> None:
        cache = self._cache()
        engine = self._engine
        if cache is None or engine is None or self._url is None or not engine.samples:
            return
        est = engine.estimate_bps
        if est is not None:
            cache.put(host_of(self._url), est)


def _failed(engine: Engine, rid: int, err: PlayerError) -> Callable[[float], list[Action]]:
    return lambda now: engine.failed(rid, err, now)


def _parse(data: bytes, url: str) -> Presentation:
    return parse_manifest(data, url)


def _cmcd_kwargs(mode: str, keys: dict[str, Any]) -> dict[str, Any]:
    if mode == "headers":
        return {"headers": cmcd.headers(keys)}
    return {"query": cmcd.query(keys)}


def _put_dropping(q: asyncio.Queue[PlayerEvent | None], item: PlayerEvent | None) -> None:
    if q.full():
        with contextlib.suppress(asyncio.QueueEmpty):
            q.get_nowait()
    q.put_nowait(item)
