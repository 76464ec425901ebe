"""DecodingSink: the MediaSink that decodes, presents in sync and reports typed errors."""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import Sequence

import av
import numpy as np
import pytest

from player.decode import (
    CallbackVideoOutput,
    DecodingSink,
    VideoDecoder,
    VideoFrame,
    VirtualAudioOutput,
)
from player.errors import Category, Code, PlayerError
from player.manifest.model import TrackKind
from player.sink import MediaChunk, MediaSink
from tests.decode.media import KEY, KID, Rung, direct_audio, direct_video, encrypt_cenc

# Every wait in these tests is bounded: a hang fails the test instead of the run.
WAIT = 30.0


def chunk(
    rung: Rung, i: int, kind: TrackKind = TrackKind.VIDEO, data: bytes | None = None
) -> MediaChunk:
    return MediaChunk(
        kind,
        rung.representation_id,
        i,
        float(i),
        1.0,
        rung.init,
        rung.segments[i] if data is None else data,
    )


async def feed(
    sink: DecodingSink,
    rungs: Sequence[Rung],
    order: Sequence[int],
    kind: TrackKind = TrackKind.VIDEO,
) -> None:
    for i, r in enumerate(order):
        await sink.append(chunk(rungs[r], i, kind))


async def wait_until(condition: object, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.02)


class Recorder:
    """A video output keeping each frame with the clock position when it was shown."""

    def __init__(self) -> None:
        self.frames: list[VideoFrame] = []
        self.clock_at: list[float] = []
        self.sink: DecodingSink | None = None

    def present(self, frame: VideoFrame) -> None:
        self.frames.append(frame)
        if self.sink is not None:
            self.clock_at.append(self.sink.clock.position())


def test_it_is_a_media_sink() -> None:
    assert isinstance(DecodingSink(), MediaSink)
    assert DecodingSink().position() is None


async def test_frames_through_the_sink_equal_a_direct_decode(video_ladder: list[Rung]) -> None:
    rung = video_ladder[1]
    out = Recorder()
    sink = DecodingSink(out, realtime=False)
    try:
        await feed(sink, [rung], [0, 0, 0, 0])
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    reference = direct_video(rung.whole)
    assert len(out.frames) == len(reference)
    for frame, (pts, yuv) in zip(out.frames, reference, strict=True):
        assert frame.pts == pytest.approx(pts)
        assert np.array_equal(frame.to_ndarray("yuv420p"), yuv)
    assert sink.stats.frames_decoded == sink.stats.frames_rendered == len(reference)
    assert sink.stats.dropped_frames == 0
    assert sink.stats.first_frame_at is not None


async def test_forced_switches_through_the_sink(video_ladder: list[Rung]) -> None:
    out = Recorder()
    sink = DecodingSink(out, realtime=False)
    try:
        await feed(sink, video_ladder, [1, 0, 1, 0])
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    pts = np.array([f.pts for f in out.frames])
    assert len(pts) == 4 * 24
    assert np.allclose(np.diff(pts), 1 / 24)
    reps = [f.representation_id for f in out.frames]
    assert reps.count(video_ladder[0].representation_id) == 48


async def test_realtime_playback_follows_the_audio_clock(
    video_ladder: list[Rung], audio_ladder: list[Rung]
) -> None:
    out = Recorder()
    audio = VirtualAudioOutput(record=True)
    sink = DecodingSink(out, audio)
    out.sink = sink
    led: list[bool] = []
    try:
        sink.set_playing(True)
        await asyncio.gather(
            feed(sink, video_ladder, [0, 1, 0, 1]),
            feed(sink, audio_ladder, [0, 1, 0, 1, 0], TrackKind.AUDIO),
        )
        sink.end_of_stream()
        positions: list[float] = []
        while not sink.ended and len(positions) < WAIT / 0.05:
            led.append(sink.clock.audio_led)
            positions.append(sink.position() or 0.0)
            await asyncio.sleep(0.05)
        assert sink.ended
    finally:
        await sink.close()
    stats = sink.stats
    # Every decoded frame was either shown or dropped as late; none was shown early.
    assert stats.frames_decoded == 4 * 24
    assert stats.frames_rendered + stats.dropped_frames == stats.frames_decoded
    for frame, at in zip(out.frames[1:], out.clock_at[1:], strict=True):
        assert at >= frame.pts - 0.002
    # The clock started with the first picture on screen, not while it was decoding
    # (which takes longer than this).
    assert out.clock_at[0] <= 0.01
    # The audio clock led, and the position the engine saw never went backwards.
    assert any(led)
    assert positions == sorted(positions)
    assert positions[-1] == pytest.approx(4.03, abs=0.1)
    assert audio.recorded is not None
    assert (
        len(audio.recorded) // 4
        == stats.audio_samples
        == len(direct_audio(audio_ladder[0].whole)) // 2
    )


async def test_late_frames_are_dropped_and_counted(
    video_ladder: list[Rung], audio_ladder: list[Rung]
) -> None:
    def slow(frame: VideoFrame) -> None:
        time.sleep(0.1)  # a viewer that needs 2.4 frame times per frame

    sink = DecodingSink(CallbackVideoOutput(slow), VirtualAudioOutput())
    try:
        sink.set_playing(True)
        await asyncio.gather(
            feed(sink, video_ladder, [0, 0]),
            feed(sink, audio_ladder, [0, 0], TrackKind.AUDIO),
        )
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    stats = sink.stats
    assert stats.frames_decoded == 48
    assert stats.dropped_frames > 10
    assert stats.frames_rendered + stats.dropped_frames == 48


async def test_video_only_clock_stops_at_the_end_of_decoded_video(
    video_ladder: list[Rung],
) -> None:
    rung = video_ladder[0]
    out = Recorder()
    sink = DecodingSink(out)
    try:
        sink.set_playing(True)
        await sink.append(chunk(rung, 0))
        # A few frames stay in the decoder's reorder delay until the next segment comes.
        await wait_until(lambda: sink.stats.frames_rendered >= 12)
        await wait_until(lambda: sink.stats.frames_rendered == sink.stats.frames_decoded)
        await asyncio.sleep(0.3)  # starving: nothing more to show
        end = max(f.pts + f.duration for f in out.frames)
        assert not sink.clock.audio_led
        assert (sink.position() or 0.0) <= end + 1e-6
        await sink.append(chunk(rung, 1))  # the clock resumes where it stopped
        await wait_until(lambda: sink.stats.frames_rendered >= 40)
    finally:
        await sink.close()
    assert sink.stats.dropped_frames == 0


async def test_append_pushes_back_while_paused(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    sink = DecodingSink(frame_queue=4, chunk_queue=2)
    try:
        task = asyncio.create_task(feed(sink, [rung], [0, 0, 0, 0]))
        await asyncio.sleep(0.5)
        assert not task.done()  # frames wait for the clock, chunks wait for the decoder
        sink.set_playing(True)
        await asyncio.wait_for(task, WAIT)
    finally:
        await sink.close()


async def test_flush_restarts_at_the_position(
    video_ladder: list[Rung], audio_ladder: list[Rung]
) -> None:
    out = Recorder()
    audio = VirtualAudioOutput(buffer_seconds=60)
    sink = DecodingSink(out, audio, realtime=False)
    try:
        sink.set_playing(True)
        await feed(sink, video_ladder, [0, 0])
        await feed(sink, audio_ladder, [0, 0], TrackKind.AUDIO)
        await wait_until(lambda: sink.stats.frames_rendered > 24)
        sink.flush(2.5)
        assert sink.position() == 2.5
        shown = len(out.frames)
        for i in (2, 3):
            await sink.append(chunk(video_ladder[1], i))
            await sink.append(chunk(audio_ladder[1], i, TrackKind.AUDIO))
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    after = out.frames[shown:]
    assert after[0].pts <= 2.5 < after[0].pts + after[0].duration
    assert np.allclose(np.diff([f.pts for f in after]), 1 / 24)
    assert {f.representation_id for f in after} == {video_ladder[1].representation_id}
    assert sink.position() == pytest.approx(4.03, abs=0.1)


async def test_encrypted_content_needs_the_key_before_anything_is_queued(
    video_ladder: list[Rung],
) -> None:
    clear = video_ladder[0]
    cenc = encrypt_cenc(clear)
    out = Recorder()
    sink = DecodingSink(out, realtime=False)
    try:
        with pytest.raises(PlayerError) as info:
            await sink.append(chunk(cenc, 0))
        assert info.value.category == Category.DRM
        assert info.value.code == Code.NO_USABLE_KEY
        sink.set_keys({"ffeeddccbbaa99887766554433221100": KEY})
        with pytest.raises(PlayerError) as info:
            await sink.append(chunk(cenc, 0))
        assert info.value.code == Code.KEY_ID_MISMATCH
        assert sink.stats.frames_decoded == 0
        sink.set_keys({KID: KEY})
        await feed(sink, [cenc], [0, 0, 0, 0])
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    reference = direct_video(clear.whole)
    assert len(out.frames) == len(reference)
    assert all(
        np.array_equal(f.to_ndarray("yuv420p"), r[1])
        for f, r in zip(out.frames, reference, strict=True)
    )


@pytest.mark.parametrize(
    ("mangle", "code"),
    [
        (lambda seg: seg[: len(seg) // 2], Code.CORRUPT_SEGMENT),  # truncated
        (
            lambda seg: bytes(np.random.default_rng(7).integers(0, 256, 4000, dtype=np.uint8)),
            Code.CORRUPT_SEGMENT,
        ),
        (lambda seg: b"", Code.CORRUPT_SEGMENT),
    ],
)
async def test_broken_segments_raise_from_append(
    video_ladder: list[Rung], mangle: object, code: Code
) -> None:
    rung = video_ladder[0]
    sink = DecodingSink(realtime=False)
    try:
        with pytest.raises(PlayerError) as info:
            await sink.append(chunk(rung, 1, data=mangle(rung.segments[1])))  # type: ignore[operator]
    finally:
        await sink.close()
    assert info.value.code == code
    assert info.value.recoverable
    assert info.value.data["number"] == 1


async def test_an_init_without_moov_is_invalid(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    bad = MediaChunk(TrackKind.VIDEO, "v", 0, 0.0, 1.0, rung.init[:28], rung.segments[0])
    sink = DecodingSink()
    try:
        with pytest.raises(PlayerError) as info:
            await sink.append(bad)
    finally:
        await sink.close()
    assert info.value.code == Code.INIT_SEGMENT_INVALID


async def test_an_undecodable_segment_is_reported_and_skipped(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    seg = bytearray(rung.segments[1])
    at = seg.find(b"mdat") + 4
    seg[at : at + 3000] = bytes(3000)  # the sample data of the first frames is zeros
    errors: list[PlayerError] = []
    out = Recorder()
    sink = DecodingSink(out, realtime=False, on_error=errors.append)
    try:
        await sink.append(chunk(rung, 0))
        await sink.append(chunk(rung, 1, data=bytes(seg)))
        await wait_until(lambda: sink.error is not None)
        with pytest.raises(PlayerError) as info:
            await sink.append(chunk(rung, 2))  # the pending error surfaces here
        assert info.value.code == Code.UNDECODABLE_FRAME
        assert info.value.recoverable
        await sink.append(chunk(rung, 2))
        await sink.append(chunk(rung, 3))
        sink.end_of_stream()
        await wait_until(lambda: sink.ended)
    finally:
        await sink.close()
    assert [e.code for e in errors] == [Code.UNDECODABLE_FRAME]
    assert len(sink.stats.errors) == 1
    shown = [f.pts for f in out.frames]
    assert max(shown) > 3.9  # playback went on after the bad segment
    assert any(2.0 < p < 3.0 for p in shown)


async def test_an_unsupported_codec_is_typed(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    with pytest.raises(PlayerError) as info:
        list(VideoDecoder().decode(rung.init.replace(b"avc1", b"zzzz"), rung.segments[0]))
    assert info.value.code == Code.UNSUPPORTED_CODEC


async def test_append_after_close_is_invalid_state(video_ladder: list[Rung]) -> None:
    sink = DecodingSink()
    await sink.close()
    with pytest.raises(PlayerError) as info:
        await sink.append(chunk(video_ladder[0], 0))
    assert info.value.code == Code.INVALID_STATE


def test_mpeg_ts_segments_without_init_decode(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    ts_segments = []
    for seg in rung.segments:
        with av.open(io.BytesIO(rung.init + seg), "r") as src:
            buf = io.BytesIO()
            with av.open(buf, "w", "mpegts") as out:
                ost = out.add_stream_from_template(src.streams.video[0])
                for packet in src.demux(src.streams.video[0]):
                    if packet.dts is not None:
                        packet.stream = ost
                        out.mux(packet)
        ts_segments.append(buf.getvalue())
    dec = VideoDecoder()
    frames: list[VideoFrame] = []
    for i, seg in enumerate(ts_segments):
        frames += dec.decode(b"", seg, representation_id="ts", number=i)
    frames += dec.drain()
    reference = direct_video(rung.whole)
    assert len(frames) == len(reference)
    assert all(
        np.array_equal(f.to_ndarray("yuv420p"), r[1])
        for f, r in zip(frames, reference, strict=True)
    )
    with pytest.raises(PlayerError) as info:
        dec.decode(b"", ts_segments[0][:-100])
    assert info.value.code == Code.CORRUPT_SEGMENT
