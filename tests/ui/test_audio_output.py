"""Audio outputs: the QAudioSink pull device (ring buffer, pause, volume, mute, reset)
and the silent output used where there is no sound card (as on this machine)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from PyQt6.QtMultimedia import QAudio, QAudioDevice, QMediaDevices

from player import AudioFormat
from ui.audio_output import (
    QtAudioOutput,
    SilentAudioOutput,
    _PullDevice,
    _Ring,
    _Volume,
    open_audio_output,
)

pytestmark = pytest.mark.gui

FMT = AudioFormat(48000, 2, "s16")


def _pcm(frames: int, value: int) -> bytes:
    return np.full(frames * 2, value, np.int16).tobytes()


def _device(seconds: float = 0.01) -> tuple[_Ring, _Volume, _PullDevice]:
    ring, volume = _Ring(FMT, seconds), _Volume()
    device = _PullDevice(ring, volume)
    assert device.start()
    return ring, volume, device


def _samples(data: bytes | None) -> np.ndarray:
    assert data is not None
    return np.frombuffer(data, np.int16)


def test_pull_device_plays_what_was_written_only_while_unpaused(qapp: object) -> None:
    ring, _, device = _device()
    assert ring.write(_pcm(100, 1000)) == 400
    # Paused: the device gets silence and nothing counts as played.
    assert not _samples(device.read(200)).any()
    assert ring.played == 0
    ring.paused = False
    out = _samples(device.read(200))
    assert (out == 1000).all() and len(out) == 100
    assert ring.played == 200
    # Past the end of what was written: silence (an underrun), the count stops.
    tail = _samples(device.read(400))
    assert (tail[:100] == 1000).all() and not tail[100:].any()
    assert ring.played == 400


def test_ring_is_bounded_and_reset_restarts_the_count(qapp: object) -> None:
    ring, _, device = _device(seconds=0.01)  # 480 frames
    assert ring.write(_pcm(1000, 7)) == 480 * 4  # backpressure: only what fits
    assert ring.write(_pcm(10, 7)) == 0
    ring.paused = False
    device.read(400)
    assert ring.played == 400
    ring.reset()
    assert ring.played == 0 and not _samples(device.read(40)).any()
    assert ring.write(b"\x01\x02\x03") == 0  # never half a sample frame


def test_volume_and_mute_scale_the_samples(qapp: object) -> None:
    ring, volume, device = _device()
    ring.paused = False
    volume.set_volume(0.5)
    ring.write(_pcm(10, 1000))
    assert (_samples(device.read(40)) == 500).all()
    volume.set_muted(True)
    ring.write(_pcm(10, 1000))
    assert not _samples(device.read(40)).any()
    assert ring.played == 80  # muted samples still play out (the clock runs)
    volume.set_volume(7.0)
    assert volume.volume == 1.0


def test_writes_from_another_thread_are_safe(qapp: object) -> None:
    ring, _, device = _device(seconds=0.05)
    ring.paused = False
    total = 48000 * 4 // 10  # 0.1 s
    written = [0]

    def writer() -> None:
        pcm = _pcm(100, 3)
        while written[0] < total:
            written[0] += ring.write(pcm[: min(len(pcm), total - written[0])])

    t = threading.Thread(target=writer)
    t.start()
    got = 0
    for _ in range(10_000):
        data = _samples(device.read(960))
        got += int((data == 3).sum()) * 2
        if got >= total:
            break
    t.join(10)
    assert got == total and ring.played == total


def test_silent_output_where_there_is_no_device(qapp: object) -> None:
    out = open_audio_output()
    if QMediaDevices.defaultAudioOutput().isNull():
        assert isinstance(out, SilentAudioOutput) and out.is_silent
    out.close()
    silent = SilentAudioOutput()
    assert silent.format == AudioFormat()
    assert silent.write(_pcm(48000, 1)) == int(0.25 * 48000) * 4  # a quarter second
    silent.set_paused(True)
    held = silent.played_frames()
    silent.set_muted(True)
    assert silent.gain == 0.0 and silent.played_frames() == held


def test_qt_output_lifecycle_without_a_device(qapp: object, qtbot: object) -> None:
    out = QtAudioOutput(QAudioDevice())  # the null device: opened, nothing pulls
    assert out.format == FMT and not out.is_silent
    assert out.write(_pcm(10, 1)) == 40
    out.set_paused(False)
    closer = threading.Thread(target=out.close)  # the decode path closes off the Qt thread
    closer.start()
    closer.join(5)
    qtbot.waitUntil(lambda: out.state == QAudio.State.StoppedState, timeout=5_000)  # type: ignore[attr-defined]
    assert out.write(_pcm(10, 1)) == 40  # after close: swallowed, never blocks
