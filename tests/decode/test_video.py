"""Video decode path: frames equal a bare PyAV decode; switches are seamless."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from player.decode import VideoDecoder, VideoFrame
from tests.decode.media import Rung, direct_video, encode_video


def decode_all(rungs: list[Rung], order: list[int], **kwargs: object) -> list[VideoFrame]:
    """Decode segment i from rung order[i] through one VideoDecoder."""
    dec = VideoDecoder()
    frames: list[VideoFrame] = []
    for i, r in enumerate(order):
        rung = rungs[r]
        frames += dec.decode(
            rung.init, rung.segments[i], representation_id=rung.representation_id, number=i
        )
    frames += dec.drain()
    return frames


def assert_same_frames(frames: list[VideoFrame], reference: list[tuple[float, Any]]) -> None:
    assert len(frames) == len(reference)
    for frame, (pts, yuv) in zip(frames, reference, strict=True):
        assert frame.pts == pytest.approx(pts, abs=1e-9)
        assert np.array_equal(frame.to_ndarray("yuv420p"), yuv)


@pytest.mark.parametrize(
    ("codec", "width", "height"),
    [
        ("libx264", 192, 108),
        ("libx265", 192, 108),
        ("libvpx-vp9", 192, 108),
        ("libsvtav1", 192, 112),
    ],
)
def test_segments_decode_to_the_frames_of_a_direct_decode(
    codec: str, width: int, height: int
) -> None:
    rung = encode_video(codec, width, height, seconds=3)
    assert len(rung.segments) == 3
    frames = decode_all([rung], [0, 0, 0])
    assert_same_frames(frames, direct_video(rung.whole))
    assert {(f.width, f.height) for f in frames} == {(width, height)}


def test_rgb_is_the_rgb24_conversion(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    frame = next(iter(decode_all([rung], [0, 0, 0, 0])))
    assert frame.rgb.shape == (rung.height, rung.width, 3)
    assert frame.rgb.dtype == np.uint8
    assert np.array_equal(frame.rgb, frame.av_frame.to_ndarray(format="rgb24"))
    assert frame.rgb is frame.rgb  # converted once


def test_forced_switches_keep_times_continuous_without_duplicates(
    video_ladder: list[Rung],
) -> None:
    order = [0, 1, 0, 1]
    frames = decode_all(video_ladder, order)
    refs = [direct_video(r.whole) for r in video_ladder]
    assert len(frames) == len(refs[0])
    pts = np.array([f.pts for f in frames])
    assert np.allclose(np.diff(pts), 1 / 24)  # no gap, no duplicate, no reordering
    assert pts[0] == pytest.approx(refs[0][0][0])
    # Each frame is the very frame the rung's own decode has at that time.
    for f in frames:
        rung_index = int(f.representation_id == video_ladder[1].representation_id)
        segment = round((f.pts - pts[0]) * 24) // 24  # 24 frames per 1 s segment
        assert rung_index == order[segment]
        _, ref_yuv = next(p for p in refs[rung_index] if abs(p[0] - f.pts) < 1e-9)
        assert np.array_equal(f.to_ndarray("yuv420p"), ref_yuv)
    sizes = [(f.width, f.height) for f in frames]
    assert (192, 108) in sizes and (320, 180) in sizes


def test_a_segment_decoded_twice_is_not_shown_twice(video_ladder: list[Rung]) -> None:
    rung = video_ladder[0]
    dec = VideoDecoder()
    frames: list[VideoFrame] = []
    for i in [0, 1, 1, 2]:  # a refetch after a switch back lands on the same time
        frames += dec.decode(rung.init, rung.segments[i], representation_id="a", number=i)
    frames += dec.drain()
    pts = [f.pts for f in frames]
    assert pts == sorted(set(pts))
    assert dec.duplicates > 0
    assert len(frames) == 3 * 24


def test_reset_skips_frames_before_the_seek_target(video_ladder: list[Rung]) -> None:
    rung = video_ladder[1]
    dec = VideoDecoder()
    list(dec.decode(rung.init, rung.segments[0]))
    dec.reset(2.5)
    frames = list(dec.decode(rung.init, rung.segments[2])) + list(dec.drain())
    assert frames[0].pts <= 2.5 < frames[0].pts + frames[0].duration
    assert all(f.pts + f.duration > 2.5 for f in frames)
