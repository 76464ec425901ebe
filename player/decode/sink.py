"""The decode path as a :class:`player.sink.MediaSink`: chunks in, timed frames and sound out.

Threads: one decodes video, one decodes audio and writes PCM to the audio output, one
presents video frames at their times. The loop hands chunks over through bounded queues
(``append`` awaits room); decoded frames wait in a bounded queue for their time. A flush
(seek) bumps a generation number, so anything a thread was holding from before is dropped
wherever it is.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from player.decode._codec import SegmentRef, check_segment
from player.decode.audio import AudioBlock, AudioDecoder
from player.decode.clock import PresentationClock
from player.decode.keys import KeyCheck, normalize_keys
from player.decode.outputs import AudioOutput, VideoOutput
from player.decode.video import VideoDecoder, VideoFrame
from player.decode.worker import ChunkQueue, WorkerThread
from player.errors import Code, PlayerError
from player.manifest.model import TrackKind
from player.sink import MediaChunk, SinkStats

_POLL = 0.05  # seconds a thread waits on a queue before re-checking stop and flush
_MAX_SLEEP = 0.01  # longest sleep while waiting for a frame's time
_EARLY = 0.001  # a frame may be shown this much before its time (sleep granularity)


@dataclass(frozen=True, slots=True)
class _End:
    """End-of-stream marker in a queue."""


_END = _End()
_ChunkItem = tuple[int, MediaChunk | _End]
_FrameItem = tuple[int, VideoFrame | _End]


class DecodingSink:
    """Decodes appended chunks with PyAV and presents them in sync (audio clock leads).

    ``DecodingSink()`` with no outputs decodes and times frames headless (stats count real
    decoded frames); give a :class:`~player.decode.VirtualAudioOutput` for a headless audio
    clock. With ``realtime=False`` frames are presented as soon as they are decoded and
    none is dropped (analysis, tests, throughput measurement).

    Errors: a malformed segment or a missing content key raises from :meth:`append`
    itself, before anything is decoded; an error found while decoding is raised by the
    next :meth:`append` (and passed to ``on_error``), and the segment is skipped.
    """

    def __init__(
        self,
        video_output: VideoOutput | None = None,
        audio_output: AudioOutput | None = None,
        *,
        realtime: bool = True,
        drop_late_frames: bool = True,
        late_threshold: float | None = None,
        chunk_queue: int = 3,
        frame_queue: int = 8,
        threads: int = 0,
        on_error: Callable[[PlayerError], None] | None = None,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._video_out = video_output
        self._audio_out = audio_output
        self._realtime = realtime
        self._drop_late = drop_late_frames
        self._late_threshold = late_threshold
        self._on_error = on_error
        self._now = now
        self._stats = SinkStats()
        self._keys: dict[str, str] = {}
        self._key_check = KeyCheck()
        self._clock = PresentationClock(now)
        self._lock = threading.RLock()  # guards the generation and what changes with it
        self._gen = 0
        self._start: float | None = None
        self._started_at: float | None = None  # position set by the first chunk
        self._pending: PlayerError | None = None
        self._closed = False
        self._ended = threading.Event()
        self._seen: set[TrackKind] = set()
        self._done: set[TrackKind] = set()
        self._eos = False
        self._shown = False  # a frame was shown since the last flush
        self._want_playing = False  # set_playing(True) was asked
        self._has_video = False  # video was appended (kept across flushes)
        self._running = False  # the clock and the audio output actually run
        self._last_shown: float | None = None
        self._audio_pos: float | None = None
        self._failed: dict[TrackKind, int] = {}  # track -> generation it failed in
        self._video_q: ChunkQueue[_ChunkItem] = ChunkQueue(chunk_queue)
        self._audio_q: ChunkQueue[_ChunkItem] = ChunkQueue(chunk_queue)
        self._frames: queue.Queue[_FrameItem] = queue.Queue(frame_queue)
        self._video = VideoDecoder(threads=threads, keys=self._key_check)
        self._audio = AudioDecoder(
            audio_output.format if audio_output else None, keys=self._key_check
        )
        self._video_gen = -1
        self._audio_gen = -1
        self._threads: list[WorkerThread] = []
        if audio_output is not None:
            audio_output.set_paused(True)

    # -- MediaSink -------------------------------------------------------------------

    async def append(self, chunk: MediaChunk) -> None:
        """Queue a segment for decoding; awaits while the track's queue is full.

        Raises a pending decode error first, then checks the segment (``CORRUPT_SEGMENT``,
        ``INIT_SEGMENT_INVALID``) and its keys (``NO_USABLE_KEY``, ``KEY_ID_MISMATCH``).
        """
        if self._closed:
            raise PlayerError(Code.INVALID_STATE, "append on a closed DecodingSink")
        self._raise_pending()
        if chunk.kind not in (TrackKind.VIDEO, TrackKind.AUDIO):
            return  # text and other tracks are not decoded here
        if chunk.kind == TrackKind.AUDIO and self._audio_out is None:
            return  # nowhere to play it: not worth decoding
        ref = SegmentRef(chunk.representation_id, chunk.number)
        check_segment(chunk.init, chunk.data, ref)
        self._key_check.options(chunk.init, self._keys, representation_id=chunk.representation_id)
        with self._lock:
            if self._started_at is None:
                self._started_at = chunk.start
                self._clock.reset(chunk.start)
            self._seen.add(chunk.kind)
            self._has_video = self._has_video or chunk.kind == TrackKind.VIDEO
            self._update_running()
            self._eos = False
            self._ended.clear()
            gen = self._gen
        self._ensure_threads()
        q = self._video_q if chunk.kind == TrackKind.VIDEO else self._audio_q
        await q.put((gen, chunk))

    def flush(self, position: float) -> None:
        """Drop everything queued and decoded (a seek); playback restarts at ``position``."""
        with self._lock:
            self._gen += 1
            self._start = position
            self._started_at = position
            self._video_q.clear()
            self._audio_q.clear()
            while True:
                try:
                    self._frames.get_nowait()
                except queue.Empty:
                    break
            self._clock.reset(position)
            if self._audio_out is not None:
                self._audio_out.reset()
            self._shown = False
            self._last_shown = None
            self._run_clock(False)  # restarts with the first frame at the new position
            self._audio_pos = None
            self._seen.clear()
            self._done.clear()
            self._eos = False
            self._ended.clear()

    def set_keys(self, keys: dict[str, str]) -> None:
        """Content keys from the CDM (KID hex -> key hex), added to those held."""
        with self._lock:
            self._keys = {**self._keys, **normalize_keys(keys)}

    def set_playing(self, playing: bool) -> None:
        """Run or pause the presentation clock and the audio output.

        Playing starts for real once the first video frame is on screen (or at once when
        no video is appended), so the clock never runs ahead of a picture still decoding.
        """
        with self._lock:
            self._want_playing = playing
            self._update_running()

    def position(self) -> float | None:
        """The presentation time being shown and heard (None before the first chunk)."""
        with self._lock:
            if self._started_at is None:
                return None
            if self._realtime:
                return self._clock.position()
            times = [t for t in (self._last_shown, self._audio_pos) if t is not None]
            return max(times) if times else self._started_at

    def end_of_stream(self) -> None:
        """No more chunks: decoders drain, and :attr:`ended` is set once all is played."""
        with self._lock:
            self._eos = True
            gen = self._gen
            self._video_q.put_nowait((gen, _END))
            self._audio_q.put_nowait((gen, _END))
            self._check_ended()
        self._ensure_threads()

    @property
    def stats(self) -> SinkStats:
        """Frames decoded, rendered and dropped (late), audio samples played, errors."""
        return self._stats

    async def close(self) -> None:
        """Stop the threads and release decoders and outputs."""
        self._closed = True
        for t in self._threads:
            t.stop()
        self._video_q.clear()
        self._audio_q.clear()
        # Threads notice within one poll period; joining off the loop keeps it responsive.
        joined = [await asyncio.to_thread(t.join, 2.0) for t in self._threads]
        self._threads.clear()
        if all(joined):  # never pull a decoder from under a thread still using it
            self._video.close()
            self._audio.close()
        if self._audio_out is not None:
            self._audio_out.close()

    # -- extras ----------------------------------------------------------------------

    @property
    def ended(self) -> bool:
        """Whether every track reached its end of stream and was played out."""
        return self._ended.is_set()

    def wait_ended(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds for :attr:`ended` (scripts and benchmarks)."""
        return self._ended.wait(timeout)

    @property
    def clock(self) -> PresentationClock:
        """The presentation clock (audio-led when audio plays)."""
        return self._clock

    @property
    def error(self) -> PlayerError | None:
        """The decode error not yet raised by :meth:`append`, if any."""
        return self._pending

    # -- internals -------------------------------------------------------------------

    def _raise_pending(self) -> None:
        with self._lock:
            err, self._pending = self._pending, None
        if err is not None:
            raise err

    def _report(self, err: PlayerError, kind: TrackKind, gen: int) -> None:
        with self._lock:
            if gen != self._gen:
                return
            self._stats.errors.append(str(err))
            if self._pending is None:
                self._pending = err
            if not err.recoverable:
                self._failed[kind] = gen
                self._update_running()
        if self._on_error is not None:
            self._on_error(err)

    def _crash(self, exc: BaseException) -> None:
        err = PlayerError(Code.INTERNAL, f"decode thread failed: {exc!r}")
        with self._lock:
            self._stats.errors.append(str(err))
            self._pending = self._pending or err
        if self._on_error is not None:
            self._on_error(err)

    def _ensure_threads(self) -> None:
        if self._threads or self._closed:
            return
        self._threads = [
            WorkerThread("abrkit-video-decode", self._video_step, self._crash),
            WorkerThread("abrkit-present", self._present_step, self._crash),
        ]
        if self._audio_out is not None:
            self._threads.append(WorkerThread("abrkit-audio", self._audio_step, self._crash))
        for t in self._threads:
            t.start()

    def _current(self, gen: int) -> bool:
        return gen == self._gen and not self._closed

    def _finish(self, kind: TrackKind) -> None:
        with self._lock:
            self._done.add(kind)
            self._update_running()
            self._check_ended()

    def _update_running(self) -> None:
        # Called with the lock held.
        video_ready = (
            self._shown
            or not self._has_video
            or TrackKind.VIDEO in self._done
            or self._failed.get(TrackKind.VIDEO) == self._gen
        )
        self._run_clock(self._want_playing and bool(self._seen) and video_ready)

    def _run_clock(self, run: bool) -> None:
        # Called with the lock held.
        if run == self._running:
            return
        self._running = run
        self._clock.set_playing(run)
        if self._audio_out is not None:
            self._audio_out.set_paused(not run)

    def _check_ended(self) -> None:
        # Called with the lock held.
        if self._eos and self._seen <= self._done:
            self._ended.set()

    # video decode thread

    def _video_step(self) -> None:
        item = self._video_q.get(_POLL)
        if item is None:
            return
        gen, chunk = item
        with self._lock:
            if not self._current(gen):
                return
            if self._video_gen != gen:
                self._video.reset(self._start)
                self._video_gen = gen
            keys = self._keys
        if isinstance(chunk, _End):
            try:
                for frame in self._video.drain():
                    if not self._put_frame(gen, frame):
                        return
            except PlayerError as err:
                self._report(err, TrackKind.VIDEO, gen)
            self._put_frame(gen, _END)
            return
        if self._failed.get(TrackKind.VIDEO) == gen:
            return
        try:
            for frame in self._video.decode(
                chunk.init,
                chunk.data,
                keys=keys,
                representation_id=chunk.representation_id,
                number=chunk.number,
                discontinuity=chunk.discontinuity,
            ):
                if not self._put_frame(gen, frame):
                    self._video.reset(self._start)  # flushed or closed mid-segment
                    return
        except PlayerError as err:
            self._report(err, TrackKind.VIDEO, gen)
            self._video.reset(self._start)

    def _put_frame(self, gen: int, frame: VideoFrame | _End) -> bool:
        if isinstance(frame, VideoFrame):
            with self._lock:
                if not self._current(gen):
                    return False
                self._stats.frames_decoded += 1
                self._clock.set_video_limit(frame.pts + frame.duration)
        while True:
            if not self._current(gen):
                return False
            try:
                self._frames.put((gen, frame), timeout=_POLL)
                return True
            except queue.Full:
                continue

    # presenter thread

    def _present_step(self) -> None:
        try:
            gen, frame = self._frames.get(timeout=_POLL)
        except queue.Empty:
            return
        if not self._current(gen):
            return
        if isinstance(frame, _End):
            self._finish(TrackKind.VIDEO)
            return
        if self._realtime and self._shown:
            if not self._wait_for(frame.pts, gen):
                return
            late_by = self._clock.position() - frame.pts
            threshold = self._late_threshold if self._late_threshold is not None else frame.duration
            if self._drop_late and late_by > threshold:
                with self._lock:
                    if self._current(gen):
                        self._stats.dropped_frames += 1
                return
        with self._lock:
            if not self._current(gen):
                return
        if self._video_out is not None:
            self._video_out.present(frame)
        with self._lock:
            if not self._current(gen):
                return
            self._shown = True
            self._last_shown = frame.pts
            self._update_running()
            self._stats.frames_rendered += 1
            if self._stats.first_frame_at is None:
                self._stats.first_frame_at = self._now()

    def _wait_for(self, pts: float, gen: int) -> bool:
        """Sleep until the clock reaches ``pts``; False if flushed or closed meanwhile."""
        while self._current(gen):
            remaining = pts - _EARLY - self._clock.position()
            if remaining <= 0:
                return True
            time.sleep(min(remaining, _MAX_SLEEP))
        return False

    # audio thread

    def _audio_step(self) -> None:
        out = self._audio_out
        item = self._audio_q.get(_POLL)
        if item is None or out is None:
            return
        gen, chunk = item
        with self._lock:
            if not self._current(gen):
                return
            if self._audio_gen != gen:
                self._audio.reset(self._start)
                self._audio_gen = gen
            keys = self._keys
        if isinstance(chunk, _End):
            try:
                for block in self._audio.drain():
                    if not self._write_audio(out, gen, block):
                        return
            except PlayerError as err:
                self._report(err, TrackKind.AUDIO, gen)
            with self._lock:
                if not self._current(gen):
                    return
                self._clock.audio_finished()
            self._wait_played_out(out, gen)
            return
        if self._failed.get(TrackKind.AUDIO) == gen:
            return
        try:
            for block in self._audio.decode(
                chunk.init,
                chunk.data,
                keys=keys,
                representation_id=chunk.representation_id,
                number=chunk.number,
                discontinuity=chunk.discontinuity,
            ):
                if not self._write_audio(out, gen, block):
                    self._audio.reset(self._start)
                    return
        except PlayerError as err:
            self._report(err, TrackKind.AUDIO, gen)
            self._audio.reset(self._start)

    def _write_audio(self, out: AudioOutput, gen: int, block: AudioBlock) -> bool:
        data = memoryview(block.pcm)
        with self._lock:
            if not self._current(gen):
                return False
            self._clock.audio_block(out, block.pts, block.frames)
        sleep = min(_MAX_SLEEP, 0.25 * block.frames / out.format.rate)
        while data:
            with self._lock:  # a flush resets the output: never write stale PCM after it
                if not self._current(gen):
                    return False
                n = out.write(bytes(data))
            data = data[n:]
            if data:
                time.sleep(sleep)
        with self._lock:
            if not self._current(gen):
                return False
            self._stats.audio_samples += block.frames
            self._audio_pos = block.pts + block.frames / out.format.rate
        return True

    def _wait_played_out(self, out: AudioOutput, gen: int) -> None:
        while self._current(gen) and self._clock.audio_led:
            time.sleep(_MAX_SLEEP)
        with self._lock:
            if self._current(gen):
                self._done.add(TrackKind.AUDIO)
                self._check_ended()

    @property
    def keys(self) -> Mapping[str, str]:
        """The content keys held (normalized KID hex -> key hex)."""
        return dict(self._keys)
