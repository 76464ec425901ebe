"""Our manifests read back through ``player.manifest`` into the one model: the segments,
byte ranges and protection the model sees are the ones the packager wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from player.manifest import (
    Presentation,
    Segment,
    SegmentIndex,
    TrackKind,
    load_indexes,
    parse_manifest,
)
from player.packager import ClearKeyEncryption, PackagedTrack, PackageResult, package

BASE = "http://127.0.0.1:8000/title/"


def _loader(root: Path):  # type: ignore[no-untyped-def]
    def load(url: str) -> bytes:
        assert url.startswith(BASE), url
        return (root / url.removeprefix(BASE)).read_bytes()

    return load


def _parse(title: PackageResult, manifest: Path) -> Presentation:
    url = BASE + manifest.name
    presentation = parse_manifest(manifest.read_bytes(), url, _loader(title.dir))
    assert load_indexes(presentation, _loader(title.dir), strict=True) == []
    return presentation


def _segments(index: object) -> list[Segment]:
    assert isinstance(index, SegmentIndex)
    last = index.last_number
    assert last is not None
    segs = [index.by_number(n) for n in range(index.first_number, last + 1)]
    assert all(s is not None for s in segs)
    return [s for s in segs if s is not None]


def _check(presentation: Presentation, tracks: list[PackagedTrack], exact: bool) -> None:
    (period,) = presentation.periods
    reps = {r.id: r for t in period.tracks for r in t.representations}
    for t in tracks:
        segs = _segments(reps[t.id].index)
        assert [s.url for s in segs] == [BASE + s for s in t.segments]
        starts = [sum(t.segment_durations[:i]) for i in range(len(t.segment_durations))]
        if exact:
            assert [s.start for s in segs] == pytest.approx(starts, abs=1e-4)
            assert [s.duration for s in segs] == pytest.approx(list(t.segment_durations), abs=1e-4)
        else:
            # $Number$ with @duration: nominal times; audio segments really start up to one
            # AAC frame (1024 / 48000 s) later, as AAC frames do not divide the duration.
            late = [real - s.start for s, real in zip(segs, starts, strict=True)]
            assert all(0 <= d < 1024 / 48000 + 1e-6 for d in late)
        if t.byte_ranges:
            ranges = [(s.byte_range.start, s.byte_range.end) for s in segs if s.byte_range]
            assert ranges == list(t.byte_ranges)
        assert segs[0].init is not None and segs[0].init.url == BASE + t.init


def test_dash_round_trip(tiny_title: PackageResult) -> None:
    presentation = _parse(tiny_title, tiny_title.mpd)
    assert presentation.format == "dash" and not presentation.is_live
    assert presentation.duration == pytest.approx(tiny_title.duration)
    kinds = [t.kind for t in presentation.periods[0].tracks]
    assert kinds.count(TrackKind.VIDEO) == 1 and kinds.count(TrackKind.AUDIO) == 1
    _check(presentation, [*tiny_title.rungs, *tiny_title.audio], exact=False)


def test_hls_round_trip(tiny_title: PackageResult) -> None:
    presentation = _parse(tiny_title, tiny_title.hls_master)
    assert presentation.format == "hls"
    video = [t for t in presentation.periods[0].tracks if t.kind == TrackKind.VIDEO]
    reps = [r for t in video for r in t.representations]
    assert sorted((r.width, r.height) for r in reps) == [
        (t.width, t.height) for t in tiny_title.rungs
    ]
    for rung in tiny_title.rungs:
        rep = next(r for r in reps if (r.width, r.height) == (rung.width, rung.height))
        segs = _segments(rep.index)
        assert [s.url for s in segs] == [BASE + s for s in rung.segments]
        assert [s.duration for s in segs] == pytest.approx(list(rung.segment_durations), abs=1e-4)
        assert segs[0].init is not None and segs[0].init.url == BASE + rung.init


def test_single_file_and_protection_round_trip(bbb_clip: Path, tmp_path: Path) -> None:
    enc = ClearKeyEncryption.from_hex(
        "0123456789abcdef0123456789abcdef",
        "00112233445566778899aabbccddeeff",
        "http://127.0.0.1:8081/license",
    )
    title = package(
        bbb_clip,
        tmp_path,
        ladder="256x144@200k",
        segment_duration=2.0,
        duration=5.0,
        single_file=True,
        encryption=enc,
        progress=False,
    )
    presentation = _parse(title, title.mpd)
    (period,) = presentation.periods
    for track in period.tracks:
        kinds = {p.system for p in track.protection}
        assert track.protection, track.id
        kids = {p.default_kid for p in track.protection if p.default_kid}
        assert {k.replace("-", "").lower() for k in kids} == {enc.key_id.hex()}
        urls = {p.license_url for p in track.protection if p.license_url}
        assert urls == {"http://127.0.0.1:8081/license"}, kinds
        for rep in track.representations:
            packaged = next(t for t in (*title.rungs, *title.audio) if t.id == rep.id)
            segs = _segments(rep.index)
            assert [(s.byte_range.start, s.byte_range.end) for s in segs if s.byte_range] == list(
                packaged.byte_ranges
            )
            assert [s.duration for s in segs] == pytest.approx(
                list(packaged.segment_durations), abs=1e-4
            )
