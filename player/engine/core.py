"""The sans-I/O streaming engine: events in, actions out.

:class:`Engine` does no I/O, reads no clock and starts no task. Its driver (the real-time
:class:`~player.Player`, or the headless simulator in ``traces``) calls it with explicit
times and carries out the actions it returns.

Playback clock. The engine keeps the playhead itself: while playing it advances with the
driver's ``now`` (``tick(now)``); a driver whose sink renders passes the sink's position
instead (``tick(now, position=...)``). The playhead may only advance to the end of the
shorter of the contiguous audio and video buffers; reaching it is a stall, timed exactly
(when the buffer ran dry, not when the next tick came), so coarse ticks in the simulator
lose nothing.

Fetching. One media request is in flight at a time (index and init segments share that
slot; manifest and live playlist refreshes do not), always for the track that is
furthest behind, so audio and video stay aligned and throughput samples are clean. At
each segment boundary the ABR policy chooses the video rung; quality changes only at
segment boundaries, except that the policy may abandon an in-flight download.

Failover. A failed request is retried on the other origins of the segment first (the
failed origin is tried last for ``origin_penalty_s``); when every origin failed, the
manifest is refetched before the next try; after ``max_attempts`` the error is fatal,
unless the buffer ahead still outlasts the next backoff (``retry_while_buffered``).
"""

from __future__ import annotations

import enum
import math
import urllib.parse
from collections.abc import Callable
from typing import cast

from abr.interface import (
    AbrContext,
    AbrPolicy,
    BandwidthEstimator,
    DownloadProgress,
    PlaybackState,
    Rung,
    ThroughputSample,
)
from player.buffer import BufferedSegment, TrackBuffer
from player.capabilities import can_decode
from player.config import PlayerConfig
from player.engine._abr_values import new_context, new_progress, new_sample
from player.engine._sizes import MAX_ENTRIES, SizeTable, shared_size_table
from player.engine.events import (
    Abandoned,
    Abort,
    Action,
    Downloaded,
    Ended,
    Error,
    Evicted,
    Fetch,
    FetchPurpose,
    Flush,
    LiveJump,
    ManifestUpdated,
    PlaybackStarted,
    QualityChanged,
    RequestFailed,
    Resumed,
    Seeked,
    Seeking,
    SegmentAppended,
    Stalled,
    StreamFetched,
    TrackChanged,
    WaitUntil,
)
from player.engine.selection import Selection, language_matches, select_track
from player.errors import Code, PlayerError
from player.manifest import HlsPlaylistIndex, reload_media_playlist, settle_hls_master
from player.manifest.model import (
    IndexRequest,
    InitSegment,
    Period,
    Presentation,
    Representation,
    Segment,
    SegmentIndex,
    Track,
    TrackKind,
)

__all__ = ["Engine", "EngineState", "ManifestParser"]

ManifestParser = Callable[[bytes, str], Presentation]

_INF = math.inf
# Enum members as module constants: ``FetchPurpose.MEDIA`` goes through the enum
# metaclass, ten times the cost of a global, on paths every event takes.
_MEDIA = FetchPurpose.MEDIA
_INIT = FetchPurpose.INIT
_INDEX = FetchPurpose.INDEX
_MANIFEST = FetchPurpose.MANIFEST
_STARTUP = PlaybackState.STARTUP
_PLAYING = PlaybackState.PLAYING
_STALLED = PlaybackState.STALLED
_PAUSED = PlaybackState.PAUSED
_SEEKING = PlaybackState.SEEKING
_EPS = 1e-6
_SAMPLES_KEPT = 20


class EngineState(enum.StrEnum):
    """Where the engine is."""

    IDLE = "idle"  # not started
    BUFFERING = "buffering"  # started, first frame not shown yet
    PLAYING = "playing"
    PAUSED = "paused"
    STALLED = "stalled"
    SEEKING = "seeking"
    ENDED = "ended"
    ERROR = "error"


class _Track:
    """Engine state of one active track (video, audio or text)."""

    __slots__ = (
        "appended_quality",
        "attempts",
        "buffer",
        "decided",
        "decided_at",
        "decided_reason",
        "ended",
        "fallback_inits",
        "has_ranges",
        "index_reqs",
        "indexes",
        "kind",
        "ladder",
        "manual",
        "next_index",
        "next_number",
        "next_time",
        "period",
        "reload_at",
        "reload_busy",
        "reps",
        "sizes_number",
        "sizes_start",
        "sizes_table",
        "sizes_table_known",
        "sizes_val",
        "track",
        "wait_until",
    )

    def __init__(self, kind: TrackKind, gap_tolerance: float) -> None:
        self.kind = kind
        self.buffer = TrackBuffer(gap_tolerance)
        self.track: Track | None = None
        self.reps: list[Representation] = []
        self.ladder: tuple[Rung, ...] = ()
        self.indexes: list[SegmentIndex | None] = []
        self.index_reqs: list[IndexRequest | None] = []
        self.fallback_inits: list[InitSegment | None] = []
        self.period = 0
        self.next_time = 0.0
        self.next_number: int | None = None
        self.next_index: SegmentIndex | None = None
        self.decided: int | None = None
        self.decided_at = math.nan
        self.decided_reason = ""
        self.appended_quality: int | None = None
        self.manual: int | None = None
        self.ended = False
        self.wait_until = 0.0
        self.attempts = 0
        self.reload_at = _INF
        self.reload_busy = False
        self.has_ranges: bool | None = None
        # next_sizes of the last segment asked about (asked again on every progress).
        self.sizes_number: int | None = None
        self.sizes_start = 0.0
        self.sizes_val: tuple[int | None, ...] | None = None
        # The ladder's shared table of sizes (None: not shareable), once looked up.
        self.sizes_table: SizeTable | None = None
        self.sizes_table_known = False

    def set_selection(self, sel: Selection, period: int) -> None:
        track = sel.track
        self.track = track
        self.reps = sel.reps
        self.period = period
        self.ladder = _ladder(
            tuple(
                (int(r.bandwidth), r.width, r.height, r.codecs or track.codecs, r.id)
                for r in sel.reps
            )
        )
        # (isinstance against the SegmentIndex ABC is slow: one test per rung)
        requests = [r.index if isinstance(r.index, IndexRequest) else None for r in sel.reps]
        self.index_reqs = requests
        self.indexes = [
            None if q is not None or r.index is None else cast(SegmentIndex, r.index)
            for r, q in zip(sel.reps, requests, strict=True)
        ]
        self.fallback_inits = [None if q is None else q.init for q in requests]
        self.next_number = None
        self.next_index = None
        self.decided = None
        self.decided_at = math.nan
        self.has_ranges = None
        self.forget_sizes()
        self.reload_at = _INF
        self.reload_busy = False
        if self.manual is not None:
            self.manual = min(self.manual, len(self.reps) - 1)
        if self.appended_quality is not None:
            self.appended_quality = min(self.appended_quality, len(self.reps) - 1)

    def forget_sizes(self) -> None:
        """The indexes changed: sizes found in the old ones no longer hold."""
        self.sizes_number = None
        self.sizes_table = None
        self.sizes_table_known = False

    def reset_position(self, t: float) -> None:
        self.next_time = t
        self.next_number = None
        self.next_index = None
        self.decided = None
        self.decided_at = math.nan
        self.ended = False
        self.wait_until = 0.0
        self.attempts = 0


class _Request:
    """A request the engine is waiting on."""

    __slots__ = (
        "attempt",
        "byte_range",
        "first_byte",
        "id",
        "init",
        "nbytes",
        "purpose",
        "quality",
        "reload",
        "segment",
        "start",
        "total",
        "track",
        "url",
        "urls",
    )

    def __init__(
        self,
        rid: int,
        purpose: FetchPurpose,
        track: _Track | None,
        urls: tuple[str, ...],
        start: float,
    ) -> None:
        self.id = rid
        self.purpose = purpose
        self.track = track
        self.urls = urls
        self.url = urls[0]
        self.start = start
        self.first_byte: float | None = None
        self.nbytes = 0
        self.total: int | None = None
        self.segment: Segment | None = None
        self.init: InitSegment | None = None
        self.quality = 0
        self.reload = False
        self.attempt = 1
        self.byte_range: object = None


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class Engine:
    """The streaming state machine. See the module docstring for the model.

    ``policy`` chooses the video rung at each segment boundary; ``estimator`` is fed every
    media download of at least ``config.abr.min_sample_bytes``. ``manifest_parser``
    (``parse_manifest(data, url)``) turns refetched manifests into presentations; without
    it the driver applies refreshes with :meth:`update_presentation`.
    ``initial_bandwidth_bps`` seeds the first choice (the bandwidth cache) until the
    estimator has an estimate. ``decodable`` decides which codecs strings can play
    (default: :func:`player.capabilities.can_decode`).

    Every event method returns the actions to carry out, in order; the last
    :class:`WaitUntil` tells the driver when to call :meth:`tick` at the latest.
    Bad arguments raise ``PlayerError(INVALID_ARGUMENT)``; reports about unknown or
    aborted requests are ignored.
    """

    # Slotted: the engine reads its state on every event, and an instance dict of this
    # many keys is not shared-key (slower attribute access).
    __slots__ = (
        "_all_fetched_reported",
        "_audio",
        "_await_refresh",
        "_bad_origins",
        "_behind_s",
        "_cap_blocked",
        "_clock",
        "_decodable",
        "_ended",
        "_estimates",
        "_estimator",
        "_explicit_start",
        "_fatal",
        "_first_quality",
        "_gating",
        "_goal_s",
        "_goal_slack",
        "_init_data",
        "_last_media_done",
        "_live",
        "_live_start_pending",
        "_manifest_failures",
        "_manifest_refresh_at",
        "_manifest_req",
        "_max_bytes",
        "_media_req",
        "_min_sample",
        "_next_id",
        "_next_window_check",
        "_parser",
        "_paused",
        "_pending_error",
        "_plain_indexes",
        "_play_requested",
        "_policy",
        "_pos",
        "_pres",
        "_rebuffer_total",
        "_refill_step",
        "_repositioned",
        "_requests",
        "_resume_s",
        "_retry_at",
        "_samples",
        "_seed_bps",
        "_seeking",
        "_should_abandon",
        "_stall_start",
        "_stalled",
        "_start_s",
        "_started",
        "_started_fetching",
        "_streaming",
        "_text",
        "_tol",
        "_tracks",
        "_video",
        "_wall_offset",
        "config",
    )

    def __init__(
        self,
        presentation: Presentation,
        policy: AbrPolicy,
        estimator: BandwidthEstimator,
        config: PlayerConfig | None = None,
        *,
        manifest_parser: ManifestParser | None = None,
        initial_bandwidth_bps: float | None = None,
        decodable: Callable[[str | None], bool] | None = None,
    ) -> None:
        self.config = config = config or PlayerConfig()
        goals = config.buffer
        self._start_s = goals.start_s
        self._resume_s = goals.resume_s
        self._goal_s = goals.goal_s
        self._behind_s = goals.behind_s
        self._max_bytes = goals.max_bytes
        self._tol = goals.gap_tolerance_s
        self._refill_step = goals.refill_step_s
        # With a refill grid, "under the goal" allows float noise so a wake-up on the
        # grid always fetches.
        self._goal_slack = _EPS if goals.refill_step_s > 0 else 0.0
        self._first_quality = config.abr.first_quality
        self._streaming = config.streaming
        self._min_sample = config.abr.min_sample_bytes
        self._policy = policy
        # Looked up once: asking on every progress report is measurable in a simulation.
        self._should_abandon: Callable[[AbrContext, DownloadProgress], int | None] | None = getattr(
            policy, "should_abandon", None
        )
        self._estimator = estimator
        # (estimate or seed, latency) as of the last sample fed: a BandwidthEstimator is
        # pure, so its answers change only when the engine feeds it.
        self._estimates: tuple[float | None, float | None] | None = None
        self._parser = manifest_parser
        seed = initial_bandwidth_bps or config.abr.default_bandwidth_bps
        self._seed_bps: float | None = float(seed) if seed else None
        self._decodable = decodable or can_decode
        self._pres = presentation
        if not presentation.periods:
            raise PlayerError(Code.NO_PERIODS, "the presentation has no periods")

        self._tracks: list[_Track] = []
        self._video: _Track | None = None
        self._audio: _Track | None = None
        self._text: _Track | None = None
        self._gating: list[_Track] = []
        self._build_tracks(0)

        self._next_id = 1
        self._requests: dict[int, _Request] = {}
        self._media_req: _Request | None = None
        self._manifest_req: _Request | None = None
        self._samples: tuple[ThroughputSample, ...] = ()
        self._init_data: dict[InitSegment, bytes | None] = {}
        self._bad_origins: dict[str, float] = {}
        self._plain_indexes: dict[int, SegmentIndex] = {}  # see _index_live

        self._started_fetching = False
        self._play_requested = config.streaming.autoplay
        self._started = False
        self._paused = False
        self._stalled = False
        self._seeking = False
        self._ended = False
        self._fatal: PlayerError | None = None
        self._all_fetched_reported = False
        self._pos = 0.0
        self._clock = 0.0
        self._stall_start = 0.0
        self._rebuffer_total = 0.0
        self._retry_at = 0.0
        self._last_media_done = 0.0
        self._await_refresh = False
        self._cap_blocked = False
        self._wall_offset = 0.0
        self._live = presentation.is_live
        self._live_start_pending = False
        self._manifest_refresh_at = _INF
        self._next_window_check = 0.0
        self._manifest_failures = 0
        self._pending_error: PlayerError | None = None
        self._explicit_start = False
        self._repositioned = False

    # -- track setup ------------------------------------------------------------------

    def _build_tracks(self, period_index: int) -> None:
        period = self._pres.periods[period_index]
        prefs = self.config.preferences
        tol = self._tol
        sels: list[tuple[TrackKind, Selection | None]] = [
            (TrackKind.VIDEO, select_track(period, TrackKind.VIDEO, prefs, self._playable)),
            (TrackKind.AUDIO, select_track(period, TrackKind.AUDIO, prefs, self._playable)),
            (TrackKind.TEXT, select_track(period, TrackKind.TEXT, prefs, self._playable)),
        ]
        for kind, sel in sels:
            if sel is None:
                continue
            ts = _Track(kind, tol)
            ts.set_selection(sel, period_index)
            self._tracks.append(ts)
            if kind == TrackKind.VIDEO:
                self._video = ts
            elif kind == TrackKind.AUDIO:
                self._audio = ts
            else:
                self._text = ts
        self._gating = [t for t in (self._video, self._audio) if t is not None]
        if not self._gating:
            raise PlayerError(
                Code.NO_DECODABLE_REPRESENTATION,
                "the presentation has no playable audio or video track",
            )

    def _playable(self, codecs: str | None) -> bool:
        return self._decodable(codecs)

    # -- public read-only view --------------------------------------------------------

    @property
    def presentation(self) -> Presentation:
        """The presentation being played (replaced on manifest refresh)."""
        return self._pres

    @property
    def is_live(self) -> bool:
        """Whether the stream is live (for HLS: known once a media playlist is loaded)."""
        return self._live

    @property
    def state(self) -> EngineState:
        """The current state."""
        if self._fatal is not None:
            return EngineState.ERROR
        if self._ended:
            return EngineState.ENDED
        if not self._started_fetching:
            return EngineState.IDLE
        if self._stalled:
            return EngineState.STALLED
        if self._seeking:
            return EngineState.SEEKING
        if not self._started:
            return EngineState.BUFFERING
        if self._paused:
            return EngineState.PAUSED
        return EngineState.PLAYING

    @property
    def position(self) -> float:
        """The playhead as of the last event."""
        return self._pos

    def position_at(self, now: float) -> float:
        """Where the playhead is at ``now`` if nothing happens before then."""
        if self._running():
            return min(self._pos + (now - self._clock), self._playable_end())
        return self._pos

    @property
    def buffer_level(self) -> float:
        """Seconds playable ahead of the playhead (the shorter of audio and video)."""
        pos = self._pos
        gating = self._gating
        if len(gating) == 1:  # _playable_end(), inlined for one track
            ce = gating[0].buffer.contiguous_end(pos)
            if ce is None:
                return 0.0
            level = ce - pos
            return level if level > 0.0 else 0.0  # max(0.0, level) without the call
        return max(0.0, self._playable_end() - pos)

    @property
    def buffered_bytes(self) -> int:
        """Bytes held across every track's buffer."""
        return sum(t.buffer.nbytes for t in self._tracks)

    @property
    def rebuffer_s(self) -> float:
        """Stall time so far (an ongoing stall counts up to the last event)."""
        extra = self._clock - self._stall_start if self._stalled else 0.0
        return self._rebuffer_total + extra

    @property
    def estimate_bps(self) -> float | None:
        """The estimator's current estimate (or the seed before it has one)."""
        return (self._estimates or self._ask_estimator())[0]

    def _ask_estimator(self) -> tuple[float | None, float | None]:
        est = self._estimator.estimate_bps()
        pair = (est if est is not None else self._seed_bps, self._estimator.latency_s())
        self._estimates = pair
        return pair

    @property
    def samples(self) -> tuple[ThroughputSample, ...]:
        """The most recent throughput samples, most recent last."""
        return self._samples

    @property
    def error(self) -> PlayerError | None:
        """The fatal error, once the engine stopped on one."""
        return self._fatal

    def selected_track(self, kind: TrackKind) -> Track | None:
        """The model track playing for ``kind``."""
        ts = self._track(kind)
        return None if ts is None else ts.track

    def ladder(self, kind: TrackKind = TrackKind.VIDEO) -> tuple[Rung, ...]:
        """The playable rungs of a track, lowest first."""
        ts = self._track(kind)
        return () if ts is None else ts.ladder

    def quality(self, kind: TrackKind = TrackKind.VIDEO) -> int | None:
        """The rung of the last segment appended for ``kind``."""
        ts = self._track(kind)
        return None if ts is None else ts.appended_quality

    def manual_quality(self, kind: TrackKind = TrackKind.VIDEO) -> int | None:
        """The rung fixed by :meth:`select_quality`, None when ABR chooses."""
        ts = self._track(kind)
        return None if ts is None else ts.manual

    def buffered_ranges(self, kind: TrackKind) -> list[tuple[float, float]]:
        """Buffered time of a track as merged ``(start, end)`` ranges."""
        ts = self._track(kind)
        return [] if ts is None else ts.buffer.ranges()

    def buffered_segments(self, kind: TrackKind, position: float) -> list[BufferedSegment]:
        """Buffered segments of a track that end after ``position``, in order."""
        ts = self._track(kind)
        return [] if ts is None else ts.buffer.segments_from(position)

    def init_data(self, init: InitSegment) -> bytes | None:
        """The bytes of an init segment fetched earlier (None if not given to
        :meth:`complete`)."""
        return self._init_data.get(init)

    def track_level(self, kind: TrackKind) -> float:
        """Seconds of ``kind`` buffered contiguously ahead of the playhead."""
        ts = self._track(kind)
        return 0.0 if ts is None else ts.buffer.level(self._pos)

    def next_segment(self, kind: TrackKind, quality: int, segment: Segment) -> Segment | None:
        """The segment after ``segment`` at ``quality`` (CMCD's next object request)."""
        ts = self._track(kind)
        if ts is None or not 0 <= quality < len(ts.indexes):
            return None
        idx = ts.indexes[quality]
        return None if idx is None else idx.by_number(segment.number + 1)

    def active_kinds(self) -> list[TrackKind]:
        """Kinds of the tracks being fetched."""
        return [t.kind for t in self._tracks]

    def _track(self, kind: TrackKind) -> _Track | None:
        if kind == TrackKind.VIDEO:
            return self._video
        if kind == TrackKind.AUDIO:
            return self._audio
        if kind == TrackKind.TEXT:
            return self._text
        return None

    # -- events in --------------------------------------------------------------------

    def start(
        self, now: float, *, position: float | None = None, wall_time: float | None = None
    ) -> list[Action]:
        """Begin fetching at ``position`` (None: the start; live: near the live edge).

        ``wall_time`` is POSIX time at ``now``; live availability windows are computed
        from it (default: ``now`` is already POSIX time).
        """
        _check_time(now)
        if self._started_fetching:
            raise PlayerError(Code.INVALID_STATE, "the engine was already started")
        self._started_fetching = True
        self._clock = now
        self._wall_offset = 0.0 if wall_time is None else wall_time - now
        out: list[Action] = []
        if position is not None:
            _check_time(position, "position")
            self._explicit_start = True
        if self._live:
            if position is None:
                self._live_start_pending = True
            else:
                self._set_start(position)
            mup = self._pres.live.minimum_update_period if self._pres.live else None
            if mup and mup > 0:
                self._manifest_refresh_at = now + mup
        else:
            first = self._pres.periods[0].start
            self._set_start(first if position is None else self._clamp_vod(position))
        self._after(now, out)
        return out

    def tick(self, now: float, position: float | None = None) -> list[Action]:
        """Time passed. ``position``: the sink's playhead, when it keeps the clock."""
        out: list[Action] = []
        if not self._accepting(now):
            return out
        if position is None:
            self._advance(now, out)
        else:
            _check_time(position, "position")
            self._external_position(position, now, out)
        self._after(now, out)
        return out

    def play(self, now: float) -> list[Action]:
        """Start (autoplay off) or resume after :meth:`pause`."""
        out: list[Action] = []
        if not self._accepting(now):
            return out
        self._advance(now, out)
        self._play_requested = True
        self._paused = False
        self._after(now, out)
        return out

    def pause(self, now: float) -> list[Action]:
        """Stop the playhead; fetching goes on up to the buffering goal."""
        out: list[Action] = []
        if not self._accepting(now):
            return out
        self._advance(now, out)
        self._paused = True
        self._play_requested = False
        self._after(now, out)
        return out

    def progress(
        self,
        request_id: int,
        nbytes: int,
        now: float,
        total: int | None = None,
        *,
        first_byte: float | None = None,
    ) -> list[Action]:
        """``nbytes`` of a request have arrived (``total``: Content-Length, if known;
        ``first_byte``: when the first byte came, if the driver knows; else ``now`` of
        the first report)."""
        req = self._requests.get(request_id)
        out: list[Action] = []
        if req is None:
            return out
        if not self._accepting(now):
            return out
        if req.first_byte is None:
            req.first_byte = now if first_byte is None else first_byte
        req.nbytes = nbytes
        if total is not None:
            req.total = total
        self._advance(now, out)
        ts = req.track
        if (
            req.purpose is _MEDIA
            and ts is self._video
            and ts is not None
            and self._streaming.abandon
            and ts.manual is None
            and req.quality > 0
            and req.segment is not None
        ):
            self._maybe_abandon(req, ts, now, out)
        self._after(now, out)
        return out

    def complete(
        self,
        request_id: int,
        now: float,
        data: bytes | None = None,
        *,
        nbytes: int | None = None,
        first_byte: float | None = None,
    ) -> list[Action]:
        """A request finished. ``data``: the body (needed for index and manifest
        requests; kept for media so a sink can be re-fed); ``nbytes``: its size when
        ``data`` is not given (the simulator); ``first_byte``: when its first byte came,
        if no progress report said so (the latency the estimator tracks)."""
        req = self._requests.pop(request_id, None)
        out: list[Action] = []
        if req is None:
            return out
        if not self._accepting(now):
            return out
        if req.first_byte is None and first_byte is not None:
            req.first_byte = first_byte
        size = len(data) if data is not None else (nbytes if nbytes is not None else req.nbytes)
        self._advance(now, out)
        out.append(
            Downloaded(
                now,
                req.purpose,
                req.track.kind if req.track else None,
                req.url,
                size,
                now - req.start,
            )
        )
        purpose = req.purpose
        if purpose is _MANIFEST:
            self._manifest_req = None
            self._manifest_done(req, data, now, out)
        elif purpose is _INDEX and req.reload:
            self._reload_done(req, data, now, out)
        else:
            if self._media_req is req:
                self._media_req = None
            if purpose is _MEDIA:
                self._media_done(req, data, size, now, out)
            elif purpose is _INIT:
                if req.init is not None:
                    self._init_data[req.init] = data
                if req.track is not None:
                    req.track.attempts = 0
            else:
                self._index_done(req, data, now, out)
        self._after(now, out)
        return out

    def failed(self, request_id: int, error: PlayerError, now: float) -> list[Action]:
        """A request failed (after the fetcher's own retries)."""
        req = self._requests.pop(request_id, None)
        out: list[Action] = []
        if req is None or not self._accepting(now):
            return out
        if not isinstance(error, PlayerError):
            error = PlayerError(Code.HTTP_ERROR, str(error), recoverable=True)
        self._advance(now, out)
        self._request_failed(req, error, now, out)
        self._after(now, out)
        return out

    def seek(self, position: float, now: float) -> list[Action]:
        """Move the playhead. Buffered media around ``position`` is kept (the sink is
        re-fed from it); the rest ahead is flushed and fetched again from there."""
        _check_time(position, "position")
        out: list[Action] = []
        if not self._accepting(now, allow_ended=True):
            return out
        self._advance(now, out)
        target = self._clamp_live(position, now) if self._live else self._clamp_vod(position)
        frm = self._pos
        out.append(Seeking(now, frm, target))
        self._reposition(target, now, out)
        self._after(now, out)
        return out

    def select_quality(
        self, quality: int | None, now: float, *, track: TrackKind = TrackKind.VIDEO
    ) -> list[Action]:
        """Fix the rung of a track (None: back to ABR).

        A fixed rung shows within about a segment: what is buffered at other rungs beyond
        the segment playing and ``streaming.manual_switch_margin_s`` is dropped (a
        :class:`Flush` at the playhead re-feeds the sink from what is kept) and fetched
        again at that rung; a download at another rung is aborted. Going back to ABR
        (None), or a margin of None, keeps the buffer: the change then takes effect at
        the next segment fetched."""
        ts = self._track(track)
        if ts is None:
            raise PlayerError(Code.INVALID_ARGUMENT, f"no {track} track is playing")
        if quality is not None and not (0 <= quality < len(ts.reps)):
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"quality {quality} out of range 0..{len(ts.reps) - 1} for {track}",
            )
        out: list[Action] = []
        ts.manual = quality
        if self._media_req is None or self._media_req.track is not ts:
            ts.decided_at = math.nan
        if not self._accepting(now):
            return out
        self._advance(now, out)
        if quality is not None:
            self._replace_ahead(ts, quality, now, out)
        self._after(now, out)
        return out

    def _replace_ahead(self, ts: _Track, q: int, now: float, out: list[Action]) -> None:
        """Drop what ``ts`` holds at rungs other than ``q`` past the safe margin, so a
        manual choice is not hidden behind a whole buffer of the old rung."""
        margin = self._streaming.manual_switch_margin_s
        if margin is None or ts.kind is TrackKind.TEXT:
            return
        pos = self._pos
        tol = self._tol
        # Keep the segment playing and any starting within the margin (the sink is
        # decoding them); beyond that, keep a run already at the chosen rung.
        cut = pos
        for s in ts.buffer.segments:
            if s.end <= pos:
                continue
            if s.start < pos + margin or (s.quality == q and s.start <= cut + tol):
                cut = max(cut, s.end)
            else:
                break
        removed = ts.buffer.evict_from(cut)
        if not removed:
            # Nothing to replace: a download under way ends at the frontier and the next
            # one is at the chosen rung (a change at the next segment boundary).
            return
        self._report_evicted(ts, removed, now, out)
        media = self._media_req
        if media is not None and media.track is ts and media.purpose is FetchPurpose.MEDIA:
            # Its segment lies beyond what was dropped: it would arrive out of order.
            self._abort(media, now, out, "manual quality change")
        kept = ts.buffer.segments
        if kept:
            ts.appended_quality = kept[-1].quality  # what the sink will have last
        end = ts.buffer.contiguous_end(pos)
        ts.reset_position(end if end is not None else pos)
        self._all_fetched_reported = False
        out.append(Flush(pos))

    def select_audio(
        self, now: float, *, language: str | None = None, track_id: str | None = None
    ) -> list[Action]:
        """Switch the audio track by language or id without a stall: audio buffered up
        to ``audio_switch_margin_s`` ahead is kept and the new track continues it."""
        return self._switch_track(TrackKind.AUDIO, now, language, track_id)

    def select_text(
        self, now: float, *, language: str | None = None, track_id: str | None = None
    ) -> list[Action]:
        """Switch subtitles to ``language`` (or ``track_id``); both None turns them off."""
        return self._switch_track(TrackKind.TEXT, now, language, track_id)

    def update_presentation(self, presentation: Presentation, now: float) -> list[Action]:
        """Apply a refreshed manifest (the driver parsed it)."""
        out: list[Action] = []
        if not self._accepting(now, allow_ended=True):
            return out
        self._advance(now, out)
        self._apply_presentation(presentation, now, out)
        self._after(now, out)
        return out

    # -- the clock --------------------------------------------------------------------

    def _accepting(self, now: float, allow_ended: bool = False) -> bool:
        # A finite float passes without a call (inf - inf and nan - nan are nan).
        if now.__class__ is not float or now - now != 0.0:
            _check_time(now)
        if not self._started_fetching:
            raise PlayerError(Code.INVALID_STATE, "call start() first")
        if self._fatal is not None:
            return False
        return allow_ended or not self._ended

    def _running(self) -> bool:
        return (
            self._started
            and not self._paused
            and not self._stalled
            and not self._seeking
            and not self._ended
            and self._fatal is None
        )

    def _playable_end(self) -> float:
        """How far the playhead can go with what is buffered now."""
        pos = self._pos
        gating = self._gating
        if len(gating) == 1:
            # One track: its contiguous end, ended or not (a run holding pos ends after it).
            ce = gating[0].buffer.contiguous_end(pos)
            return pos if ce is None else ce
        limit = _INF
        all_ended = True
        for ts in self._gating:
            if ts.ended:
                continue
            all_ended = False
            ce = ts.buffer.contiguous_end(pos)
            if ce is None:
                return pos
            if ce < limit:
                limit = ce
        if all_ended:
            # Everything is fetched: play out to the furthest buffered end.
            limit = pos
            for ts in self._gating:
                ce = ts.buffer.contiguous_end(pos)
                if ce is not None and ce > limit:
                    limit = ce
        return limit

    def _all_ended(self) -> bool:
        for ts in self._gating:  # noqa: SIM110 (a plain loop is faster in this hot path)
            if not ts.ended:
                return False
        return True

    def _advance(self, now: float, out: list[Action]) -> None:
        clock = self._clock
        if now < clock:
            now = clock  # a driver's clock never runs backwards for the engine
        if self._running():
            pos = self._pos
            new = pos + (now - clock)
            limit = self._playable_end()
            if new >= limit - _EPS:
                hit = clock + max(0.0, limit - pos)
                self._pos = max(pos, limit)
                if self._all_ended():
                    self._finish(hit, out)
                else:
                    self._stalled = True
                    self._stall_start = hit
                    out.append(Stalled(hit, self._pos))
            else:
                self._pos = new
        self._clock = now

    def _external_position(self, position: float, now: float, out: list[Action]) -> None:
        self._clock = max(self._clock, now)
        if not self._running():
            return
        limit = self._playable_end()
        if position > self._pos:
            self._pos = min(position, limit)
        if self._all_ended():
            # A rendering sink stops at its last frame, a frame before the buffer end.
            if self._pos >= limit - self._tol:
                self._pos = limit
                self._finish(now, out)
        elif self._pos >= limit - _EPS:
            self._stalled = True
            self._stall_start = now
            out.append(Stalled(now, self._pos))

    def _finish(self, when: float, out: list[Action]) -> None:
        self._ended = True
        if self._stalled:
            self._close_stall(when, out)
        out.append(Ended(when, self._pos))

    def _close_stall(self, now: float, out: list[Action]) -> None:
        dur = max(0.0, now - self._stall_start)
        self._rebuffer_total += dur
        self._stalled = False
        out.append(Resumed(now, self._pos, dur))

    def _level_reached(self, goal: float) -> bool:
        if self._all_ended():
            return True
        return self._playable_end() - self._pos >= goal - _EPS

    def _after(self, now: float, out: list[Action]) -> None:
        """State transitions, eviction, fetch scheduling and the next wake-up.

        Every event ends here, so the common nothing-to-do cases are decided inline (no
        stall to close, nothing behind to evict, no track under the goal) before the
        methods that do the work are called."""
        if self._fatal is not None or self._ended:
            return
        if self._live:
            self._live_housekeeping(now, out)
        if not self._started or self._stalled or self._seeking:
            self._transitions(now, out)  # (nothing to do while playing or paused)
        tracks = self._tracks
        cutoff = self._pos - self._behind_s
        for ts in tracks:
            segs = ts.buffer.segments
            if segs and segs[0].end <= cutoff:
                self._evict_behind(now, out)
                break
        if self._media_req is None and not self._await_refresh and now >= self._retry_at:
            # _schedule's first candidates: without any it would do nothing more.
            horizon = self._pos + self._goal_s + self._goal_slack
            for ts in tracks:
                if not ts.ended and ts.wait_until <= now and ts.next_time < horizon:
                    self._schedule(now, out)
                    break
            else:
                self._cap_blocked = False
        else:
            self._cap_blocked = False  # what _schedule does first
        if self._pending_error is not None:
            out.append(Error(now, self._pending_error, False))
            self._pending_error = None
        if self._fatal is not None:
            return
        gating = self._gating
        all_ended = True
        for ts in gating:
            if not ts.ended:
                all_ended = False
                break
        if all_ended and not self._all_fetched_reported and not self._live:
            # Scheduling just found the end: that may complete a start, resume or seek.
            self._all_fetched_reported = True
            out.append(StreamFetched(now))
            self._transitions(now, out)
        # The next wake-up: the earliest of the buffer running dry, a refill, a retry,
        # a track's wait, a playlist reload, a manifest refresh, a live window check.
        t = _INF
        pos = self._pos
        running = self._running()
        if running:
            if len(gating) == 1:  # _playable_end(), inlined for one track
                ce = gating[0].buffer.contiguous_end(pos)
                limit = pos if ce is None else ce
            else:
                limit = self._playable_end()
            if all_ended and pos >= limit - _EPS:
                self._finish(now, out)
                return
            ahead = limit - pos
            t = now + (ahead if ahead > 0.0 else 0.0)  # max(0.0, ahead) without the call
            if self._media_req is None:
                horizon = pos + self._goal_s
                for ts in tracks:
                    if not ts.ended and ts.next_time >= horizon + self._goal_slack:
                        r = self._refill_time(now, ts.next_time - horizon)
                        if r < t:
                            t = r
                if self._cap_blocked:
                    for ts in gating:
                        segs = ts.buffer.segments
                        if segs:
                            t = min(t, now + max(0.0, segs[0].end - pos) + _EPS)
        for ts in tracks:
            w = ts.wait_until
            if w > now and w < t:
                t = w
            if ts.reload_at < t and not ts.reload_busy:
                t = min(t, max(now, ts.reload_at))
        if self._retry_at > now:
            t = min(t, self._retry_at)
        if self._manifest_req is None and self._manifest_refresh_at < t:
            t = max(now, self._manifest_refresh_at)
        if self._live and running and self._next_window_check < t:
            t = max(now, self._next_window_check)
        if t < _INF:
            out.append(WaitUntil(t))

    def _transitions(self, now: float, out: list[Action]) -> None:
        if not self._started:
            if (
                self._play_requested
                and not self._live_start_pending
                and self._level_reached(self._start_s)
            ):
                self._started = True
                self._seeking = False
                self._paused = False
                out.append(PlaybackStarted(now, self._pos))
        elif self._stalled:
            if self._level_reached(self._resume_s):
                self._close_stall(now, out)
        elif self._seeking and self._level_reached(self._start_s):
            self._seeking = False
            out.append(Seeked(now, self._pos))

    def _refill_time(self, now: float, excess: float) -> float:
        """When to fetch again, the buffer being ``excess`` seconds above the goal."""
        step = self._refill_step
        if step <= 0:
            return now + excess + _EPS
        # Pensieve sleeps whole steps counted from the end of the last download.
        anchor = self._last_media_done
        k = math.ceil((excess + now - anchor) / step - 1e-9)
        return max(now, anchor + k * step)

    def _evict_behind(self, now: float, out: list[Action]) -> None:
        cutoff = self._pos - self._behind_s
        for ts in self._tracks:
            segs = ts.buffer.segments
            if segs and segs[0].end <= cutoff:
                self._report_evicted(ts, ts.buffer.evict_before(cutoff), now, out)

    @staticmethod
    def _report_evicted(
        ts: _Track, removed: list[BufferedSegment], now: float, out: list[Action]
    ) -> None:
        if removed:
            out.append(
                Evicted(
                    now,
                    ts.kind,
                    removed[0].start,
                    removed[-1].end,
                    sum(s.nbytes for s in removed),
                )
            )

    # -- scheduling -------------------------------------------------------------------

    def _schedule(self, now: float, out: list[Action]) -> None:
        self._cap_blocked = False
        if self._media_req is not None or self._await_refresh or now < self._retry_at:
            return
        for _ in range(3):
            self._repositioned = False
            horizon = self._pos + self._goal_s + self._goal_slack
            tracks = self._tracks
            if len(tracks) == 1:  # the candidate list below, for one track
                ts = tracks[0]
                if (
                    not ts.ended
                    and ts.wait_until <= now
                    and ts.next_time < horizon
                    and self._issue(ts, now, out)
                ):
                    return
                if not self._repositioned:
                    return
                continue
            candidates = [
                ts
                for ts in self._tracks
                if not ts.ended and ts.wait_until <= now and ts.next_time < horizon
            ]
            if len(candidates) > 1:
                candidates.sort(key=_next_time)
            for ts in candidates:
                if self._issue(ts, now, out):
                    return
                if self._fatal is not None or self._cap_blocked or self._repositioned:
                    break
            if not self._repositioned:
                return

    def _issue(self, ts: _Track, now: float, out: list[Action], depth: int = 0) -> bool:
        """Issue the next request for ``ts``; False when it has nothing to fetch now."""
        ref = ts.decided if ts.decided is not None else ts.appended_quality
        if ref is None:
            ref = self._initial_rung(ts)
        idx = ts.indexes[ref]
        if idx is None:
            # Prefer any ready index to time the segment; fetch one if there is none.
            ready = next((i for i, x in enumerate(ts.indexes) if x is not None), None)
            if ready is None:
                return self._fetch_index(ts, ref, now, out)
            ref, idx = ready, ts.indexes[ready]
            assert idx is not None
        if self._live_start_pending and not self._live_start(ts, idx, now):
            return False
        period = ts.period
        seg = self._lookup(ts, idx, now, out)
        if seg is None:
            if depth < 2 and ts.period != period and not ts.ended:
                return self._issue(ts, now, out, depth + 1)  # moved on to the next period
            return False
        if ts.decided_at != ts.next_time:
            choice, reason = self._choose(ts, seg, idx, now)
            ts.decided = choice
            ts.decided_at = ts.next_time
            ts.decided_reason = reason
        q = ts.decided
        assert q is not None
        if q != ref:
            idx_q = ts.indexes[q]
            if idx_q is None:
                return self._fetch_index(ts, q, now, out)
            seg_q = self._lookup(ts, idx_q, now, out)
            if seg_q is None:
                # The chosen rung has no segment here (uneven indexes): stay on ref.
                q = ts.decided = ref
            else:
                seg, idx = seg_q, idx_q
        init = seg.init or idx.init or ts.fallback_inits[q]
        if init is not None and init not in self._init_data:
            return self._fetch_init(ts, init, q, now, out)
        rep = ts.reps[q]
        br = seg.byte_range
        if br is not None and br.end is not None:
            expected = br.end - br.start + 1
        else:
            expected = int(rep.bandwidth * seg.duration / 8)
        total = expected
        for t in self._tracks:
            total += t.buffer.nbytes
        if total > self._max_bytes and not self._room_for(expected, now, out):
            if ts.decided_reason != "abandon":
                # Ask again once there is room: the buffer will have drained by then,
                # and a choice made on the fuller buffer would go out stale.
                ts.decided_at = math.nan
            return False
        req = self._new_request(_MEDIA, ts, seg.urls, now)
        req.segment = seg
        req.quality = q
        req.init = init
        req.total = expected if br is not None else None
        req.attempt = ts.attempts + 1
        self._media_req = req
        out.append(
            Fetch(
                req.id,
                _MEDIA,
                req.url,
                req.urls,
                br,
                ts.kind,
                seg,
                init,
                q,
                rep.id,
                int(rep.bandwidth),
                req.attempt,
            )
        )
        return True

    def _initial_rung(self, ts: _Track) -> int:
        if ts.manual is not None:
            return ts.manual
        return 0

    def _fetch_index(self, ts: _Track, q: int, now: float, out: list[Action]) -> bool:
        ireq = ts.index_reqs[q]
        if ireq is None:
            self._fail_fatal(
                PlayerError(
                    Code.SEGMENT_NOT_FOUND,
                    f"representation {ts.reps[q].id!r} has no segment index",
                ),
                now,
                out,
            )
            return False
        req = self._new_request(FetchPurpose.INDEX, ts, ireq.urls, now)
        req.quality = q
        req.attempt = ts.attempts + 1
        self._media_req = req
        out.append(
            Fetch(
                req.id,
                FetchPurpose.INDEX,
                req.url,
                req.urls,
                ireq.byte_range,
                ts.kind,
                quality=q,
                representation_id=ts.reps[q].id,
                attempt=req.attempt,
            )
        )
        return True

    def _fetch_init(
        self, ts: _Track, init: InitSegment, q: int, now: float, out: list[Action]
    ) -> bool:
        req = self._new_request(FetchPurpose.INIT, ts, init.urls, now)
        req.init = init
        req.quality = q
        req.attempt = ts.attempts + 1
        self._media_req = req
        out.append(
            Fetch(
                req.id,
                FetchPurpose.INIT,
                req.url,
                req.urls,
                init.byte_range,
                ts.kind,
                init=init,
                quality=q,
                representation_id=ts.reps[q].id,
                attempt=req.attempt,
            )
        )
        return True

    def _new_request(
        self, purpose: FetchPurpose, ts: _Track | None, urls: tuple[str, ...], now: float
    ) -> _Request:
        if self._bad_origins:
            urls = self._order_urls(urls, now)
        rid = self._next_id
        self._next_id = rid + 1
        req = _Request(rid, purpose, ts, urls, now)
        self._requests[rid] = req
        return req

    def _order_urls(self, urls: tuple[str, ...], now: float) -> tuple[str, ...]:
        bad = self._bad_origins
        for origin, until in list(bad.items()):
            if until <= now:
                del bad[origin]
        if not bad or len(urls) < 2:
            return urls
        good = [u for u in urls if _origin(u) not in bad]
        rest = sorted((u for u in urls if _origin(u) in bad), key=lambda u: bad[_origin(u)])
        return tuple(good + rest)

    def _room_for(self, expected: int, now: float, out: list[Action]) -> bool:
        """Whether a segment of ``expected`` bytes fits under the byte cap."""
        total = 0
        for t in self._tracks:
            total += t.buffer.nbytes
        if total + expected <= self._max_bytes:
            return True
        # Under pressure, give up everything behind the playhead first.
        pos = self._pos
        for t in self._tracks:
            self._report_evicted(t, t.buffer.evict_before(pos), now, out)
        total = sum(t.buffer.nbytes for t in self._tracks)
        if total == 0 or total + expected <= self._max_bytes:
            return True
        self._cap_blocked = True
        return False

    def _lookup(
        self, ts: _Track, idx: SegmentIndex, now: float, out: list[Action]
    ) -> Segment | None:
        """The segment of ``idx`` that starts at the track's ``next_time``."""
        nt = ts.next_time
        seg: Segment | None = None
        if ts.next_number is not None and ts.next_index is idx:
            seg = idx.by_number(ts.next_number)
            if seg is not None and abs(seg.start - nt) > self._tol:
                seg = None
        if seg is None:
            seg = idx.at_time(nt + 1e-3)
            if seg is not None and seg.end <= nt + _EPS:
                seg = idx.by_number(seg.number + 1)
        if self._index_live(idx):
            avail = idx.available(now + self._wall_offset)
            if avail is None or seg is None:
                ts.wait_until = self._poll_time(ts, now)
                return None
            if seg.number > avail[1]:
                ts.wait_until = self._availability_time(seg, ts, now)
                return None
            if seg.number < avail[0]:
                if self._paused:
                    # Rejoin the window when playback resumes, not while paused.
                    ts.wait_until = self._poll_time(ts, now)
                else:
                    self._live_jump(now, out)
                return None
            return seg
        if seg is None:
            if not self._next_period(ts, now, out):
                ts.ended = True
            return None
        return seg

    def _next_period(self, ts: _Track, now: float, out: list[Action]) -> bool:
        periods = self._pres.periods
        pi = ts.period + 1
        while pi < len(periods):
            period = periods[pi]
            sel = self._select_like(ts, period)
            if sel is not None:
                ts.set_selection(sel, pi)
                ts.next_time = max(ts.next_time, period.start)
                return True
            pi += 1
        return False

    def _select_like(self, ts: _Track, period: Period) -> Selection | None:
        prefs = self.config.preferences
        lang = ts.track.language if ts.track is not None else None
        if ts.kind == TrackKind.VIDEO:
            return select_track(period, ts.kind, prefs, self._playable)
        return select_track(period, ts.kind, prefs, self._playable, language=lang)

    # -- ABR --------------------------------------------------------------------------

    def _choose(self, ts: _Track, seg: Segment, idx: SegmentIndex, now: float) -> tuple[int, str]:
        if ts.manual is not None:
            return ts.manual, "manual"
        top = len(ts.reps) - 1
        if top == 0:
            return 0, "single rung"
        if ts is not self._video:
            return self._choose_secondary(ts), "audio rule"
        if self._first_quality is not None and ts.appended_quality is None:
            return min(self._first_quality, top), "first segment (abr.first_quality)"
        ctx = self._context(ts, seg, idx, now)
        try:
            decision = self._policy.choose(ctx)
            q = int(decision.quality)
        except Exception as exc:  # a user's policy must not take playback down
            self._policy_error(exc)
            q = ts.appended_quality if ts.appended_quality is not None else 0
            return min(max(q, 0), top), "policy error"
        return min(max(q, 0), top), decision.reason

    def _policy_error(self, exc: Exception) -> None:
        # Reported as a non-fatal Error at the end of this event's batch.
        self._pending_error = PlayerError(
            Code.INTERNAL, f"ABR policy {getattr(self._policy, 'name', '?')} raised: {exc!r}"
        )

    def _choose_secondary(self, ts: _Track) -> int:
        """Audio: the best rung within 15 % of the estimate (audio is small next to video)."""
        est = self.estimate_bps
        if est is None:
            return 0
        budget = 0.15 * est
        q = 0
        for i, rung in enumerate(ts.ladder):
            if rung.bitrate_bps <= budget:
                q = i
        return q

    def _context(self, ts: _Track, seg: Segment, idx: SegmentIndex, now: float) -> AbrContext:
        est, latency = self._estimates or self._ask_estimator()
        last = idx.last_number
        if self._stalled:
            state = _STALLED
            rebuffer = self._rebuffer_total + (self._clock - self._stall_start)
        else:
            rebuffer = self._rebuffer_total
            if not self._started:
                state = _STARTUP
            elif self._seeking:
                state = _SEEKING
            elif self._paused:
                state = _PAUSED
            else:
                state = _PLAYING
        pos = self._pos
        level = ts.buffer.contiguous_end(pos)
        ahead = 0.0
        if level is not None:
            ahead = level - pos
            if not ahead > 0.0:  # max(0.0, ahead) without the call
                ahead = 0.0
        number = seg.number
        duration = seg.duration
        if number == ts.sizes_number and seg.start == ts.sizes_start:
            sizes = ts.sizes_val
        else:
            sizes = self._next_sizes(ts, seg)
        goal = self._goal_s
        return new_context(
            now,
            ts.ladder,
            duration,
            ahead,  # buffer_level
            goal,  # buffer_target
            goal + duration,  # buffer_capacity
            est,  # throughput_bps
            latency,
            self._samples,
            ts.appended_quality,  # last_quality
            state,
            number - idx.first_number,  # segment_number
            None if self._live or last is None else last - number + 1,  # segments_left
            sizes,  # next_sizes
            rebuffer,
        )

    def _next_sizes(self, ts: _Track, seg: Segment) -> tuple[int | None, ...] | None:
        """Bytes of the segment at ``seg``'s number and start on every rung, where the
        index gives byte ranges. The answer depends only on the number, the start and
        the track's indexes: kept per track for the last number asked about (a choice
        and then every progress report ask about the same one) and, for static indexes,
        in the ladder's shared table (see :mod:`player.engine._sizes`)."""
        if ts.has_ranges is False:
            return None
        number, start = seg.number, seg.start
        if number == ts.sizes_number and start == ts.sizes_start:
            return ts.sizes_val
        if ts.has_ranges is None:
            ts.has_ranges = seg.byte_range is not None and seg.byte_range.end is not None
            if not ts.has_ranges:
                return None
        if not ts.sizes_table_known:
            ts.sizes_table_known = True
            indexes = ts.indexes
            if all(x is not None and not self._index_live(x) for x in indexes):
                ts.sizes_table = shared_size_table(cast(list[SegmentIndex], indexes), self._tol)
        table = ts.sizes_table
        if table is not None:
            out = table.get((number, start))
            if out is not None:
                ts.sizes_number = number
                ts.sizes_start = start
                ts.sizes_val = out
                return out
        sizes: list[int | None] = []
        tol = self._tol
        for idx in ts.indexes:
            if idx is None:
                sizes.append(None)
                continue
            # Rungs are usually numbered alike: try the same number before a time lookup.
            s = idx.by_number(number)
            if s is None or (s.start != start and abs(s.start - start) > tol):
                s = idx.at_time(start + 1e-3)
            br = None if s is None else s.byte_range
            sizes.append(None if br is None or br.end is None else br.end - br.start + 1)
        out = tuple(sizes)
        if table is not None and len(table) < MAX_ENTRIES:
            table[(number, start)] = out
        ts.sizes_number = number
        ts.sizes_start = start
        ts.sizes_val = out
        return out

    def _maybe_abandon(self, req: _Request, ts: _Track, now: float, out: list[Action]) -> None:
        should_abandon = self._should_abandon
        if should_abandon is None:
            return  # abandon_check would say None: no context to build
        seg = req.segment
        assert seg is not None
        idx = ts.indexes[req.quality]
        if idx is None:
            return
        ctx = self._context(ts, seg, idx, now)
        progress = new_progress(req.quality, req.nbytes, req.total, now - req.start, seg.duration)
        try:
            # abandon_check, with the method looked up once.
            result = should_abandon(ctx, progress)
            q = None if result is None else int(result)
        except Exception as exc:
            self._policy_error(exc)
            return
        if q is None or not (0 <= q < req.quality):
            return
        self._requests.pop(req.id, None)
        self._media_req = None
        out.append(Abort(req.id, "abandoned by the ABR policy"))
        out.append(
            Downloaded(now, req.purpose, ts.kind, req.url, req.nbytes, now - req.start, True)
        )
        self._add_sample(req, req.nbytes, now)
        out.append(Abandoned(now, ts.kind, seg.number, req.quality, q, req.nbytes))
        ts.decided = q
        ts.decided_at = ts.next_time
        ts.decided_reason = "abandon"

    def _add_sample(self, req: _Request, nbytes: int, now: float) -> None:
        seconds = now - req.start
        if nbytes < self._min_sample or seconds <= 0:
            return
        latency = 0.0 if req.first_byte is None else req.first_byte - req.start
        sample = new_sample(nbytes, seconds, now, latency)
        self._estimates = None
        self._estimator.add_sample(sample)
        samples = self._samples
        if len(samples) >= _SAMPLES_KEPT:
            samples = samples[1:]
        self._samples = (*samples, sample)

    # -- completions ------------------------------------------------------------------

    def _media_done(
        self, req: _Request, data: bytes | None, size: int, now: float, out: list[Action]
    ) -> None:
        ts = req.track
        seg = req.segment
        assert ts is not None and seg is not None
        ts.attempts = 0
        self._last_media_done = now
        self._add_sample(req, size, now)
        q = req.quality
        rep = ts.reps[q] if q < len(ts.reps) else ts.reps[-1]
        bitrate = int(rep.bandwidth)
        start = seg.start
        end = seg.end
        number = seg.number
        entry = BufferedSegment(
            start, end, size, q, number, bitrate, data, req.init, seg.discontinuity
        )
        replaced = ts.buffer.add(entry)
        if replaced:
            self._report_evicted(ts, replaced, now, out)
        if q != ts.appended_quality:
            reason = ts.decided_reason
            out.append(
                QualityChanged(now, ts.kind, ts.appended_quality, q, bitrate, rep.id, start, reason)
            )
            ts.appended_quality = q
        out.append(SegmentAppended(now, ts.kind, number, start, seg.duration, q, bitrate, size))
        ts.next_time = end
        ts.next_number = number + 1
        ts.next_index = ts.indexes[q]
        if size > self._max_bytes:
            self._fail_fatal(
                PlayerError(
                    Code.INVALID_CONFIG,
                    f"buffer.max_bytes ({self._max_bytes}) is smaller than one segment "
                    f"({size} bytes)",
                ),
                now,
                out,
            )
            return
        total = 0
        for t in self._tracks:
            total += t.buffer.nbytes
        if total > self._max_bytes:
            self._enforce_cap(now, out)

    def _enforce_cap(self, now: float, out: list[Action]) -> None:
        total = sum(t.buffer.nbytes for t in self._tracks)
        if total <= self._max_bytes:
            return
        pos = self._pos
        for t in self._tracks:
            self._report_evicted(t, t.buffer.evict_before(pos), now, out)
        total = sum(t.buffer.nbytes for t in self._tracks)
        while total > self._max_bytes:
            # Drop the furthest-ahead segment and fetch it again later.
            victim = max(
                (t for t in self._tracks if len(t.buffer)),
                key=lambda t: t.buffer.end or 0.0,
            )
            seg = victim.buffer.pop_last()
            assert seg is not None
            total -= seg.nbytes
            self._report_evicted(victim, [seg], now, out)
            victim.reset_position(seg.start)

    def _index_done(self, req: _Request, data: bytes | None, now: float, out: list[Action]) -> None:
        ts = req.track
        assert ts is not None
        ireq = ts.index_reqs[req.quality] if req.quality < len(ts.index_reqs) else None
        if ireq is None:
            return
        try:
            if data is None:
                raise PlayerError(Code.INVALID_ARGUMENT, "an index request completed without data")
            idx, _ = self._resolve(ts, req.quality, ireq, data, req.url)
        except PlayerError as err:
            self._request_failed(req, err, now, out)
            return
        ts.attempts = 0
        ts.indexes[req.quality] = idx
        ts.forget_sizes()
        if isinstance(idx, HlsPlaylistIndex):
            # An HLS master leaves duration and liveness to its media playlists.
            settle_hls_master(self._pres, (x for t in self._tracks for x in t.indexes))
        if self._index_live(idx):
            if not self._live:
                # An HLS master says nothing about live; its media playlists do.
                self._live = True
                if not self._started and not self._explicit_start:
                    self._live_start_pending = True
            ts.reload_at = now + self._reload_interval(idx, changed=True)

    def _resolve(
        self, ts: _Track, q: int, ireq: IndexRequest, data: bytes, url: str
    ) -> tuple[SegmentIndex, bool]:
        """Resolve fetched index bytes; a live HLS playlist continues the timeline of
        the track's previous playlist (media sequence numbers map to the same times)."""
        prev = ts.indexes[q]
        if prev is None:
            prev = next((x for x in ts.indexes if isinstance(x, HlsPlaylistIndex)), None)
        if ireq.kind == "hls-playlist" and isinstance(prev, HlsPlaylistIndex) and prev.info.is_live:
            return reload_media_playlist(prev, data, url)
        idx = ireq.resolve(data)
        old = ts.indexes[q]
        return idx, old is None or old.last_number != idx.last_number

    def _reload_done(
        self, req: _Request, data: bytes | None, now: float, out: list[Action]
    ) -> None:
        ts = req.track
        assert ts is not None
        ts.reload_busy = False
        ireq = ts.index_reqs[req.quality] if req.quality < len(ts.index_reqs) else None
        if ireq is None or data is None:
            return
        try:
            idx, changed = self._resolve(ts, req.quality, ireq, data, req.url)
        except PlayerError as err:
            out.append(Error(now, err, False))
            ts.reload_at = now + self._reload_interval(ts.indexes[req.quality], changed=False)
            return
        # Other rungs' playlists are stale now; refetch them when switching to them.
        for i, r in enumerate(ts.index_reqs):
            if r is not None and i != req.quality:
                ts.indexes[i] = None
        ts.indexes[req.quality] = idx
        ts.forget_sizes()
        ts.next_index = None
        if ts.wait_until > now:
            ts.wait_until = 0.0
        live = self._index_live(idx)
        ts.reload_at = now + self._reload_interval(idx, changed) if live else _INF
        out.append(ManifestUpdated(now, live))

    def _reload_interval(self, idx: SegmentIndex | None, changed: bool) -> float:
        # RFC 8216 6.3.4: reload after the target duration, half of it when unchanged.
        info = getattr(idx, "info", None)
        target = getattr(info, "target_duration", None)
        if not target:
            target = self._pres.live.target_duration if self._pres.live else None
        if not target and idx is not None:
            last = idx.last_number
            seg = idx.by_number(last) if last is not None else None
            target = seg.duration if seg is not None else None
        target = target or 2.0
        return target if changed else target / 2

    def _manifest_done(
        self, req: _Request, data: bytes | None, now: float, out: list[Action]
    ) -> None:
        try:
            if self._parser is None or data is None:
                raise PlayerError(
                    Code.INVALID_STATE,
                    "a manifest refresh completed but the engine has no manifest parser",
                )
            pres = self._parser(data, req.url)
        except PlayerError as err:
            self._request_failed(req, err, now, out)
            return
        self._manifest_failures = 0
        self._apply_presentation(pres, now, out)

    def _apply_presentation(self, pres: Presentation, now: float, out: list[Action]) -> None:
        if not pres.periods:
            out.append(
                Error(now, PlayerError(Code.NO_PERIODS, "refreshed manifest has no periods"), False)
            )
            return
        self._pres = pres
        self._live = pres.is_live
        for ts in self._tracks:
            pi = min(ts.period, len(pres.periods) - 1)
            if ts.track is not None and ts.track.id is not None:
                # Periods keep their order; match the period by id when it has one.
                old_pid = None
                for k, p in enumerate(pres.periods):
                    if p.id is not None and any(t.id == ts.track.id for t in p.tracks):
                        old_pid = k
                        break
                if old_pid is not None:
                    pi = old_pid
            period = pres.periods[pi]
            new_track = next(
                (t for t in period.tracks if ts.track is not None and t.id == ts.track.id),
                None,
            )
            if new_track is not None:
                sel_reps = [
                    r
                    for r in new_track.representations
                    if self._playable(r.codecs or new_track.codecs)
                ]
                by_id = {r.id: r for r in sel_reps}
                keep = [by_id[r.id] for r in ts.reps if r.id in by_id]
                if len(keep) == len(ts.reps):
                    ts.track = new_track
                    ts.reps = keep
                    for i, r in enumerate(keep):
                        if isinstance(r.index, SegmentIndex):
                            ts.indexes[i] = r.index
                        elif isinstance(r.index, IndexRequest):
                            ts.index_reqs[i] = r.index
                    ts.period = pi
                    ts.next_index = None
                    ts.forget_sizes()
                    continue
            sel = self._select_like(ts, period)
            if sel is not None:
                ts.set_selection(sel, pi)
        if self._live:
            mup = pres.live.minimum_update_period if pres.live else None
            self._manifest_refresh_at = now + mup if mup and mup > 0 else _INF
        else:
            self._manifest_refresh_at = _INF
            for ts in self._tracks:
                ts.wait_until = 0.0
        if self._await_refresh:
            self._await_refresh = False
            self._retry_at = 0.0
        out.append(ManifestUpdated(now, self._live))

    # -- failures ---------------------------------------------------------------------

    def _request_failed(
        self, req: _Request, error: PlayerError, now: float, out: list[Action]
    ) -> None:
        s = self._streaming
        ts = req.track
        kind = ts.kind if ts is not None else None
        if req.purpose is FetchPurpose.MANIFEST:
            self._manifest_req = None
            self._manifest_failures += 1
            retry = self._manifest_failures < s.max_attempts or self._patient(
                self._manifest_failures
            )
            out.append(
                RequestFailed(
                    now, req.purpose, None, req.url, error, self._manifest_failures, retry
                )
            )
            if self._await_refresh:
                # The refresh was for failover: try the media again anyway.
                self._await_refresh = False
                self._retry_at = now + self._backoff(1)
            if self._live:
                if not retry:
                    self._fail_fatal(error, now, out)
                    return
                self._manifest_refresh_at = now + self._backoff(self._manifest_failures)
            return
        if req.purpose is FetchPurpose.INDEX and req.reload:
            assert ts is not None
            ts.reload_busy = False
            ts.reload_at = now + self._backoff(1)
            out.append(RequestFailed(now, req.purpose, kind, req.url, error, 1, True))
            return
        if self._media_req is req:
            self._media_req = None
        failed_origins = (
            {_origin(u) for u in req.urls}
            if error.code == Code.ALL_ORIGINS_FAILED
            else {_origin(req.url)}
        )
        for origin in failed_origins:
            self._bad_origins[origin] = now + s.origin_penalty_s
        attempts = 1
        if ts is not None:
            ts.attempts += 1
            attempts = ts.attempts
        alternatives = [u for u in req.urls if _origin(u) not in self._bad_origins]
        can_refresh = s.refresh_on_failover and self._parser is not None
        retry = (attempts < s.max_attempts or self._patient(attempts)) and (
            error.recoverable or bool(alternatives) or can_refresh
        )
        out.append(RequestFailed(now, req.purpose, kind, req.url, error, attempts, retry))
        if not retry:
            self._fail_fatal(error, now, out)
            return
        if alternatives:
            self._retry_at = 0.0  # another origin: at once
        elif can_refresh and self._manifest_req is None:
            self._await_refresh = True
            self._refresh_manifest(now, out)
        else:
            self._retry_at = now + self._backoff(attempts)

    def _patient(self, attempts: int) -> bool:
        # Giving up while the buffer still covers the next wait would turn an outage the
        # viewer never needed to see into a fatal error.
        s = self._streaming
        return s.retry_while_buffered and self.buffer_level > self._backoff(attempts)

    def _backoff(self, attempt: int) -> float:
        s = self._streaming
        return min(s.retry_max_delay_s, s.retry_delay_s * 2.0 ** max(0, attempt - 1))

    def _fail_fatal(self, error: PlayerError, now: float, out: list[Action]) -> None:
        if self._fatal is not None:
            return
        self._fatal = error
        for rid in list(self._requests):
            out.append(Abort(rid, "fatal error"))
        self._requests.clear()
        self._media_req = None
        self._manifest_req = None
        out.append(Error(now, error, True))

    def _refresh_manifest(self, now: float, out: list[Action]) -> None:
        pres = self._pres
        url = pres.locations[0] if pres.locations else pres.url
        req = self._new_request(FetchPurpose.MANIFEST, None, (url,), now)
        self._manifest_req = req
        out.append(Fetch(req.id, FetchPurpose.MANIFEST, req.url, req.urls))

    # -- seeking and track switches ---------------------------------------------------

    def _clamp_vod(self, position: float) -> float:
        start = self._pres.periods[0].start
        dur = self._pres.duration
        if dur is not None and position > start + dur - 0.01:
            position = max(start, start + dur - 0.01)
        return max(start, position)

    def _clamp_live(self, position: float, now: float) -> float:
        ts = self._gating[0]
        idx = next((x for x in ts.indexes if x is not None), None)
        if idx is None:
            return position
        avail = idx.available(now + self._wall_offset)
        if avail is None:
            return position
        first = idx.by_number(avail[0])
        last = idx.by_number(avail[1])
        lo = first.start if first is not None else position
        hi = last.end if last is not None else position
        return min(max(position, lo), hi)

    def _set_start(self, position: float) -> None:
        self._pos = position
        for ts in self._tracks:
            ts.reset_position(position)

    def _reposition(self, position: float, now: float, out: list[Action]) -> None:
        media = self._media_req
        for ts in self._tracks:
            buf = ts.buffer
            ce = buf.contiguous_end(position)
            if ce is not None:
                # Keep the run around the new position; anything disjoint ahead would
                # reach the sink out of order, so it goes.
                removed = buf.evict_from(ce)
                frontier = ce
            else:
                removed = buf.evict_from(position)
                frontier = position
            self._report_evicted(ts, removed, now, out)
            keep_request = (
                media is not None
                and media.track is ts
                and media.purpose is FetchPurpose.MEDIA
                and media.segment is not None
                and abs(media.segment.start - frontier) <= self._tol
                and abs(ts.next_time - frontier) <= self._tol
            )
            if (
                media is not None
                and media.track is ts
                and media.purpose is FetchPurpose.MEDIA
                and not keep_request
            ):
                self._abort(media, now, out, "seek")
                media = None
            if not keep_request:
                ts.reset_position(frontier)
            else:
                ts.ended = False
        if self._stalled:
            # A seek ends the stall; waiting after the seek is seek time, not rebuffering.
            self._close_stall(now, out)
        self._ended = False
        self._all_fetched_reported = False
        self._repositioned = True
        self._pos = position
        self._clock = now
        out.append(Flush(position))
        if self._started:
            if self._playable_end() - position > _EPS:
                self._seeking = False
                out.append(Seeked(now, position))
            else:
                self._seeking = True

    def _abort(self, req: _Request, now: float, out: list[Action], reason: str) -> None:
        self._requests.pop(req.id, None)
        if self._media_req is req:
            self._media_req = None
        out.append(Abort(req.id, reason))
        kind = req.track.kind if req.track else None
        out.append(Downloaded(now, req.purpose, kind, req.url, req.nbytes, now - req.start, True))

    def _switch_track(
        self, kind: TrackKind, now: float, language: str | None, track_id: str | None
    ) -> list[Action]:
        out: list[Action] = []
        if not self._accepting(now, allow_ended=True):
            return out
        self._advance(now, out)
        ts = self._track(kind)
        pi = ts.period if ts is not None else (self._gating[0].period)
        period = self._pres.periods[pi]
        prefs = self.config.preferences
        if kind == TrackKind.TEXT and language is None and track_id is None:
            sel = None
        else:
            sel = select_track(
                period, kind, prefs, self._playable, language=language, track_id=track_id
            )
            if sel is None or (
                language is not None
                and track_id is None
                and not language_matches(sel.track.language, language)
            ):
                raise PlayerError(
                    Code.INVALID_ARGUMENT,
                    f"no {kind} track for {language or track_id!r}",
                )
        if (
            ts is not None
            and sel is not None
            and ts.track is not None
            and sel.track.id == ts.track.id
        ):
            self._after(now, out)
            return out
        pos = self._pos
        media = self._media_req
        if ts is not None and media is not None and media.track is ts:
            self._abort(media, now, out, "track switch")
        if sel is None:
            # Subtitles off.
            if ts is not None:
                self._report_evicted(ts, ts.buffer.clear(), now, out)
                self._tracks.remove(ts)
                self._text = None
            out.append(TrackChanged(now, kind, None, None))
            self._after(now, out)
            return out
        if ts is None:
            ts = _Track(kind, self._tol)
            self._tracks.append(ts)
            if kind == TrackKind.AUDIO:
                self._audio = ts
                self._gating.append(ts)
            else:
                self._text = ts
            ts.set_selection(sel, pi)
            ts.reset_position(pos)
        else:
            if kind == TrackKind.AUDIO:
                # Keep what is buffered up to the margin so playback does not stall.
                keep_until = pos + self._streaming.audio_switch_margin_s
                cut = None
                for s in ts.buffer.segments:
                    if s.start < keep_until and s.end > pos:
                        cut = s.end
                removed = ts.buffer.evict_from(cut if cut is not None else pos)
            else:
                # Subtitles never gate playback: replace them all (a WebVTT file may be
                # one segment spanning the whole title).
                removed = ts.buffer.clear()
            self._report_evicted(ts, removed, now, out)
            ts.set_selection(sel, pi)
            ts.appended_quality = None
            ts.manual = None
            end = ts.buffer.contiguous_end(pos)
            ts.reset_position(end if end is not None else pos)
        out.append(TrackChanged(now, kind, sel.track.id, sel.track.language))
        out.append(Flush(pos))
        self._after(now, out)
        return out

    # -- live -------------------------------------------------------------------------

    def _index_live(self, idx: SegmentIndex) -> bool:
        plain = self._plain_indexes
        if plain.get(id(idx)) is idx:
            return self._live
        flag = getattr(idx, "is_live", None)
        if isinstance(flag, bool):
            return flag
        if isinstance(idx, HlsPlaylistIndex):
            return idx.info.is_live
        # An index that does not say follows the presentation; remember it (the lookup
        # above is a tenth of the cost), within bounds: live reloads make new indexes.
        if len(plain) >= 64:
            plain.clear()
        plain[id(idx)] = idx
        return self._live

    def _live_delay(self, seg_duration: float) -> float:
        d = self._streaming.live_delay_s
        if d is not None:
            return d
        live = self._pres.live
        if live is not None:
            if live.suggested_presentation_delay is not None:
                return live.suggested_presentation_delay
            if live.target_duration:
                return 3 * live.target_duration
        return 3 * seg_duration

    def _live_edge(self, idx: SegmentIndex, now: float) -> tuple[float, float, float] | None:
        """``(window start, live edge, segment duration)`` at ``now``."""
        avail = idx.available(now + self._wall_offset)
        if avail is None:
            return None
        first = idx.by_number(avail[0])
        last = idx.by_number(avail[1])
        if first is None or last is None:
            return None
        return first.start, last.end, last.duration

    def _live_start(self, ts: _Track, idx: SegmentIndex, now: float) -> bool:
        edge = self._live_edge(idx, now)
        if edge is None:
            ts.wait_until = self._poll_time(ts, now)
            return False
        lo, hi, dur = edge
        target = max(lo, hi - self._live_delay(dur))
        self._live_start_pending = False
        self._set_start(target)
        self._clock = now
        return True

    def _live_jump(self, now: float, out: list[Action]) -> None:
        ts = self._gating[0]
        idx = next((x for x in ts.indexes if x is not None), None)
        if idx is None:
            return
        edge = self._live_edge(idx, now)
        if edge is None:
            return
        lo, hi, dur = edge
        target = max(lo, hi - self._live_delay(dur))
        frm = self._pos
        out.append(LiveJump(now, frm, target))
        self._reposition(target, now, out)

    def _live_housekeeping(self, now: float, out: list[Action]) -> None:
        if self._manifest_req is None and now >= self._manifest_refresh_at:
            self._manifest_refresh_at = _INF
            self._refresh_manifest(now, out)
        for ts in self._tracks:
            if not ts.reload_busy and now >= ts.reload_at:
                q = ts.decided if ts.decided is not None else ts.appended_quality
                if q is None:
                    q = 0
                ireq = ts.index_reqs[q]
                if ireq is None:
                    ts.reload_at = _INF
                    continue
                req = self._new_request(FetchPurpose.INDEX, ts, ireq.urls, now)
                req.reload = True
                req.quality = q
                ts.reload_busy = True
                ts.reload_at = _INF
                out.append(
                    Fetch(
                        req.id,
                        FetchPurpose.INDEX,
                        req.url,
                        req.urls,
                        ireq.byte_range,
                        ts.kind,
                        quality=q,
                        representation_id=ts.reps[q].id,
                    )
                )
        if (
            self._started
            and not self._paused
            and now >= self._next_window_check
            and not self._live_start_pending
        ):
            self._next_window_check = now + 1.0
            ts = self._gating[0]
            idx = next((x for x in ts.indexes if x is not None), None)
            if idx is not None and self._index_live(idx):
                edge = self._live_edge(idx, now)
                if edge is not None and self._pos < edge[0] - self._tol:
                    self._live_jump(now, out)

    def _poll_time(self, ts: _Track, now: float) -> float:
        if ts.reload_at < _INF:
            return max(now + 0.05, ts.reload_at)
        live = self._pres.live
        target = live.target_duration if live and live.target_duration else 1.0
        return now + max(0.1, target / 2)

    def _availability_time(self, seg: Segment, ts: _Track, now: float) -> float:
        live = self._pres.live
        if live is not None and live.availability_start_time is not None:
            wall = live.availability_start_time + seg.end - live.availability_time_offset
            t = wall - self._wall_offset
            if t > now:
                return t + 0.01
        return self._poll_time(ts, now)


# Ladders by value, so that sessions over one presentation share one ladder object: a
# policy may cache what it derives from a ladder by identity (BOLA's parameters, the
# ladder checks), and a simulator sweep plays hundreds of sessions over one ladder.
_RungFields = tuple[int, int | None, int | None, str | None, str]
_LADDERS: dict[tuple[_RungFields, ...], tuple[Rung, ...]] = {}


def _ladder(rungs: tuple[_RungFields, ...]) -> tuple[Rung, ...]:
    """The rungs ``(bitrate_bps, width, height, codecs, id)``, lowest first, as Rungs."""
    ladder = _LADDERS.get(rungs)
    if ladder is None:
        ladder = tuple(
            Rung(index=i, bitrate_bps=b, width=w, height=h, codecs=c, id=rid)
            for i, (b, w, h, c, rid) in enumerate(rungs)
        )
        if len(_LADDERS) >= 64:
            _LADDERS.clear()
        _LADDERS[rungs] = ladder
    return ladder


def _next_time(ts: _Track) -> float:
    return ts.next_time


def _check_time(t: float, name: str = "now") -> None:
    """A time must be a finite number: PlayerError for NaN and infinities. A value that
    is no number at all is a programming error mypy flags; it raises TypeError, as the
    compiled core's own argument checks do (see ``_core_loader``)."""
    if not isinstance(t, int | float) or isinstance(t, bool):
        raise TypeError(f"{name} must be a float, not {type(t).__name__}")
    if not math.isfinite(t):
        raise PlayerError(Code.INVALID_ARGUMENT, f"{name} must be a finite number, not {t!r}")
