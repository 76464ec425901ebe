"""Where decoded media goes: the video and audio output protocols, and headless outputs.

A viewer implements :class:`VideoOutput` (show a frame) and :class:`AudioOutput` (play
PCM, say how much has been played: that count is the audio clock). Both are called from
the sink's worker threads, so implementations must be thread-safe and return quickly (a
Qt viewer emits a signal; a QAudioSink output keeps a ring buffer its device pulls from).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from player.decode.audio import AudioFormat
from player.decode.video import VideoFrame


@runtime_checkable
class VideoOutput(Protocol):
    """Shows decoded frames; :meth:`present` is called at each frame's presentation time."""

    def present(self, frame: VideoFrame) -> None:
        """Show ``frame`` now (``frame.rgb`` converts it to an RGB24 array on demand)."""
        ...


@runtime_checkable
class AudioOutput(Protocol):
    """Plays interleaved PCM in :attr:`format`; its played-sample count is the audio clock."""

    @property
    def format(self) -> AudioFormat:
        """The PCM format this output plays."""
        ...

    def write(self, pcm: bytes) -> int:
        """Queue PCM without blocking; returns the bytes accepted (whole sample frames).

        Accepting fewer than given (0 when the device buffer is full) is backpressure: the
        sink writes the rest later.
        """
        ...

    def played_frames(self) -> int:
        """Sample frames played out since the last :meth:`reset` (stops while paused)."""
        ...

    def set_paused(self, paused: bool) -> None:
        """Pause or resume play-out."""
        ...

    def reset(self) -> None:
        """Drop queued PCM and restart :meth:`played_frames` at 0 (a seek)."""
        ...

    def close(self) -> None:
        """Release the device."""
        ...


class NullVideoOutput:
    """Discards frames; counts them (headless playback)."""

    def __init__(self) -> None:
        self.presented = 0

    def present(self, frame: VideoFrame) -> None:
        """Count the frame."""
        self.presented += 1


class CallbackVideoOutput:
    """Calls ``callback(frame)`` for each frame at its presentation time."""

    def __init__(self, callback: Callable[[VideoFrame], None]) -> None:
        self._callback = callback

    def present(self, frame: VideoFrame) -> None:
        """Hand the frame to the callback."""
        self._callback(frame)


class VirtualAudioOutput:
    """A silent audio device that plays out samples in real time, with a bounded buffer.

    It gives headless playback the same audio clock a sound card would: samples count as
    played at ``format.rate`` per second of the monotonic clock while unpaused and while
    any are queued (an empty buffer is an underrun: the clock stops). With ``record=True``
    it keeps every byte accepted in :attr:`recorded` (for tests and analysis).
    """

    def __init__(
        self,
        format: AudioFormat | None = None,
        *,
        buffer_seconds: float = 0.25,
        record: bool = False,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._format = format or AudioFormat()
        self._capacity = max(1, int(buffer_seconds * self._format.rate))
        self._now = now
        self._lock = threading.Lock()
        self._written = 0  # sample frames accepted since reset
        self._played = 0.0  # sample frames played at time _anchor
        self._anchor = now()
        self._paused = False
        self.recorded: bytearray | None = bytearray() if record else None

    @property
    def format(self) -> AudioFormat:
        """The PCM format accepted."""
        return self._format

    def _advance(self) -> None:
        # Called with the lock held: move the play head to now, stopping at an underrun.
        now = self._now()
        if not self._paused:
            self._played = min(
                float(self._written), self._played + (now - self._anchor) * self._format.rate
            )
        self._anchor = now

    def _played_int(self) -> int:
        # Whole frames played; the epsilon absorbs float error of elapsed * rate.
        return int(self._played + 1e-6)

    def write(self, pcm: bytes) -> int:
        """Accept as many whole sample frames as the buffer has room for."""
        bpf = self._format.bytes_per_frame
        with self._lock:
            self._advance()
            room = self._capacity - (self._written - self._played_int())
            frames = max(0, min(room, len(pcm) // bpf))
            self._written += frames
            if self.recorded is not None:
                self.recorded += pcm[: frames * bpf]
        return frames * bpf

    def played_frames(self) -> int:
        """Sample frames played since the last reset."""
        with self._lock:
            self._advance()
            return self._played_int()

    def queued_frames(self) -> int:
        """Sample frames accepted but not yet played."""
        with self._lock:
            self._advance()
            return self._written - self._played_int()

    def set_paused(self, paused: bool) -> None:
        """Stop or restart the play head."""
        with self._lock:
            self._advance()
            self._paused = paused

    def reset(self) -> None:
        """Drop what is queued; the played count restarts at 0."""
        with self._lock:
            self._written = 0
            self._played = 0.0
            self._anchor = self._now()

    def close(self) -> None:
        """Nothing to release."""
