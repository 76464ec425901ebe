"""Audio decode path: bit-exact PCM, continuous sample counts and no click across switches."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest

from player.decode import AudioBlock, AudioDecoder, AudioFormat
from player.errors import Code, PlayerError
from tests.decode.media import Rung, direct_audio


def decode(
    rungs: list[Rung], order: list[int], fmt: AudioFormat | None = None
) -> tuple[list[AudioBlock], AudioDecoder]:
    dec = AudioDecoder(fmt)
    blocks: list[AudioBlock] = []
    for i, r in enumerate(order):
        rung = rungs[r]
        blocks += dec.decode(
            rung.init, rung.segments[i], representation_id=rung.representation_id, number=i
        )
    blocks += dec.drain()
    return blocks, dec


def pcm(blocks: list[AudioBlock]) -> np.ndarray[Any, np.dtype[np.int16]]:
    return np.frombuffer(b"".join(b.pcm for b in blocks), dtype=np.int16)


def test_segments_decode_bit_exact_to_a_direct_decode(audio_ladder: list[Rung]) -> None:
    rung = audio_ladder[0]
    blocks, dec = decode([rung], [0] * len(rung.segments))
    assert np.array_equal(pcm(blocks), direct_audio(rung.whole))
    assert dec.trimmed_samples == dec.inserted_samples == 0


def test_block_times_are_continuous(audio_ladder: list[Rung]) -> None:
    rung = audio_ladder[1]
    blocks, _ = decode([rung], [0] * len(rung.segments))
    for a, b in itertools.pairwise(blocks):
        assert b.pts == pytest.approx(a.pts + a.frames / 48000, abs=1e-9)


def test_switches_keep_the_sample_count_and_do_not_click(audio_ladder: list[Rung]) -> None:
    n = len(audio_ladder[0].segments)
    order = [i % 2 for i in range(n)]  # switch at every segment boundary
    blocks, dec = decode(audio_ladder, order)
    out = pcm(blocks).reshape(-1, 2).astype(np.int32)
    refs = [direct_audio(r.whole).reshape(-1, 2).astype(np.int32) for r in audio_ladder]
    # Same number of samples as either rung alone: no gap, no overlap.
    assert len(out) == len(refs[0]) == len(refs[1])
    assert dec.primed_switches == n - 1
    # Around each switch the signal follows the new rung's own decode closely: the new
    # decoder was primed, so its first frame is not a fade-in from silence (a click).
    starts = [round(b.pts * 48000) for b in blocks]
    reps = [b.representation_id for b in blocks]
    boundaries = [starts[i] for i in range(1, len(blocks)) if reps[i] != reps[i - 1]]
    assert len(boundaries) == n - 1
    for k, at in enumerate(boundaries, start=1):
        step, err, rungs_apart = boundary_metrics(out, refs, at, order[k])
        assert step <= 1.5 * max_step(refs), f"switch {k}: a click of {step}"
        # The first frame overlaps the old rung's last one: it may differ from the new
        # rung's own decode by about as much as the two rungs differ, not more.
        assert err <= 1.25 * rungs_apart, f"switch {k}: first frame off by {err}"
        after = slice(at + 1024, at + 4096)  # from the second frame on: the rung's own decode
        if len(out[after]):
            assert np.abs(out[after] - refs[order[k]][after]).max() <= 2


def max_step(refs: list[np.ndarray[Any, Any]]) -> int:
    """The largest sample-to-sample step of the clean signals."""
    return max(int(np.abs(np.diff(r, axis=0)).max()) for r in refs)


def boundary_metrics(
    out: np.ndarray[Any, Any], refs: list[np.ndarray[Any, Any]], at: int, new: int
) -> tuple[int, int, int]:
    """At a switch: the step across it, the first frame's worst error against the new
    rung's own decode, and how far apart the two rungs' decodes are in that frame."""
    step = int(np.abs(out[at] - out[at - 1]).max())
    window = slice(at, at + 1024)
    err = int(np.abs(out[window] - refs[new][window]).max())
    return step, err, int(np.abs(refs[0][window] - refs[1][window]).max())


def test_a_fresh_unprimed_decoder_would_click(audio_ladder: list[Rung]) -> None:
    """The switch checks can fail: without priming, the new decoder fades in from silence."""
    refs = [direct_audio(r.whole).reshape(-1, 2).astype(np.int32) for r in audio_ladder]
    old, new = AudioDecoder(), AudioDecoder()
    a, b = audio_ladder
    blocks = list(old.decode(a.init, a.segments[0], number=0)) + list(old.drain())
    at = sum(x.frames for x in blocks)
    blocks += list(new.decode(b.init, b.segments[1], number=1)) + list(new.drain())
    out = pcm(blocks).reshape(-1, 2).astype(np.int32)
    step, err, rungs_apart = boundary_metrics(out, refs, at, 1)
    assert step > 1.5 * max_step(refs)
    assert err > 1.25 * rungs_apart


def test_resampling_to_another_output_format(audio_ladder: list[Rung]) -> None:
    rung = audio_ladder[0]
    fmt = AudioFormat(rate=44100, channels=1, sample_format="flt")
    blocks, _ = decode([rung], [0] * len(rung.segments), fmt)
    frames = sum(b.frames for b in blocks)
    total = sum(len(b.pcm) for b in blocks)
    assert total == frames * 4
    expected = len(direct_audio(rung.whole)) // 2 * 44100 / 48000
    assert abs(frames - expected) <= 64  # the resampler's filter delay at most
    samples = np.frombuffer(b"".join(b.pcm for b in blocks), dtype=np.float32)
    assert 0.2 < np.abs(samples).max() < 1.0


def test_a_repeated_segment_is_trimmed_not_played_twice(audio_ladder: list[Rung]) -> None:
    rung = audio_ladder[0]
    dec = AudioDecoder()
    blocks: list[AudioBlock] = []
    for i in [0, 1, 1, 2, 3, 4]:
        blocks += dec.decode(rung.init, rung.segments[i], number=i)
    blocks += dec.drain()
    assert dec.trimmed_samples > 0
    out, ref = pcm(blocks).astype(np.int32), direct_audio(rung.whole).astype(np.int32)
    assert len(out) == len(ref)
    # Not bit-exact: decoding the repeat advanced the AAC decoder's noise (PNS) generator.
    assert np.abs(out - ref).max() <= 2


def test_a_missing_segment_is_filled_with_silence(audio_ladder: list[Rung]) -> None:
    rung = audio_ladder[0]
    dec = AudioDecoder()
    blocks: list[AudioBlock] = []
    for i in [0, 2, 3, 4]:
        blocks += dec.decode(rung.init, rung.segments[i], number=i)
    blocks += dec.drain()
    ref = direct_audio(rung.whole)
    out = pcm(blocks)
    assert len(out) == len(ref)
    assert dec.inserted_samples > 40000


def test_bad_output_format_is_a_typed_error() -> None:
    with pytest.raises(PlayerError) as info:
        AudioFormat(sample_format="u8")
    assert info.value.code == Code.INVALID_ARGUMENT
