"""The decode path on titles made by our own packager (real footage: Big Buck Bunny)."""

from __future__ import annotations

import asyncio
import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from player.decode import AudioBlock, AudioDecoder, DecodingSink, VideoFrame, VirtualAudioOutput
from player.errors import Category, Code, PlayerError
from player.manifest.model import TrackKind
from player.packager import ClearKeyEncryption, PackageResult, package
from player.sink import MediaChunk
from tests.conftest import cached_title
from tests.decode.media import (
    KEY,
    KID,
    Rung,
    direct_audio,
    direct_video,
    package_cbcs,
    rung_of,
)

WAIT = 60.0
SMALL = "256x144@150k"


class Frames:
    def __init__(self) -> None:
        self.frames: list[VideoFrame] = []

    def present(self, frame: VideoFrame) -> None:
        self.frames.append(frame)


async def play(
    video: list[Rung],
    order: list[int],
    *,
    audio: Rung | None = None,
    keys: dict[str, str] | None = None,
) -> tuple[list[VideoFrame], DecodingSink, VirtualAudioOutput]:
    """Everything through a DecodingSink as fast as it decodes; what it presented."""
    out = Frames()
    audio_out = VirtualAudioOutput(buffer_seconds=120, record=True)
    sink = DecodingSink(out, audio_out, realtime=False)
    try:
        if keys:
            sink.set_keys(keys)
        sink.set_playing(True)
        for i, r in enumerate(order):
            rung = video[r]
            await sink.append(
                MediaChunk(
                    TrackKind.VIDEO,
                    rung.representation_id,
                    i,
                    0.0,
                    0.0,
                    rung.init,
                    rung.segments[i],
                )
            )
        if audio is not None:
            for i, seg in enumerate(audio.segments):
                await sink.append(
                    MediaChunk(
                        TrackKind.AUDIO, audio.representation_id, i, 0.0, 0.0, audio.init, seg
                    )
                )
        sink.end_of_stream()
        deadline = time.monotonic() + WAIT
        while not sink.ended and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert sink.ended
    finally:
        await sink.close()
    return out.frames, sink, audio_out


def small_title(bbb_clip: Path, encrypted: bool) -> PackageResult:
    def build(directory: Path) -> PackageResult:
        return package(
            bbb_clip,
            directory,
            ladder=SMALL,
            segment_duration=2.0,
            duration=4.0,
            loop=True,
            language="en",
            progress=False,
            encryption=ClearKeyEncryption.from_hex(KID, KEY) if encrypted else None,
        )

    return cached_title(f"decode-{'cenc' if encrypted else 'clear'}", f"{SMALL}|2|4", build)


@pytest.fixture(scope="module")
def tiny_rungs(tiny_title: PackageResult) -> list[Rung]:
    return [rung_of(tiny_title, t) for t in tiny_title.rungs]


async def test_each_rung_decodes_to_the_frames_of_a_direct_decode(tiny_rungs: list[Rung]) -> None:
    for rung in tiny_rungs:
        frames, sink, _ = await play([rung], [0] * len(rung.segments))
        reference = direct_video(rung.whole)
        assert len(frames) == len(reference) == sink.stats.frames_decoded
        for frame, (pts, yuv) in zip(frames, reference, strict=True):
            assert frame.pts == pytest.approx(pts)
            assert np.array_equal(frame.to_ndarray("yuv420p"), yuv)


async def test_forced_switches_across_the_ladder(tiny_rungs: list[Rung]) -> None:
    n = len(tiny_rungs[0].segments)
    order = [(0, 2, 1, 2, 0)[i % 5] for i in range(n)]
    frames, sink, _ = await play(tiny_rungs, order)
    refs = [direct_video(r.whole) for r in tiny_rungs]
    pts = np.array([f.pts for f in frames])
    assert len(frames) == len(refs[0])  # every frame once
    assert np.allclose(np.diff(pts), 1 / 25)  # continuous, no duplicate
    ids = [r.representation_id for r in tiny_rungs]
    for frame in frames:
        rung = ids.index(frame.representation_id)
        ref = next(yuv for t, yuv in refs[rung] if abs(t - frame.pts) < 1e-6)
        assert np.array_equal(frame.to_ndarray("yuv420p"), ref)
    shown = {f.representation_id for f in frames}
    assert shown == set(ids)
    assert sink.stats.dropped_frames == 0


async def test_audio_through_the_sink_is_the_direct_decode(
    tiny_title: PackageResult, tiny_rungs: list[Rung]
) -> None:
    audio = rung_of(tiny_title, tiny_title.audio[0])
    _, sink, audio_out = await play(tiny_rungs[:1], [0] * 5, audio=audio)
    assert audio_out.recorded is not None
    pcm = np.frombuffer(bytes(audio_out.recorded), dtype=np.int16)
    reference = direct_audio(audio.whole)
    assert np.array_equal(pcm, reference)
    assert sink.stats.audio_samples == len(reference) // 2


def test_audio_block_times_are_continuous(tiny_title: PackageResult) -> None:
    audio = rung_of(tiny_title, tiny_title.audio[0])
    dec = AudioDecoder()
    blocks: list[AudioBlock] = []
    for i, seg in enumerate(audio.segments):
        blocks += dec.decode(audio.init, seg, number=i)
    blocks += dec.drain()
    for a, b in itertools.pairwise(blocks):
        assert b.pts == pytest.approx(a.pts + a.frames / 48000, abs=1e-9)
    assert dec.inserted_samples == dec.trimmed_samples == 0


@pytest.fixture(scope="module")
def clear_small(bbb_clip: Path) -> PackageResult:
    return small_title(bbb_clip, encrypted=False)


@pytest.fixture(scope="module")
def cenc_small(bbb_clip: Path) -> PackageResult:
    """``abrkit package --encrypt``'s path: ClearKey cenc by our packager."""
    return small_title(bbb_clip, encrypted=True)


@pytest.fixture(scope="module", params=["cenc", "cbcs"])
def encrypted_rung(
    request: pytest.FixtureRequest, cenc_small: PackageResult, clear_small: PackageResult
) -> Rung:
    if request.param == "cenc":
        return rung_of(cenc_small, cenc_small.rungs[0])
    return package_cbcs(rung_of(clear_small, clear_small.rungs[0]), segment_seconds=2)


async def test_encrypted_title_decodes_to_the_clear_frames_with_the_key(
    encrypted_rung: Rung, clear_small: PackageResult
) -> None:
    clear = rung_of(clear_small, clear_small.rungs[0])
    assert b"tenc" in encrypted_rung.init and b"tenc" not in clear.init
    frames, sink, _ = await play(
        [encrypted_rung], [0] * len(encrypted_rung.segments), keys={KID: KEY}
    )
    reference = direct_video(clear.whole)
    assert len(frames) == len(reference)
    for frame, (_, yuv) in zip(frames, reference, strict=True):
        assert np.array_equal(frame.to_ndarray("yuv420p"), yuv)
    assert not sink.stats.errors


async def test_encrypted_title_without_the_key_is_a_drm_error(encrypted_rung: Rung) -> None:
    with pytest.raises(PlayerError) as info:
        await play([encrypted_rung], [0] * len(encrypted_rung.segments))
    assert info.value.category == Category.DRM
    assert info.value.code == Code.NO_USABLE_KEY


async def test_encrypted_audio_decodes_to_the_clear_audio(
    cenc_small: PackageResult, clear_small: PackageResult
) -> None:
    audio = rung_of(cenc_small, cenc_small.audio[0])
    assert b"tenc" in audio.init
    dec = AudioDecoder()
    blocks: list[AudioBlock] = []
    for i, seg in enumerate(audio.segments):
        blocks += dec.decode(audio.init, seg, keys={KID: KEY}, number=i)
    blocks += dec.drain()
    pcm = np.frombuffer(b"".join(b.pcm for b in blocks), dtype=np.int16)
    clear = rung_of(clear_small, clear_small.audio[0])
    assert np.array_equal(pcm, direct_audio(clear.whole))
