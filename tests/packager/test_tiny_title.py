"""The packaged tiny title, checked by decoding every segment of every track with PyAV."""

from __future__ import annotations

import itertools
from pathlib import PurePosixPath

import pytest

from player.packager import PackagedTrack, PackageResult

from ._check import dash_segments, decode, hls_media, mpd_root


def _init(title: PackageResult, track: PackagedTrack) -> bytes:
    return title.path(track.init).read_bytes()


def test_every_video_segment_starts_with_a_keyframe_and_lasts_what_the_manifest_says(
    tiny_title: PackageResult,
) -> None:
    assert len(tiny_title.rungs) == 3
    for rung in tiny_title.rungs:
        init = _init(tiny_title, rung)
        start = 0.0
        for rel, listed in zip(rung.segments, rung.segment_durations, strict=True):
            seg = decode(init, tiny_title.path(rel).read_bytes())
            assert seg.keyframe_first, f"{rel} does not start with a keyframe"
            assert seg.first_time == pytest.approx(start, abs=1e-6), rel
            assert seg.duration == pytest.approx(listed, abs=1e-6), rel
            # $Number$ template: every segment but the last lasts the nominal duration.
            if rel != rung.segments[-1]:
                assert seg.duration == pytest.approx(tiny_title.segment_duration, abs=1e-6)
            start += seg.duration
        assert start == pytest.approx(tiny_title.duration, abs=1e-6)


def test_each_rung_mean_bitrate_is_within_25_percent_of_target(tiny_title: PackageResult) -> None:
    for rung in tiny_title.rungs:
        assert rung.target_bitrate is not None
        total_bytes = sum(tiny_title.path(s).stat().st_size for s in rung.segments)
        measured = 8 * total_bytes / tiny_title.duration
        assert 0.75 <= measured / rung.target_bitrate <= 1.25, (rung.id, measured)


def test_rungs_are_ordered_and_really_differ(tiny_title: PackageResult) -> None:
    rates = [r.average_bitrate for r in tiny_title.rungs]
    assert rates == sorted(rates)
    assert all(b / a > 1.4 for a, b in itertools.pairwise(rates))


def test_audio_and_video_durations_agree_within_one_frame(tiny_title: PackageResult) -> None:
    (audio,) = tiny_title.audio
    assert audio.language == "en" and audio.codecs == "mp4a.40.2"
    init = _init(tiny_title, audio)
    audio_seconds = 0.0
    for rel, listed in zip(audio.segments, audio.segment_durations, strict=True):
        seg = decode(init, tiny_title.path(rel).read_bytes())
        assert seg.duration == pytest.approx(listed, abs=1e-6)
        assert seg.first_time == pytest.approx(audio_seconds, abs=1e-6)
        audio_seconds += seg.duration
    rung = tiny_title.rungs[0]
    video_init = _init(tiny_title, rung)
    video_seconds = sum(
        decode(video_init, tiny_title.path(s).read_bytes()).duration for s in rung.segments
    )
    assert abs(audio_seconds - video_seconds) <= 1 / 25


def test_dash_and_hls_list_the_same_segments(tiny_title: PackageResult) -> None:
    mpd = mpd_root(tiny_title.mpd)
    media = hls_media(tiny_title.hls_master)
    for track in (*tiny_title.rungs, *tiny_title.audio):
        dash = [url for url, _ in dash_segments(mpd, track.id, tiny_title.duration)]
        playlist = media[track.playlist]
        base = PurePosixPath(track.playlist).parent
        hls = [str(base / s.uri) for s in playlist.segments]
        assert dash == hls == list(track.segments)
        assert [s.duration for s in playlist.segments] == pytest.approx(
            list(track.segment_durations), abs=1e-5
        )
        (init_map,) = {s.init_section.uri for s in playlist.segments}
        assert str(base / init_map) == track.init
        assert (tiny_title.dir / track.init).is_file()


def test_manifests_carry_codecs_and_sizes(tiny_title: PackageResult) -> None:
    mpd = mpd_root(tiny_title.mpd)
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    reps = {r.get("id"): r for r in mpd.iterfind(".//m:Representation", ns)}
    for rung in tiny_title.rungs:
        rep = reps[rung.id]
        assert rep.get("codecs", "").startswith("avc1.64")
        assert (int(rep.get("width", 0)), int(rep.get("height", 0))) == (rung.width, rung.height)
        assert int(rep.get("bandwidth", 0)) >= rung.average_bitrate
    import m3u8

    master = m3u8.load(str(tiny_title.hls_master))
    assert [p.stream_info.resolution for p in master.playlists] == [
        (r.width, r.height) for r in tiny_title.rungs
    ]
    for p in master.playlists:
        assert "mp4a.40.2" in p.stream_info.codecs
