"""From what the muxer wrote to the published layout, measured segment by segment.

Every duration and size in the manifests comes from here: the ``tfdt`` and ``trun`` of
each segment and its length on disk, never from what we asked the encoder for.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from player.errors import Code, PlayerError
from player.packager._boxes import (
    build_sidx,
    fragments,
    insert_into_moov,
    strip_boxes,
    timescale,
)
from player.packager._codecs import codec_string
from player.packager._encode import INIT_NAME, SEGMENT_PATTERN, WrittenTrack
from player.packager._source import AUDIO_RATE
from player.packager.protection import ClearKeyEncryption
from player.packager.result import PackagedTrack

SINGLE_FILE_NAME = "media.mp4"
PLAYLIST_NAME = "index.m3u8"


@dataclass(frozen=True)
class _Segment:
    data: bytes
    start: int
    duration: int
    first_sync: bool


def _read_segments(workdir: Path, init: bytes) -> list[_Segment]:
    segments: list[_Segment] = []
    n = 1
    while (path := workdir / SEGMENT_PATTERN.format(n=n)).exists():
        data = path.read_bytes()
        frags = fragments(data, init)
        if not frags:
            raise PlayerError(Code.ENCODE_FAILED, f"segment {path} holds no fragment")
        segments.append(
            _Segment(
                data,
                frags[0].decode_time,
                sum(f.duration for f in frags),
                frags[0].first_is_sync,
            )
        )
        n += 1
    if not segments:
        raise PlayerError(Code.ENCODE_FAILED, f"the muxer wrote no segments in {workdir}")
    return segments


def _peak_bitrate(sizes: list[int], seconds: list[float], nominal: float) -> int:
    # A short last segment would overstate the peak; judge it only when it is all we have.
    rates = [8 * s / d for s, d in zip(sizes, seconds, strict=True) if d >= nominal / 2]
    if not rates:
        rates = [8 * s / d for s, d in zip(sizes, seconds, strict=True) if d > 0]
    return int(max(rates)) + 1 if rates else 0


def assemble(
    written: WrittenTrack,
    out_dir: Path,
    rel_dir: str,
    *,
    single_file: bool,
    encryption: ClearKeyEncryption | None,
    segment: Fraction,
    frame_rate: Fraction,
) -> PackagedTrack:
    """Publish one written track under ``out_dir/rel_dir`` and describe it."""
    init = (written.workdir / INIT_NAME).read_bytes()
    if encryption is not None:
        init = insert_into_moov(init, encryption.pssh())
    segments = _read_segments(written.workdir, init)
    if written.kind == "video":
        bad = [i + 1 for i, s in enumerate(segments) if not s.first_sync]
        if bad:
            raise PlayerError(
                Code.ENCODE_FAILED, f"{written.id}: segments {bad} do not start with a keyframe"
            )
    scale = timescale(init)
    target = out_dir / rel_dir
    target.mkdir(parents=True, exist_ok=True)
    seconds = [s.duration / scale for s in segments]
    byte_ranges: list[tuple[int, int]] = []
    init_range = index_range = None
    if single_file:
        bodies = [strip_boxes(s.data, frozenset({"styp", "sidx"})) for s in segments]
        refs = [(len(b), s.duration) for b, s in zip(bodies, segments, strict=True)]
        sidx = build_sidx(1, scale, segments[0].start, refs)
        init_range = (0, len(init) - 1)
        index_range = (len(init), len(init) + len(sidx) - 1)
        pos = len(init) + len(sidx)
        for body in bodies:
            byte_ranges.append((pos, pos + len(body) - 1))
            pos += len(body)
        (target / SINGLE_FILE_NAME).write_bytes(init + sidx + b"".join(bodies))
        sizes = [len(b) for b in bodies]
        init_rel = f"{rel_dir}/{SINGLE_FILE_NAME}"
        seg_rels = [init_rel] * len(segments)
    else:
        (target / INIT_NAME).write_bytes(init)
        seg_rels = []
        for n, s in enumerate(segments, start=1):
            name = SEGMENT_PATTERN.format(n=n)
            (target / name).write_bytes(s.data)
            seg_rels.append(f"{rel_dir}/{name}")
        sizes = [len(s.data) for s in segments]
        init_rel = f"{rel_dir}/{INIT_NAME}"
    total_seconds = sum(seconds)
    common = {
        "codecs": codec_string(init),
        "bandwidth": _peak_bitrate(sizes, seconds, float(segment)),
        "average_bitrate": int(8 * sum(sizes) / total_seconds) if total_seconds else 0,
        "init": init_rel,
        "playlist": f"{rel_dir}/{PLAYLIST_NAME}",
        "segments": tuple(seg_rels),
        "segment_durations": tuple(seconds),
        "segment_sizes": tuple(sizes),
        "byte_ranges": tuple(byte_ranges),
        "init_range": init_range,
        "index_range": index_range,
        "timescale": scale,
        "segment_starts": tuple(s.start for s in segments),
    }
    if written.kind == "video":
        rung = written.rung
        assert rung is not None
        rate = (
            str(frame_rate.numerator)
            if frame_rate.denominator == 1
            else f"{frame_rate.numerator}/{frame_rate.denominator}"
        )
        return PackagedTrack(
            kind="video",
            id=written.id,
            target_bitrate=rung.bitrate,
            width=rung.width,
            height=rung.height,
            frame_rate=rate,
            **common,  # type: ignore[arg-type]
        )
    audio = written.audio
    assert audio is not None
    return PackagedTrack(
        kind="audio",
        id=written.id,
        sample_rate=AUDIO_RATE,
        channels=2,
        language=audio.language,
        label=audio.label,
        **common,  # type: ignore[arg-type]
    )
