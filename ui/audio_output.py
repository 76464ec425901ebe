"""Sound for the viewer: a QtMultimedia ``QAudioSink`` output, and a silent one.

Both implement the decode path's ``AudioOutput`` protocol (``write`` PCM without
blocking, ``played_frames`` as the audio clock, ``set_paused``, ``reset``, ``close``),
called from the decode threads. :func:`open_audio_output` picks the platform's default
device, or :class:`SilentAudioOutput` where there is none (a server, a container, CI):
it plays out in real time without a sound card, so the clock and A/V sync behave the
same.

:class:`QtAudioOutput` runs ``QAudioSink`` in pull mode from a thread-safe ring buffer:
the decode thread fills the ring, the device pulls from it on its own thread, and only
bytes the device actually pulled count as played. Volume and mute are applied to the
samples as they are pulled, so they take effect from any thread at once.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from PyQt6.QtCore import QIODevice
from PyQt6.QtMultimedia import QAudio, QAudioDevice, QAudioFormat, QAudioSink, QMediaDevices

from player import AudioFormat, VirtualAudioOutput
from ui.bridge import QtInvoker

__all__ = ["QtAudioOutput", "SilentAudioOutput", "ViewerAudioOutput", "open_audio_output"]

_QT_SAMPLE = {
    QAudioFormat.SampleFormat.Int16: "s16",
    QAudioFormat.SampleFormat.Int32: "s32",
    QAudioFormat.SampleFormat.Float: "flt",
}


class _Volume:
    """Volume (0..1) and mute, as a viewer sets them."""

    def __init__(self) -> None:
        self._volume = 1.0
        self._muted = False

    @property
    def volume(self) -> float:
        """Linear gain 0..1."""
        return self._volume

    def set_volume(self, volume: float) -> None:
        """Set the gain (clamped to 0..1)."""
        self._volume = min(1.0, max(0.0, float(volume)))

    @property
    def muted(self) -> bool:
        """Whether sound is muted."""
        return self._muted

    def set_muted(self, muted: bool) -> None:
        """Mute or unmute."""
        self._muted = bool(muted)

    @property
    def gain(self) -> float:
        """The gain applied to samples (0 while muted)."""
        return 0.0 if self._muted else self._volume


class SilentAudioOutput(_Volume, VirtualAudioOutput):
    """No sound device: samples are consumed in real time and dropped (the clock runs)."""

    is_silent = True
    description = "no audio device (silent)"

    def __init__(self, format: AudioFormat | None = None) -> None:
        _Volume.__init__(self)
        VirtualAudioOutput.__init__(self, format, buffer_seconds=0.25)


class _Ring:
    """A bounded PCM buffer: the decode thread writes, the device thread reads."""

    def __init__(self, fmt: AudioFormat, seconds: float) -> None:
        self.fmt = fmt
        self.bpf = fmt.bytes_per_frame
        self.capacity = max(self.bpf, int(seconds * fmt.rate) * self.bpf)
        self.lock = threading.Lock()
        self.data = bytearray()
        self.played = 0  # bytes handed to the device since the last reset
        self.paused = True
        self.closed = False

    def write(self, pcm: bytes) -> int:
        with self.lock:
            if self.closed:
                return len(pcm) // self.bpf * self.bpf  # swallow: nobody will play it
            room = self.capacity - len(self.data)
            n = max(0, min(room, len(pcm))) // self.bpf * self.bpf
            self.data += pcm[:n]
            return n

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes of PCM, or b"" while paused or empty."""
        with self.lock:
            if self.paused or self.closed:
                return b""
            n = min(n, len(self.data)) // self.bpf * self.bpf
            out = bytes(self.data[:n])
            del self.data[:n]
            self.played += n
            return out

    def reset(self) -> None:
        with self.lock:
            self.data.clear()
            self.played = 0


class _PullDevice(QIODevice):
    """What ``QAudioSink`` pulls from: PCM from the ring, silence when there is none
    (so the device keeps running through pauses and underruns)."""

    def __init__(self, ring: _Ring, volume: _Volume) -> None:
        super().__init__()
        self._ring = ring
        self._volume = volume

    def start(self) -> bool:
        """Open for the sink to read. Unbuffered: QIODevice would otherwise read ~16 kB
        ahead into a buffer of its own, holding sound (and the clock) past a pause."""
        return self.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)

    def isSequential(self) -> bool:
        return True

    def bytesAvailable(self) -> int:
        return self._ring.capacity + super().bytesAvailable()

    def readData(self, maxlen: int) -> bytes:
        pcm = self._ring.read(maxlen)
        gain = self._volume.gain
        if pcm and gain != 1.0:
            samples = np.frombuffer(pcm, dtype=self._ring.fmt.dtype)
            if samples.dtype.kind == "f":
                pcm = (samples * gain).astype(samples.dtype).tobytes()
            else:
                pcm = (samples.astype(np.float32) * gain).astype(samples.dtype).tobytes()
        pad = (maxlen - len(pcm)) // self._ring.bpf * self._ring.bpf
        return pcm + bytes(pad)

    def writeData(self, data: Any) -> int:
        return -1


class QtAudioOutput(_Volume):
    """Plays through a QtMultimedia audio device. Create it on the Qt thread."""

    is_silent = False

    def __init__(self, device: QAudioDevice, *, buffer_seconds: float = 0.25) -> None:
        super().__init__()
        qfmt = QAudioFormat()
        qfmt.setSampleRate(48000)
        qfmt.setChannelCount(2)
        qfmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
        if not device.isFormatSupported(qfmt):
            preferred = device.preferredFormat()
            if preferred.isValid() and 8000 <= preferred.sampleRate() <= 192000:
                qfmt = preferred
        channels = qfmt.channelCount() if qfmt.channelCount() in (1, 2, 6, 8) else 2
        self._format = AudioFormat(
            rate=qfmt.sampleRate(),
            channels=channels,
            sample_format=_QT_SAMPLE.get(qfmt.sampleFormat(), "s16"),
        )
        self.description = device.description()
        self._ring = _Ring(self._format, buffer_seconds)
        self._device = _PullDevice(self._ring, self)
        self._device.start()
        self._sink = QAudioSink(device, qfmt)
        # A short device buffer keeps the pulled-bytes clock close to what is heard.
        self._sink.setBufferSize(self._format.bytes_per_frame * self._format.rate // 20)
        self._invoker = QtInvoker()
        self._sink.start(self._device)

    @property
    def format(self) -> AudioFormat:
        """The PCM format the device plays."""
        return self._format

    def write(self, pcm: bytes) -> int:
        """Queue PCM; returns the bytes accepted (0 when the ring is full)."""
        return self._ring.write(pcm)

    def played_frames(self) -> int:
        """Sample frames the device has pulled since the last reset."""
        return self._ring.played // self._ring.bpf

    def set_paused(self, paused: bool) -> None:
        """Pause (the device plays silence and the clock stops) or resume."""
        with self._ring.lock:
            self._ring.paused = paused

    def reset(self) -> None:
        """Drop queued PCM; the played count restarts at 0."""
        self._ring.reset()

    def close(self) -> None:
        """Stop the device (on the Qt thread, whichever thread calls)."""
        with self._ring.lock:
            self._ring.closed = True
        self._invoker.post(self._stop)

    def _stop(self) -> None:
        self._sink.stop()
        self._device.close()

    @property
    def state(self) -> QAudio.State:
        """The QAudioSink's state (Qt thread)."""
        return self._sink.state()


ViewerAudioOutput = QtAudioOutput | SilentAudioOutput


def open_audio_output() -> ViewerAudioOutput:
    """The default audio device as an output, or :class:`SilentAudioOutput` when the
    platform has none (or QtMultimedia cannot open it). Call on the Qt thread."""
    device = QMediaDevices.defaultAudioOutput()
    if device.isNull():
        return SilentAudioOutput()
    try:
        return QtAudioOutput(device)
    except Exception:  # a backend that lists a device but cannot open it
        return SilentAudioOutput()
