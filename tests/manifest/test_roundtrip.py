"""Manifests written by ``abrkit package`` round-trip: in all three DASH addressing modes
(SegmentTemplate ``$Number$``, SegmentTimeline, single file with SegmentBase + sidx) and
in HLS, the segments we parse are exactly the files (or byte ranges) on disk."""

from __future__ import annotations

import struct
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import pytest

from player.manifest import (
    IndexRequest,
    Presentation,
    Segment,
    SegmentIndex,
    load_indexes,
    parse_manifest,
)
from player.packager import PackagedTrack, PackageResult, package
from tests.conftest import cached_title

LADDER = "192x108@120k,256x144@200k"


def _title(bbb: Path, mode: str) -> PackageResult:
    def build(directory: Path) -> PackageResult:
        return package(
            bbb,
            directory,
            ladder=LADDER,
            segment_duration=2.0,
            duration=6.0,
            loop=True,
            language="en",
            timeline=mode == "timeline",
            single_file=mode == "single",
            progress=False,
        )

    return cached_title(f"manifest-rt-{mode}", f"{LADDER}|2|6|{mode}", build)


@pytest.fixture(scope="module", params=["template", "timeline", "single"])
def title(request: pytest.FixtureRequest, bbb_clip: Path) -> tuple[str, PackageResult]:
    return request.param, _title(bbb_clip, request.param)


def _path(url: str) -> Path:
    parts = urlsplit(url)
    assert parts.scheme == "file", url
    return Path(url2pathname(parts.path))


def _load(url: str) -> bytes:
    return _path(url).read_bytes()


def _box_type(path: Path, offset: int) -> bytes:
    with open(path, "rb") as f:
        f.seek(offset)
        return struct.unpack(">I4s", f.read(8))[1]


def _reps(pres: Presentation) -> dict[str, tuple[SegmentIndex, list[Segment]]]:
    out = {}
    for track in pres.all_tracks():
        for rep in track.representations:
            index = rep.index
            assert isinstance(index, SegmentIndex), rep.id
            out[rep.id] = (index, list(index))
    return out


def _check_track(
    mode: str, result: PackageResult, track: PackagedTrack, index: SegmentIndex, segs: list[Segment]
) -> None:
    root = result.dir
    assert len(segs) == len(track.segment_durations)
    # A timeline or a sidx carries each segment's exact duration; a @duration template
    # the nominal one, which audio (1024-sample AAC frames) misses by under a frame.
    tolerance = 0.03 if mode == "template" else 1e-6
    for seg, dur in zip(segs, track.segment_durations, strict=True):
        assert seg.duration == pytest.approx(dur, abs=tolerance)
    starts = [s.start for s in segs]
    exact = [t / track.timescale for t in track.segment_starts]
    assert starts == pytest.approx(exact, abs=tolerance * len(segs))
    if mode == "single":
        media = root / track.init
        assert all(_path(s.url) == media for s in segs)
        ranges = [(s.byte_range.start, s.byte_range.end) for s in segs]  # type: ignore[union-attr]
        assert ranges == [tuple(r) for r in track.byte_ranges]
        assert ranges[-1][1] + 1 == media.stat().st_size
        for first, _last in ranges:
            assert _box_type(media, first) in (b"moof", b"styp")
        assert index.init is not None and index.init.byte_range is not None
        assert (index.init.byte_range.start, index.init.byte_range.end) == tuple(track.init_range)  # type: ignore[arg-type]
    else:
        on_disk = [root / p for p in track.segments]
        assert [_path(s.url) for s in segs] == on_disk
        assert all(p.is_file() for p in on_disk)
        folder = on_disk[0].parent
        assert sorted(folder.glob("seg-*")) == sorted(on_disk)  # nothing left out
        assert index.init is not None and _path(index.init.url) == root / track.init
        for s in segs:
            assert s.byte_range is None and _box_type(_path(s.url), 0) in (b"moof", b"styp")


def test_dash_round_trip(title: tuple[str, PackageResult]) -> None:
    mode, result = title
    data = result.mpd.read_bytes()
    pres = parse_manifest(data, result.mpd.resolve().as_uri())
    assert not pres.is_live and pres.duration == pytest.approx(result.duration, abs=0.01)
    requests: dict[str, IndexRequest] = {}
    if mode == "single":
        # SegmentBase: the index is a sidx request; our sidx parser resolves the bytes
        # fetched from disk, as the engine would over HTTP.
        for track in pres.all_tracks():
            for rep in track.representations:
                request = rep.index
                assert isinstance(request, IndexRequest) and request.kind == "sidx"
                assert request.byte_range is not None and request.byte_range.end is not None
                requests[rep.id] = request
                blob = _path(request.url).read_bytes()
                rep.index = request.resolve(
                    blob[request.byte_range.start : request.byte_range.end + 1]
                )
    else:
        kinds = {"template": "$Number$", "timeline": "SegmentTimeline"}
        assert kinds[mode].encode() in data
    reps = _reps(pres)
    for track in (*result.video, *result.audio):
        index, segs = reps[track.id]
        _check_track(mode, result, track, index, segs)
        if mode == "single":
            byte_range = requests[track.id].byte_range
            assert byte_range is not None
            assert (byte_range.start, byte_range.end) == tuple(track.index_range)  # type: ignore[arg-type]


def test_hls_round_trip(title: tuple[str, PackageResult]) -> None:
    mode, result = title
    pres = parse_manifest(result.hls_master.read_bytes(), result.hls_master.resolve().as_uri())
    assert load_indexes(pres, _load) == []
    assert not pres.is_live and pres.duration == pytest.approx(result.duration, abs=0.05)
    variants = next(t for t in pres.all_tracks() if t.id == "variants").representations
    # A variant's BANDWIDTH counts its video and the audio that plays with it.
    assert len(variants) == len(result.video)
    for variant, video in zip(variants, result.video, strict=True):
        assert variant.bandwidth >= video.bandwidth and variant.codecs is not None
        assert video.codecs in variant.codecs
    by_playlist = {}
    for track in pres.all_tracks():
        for rep in track.representations:
            assert isinstance(rep.index, SegmentIndex)
            by_playlist[_path(rep.base_urls[0])] = rep.index
    for track in (*result.video, *result.audio):
        index = by_playlist[result.dir / track.playlist]
        segs = list(index)
        assert len(segs) == len(track.segments)
        for seg, dur in zip(segs, track.segment_durations, strict=True):
            assert seg.duration == pytest.approx(dur, abs=1e-3)  # EXTINF is rounded
        assert segs[0].init is not None and _path(segs[0].init.url) == result.dir / track.init
        if mode == "single":
            ranges = [(s.byte_range.start, s.byte_range.end) for s in segs]  # type: ignore[union-attr]
            assert ranges == [tuple(r) for r in track.byte_ranges]
        else:
            assert [_path(s.url) for s in segs] == [result.dir / p for p in track.segments]
