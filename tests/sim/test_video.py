"""Video descriptions from size files and from packaged titles (on disk and over HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest

import abr.policies  # noqa: F401  (registers the policies)
from player.packager import PackageResult
from traces.origin import ShapedOrigin
from traces.sim import (
    Simulator,
    get_model,
    load_manifest_video_async,
    load_pensieve_video,
    load_sabre_video,
    load_video,
    video_names,
)
from traces.sim.video import VIDEOS_DIR
from traces.trace import Trace


def test_shipped_size_files() -> None:
    assert {"bbb.json", "pensieve-envivio-sizes.json"} <= set(video_names())
    assert (VIDEOS_DIR / "SOURCE.md").is_file()
    assert (VIDEOS_DIR / "LICENSE-BSD-2-Clause").is_file()
    assert (VIDEOS_DIR / "LICENSE-MIT").is_file()
    bbb = load_sabre_video(VIDEOS_DIR / "bbb.json")
    assert bbb.n_segments == 199 and bbb.n_rungs == 10
    assert bbb.bitrates_bps[0] == 230_000 and bbb.bitrates_bps[-1] == 6_000_000
    assert bbb.segment_durations == (3.0,) * 199
    assert bbb.sizes[0][0] == 886360 // 8  # Sabre's bits, in bytes
    pensieve = load_pensieve_video(VIDEOS_DIR / "pensieve-envivio-sizes.json")
    assert pensieve.n_segments == 48  # Pensieve's simulator plays 48 of the 49 chunks
    assert load_pensieve_video(VIDEOS_DIR / "pensieve-envivio-sizes.json", None).n_segments == 49
    assert pensieve.bitrates_bps == (300_000, 750_000, 1_200_000, 1_850_000, 2_850_000, 4_300_000)
    assert pensieve.sizes[0][0] == 181801
    assert load_video("bbb.json").sizes == bbb.sizes


def _expect(title: PackageResult) -> tuple[list[list[int]], list[int]]:
    rungs = sorted(title.rungs, key=lambda r: r.bandwidth)
    sizes = [[r.segment_sizes[k] for r in rungs] for k in range(len(rungs[0].segment_sizes))]
    inits = [(title.dir / r.init).stat().st_size for r in rungs]
    return sizes, inits


def test_packaged_title_from_disk(tiny_title: PackageResult) -> None:
    sizes, inits = _expect(tiny_title)
    for spec in (tiny_title.dir, tiny_title.mpd, tiny_title.hls_master):
        video = load_video(spec)
        assert [list(r) for r in video.sizes] == sizes, spec
        assert list(video.init_sizes or ()) == inits, spec
        assert video.n_rungs == 3
        assert video.duration == pytest.approx(10.0, abs=0.1)
    # The sizes on disk are what the files hold.
    first = sorted(tiny_title.rungs, key=lambda r: r.bandwidth)[0]
    assert sizes[0][0] == (tiny_title.dir / first.segments[0]).stat().st_size


async def test_packaged_title_over_http(tiny_title: PackageResult) -> None:
    sizes, inits = _expect(tiny_title)
    async with ShapedOrigin(tiny_title.dir) as origin:
        for name in ("manifest.mpd", "master.m3u8"):
            video = await load_manifest_video_async(origin.url + name)
            assert [list(r) for r in video.sizes] == sizes, name
            assert list(video.init_sizes or ()) == inits, name
        with pytest.raises(Exception) as info:
            await load_manifest_video_async(origin.url + "missing.mpd")
    assert getattr(info.value, "code", None) == 7008


def test_simulating_a_packaged_title_fetches_its_init_segments(tiny_title: PackageResult) -> None:
    video = load_video(tiny_title.dir)
    trace = Trace.constant(600_000.0, latency_s=0.05)
    with_inits = Simulator(video, "default").run(trace, "throughput")
    no_init = get_model("default").with_options(name="no-init", init_segments=False)
    bare = Simulator(video, no_init).run(trace, "throughput")
    assert len(with_inits.segments) == video.n_segments
    # The init segments cost time: the same rungs arrive later with them.
    assert with_inits.qualities == bare.qualities
    assert with_inits.segments[0].complete_s > bare.segments[0].complete_s


def test_own_json_round_trip(tmp_path: Path) -> None:
    import json

    video = load_video("bbb.json", chunks=7)
    path = tmp_path / "v.json"
    path.write_text(json.dumps(video.to_json()))
    again = load_video(path)
    assert again.sizes == video.sizes
    assert again.bitrates_bps == video.bitrates_bps
    assert again.segment_durations == video.segment_durations
    assert load_video("pensieve-envivio-sizes.json", chunks=49).n_segments == 49


async def test_single_file_title_sizes_come_from_the_sidx(bbb_clip: Path) -> None:
    from tests.manifest.test_roundtrip import _title

    title = _title(bbb_clip, "single")
    rungs = sorted(title.rungs, key=lambda r: r.bandwidth)
    sizes = [[r.segment_sizes[k] for r in rungs] for k in range(len(rungs[0].segment_sizes))]
    assert all(r.byte_ranges for r in rungs)  # one media file per rung, indexed by a sidx
    on_disk = load_video(title.mpd)
    assert [list(r) for r in on_disk.sizes] == sizes
    async with ShapedOrigin(title.dir) as origin:
        over_http = await load_manifest_video_async(origin.url + title.mpd.name)
    assert [list(r) for r in over_http.sizes] == sizes
    assert over_http.init_sizes == on_disk.init_sizes
