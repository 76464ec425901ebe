"""The built-in sample title: long enough, film-like (VBR), a real ladder, two audio
languages and two subtitle languages in DASH and HLS."""

from __future__ import annotations

import io
import itertools
import statistics
from pathlib import PurePosixPath

import av
import m3u8
import pytest

from player.packager import PackageResult

from ._check import NS, dash_segments, decode, hls_media, mpd_root

pytestmark = pytest.mark.slow


def test_sample_is_a_minute_long_five_rung_ladder(sample_title: PackageResult) -> None:
    assert sample_title.duration >= 60
    assert [(r.width, r.height) for r in sample_title.rungs] == [
        (384, 216),
        (640, 360),
        (854, 480),
        (1280, 720),
        (1920, 1080),
    ]
    assert (sample_title.dir / "SOURCE.md").read_text().count("Blender Foundation") >= 1


def test_rungs_vary_per_segment_and_step_up_by_at_least_1_4x(
    sample_title: PackageResult,
) -> None:
    means = []
    for rung in sample_title.rungs:
        sizes = [sample_title.path(s).stat().st_size for s in rung.segments]
        assert sizes == list(rung.segment_sizes)
        full = sizes[:-1]  # the last segment may be short
        # VBR: sizes follow the pictures (title cards are cheap, grain is dear).
        cv = statistics.pstdev(full) / statistics.mean(full)
        assert cv > 0.3, (rung.id, cv)
        assert max(full) / min(full) > 4, rung.id
        mean = 8 * sum(sizes) / sample_title.duration
        assert rung.target_bitrate is not None
        assert 0.75 <= mean / rung.target_bitrate <= 1.25, (rung.id, mean)
        means.append(mean)
    for low, high in itertools.pairwise(means):
        assert high / low >= 1.4
    # Segment by segment, higher rungs are bigger: the same pictures at more bits.
    for low_rung, high_rung in itertools.pairwise(sample_title.rungs):
        bigger = sum(
            h > lo for lo, h in zip(low_rung.segment_sizes, high_rung.segment_sizes, strict=True)
        )
        assert bigger == len(low_rung.segment_sizes)


def test_every_segment_starts_with_a_keyframe(sample_title: PackageResult) -> None:
    # Demux only (decoding 64 s at five sizes is the tiny title's job): the first packet
    # of every segment must be a keyframe, and timestamps must continue across segments.
    for rung in sample_title.rungs:
        init = sample_title.path(rung.init).read_bytes()
        expected_start = 0.0
        for rel, seconds in zip(rung.segments, rung.segment_durations, strict=True):
            with av.open(io.BytesIO(init + sample_title.path(rel).read_bytes())) as c:
                stream = c.streams.video[0]
                packets = [p for p in c.demux(stream) if p.size]
                assert packets[0].is_keyframe, rel
                first = float(packets[0].pts * stream.time_base)
                assert sum(p.is_keyframe for p in packets) == 1, rel
            assert first == pytest.approx(expected_start, abs=1e-6), rel
            expected_start += seconds


def test_two_audio_languages_and_two_subtitle_languages(sample_title: PackageResult) -> None:
    assert [a.language for a in sample_title.audio] == ["en", "de"]
    assert [t.language for t in sample_title.text] == ["en", "de"]
    # The two soundtracks are different sound of the same length.
    en, de = sample_title.audio
    assert en.segment_durations == de.segment_durations
    seg = 3
    pcm = [
        decode(
            sample_title.path(a.init).read_bytes(),
            sample_title.path(a.segments[seg]).read_bytes(),
            keep=True,
        ).checksums
        for a in (en, de)
    ]
    assert pcm[0] != pcm[1]
    video_seconds = sum(sample_title.rungs[0].segment_durations)
    for a in sample_title.audio:
        assert abs(sum(a.segment_durations) - video_seconds) <= 1 / 25
    # DASH: one audio AdaptationSet per language, text sets with sidecar WebVTT.
    mpd = mpd_root(sample_title.mpd)
    audio_sets = mpd.findall(".//mpd:AdaptationSet[@contentType='audio']", NS)
    assert [s.get("lang") for s in audio_sets] == ["en", "de"]
    text_sets = mpd.findall(".//mpd:AdaptationSet[@contentType='text']", NS)
    assert [(s.get("lang"), s.get("mimeType")) for s in text_sets] == [
        ("en", "text/vtt"),
        ("de", "text/vtt"),
    ]
    for s, track in zip(text_sets, sample_title.text, strict=True):
        base = s.find(".//mpd:BaseURL", NS)
        assert base is not None and base.text == track.init
        vtt = sample_title.path(track.init).read_text(encoding="utf-8")
        assert vtt.startswith("WEBVTT") and vtt.count(" --> ") >= 8
    # HLS: the same renditions as EXT-X-MEDIA groups referenced by every variant.
    master = m3u8.load(str(sample_title.hls_master))
    audio = [(m.language, m.default) for m in master.media if m.type == "AUDIO"]
    assert audio == [("en", "YES"), ("de", "NO")]
    subs = [m.language for m in master.media if m.type == "SUBTITLES"]
    assert subs == ["en", "de"]
    assert all(p.stream_info.audio == "audio" for p in master.playlists)
    assert all(p.stream_info.subtitles == "subs" for p in master.playlists)


def test_dash_and_hls_list_the_same_segments(sample_title: PackageResult) -> None:
    mpd = mpd_root(sample_title.mpd)
    media = hls_media(sample_title.hls_master)
    for track in (*sample_title.rungs, *sample_title.audio):
        dash = [u for u, _ in dash_segments(mpd, track.id, sample_title.duration)]
        base = PurePosixPath(track.playlist).parent
        hls = [str(base / s.uri) for s in media[track.playlist].segments]
        assert dash == hls == list(track.segments)
