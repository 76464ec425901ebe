"""The presentation clock and the virtual audio device, on a hand-driven time source."""

from __future__ import annotations

import pytest

from player.decode import AudioFormat, PresentationClock, VirtualAudioOutput

R = 8000
FMT = AudioFormat(rate=R, channels=1, sample_format="s16")  # 2 bytes per sample frame
K = R // 1000  # sample frames per millisecond: the counts below are in milliseconds


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_virtual_output_plays_in_real_time_and_stops_when_starved() -> None:
    t = FakeTime()
    out = VirtualAudioOutput(FMT, buffer_seconds=0.5, now=t)
    assert out.write(bytes(2 * 300 * K)) == 600 * K
    t.now += 0.1
    assert out.played_frames() == 100 * K
    t.now += 1.0  # only 300 were ever written: an underrun stops the count
    assert out.played_frames() == 300 * K
    out.write(bytes(2 * 100 * K))
    t.now += 0.05
    assert out.played_frames() == 350 * K  # resumes from where it starved, no jump


def test_virtual_output_buffer_is_bounded_and_pauses() -> None:
    t = FakeTime()
    out = VirtualAudioOutput(FMT, buffer_seconds=0.5, now=t)
    assert out.write(bytes(2 * 800 * K)) == 2 * 500 * K  # room for 0.5 s only
    assert out.write(bytes(2 * 10 * K)) == 0
    out.set_paused(True)
    t.now += 1.0
    assert out.played_frames() == 0
    out.set_paused(False)
    t.now += 0.2
    assert out.played_frames() == 200 * K
    assert out.write(bytes(2 * 300 * K)) == 2 * 200 * K
    out.reset()
    assert out.played_frames() == 0 and out.queued_frames() == 0


def test_monotonic_clock_runs_only_while_playing_and_holds_at_the_video_limit() -> None:
    t = FakeTime()
    clock = PresentationClock(t)
    clock.reset(10.0)
    t.now += 5
    assert clock.position() == 10.0
    clock.set_playing(True)
    clock.set_video_limit(10.5)
    t.now += 0.3
    assert clock.position() == pytest.approx(10.3)
    t.now += 1.0
    assert clock.position() == pytest.approx(10.5)  # no more video decoded: hold
    clock.set_video_limit(12.0)
    t.now += 0.2
    assert clock.position() == pytest.approx(10.7)  # resumes from the hold


def test_audio_clock_leads_then_hands_over_at_the_end_of_audio() -> None:
    t = FakeTime()
    out = VirtualAudioOutput(FMT, buffer_seconds=10, now=t)
    clock = PresentationClock(t)
    clock.reset(0.0)
    clock.set_playing(True)
    clock.audio_block(out, 2.0, 500 * K)
    out.write(bytes(2 * 500 * K))
    assert clock.audio_led
    t.now += 0.25
    assert clock.position() == pytest.approx(2.25)
    # A discontinuity: the next block jumps to 7.0 s.
    clock.audio_block(out, 7.0, 500 * K)
    out.write(bytes(2 * 500 * K))
    t.now += 0.5
    assert clock.position() == pytest.approx(7.25)
    clock.audio_finished()
    t.now += 0.25
    assert clock.position() == pytest.approx(7.5)
    assert not clock.audio_led
    t.now += 0.5  # audio over: the monotonic clock carries on from there
    assert clock.position() == pytest.approx(8.0)


def test_position_never_goes_backwards_until_reset() -> None:
    t = FakeTime()
    out = VirtualAudioOutput(FMT, buffer_seconds=10, now=t)
    clock = PresentationClock(t)
    clock.reset(0.0)
    clock.set_playing(True)
    t.now += 0.2
    assert clock.position() == pytest.approx(0.2)
    clock.audio_block(out, 0.0, 100 * K)  # audio attaches late, starting at 0.0
    out.write(bytes(2 * 100 * K))
    assert clock.position() == pytest.approx(0.2)
    clock.reset(0.0)
    assert clock.position() == 0.0
