"""A VOD title served as live: the DASH window and the HLS playlist move with the clock,
looped segments carry shifted decode times, and the player's own parser reads both."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import aiohttp
import av
import m3u8
import pytest

from player.errors import Code, PlayerError
from player.manifest import parse_manifest
from player.packager import PackageResult
from traces.origin import LiveConfig, ShapedOrigin

AST = 1_700_000_000.0  # availabilityStartTime of the tests' live streams
LOOP = 10.0  # the tiny title's duration: 5 segments of 2 s


class Clock:
    """A wall clock the test moves by hand."""

    def __init__(self, t: float) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def _live(title: PackageResult, clock: Clock, window: float = 8.0) -> ShapedOrigin:
    config = LiveConfig(window_s=window, availability_start=AST, clock=clock)
    return ShapedOrigin(title.dir, live=config)


async def _get(s: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with s.get(url) as r:
        return r.status, await r.read()


def _first_pts(init: bytes, media: bytes) -> float:
    with av.open(io.BytesIO(init + media)) as c:
        assert isinstance(c, av.container.InputContainer)
        frame = next(c.decode(c.streams[0]))
        assert isinstance(frame, (av.VideoFrame, av.AudioFrame))
        assert frame.pts is not None and frame.time_base is not None
        return float(frame.pts * frame.time_base)


async def test_dash_window_moves_with_the_clock(tiny_title: PackageResult) -> None:
    clock = Clock(AST + 25.0)
    async with _live(tiny_title, clock) as origin, aiohttp.ClientSession() as s:
        mpd_url = origin.url + tiny_title.mpd.name
        status, body = await _get(s, mpd_url)
        assert status == 200
        text = body.decode()
        assert 'type="dynamic"' in text and "mediaPresentationDuration" not in text
        assert 'timeShiftBufferDepth="PT8.000S"' in text and "minimumUpdatePeriod" in text
        assert "availabilityStartTime" in text and "UTCTiming" in text

        pres = parse_manifest(body, mpd_url)
        assert pres.is_live
        windows = []
        for step in range(3):
            clock.t = AST + 25.0 + 6.0 * step
            pres = parse_manifest((await _get(s, mpd_url))[1], mpd_url)
            video = pres.periods[0].tracks[0].representations[0]
            index = video.segments
            assert not hasattr(index, "resolve")  # a ready index, not a fetch to make
            span = index.available(clock.t)  # type: ignore[union-attr]
            assert span is not None
            windows.append(span)
        # 8 s window of 2 s segments: 4 segments, and 3 more every 6 s.
        assert windows == [(9, 12), (12, 15), (15, 18)]
        seg = index.by_number(17)  # type: ignore[union-attr]
        assert seg is not None
        assert seg.start == pytest.approx(32.0)  # loop 3, VOD segment 2
        assert seg.url.endswith("seg-17.m4s")


async def test_looped_segments_have_shifted_decode_times(tiny_title: PackageResult) -> None:
    clock = Clock(AST + 25.0)
    rung = tiny_title.dir / "video" / "256x144_150k"
    init = (rung / "init.mp4").read_bytes()
    async with _live(tiny_title, clock) as origin, aiohttp.ClientSession() as s:
        base = origin.url + "video/256x144_150k/"
        status, media = await _get(s, base + "seg-12.m4s")  # loop 2, VOD seg-2
        assert status == 200
        assert _first_pts(init, media) == pytest.approx(2 * LOOP + 2.0)
        status, media = await _get(s, base + "seg-2.m4s")  # the VOD file itself
        assert status == 200 and media == (rung / "seg-2.m4s").read_bytes()
        assert _first_pts(init, media) == pytest.approx(2.0)
        # Not produced yet (ends at 26 s), and long gone (ended at 12 s): 404.
        assert (await _get(s, base + "seg-13.m4s"))[0] == 404
        assert (await _get(s, base + "seg-6.m4s"))[0] == 404
        clock.t += 1.0
        assert (await _get(s, base + "seg-13.m4s"))[0] == 200
        # Audio too, in its own timescale.
        audio = tiny_title.dir / "audio" / "en"
        status, media = await _get(s, origin.url + "audio/en/seg-12.m4s")
        assert status == 200
        got = _first_pts((audio / "init.mp4").read_bytes(), media)
        vod = _first_pts((audio / "init.mp4").read_bytes(), (audio / "seg-2.m4s").read_bytes())
        assert got == pytest.approx(vod + 2 * LOOP)


async def test_hls_playlist_slides_with_discontinuities(tiny_title: PackageResult) -> None:
    clock = Clock(AST + 25.0)
    async with _live(tiny_title, clock) as origin, aiohttp.ClientSession() as s:
        status, master = await _get(s, origin.url + tiny_title.hls_master.name)
        assert status == 200 and master == tiny_title.hls_master.read_bytes()
        url = origin.url + "video/256x144_150k/index.m3u8"
        seen = []
        for step in range(3):
            clock.t = AST + 25.0 + 6.0 * step
            status, body = await _get(s, url)
            assert status == 200
            pl = m3u8.loads(body.decode())
            assert not pl.is_endlist and pl.playlist_type is None
            seen.append(
                (
                    pl.media_sequence,
                    pl.discontinuity_sequence,
                    [seg.uri for seg in pl.segments],
                    [seg.discontinuity for seg in pl.segments],
                )
            )
        # Window of 8 s at t=25: segments ending in (17, 25]: 18-20 (seg-4), 20-22 (seg-5),
        # then the loop point, 22-24 (seg-1)... media sequence counts on from 1.
        assert seen[0] == (
            9,
            1,
            ["seg-4.m4s", "seg-5.m4s", "seg-1.m4s", "seg-2.m4s"],
            [False, False, True, False],
        )
        assert seen[1][0] == 12 and seen[1][2] == [
            "seg-2.m4s",
            "seg-3.m4s",
            "seg-4.m4s",
            "seg-5.m4s",
        ]
        assert seen[1][1] == 2
        assert seen[2][0] == 15 and seen[2][3] == [False, True, False, False]
        # The player's HLS parser reads it as live.
        pres = parse_manifest(body, url)
        assert pres.is_live


async def test_default_start_has_a_full_window_at_once(tiny_title: PackageResult) -> None:
    clock = Clock(AST)
    config = LiveConfig(window_s=6.0, clock=clock)
    async with ShapedOrigin(tiny_title.dir, live=config) as origin, aiohttp.ClientSession() as s:
        _, body = await _get(s, origin.url + "video/256x144_150k/index.m3u8")
    assert len(m3u8.loads(body.decode()).segments) == 3


def test_titles_that_cannot_loop_are_refused(tmp_path: Path, tiny_title: PackageResult) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(PlayerError) as info:
        ShapedOrigin(empty, live=LiveConfig())
    assert info.value.code is Code.INVALID_ARGUMENT
    bad = tmp_path / "bad"
    shutil.copytree(tiny_title.dir, bad)
    mpd = bad / tiny_title.mpd.name
    text = mpd.read_text()
    mpd.write_text(re.sub(r"\$Number\$", "$Time$", text))
    with pytest.raises(PlayerError) as info:
        ShapedOrigin(bad, live=LiveConfig())
    assert info.value.code is Code.UNSUPPORTED_FEATURE
    mpd.write_text(text.replace("<Period", '<Period duration="PT5S"></Period><Period', 1))
    with pytest.raises(PlayerError) as info:
        ShapedOrigin(bad, live=LiveConfig())
    assert info.value.code is Code.UNSUPPORTED_FEATURE
    mpd.write_text("<MPD><Period>")
    with pytest.raises(PlayerError) as info:
        ShapedOrigin(bad, live=LiveConfig())
    assert info.value.code is Code.UNSUPPORTED_FEATURE
    with pytest.raises(PlayerError) as info:
        LiveConfig(window_s=0)
    assert info.value.code is Code.INVALID_ARGUMENT
