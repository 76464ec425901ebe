"""One viewing session: the Player, its decode path and subtitles, driven from Qt.

:class:`PlaybackSession` is what the window talks to. Every call returns at once: the
work runs on the :class:`~ui.bridge.LoopThread` (loading, the Player's commands, the
local origin), and what happens comes back as Qt signals on the Qt thread: a
:class:`Snapshot` of everything the controls and the stats overlay show (several times a
second and after every event), the Player's events, and errors.

Media goes to a ``DecodingSink`` whose video output is the window's
:class:`~ui.video_widget.FrameBuffer`; text segments are taken off the way by
:class:`SubtitleTap`, parsed by ``player.text`` and kept in a ``CueTimeline`` the picture
draws from.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from PyQt6.QtCore import QObject, pyqtSignal

from player import (
    Code,
    CueTimeline,
    DecodingSink,
    EngineState,
    MediaChunk,
    MediaSink,
    OfflinePlayback,
    OfflineStore,
    PlaybackStats,
    Player,
    PlayerConfig,
    PlayerError,
    PlayerEvent,
    SinkStats,
    TrackChanged,
    TrackKind,
    build_sample,
    parse_text_segment,
)
from ui.audio_output import ViewerAudioOutput, open_audio_output
from ui.bridge import LoopThread, QtInvoker
from ui.origin import LocalOrigin
from ui.sources import Source, SourceKind, default_offline_store
from ui.video_widget import FrameBuffer

__all__ = ["PlaybackSession", "RungView", "Snapshot", "SubtitleTap", "TrackView"]

_SNAPSHOT_S = 0.25  # how often the controls and the overlay are refreshed while loaded
_END_MARGIN = 0.1  # a seek never lands this close to the end (it would end at once)


@dataclass(frozen=True, slots=True)
class RungView:
    """One rung of the video ladder as the quality menu shows it."""

    index: int
    id: str
    bitrate_bps: int
    width: int | None
    height: int | None
    codecs: str | None

    @property
    def label(self) -> str:
        """``720p · 3000 kbit/s``."""
        size = f"{self.height}p" if self.height else self.id
        return f"{size} · {self.bitrate_bps // 1000} kbit/s"


@dataclass(frozen=True, slots=True)
class TrackView:
    """An audio or text track as the menus show it."""

    id: str
    language: str | None
    label: str | None
    selected: bool

    @property
    def title(self) -> str:
        """The label, or the language, or the id."""
        if self.label and self.language:
            return f"{self.label} ({self.language})"
        return self.label or self.language or self.id


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What the Player reports, taken at once on its loop (consistent across fields)."""

    state: str = "idle"
    position: float = 0.0
    duration: float | None = None
    is_live: bool = False
    paused: bool = False
    buffer_ahead_s: float = 0.0
    buffered: tuple[tuple[float, float], ...] = ()
    ladder: tuple[RungView, ...] = ()
    manual_quality: int | None = None  # None: ABR chooses (Auto)
    download_quality: int | None = None  # rung of the last video segment appended
    playing_quality: int | None = None  # rung of the frame on screen
    resolution: tuple[int, int] | None = None  # of the frame on screen
    frame_pts: float | None = None
    video_codec: str | None = None
    bitrate_bps: int | None = None  # of the rung playing
    estimate_bps: float | None = None
    dropped_frames: int = 0
    frames_decoded: int = 0
    policy: str = ""
    estimator: str = ""
    audio_tracks: tuple[TrackView, ...] = ()
    text_tracks: tuple[TrackView, ...] = ()
    stats: PlaybackStats = field(default_factory=PlaybackStats)
    audio_device: str = ""
    time: float = 0.0  # monotonic time the snapshot was taken


class SubtitleTap:
    """A ``MediaSink`` in front of another: text segments become cues in ``timeline``,
    everything else goes on to ``inner``."""

    def __init__(
        self,
        inner: MediaSink,
        timeline: CueTimeline,
        on_error: Callable[[PlayerError], None] | None = None,
        wanted: Callable[[str], bool] | None = None,
    ) -> None:
        self.inner = inner
        self.timeline = timeline
        self._on_error = on_error
        self._wanted = wanted

    async def append(self, chunk: MediaChunk) -> None:
        """Parse a text segment into the timeline (if ``wanted`` accepts its
        representation: a segment still on its way after a switch is dropped); pass
        media on."""
        if chunk.kind == TrackKind.TEXT:
            if self._wanted is not None and not self._wanted(chunk.representation_id):
                return
            try:
                self.timeline.add(parse_text_segment(chunk.init, chunk.data))
            except PlayerError as err:
                if self._on_error is not None:
                    self._on_error(err)
            return
        await self.inner.append(chunk)

    def flush(self, position: float) -> None:
        """Flush the media sink; cues stay (they are timed, not queued)."""
        self.inner.flush(position)

    def set_keys(self, keys: dict[str, str]) -> None:
        """Pass content keys on."""
        self.inner.set_keys(keys)

    def set_playing(self, playing: bool) -> None:
        """Pass on."""
        self.inner.set_playing(playing)

    def position(self) -> float | None:
        """The media sink's clock."""
        return self.inner.position()

    def end_of_stream(self) -> None:
        """Pass on."""
        self.inner.end_of_stream()

    @property
    def stats(self) -> SinkStats:
        """The media sink's counters."""
        return self.inner.stats

    async def close(self) -> None:
        """Close the media sink."""
        await self.inner.close()


class PlaybackSession(QObject):
    """Plays one title at a time for a window; see the module docstring.

    ``frames`` receives the decoded pictures; ``audio_factory`` makes an audio output for
    each title on the Qt thread (default: the platform's device or a silent one);
    ``config`` is the Player's configuration; ``offline_store`` opens the offline store
    (default: ``abrkit download``'s) the first time an offline title is played.
    """

    snapshotReady = pyqtSignal(object)  # Snapshot
    playerEvent = pyqtSignal(object)  # PlayerEvent
    failed = pyqtSignal(object)  # PlayerError: the title cannot play
    notice = pyqtSignal(object)  # PlayerError: something went wrong, playback goes on
    opened = pyqtSignal(object)  # Source, once playback has begun
    status = pyqtSignal(str)  # what is being done while there is no picture yet

    def __init__(
        self,
        frames: FrameBuffer,
        *,
        config: PlayerConfig | None = None,
        audio_factory: Callable[[], ViewerAudioOutput] = open_audio_output,
        offline_store: Callable[[], OfflineStore] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.frames = frames
        self.config = config or PlayerConfig()
        self.timeline = CueTimeline()
        self._audio_factory = audio_factory
        self._store_factory = offline_store or (lambda: OfflineStore(default_offline_store()))
        self._audio: ViewerAudioOutput | None = None
        self._volume = 1.0
        self._muted = False
        self._loop = LoopThread()
        self._invoker = QtInvoker(self)
        self._gen = 0
        self._shut = False
        # Touched on the loop thread only:
        self._player: Player | None = None
        self._sink: SubtitleTap | None = None
        self._store: OfflineStore | None = None
        self._playback: OfflinePlayback | None = None
        self._origin: LocalOrigin | None = None
        self._origin_root: str | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._paused = False
        self._source: Source | None = None
        self._last: Snapshot = Snapshot()

    # -- Qt-side API ------------------------------------------------------------------

    @property
    def loop(self) -> LoopThread:
        """The loop thread the Player runs on."""
        return self._loop

    @property
    def last_snapshot(self) -> Snapshot:
        """The last snapshot delivered."""
        return self._last

    @property
    def audio(self) -> ViewerAudioOutput | None:
        """The current title's audio output."""
        return self._audio

    def open(self, source: Source) -> None:
        """Stop what plays and open ``source``; ``opened`` or ``failed`` follows.
        Ignored once the session is shut down."""
        if self._shut:
            return
        self._gen += 1
        gen = self._gen
        self.frames.clear()
        self.timeline.clear()
        audio = self._audio_factory()
        audio.set_volume(self._volume)
        audio.set_muted(self._muted)
        self._audio = audio
        fut = self._loop.submit(self._open(source, gen, audio))
        self._invoker.deliver(fut, on_error=self._report_failure)

    def play(self) -> None:
        """Resume playback."""
        self._command(lambda p: self._set_paused(p, False))

    def pause(self) -> None:
        """Pause (downloading goes on up to the buffer goal)."""
        self._command(lambda p: self._set_paused(p, True))

    def toggle_pause(self) -> None:
        """Pause if playing, play if paused."""
        self._command(lambda p: self._set_paused(p, not self._paused))

    def seek(self, position: float) -> None:
        """Seek to ``position`` seconds (clamped to the title)."""

        def run(p: Player) -> None:
            target = max(0.0, position)
            if p.duration is not None:
                target = min(target, max(0.0, p.duration - _END_MARGIN))
            p.seek(target)

        self._command(run)

    def seek_by(self, delta: float) -> None:
        """Seek ``delta`` seconds from the playhead."""
        self._command(lambda p: self._seek_from(p, delta))

    def select_quality(self, index: int | None) -> None:
        """Fix the video rung (``index`` into the ladder) or go back to Auto (None)."""
        self._command(lambda p: p.select_quality(index))

    def select_audio(self, track_id: str) -> None:
        """Switch to the audio track ``track_id``."""
        self._command(lambda p: p.select_track(track_id, TrackKind.AUDIO))

    def select_text(self, track_id: str | None) -> None:
        """Show the subtitle track ``track_id``; None turns subtitles off."""

        def run(p: Player) -> None:
            self.timeline.clear()
            if track_id is None:
                p.select_text_language(None)
            else:
                p.select_track(track_id, TrackKind.TEXT)

        self._command(run)

    def set_volume(self, volume: float) -> None:
        """Sound level 0..1 (kept for the next titles too)."""
        self._volume = min(1.0, max(0.0, volume))
        if self._audio is not None:
            self._audio.set_volume(self._volume)

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute."""
        self._muted = muted
        if self._audio is not None:
            self._audio.set_muted(muted)

    @property
    def volume(self) -> float:
        """The sound level 0..1."""
        return self._volume

    @property
    def muted(self) -> bool:
        """Whether sound is muted."""
        return self._muted

    def list_offline(self, on_result: Callable[[list[tuple[str, str]]], object]) -> None:
        """List the offline store's complete titles as ``(id, url)``; ``on_result`` is
        called on the Qt thread (an unusable store lists nothing and says why)."""

        def run() -> list[tuple[str, str]]:
            try:
                return [(t.id, t.url) for t in self._offline_store().list() if t.complete]
            except PlayerError as err:
                self.notice.emit(err)
                return []

        if self._shut:
            return
        self._invoker.deliver(self._loop.call(run), on_result)

    def refresh(self) -> None:
        """Take a snapshot now (``snapshotReady`` follows)."""
        self._command(lambda p: self._emit_snapshot())

    def call(self, fn: Callable[[Player], object]) -> object:
        """Run ``fn(player)`` on the loop and wait for its result (for tests and tools;
        the window never blocks on the loop). Raises ``NOT_LOADED`` with no title."""

        def run() -> object:
            if self._player is None:
                raise PlayerError(Code.NOT_LOADED, "no title is loaded")
            return fn(self._player)

        return self._loop.call(run).result(10.0)

    def shutdown(self, timeout: float = 1.0) -> bool:
        """Close the Player (cancelling downloads) and stop the loop within ``timeout``
        seconds; returns whether the loop thread ended in time."""
        self._gen += 1
        self._shut = True
        return self._loop.shutdown(self._close_all, timeout)

    # -- loop side --------------------------------------------------------------------

    def _command(self, fn: Callable[[Player], object]) -> None:
        def run() -> None:
            if self._player is None:
                return
            try:
                fn(self._player)
            except PlayerError as err:
                self.notice.emit(err)

        if not self._loop.alive:
            return
        with contextlib.suppress(PlayerError):  # the loop is shutting down
            self._loop.call(run)

    def _set_paused(self, p: Player, paused: bool) -> None:
        self._paused = paused
        if paused:
            p.pause()
        else:
            p.play()
        self._emit_snapshot()

    def _seek_from(self, p: Player, delta: float) -> None:
        target = max(0.0, p.position + delta)
        if p.duration is not None:
            target = min(target, max(0.0, p.duration - _END_MARGIN))
        p.seek(target)

    async def _open(self, source: Source, gen: int, audio: ViewerAudioOutput) -> None:
        await self._close_player()
        if gen != self._gen:
            audio.close()
            return
        self._paused = False
        self._source = source
        try:
            url = await self._url_for(source)
        except BaseException:
            audio.close()
            raise
        if gen != self._gen:
            audio.close()
            return
        self.status.emit("Loading…")
        decoder = DecodingSink(video_output=self.frames, audio_output=audio, on_error=self._notice)
        sink = SubtitleTap(decoder, self.timeline, self._notice, self._text_wanted)
        if source.kind is SourceKind.OFFLINE:
            assert source.title_id is not None
            playback = await self._offline_store().open(source.title_id)
            self._playback = playback
            player = playback.player(self.config, sink=sink)
        else:
            player = Player(self.config, sink=sink)
        self._player, self._sink = player, sink
        player.on(None, self._on_event)
        if self._playback is not None:
            await self._playback.start()  # resumes where the title was left
        else:
            await player.load(url)
        if gen != self._gen:
            return
        self.opened.emit(source)
        self._ticker = asyncio.get_running_loop().create_task(self._tick(player))
        self._emit_snapshot()

    def _text_wanted(self, representation_id: str) -> bool:
        engine = self._player.engine if self._player is not None else None
        track = engine.selected_track(TrackKind.TEXT) if engine is not None else None
        return track is not None and any(r.id == representation_id for r in track.representations)

    def _offline_store(self) -> OfflineStore:
        # Opened on the loop thread and used only there (its SQLite connection is
        # bound to the thread that opened it).
        if self._store is None:
            self._store = self._store_factory()
        return self._store

    async def _url_for(self, source: Source) -> str:
        if source.kind is SourceKind.OFFLINE:
            return ""  # the store's presentation is loaded directly
        if source.kind is SourceKind.URL:
            assert source.url is not None
            return source.url
        if source.kind is SourceKind.SAMPLE:
            self.status.emit("Preparing the sample title (the first time takes a while)…")
            result = await asyncio.to_thread(build_sample, progress=False)
            manifest = result.mpd
        else:
            assert source.path is not None
            manifest = source.path
        origin = await self._serve(manifest.parent)
        return origin.url_for(manifest)

    async def _serve(self, path: Path) -> LocalOrigin:
        if self._origin is not None and self._origin_root == str(path.resolve()):
            return self._origin
        if self._origin is not None:
            await self._origin.stop()
            self._origin = None
        origin = LocalOrigin(path)
        await origin.start()
        self._origin, self._origin_root = origin, str(path.resolve())
        return origin

    async def _tick(self, player: Player) -> None:
        while player is self._player:
            self._emit_snapshot()
            await asyncio.sleep(_SNAPSHOT_S)

    async def _close_player(self) -> None:
        ticker, self._ticker = self._ticker, None
        if ticker is not None:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await ticker
        player, self._player, self._sink = self._player, None, None
        playback, self._playback = self._playback, None
        if playback is not None:
            await playback.close()  # saves the position, closes the Player
        elif player is not None:
            await player.close()

    async def _close_all(self) -> None:
        await self._close_player()
        origin, self._origin = self._origin, None
        if origin is not None:
            await origin.stop()
        store, self._store = self._store, None
        if store is not None:
            store.close()

    def _notice(self, err: PlayerError) -> None:
        self.notice.emit(err)

    def _report_failure(self, exc: BaseException) -> None:
        if isinstance(exc, asyncio.CancelledError):
            return
        if not isinstance(exc, PlayerError):
            exc = PlayerError(Code.INTERNAL, f"unexpected failure: {exc!r}")
        self.failed.emit(exc)

    def _on_event(self, ev: PlayerEvent) -> None:
        if isinstance(ev, TrackChanged) and ev.track == TrackKind.TEXT:
            self.timeline.clear()
        self.playerEvent.emit(ev)
        error = getattr(ev, "error", None)
        if isinstance(error, PlayerError) and getattr(ev, "fatal", False):
            self.failed.emit(error)
        self._emit_snapshot()

    def _emit_snapshot(self) -> None:
        player = self._player
        if player is None:
            return
        snap = self._snapshot(player)
        self._last = snap
        self.snapshotReady.emit(snap)

    def _snapshot(self, p: Player) -> Snapshot:
        engine = p.engine
        shown = self.frames.peek()
        ladder: tuple[RungView, ...] = ()
        audio: list[TrackView] = []
        text: list[TrackView] = []
        codec = None
        for t in p.tracks:
            if t.kind == TrackKind.VIDEO and t.selected:
                codec = t.codecs
                ladder = tuple(
                    RungView(
                        r.index, r.id or str(r.index), r.bitrate_bps, r.width, r.height, r.codecs
                    )
                    for r in t.rungs
                )
            elif t.kind == TrackKind.AUDIO:
                audio.append(TrackView(t.id, t.language, t.label, t.selected))
            elif t.kind == TrackKind.TEXT:
                text.append(TrackView(t.id, t.language, t.label, t.selected))
        playing = None
        if shown is not None:
            playing = next((r.index for r in ladder if r.id == shown.representation_id), None)
        stats = p.stats
        state = p.state
        if self._paused and state is EngineState.PLAYING:
            state = EngineState.PAUSED
        rung = ladder[playing] if playing is not None and playing < len(ladder) else None
        return Snapshot(
            state=str(state),
            position=p.position,
            duration=p.duration,
            is_live=p.is_live,
            paused=self._paused,
            buffer_ahead_s=p.buffer_level,
            buffered=tuple(engine.buffered_ranges(TrackKind.VIDEO)) if engine else (),
            ladder=ladder,
            manual_quality=engine.manual_quality() if engine else None,
            download_quality=engine.quality() if engine else None,
            playing_quality=playing,
            resolution=(shown.width, shown.height) if shown is not None else None,
            frame_pts=shown.pts if shown is not None else None,
            video_codec=_video_codec(rung.codecs if rung and rung.codecs else codec),
            bitrate_bps=rung.bitrate_bps if rung else None,
            estimate_bps=stats.estimated_bandwidth_bps,
            dropped_frames=stats.dropped_frames,
            frames_decoded=stats.frames_decoded,
            policy=self.config.abr.policy,
            estimator=self.config.abr.estimator,
            audio_tracks=tuple(audio),
            text_tracks=tuple(text),
            stats=stats,
            audio_device=getattr(self._audio, "description", ""),
            time=time.monotonic(),
        )


_VIDEO_CODECS = (
    "avc1",
    "avc3",
    "hvc1",
    "hev1",
    "vp09",
    "vp08",
    "vp8",
    "vp9",
    "av01",
    "dvh1",
    "dvhe",
)


def _video_codec(codecs: str | None) -> str | None:
    """The video codec of a CODECS list (HLS variants list audio codecs too)."""
    if not codecs:
        return None
    parts = [c.strip() for c in codecs.split(",") if c.strip()]
    video = [c for c in parts if c.split(".")[0].lower() in _VIDEO_CODECS]
    return ",".join(video or parts)
