"""``package()``: encode a source into an ABR ladder and publish it as DASH and HLS.

Layout of the output directory::

    manifest.mpd  master.m3u8  package.json
    video/<W>x<H>_<kbps>k/init.mp4 seg-1.m4s ... index.m3u8   (or media.mp4 single-file)
    audio/<lang>/init.mp4 seg-1.m4s ... index.m3u8
    text/<lang>.vtt  text/<lang>.m3u8
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from player.errors import Code, PlayerError
from player.packager._assemble import assemble
from player.packager._dash import write_mpd
from player.packager._encode import encode_title, encoder_for
from player.packager._hls import write_hls
from player.packager._source import Source, open_file_source
from player.packager.ladder import DEFAULT_LADDER, Ladder, RungSpec, make_ladder, parse_ladder
from player.packager.protection import ClearKeyEncryption
from player.packager.result import PackagedTrack, PackageResult

MPD_NAME = "manifest.mpd"
HLS_MASTER_NAME = "master.m3u8"


@dataclass(frozen=True, slots=True)
class Subtitles:
    """A WebVTT subtitle track to publish beside the media: language, label, and text."""

    language: str
    label: str
    vtt: str

    def __post_init__(self) -> None:
        if not self.vtt.lstrip("\ufeff").startswith("WEBVTT"):
            raise PlayerError(Code.INVALID_ARGUMENT, f"subtitles {self.language!r} are not WebVTT")


def _ladder(value: Ladder | Sequence[RungSpec] | str | None) -> Ladder:
    if value is None:
        return DEFAULT_LADDER
    if isinstance(value, str):
        return parse_ladder(value)
    return make_ladder(value)


def _segment(seconds: float, fps: Fraction) -> Fraction:
    if not math.isfinite(seconds) or not 0.5 <= seconds <= 30:
        raise PlayerError(
            Code.INVALID_ARGUMENT, f"segment duration must be 0.5..30 s, got {seconds}"
        )
    seg = Fraction(seconds).limit_denominator(1000)
    if seg * fps < 1:
        raise PlayerError(Code.INVALID_ARGUMENT, "segment shorter than one frame")
    return seg


def package(
    source: str | Path,
    out_dir: str | Path,
    *,
    ladder: Ladder | Sequence[RungSpec] | str | None = None,
    codec: str = "h264",
    segment_duration: float = 4.0,
    timeline: bool = False,
    single_file: bool = False,
    audio: str = "auto",
    language: str = "und",
    duration: float | None = None,
    loop: bool = False,
    subtitles: Sequence[Subtitles] = (),
    encryption: ClearKeyEncryption | None = None,
    preset: str | None = None,
    progress: bool | None = None,
) -> PackageResult:
    """Encode ``source`` (a media file) into a ladder and write DASH + HLS to ``out_dir``.

    ``ladder`` is rungs or a ``"384x216@400k,640x360@800k"`` string (default: 5 rungs,
    216p..1080p); ``codec`` is ``h264``, ``hevc``, ``vp9`` or ``av1``; segments last
    ``segment_duration`` seconds, each starting with a closed GOP. ``timeline`` writes a
    SegmentTimeline, ``single_file`` one file per track with a ``sidx`` (DASH
    SegmentBase, HLS byte ranges). ``audio`` is ``auto`` (the source's, if any),
    ``tone`` or ``none``. ``duration`` cuts the title; with ``loop`` the source repeats
    to reach it. ``encryption`` applies ClearKey ``cenc`` to every track. ``progress``
    shows a bar on stderr (default: when stderr is a terminal).

    Raises ``PlayerError``: ``SOURCE_UNREADABLE`` for a bad source, ``INVALID_ARGUMENT``
    for bad options, ``UNSUPPORTED_CODEC`` when the encoder is missing.
    """
    rungs = _ladder(ladder)
    encoder_for(codec)
    src = open_file_source(source, duration=duration, loop=loop, audio=audio, language=language)
    return package_source(
        src,
        out_dir,
        ladder=rungs,
        codec=codec,
        segment_duration=segment_duration,
        timeline=timeline,
        single_file=single_file,
        subtitles=subtitles,
        encryption=encryption,
        preset=preset,
        progress=progress,
    )


def package_source(
    src: Source,
    out_dir: str | Path,
    *,
    ladder: Ladder,
    codec: str = "h264",
    segment_duration: float = 4.0,
    timeline: bool = False,
    single_file: bool = False,
    subtitles: Sequence[Subtitles] = (),
    encryption: ClearKeyEncryption | None = None,
    preset: str | None = None,
    progress: bool | None = None,
    extra: dict[str, object] | None = None,
) -> PackageResult:
    """:func:`package` for an already opened :class:`Source` (used by the sample)."""
    encoder_for(codec)
    segment = _segment(segment_duration, src.frame_rate)
    languages = [a.language for a in src.audio] + [s.language for s in subtitles]
    for lang in languages:
        if not lang or not all(c.isalnum() or c == "-" for c in lang):
            raise PlayerError(Code.INVALID_ARGUMENT, f"bad language tag {lang!r}")
    out = Path(out_dir)
    started = time.monotonic()
    try:
        out.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".work-", dir=out))
    except OSError as exc:
        raise PlayerError(Code.INVALID_ARGUMENT, f"cannot write to {out}: {exc}") from exc
    try:
        written = encode_title(src, ladder, codec, segment, work, encryption, preset, progress)
        video: list[PackagedTrack] = []
        audio: list[PackagedTrack] = []
        for w in written:
            if w.kind == "video":
                assert w.rung is not None
                rel = f"video/{w.rung.name}"
            else:
                rel = "audio/" + w.id.removeprefix("audio-")
            shutil.rmtree(out / rel, ignore_errors=True)
            track = assemble(
                w,
                out,
                rel,
                single_file=single_file,
                encryption=encryption,
                segment=segment,
                frame_rate=src.frame_rate,
            )
            (video if track.kind == "video" else audio).append(track)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = _write_subtitles(out, subtitles, src.duration)
    write_mpd(
        out / MPD_NAME,
        duration=src.duration,
        segment=segment,
        video=video,
        audio=audio,
        text=text,
        timeline=timeline,
        single_file=single_file,
        encryption=encryption,
    )
    master = write_hls(
        out, HLS_MASTER_NAME, video=video, audio=audio, text=text, encryption=encryption
    )
    result = PackageResult(
        dir=out,
        mpd=out / MPD_NAME,
        hls_master=master,
        duration=src.duration,
        segment_duration=float(segment),
        codec=codec,
        video=tuple(sorted(video, key=lambda t: t.target_bitrate or 0)),
        audio=tuple(audio),
        text=tuple(text),
        timeline=timeline,
        single_file=single_file,
        key_id=None if encryption is None else encryption.key_id.hex(),
        build_seconds=round(time.monotonic() - started, 3),
        extra=dict(extra or {}),
    )
    result.save()
    return result


def _write_subtitles(
    out: Path, subtitles: Sequence[Subtitles], duration: float
) -> list[PackagedTrack]:
    tracks: list[PackagedTrack] = []
    if subtitles:
        (out / "text").mkdir(parents=True, exist_ok=True)
    for sub in subtitles:
        data = sub.vtt.encode("utf-8")
        rel = f"text/{sub.language}.vtt"
        (out / rel).write_bytes(data)
        tracks.append(
            PackagedTrack(
                kind="text",
                id=f"text-{sub.language}",
                codecs="wvtt",
                bandwidth=max(1, int(8 * len(data) / duration)),
                average_bitrate=max(1, int(8 * len(data) / duration)),
                init=rel,
                playlist=f"text/{sub.language}.m3u8",
                segments=(rel,),
                segment_durations=(duration,),
                segment_sizes=(len(data),),
                language=sub.language,
                label=sub.label,
            )
        )
    return tracks
