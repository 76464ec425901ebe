"""Encrypted content: ClearKey cenc and cbcs decode to the clear frames, or fail typed."""

from __future__ import annotations

import pytest

from player.decode import VideoDecoder, VideoFrame
from player.decode.keys import normalize_keys
from player.errors import Category, Code, PlayerError
from tests.decode.media import KEY, KID, Rung, direct_video, encrypt_cenc, package_cbcs

OTHER_KID = "ffeeddccbbaa99887766554433221100"


@pytest.fixture(scope="module")
def clear(video_ladder: list[Rung]) -> Rung:
    return video_ladder[0]


@pytest.fixture(scope="module")
def cenc(clear: Rung) -> Rung:
    return encrypt_cenc(clear)


@pytest.fixture(scope="module")
def cbcs(clear: Rung) -> Rung:
    return package_cbcs(clear)


@pytest.fixture(params=["cenc", "cbcs"])
def encrypted(request: pytest.FixtureRequest) -> Rung:
    rung: Rung = request.getfixturevalue(request.param)
    return rung


def decode(rung: Rung, keys: dict[str, str] | None) -> list[VideoFrame]:
    dec = VideoDecoder()
    frames: list[VideoFrame] = []
    for i, seg in enumerate(rung.segments):
        frames += dec.decode(rung.init, seg, keys=keys, representation_id="v", number=i)
    frames += dec.drain()
    return frames


def test_the_content_really_is_encrypted(encrypted: Rung, clear: Rung) -> None:
    assert b"tenc" in encrypted.init
    scheme = b"cbcs" if encrypted.representation_id.endswith("cbcs") else b"cenc"
    assert scheme in encrypted.init
    # Sample data differs from the clear bitstream.
    assert encrypted.segments[0][-2000:] != clear.segments[0][-2000:]


def test_with_the_key_frames_equal_the_clear_frames(encrypted: Rung, clear: Rung) -> None:
    frames = decode(encrypted, {KID: KEY})
    reference = direct_video(clear.whole)
    assert len(frames) == len(reference)
    for frame, (pts, yuv) in zip(frames, reference, strict=True):
        # Shaka Packager's edit list moves the timeline to start at 0: compare offsets.
        assert frame.pts - frames[0].pts == pytest.approx(pts - reference[0][0])
        assert (frame.to_ndarray("yuv420p") == yuv).all()


def test_keys_in_uuid_form_and_upper_case_work(encrypted: Rung) -> None:
    kid = f"{KID[:8]}-{KID[8:12]}-{KID[12:16]}-{KID[16:20]}-{KID[20:]}".upper()
    assert len(decode(encrypted, {kid: KEY.upper()})) == 4 * 24


def test_without_a_key_it_fails_before_decoding(encrypted: Rung) -> None:
    dec = VideoDecoder()
    with pytest.raises(PlayerError) as info:
        dec.decode(encrypted.init, encrypted.segments[0], representation_id="v", number=0)
    assert info.value.category == Category.DRM
    assert info.value.code == Code.NO_USABLE_KEY
    assert info.value.data["key_ids"] == [KID]


def test_with_another_kid_it_fails_before_decoding(encrypted: Rung) -> None:
    with pytest.raises(PlayerError) as info:
        VideoDecoder().decode(encrypted.init, encrypted.segments[0], keys={OTHER_KID: KEY})
    assert info.value.code == Code.KEY_ID_MISMATCH


def test_bare_pyav_without_the_key_decodes_garbage_or_fails(cbcs: Rung, clear: Rung) -> None:
    """Why the KID check exists: PyAV itself does not refuse."""
    import av.error

    try:
        frames = direct_video(cbcs.whole)
    except av.error.FFmpegError:
        return
    reference = direct_video(clear.whole)
    assert any(not (f[1] == r[1]).all() for f, r in zip(frames, reference, strict=False))


def test_malformed_keys_are_a_typed_error() -> None:
    with pytest.raises(PlayerError) as info:
        normalize_keys({"abc": KEY})
    assert info.value.code == Code.INVALID_ARGUMENT
