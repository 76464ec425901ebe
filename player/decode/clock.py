"""The presentation clock: where playback is, as the viewer sees and hears it.

When audio plays, the audio output's count of played samples is the clock (the audio
clock leads: video frames wait for it or are dropped when late), so the position the
engine sees is what the listener hears. Without audio, or after the audio has ended, a
monotonic clock runs instead; it cannot pass the end of the video decoded so far, so a
video-only stall stops the clock as an audio underrun does.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Callable

from player.decode.outputs import AudioOutput

_CONTINUOUS = 0.001  # seconds: block times closer than this to the running time are continuous


class PresentationClock:
    """The playhead in presentation seconds; thread-safe, non-decreasing between resets."""

    def __init__(self, now: Callable[[], float] = time.monotonic) -> None:
        self._now = now
        self._lock = threading.Lock()
        self._playing = False
        self._base = 0.0  # monotonic clock: position at time _t0
        self._t0 = now()
        self._limit: float | None = None
        self._last = 0.0
        self._audio: AudioOutput | None = None
        # Audio timeline: output sample index -> presentation time, one point per jump.
        self._map_index: list[int] = []
        self._map_pts: list[float] = []
        self._audio_written = 0
        self._audio_end: int | None = None

    def reset(self, position: float) -> None:
        """Start over at ``position`` (a seek or a new stream); detaches the audio."""
        with self._lock:
            self._base = self._last = position
            self._t0 = self._now()
            self._limit = None
            self._audio = None
            self._map_index.clear()
            self._map_pts.clear()
            self._audio_written = 0
            self._audio_end = None

    def set_playing(self, playing: bool) -> None:
        """Run or hold the monotonic clock (the audio clock follows its output's pause)."""
        with self._lock:
            self._base = self._position_locked()
            self._t0 = self._now()
            self._playing = playing

    @property
    def playing(self) -> bool:
        """Whether the clock runs."""
        return self._playing

    @property
    def audio_led(self) -> bool:
        """Whether the audio output's play-out drives the clock now."""
        with self._lock:
            return self._audio is not None and not self._audio_done_locked()

    def audio_block(self, output: AudioOutput, pts: float, frames: int) -> None:
        """Audio at ``pts`` (``frames`` sample frames) is being written to ``output``.

        The first block attaches the audio clock; a block whose time jumps (a
        discontinuity) adds a point to the sample-index-to-time map.
        """
        with self._lock:
            if self._audio is None:
                self._audio = output
            rate = output.format.rate
            index = self._audio_written
            if self._map_index:
                expected = self._map_pts[-1] + (index - self._map_index[-1]) / rate
                if abs(pts - expected) > _CONTINUOUS:
                    self._append_point(index, pts)
            else:
                self._append_point(index, pts)
            self._audio_written += frames

    def _append_point(self, index: int, pts: float) -> None:
        self._map_index.append(index)
        self._map_pts.append(pts)
        if len(self._map_index) > 64:  # old jumps are long played
            del self._map_index[0], self._map_pts[0]

    def audio_finished(self) -> None:
        """No more audio will be written: once played out, the monotonic clock takes over."""
        with self._lock:
            self._audio_end = self._audio_written

    def set_video_limit(self, limit: float | None) -> None:
        """The end of the video decoded so far (None: no limit)."""
        with self._lock:
            self._limit = limit

    def position(self) -> float:
        """The presentation time being played now."""
        with self._lock:
            pos = self._position_locked()
            self._last = max(self._last, pos)
            return self._last

    def _audio_done_locked(self) -> bool:
        audio = self._audio
        if audio is None or self._audio_end is None:
            return False
        return audio.played_frames() >= self._audio_end

    def _position_locked(self) -> float:
        audio = self._audio
        if audio is not None and self._map_index:
            played = audio.played_frames()
            if self._audio_end is None or played < self._audio_end:
                i = max(0, bisect.bisect_right(self._map_index, played) - 1)
                pos = self._map_pts[i] + (played - self._map_index[i]) / audio.format.rate
                # Keep the monotonic clock in step for the hand-over at the end of audio.
                self._base, self._t0 = pos, self._now()
                return pos
        now = self._now()
        pos = self._base + (now - self._t0 if self._playing else 0.0)
        if self._limit is not None and pos > self._limit:
            pos = max(self._base, self._limit)
            self._base, self._t0 = pos, now
        return pos
