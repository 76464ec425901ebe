"""Encoding: one pass over the source feeds every rung's encoder and muxer.

Each track (a video rung, an audio rendition) is encoded by PyAV and muxed by FFmpeg's
``dash`` muxer into fragmented MP4 in its own work directory (one track per muxer, so
rungs of different aspect ratios never meet in one adaptation set). The muxer cuts a
segment at the first key packet at or past each multiple of the segment duration; the
video encoders are forced to start a closed GOP (an IDR frame) at exactly those frames
and make no other keyframes, so every segment starts with one. The manifests FFmpeg
writes are discarded: ours are written from what the segments really hold.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.frame import PictureType

from player.errors import Code, PlayerError
from player.packager._source import (
    AUDIO_RATE,
    AudioInput,
    Source,
    blocks_to_frames,
    exact_samples,
    resampled,
)
from player.packager.ladder import Ladder, RungSpec
from player.packager.protection import ClearKeyEncryption

ENCODERS: dict[str, str] = {
    "h264": "libx264",
    "hevc": "libx265",
    "vp9": "libvpx-vp9",
    "av1": "libsvtav1",
}
"""Our codec names and the FFmpeg encoders behind them."""

AUDIO_BITRATE = 128_000
_AAC_FRAME = 1024
INIT_NAME = "init.mp4"
SEGMENT_PATTERN = "seg-{n}.m4s"


def encoder_for(codec: str) -> str:
    """The FFmpeg encoder for ``codec``; ``PlayerError(UNSUPPORTED_CODEC)`` when this build
    of PyAV lacks it or the name is unknown."""
    name = ENCODERS.get(codec)
    if name is None:
        raise PlayerError(
            Code.UNSUPPORTED_CODEC, f"unknown codec {codec!r}; choose one of {sorted(ENCODERS)}"
        )
    try:
        av.codec.Codec(name, "w")
    except (ValueError, av.FFmpegError) as exc:
        raise PlayerError(
            Code.UNSUPPORTED_CODEC, f"this PyAV build has no {name} encoder for {codec}"
        ) from exc
    return name


def default_preset(codec: str, rung: RungSpec) -> str:
    """A speed preset that keeps packaging quick on a small machine: faster at larger
    sizes, where encoding costs most."""
    pixels = rung.width * rung.height
    if codec == "h264":
        return "veryfast" if pixels < 1280 * 720 else "superfast"
    if codec == "hevc":
        return "ultrafast"
    if codec == "av1":
        return "12"
    return "8"  # libvpx cpu-used


def keyframe_indices(frame_count: int, fps: Fraction, segment: Fraction) -> list[int]:
    """Frame numbers that start a segment: the first frame at or after each k*segment."""
    starts: list[int] = []
    k = 0
    while True:
        n = math.ceil(k * segment * fps)
        if n >= frame_count:
            return starts
        if not starts or n > starts[-1]:
            starts.append(n)
        k += 1


@dataclass
class WrittenTrack:
    """A track FFmpeg has finished writing into :attr:`workdir`."""

    kind: str  # video | audio
    id: str
    workdir: Path
    rung: RungSpec | None = None
    audio: AudioInput | None = None


def _dash_muxer(workdir: Path, segment: Fraction, encryption: ClearKeyEncryption | None) -> Any:
    workdir.mkdir(parents=True, exist_ok=True)
    options = {
        "seg_duration": f"{float(segment):.6f}",
        "use_template": "1",
        # Template mode cuts at multiples of the segment duration from the start, so audio
        # boundaries never drift; a SegmentTimeline, if asked for, is written by us.
        "use_timeline": "0",
        "init_seg_name": INIT_NAME,
        "media_seg_name": SEGMENT_PATTERN.format(n="$Number$"),
        "single_file": "0",
        "hls_playlist": "0",
        "remove_at_exit": "0",
        # fMP4 for every codec (left to itself the muxer writes VP9 as WebM).
        "dash_segment_type": "mp4",
    }
    if encryption is not None:
        options["format_options"] = encryption.muxer_options()
    try:
        return av.open(str(workdir / "ffmpeg.mpd"), "w", format="dash", options=options)
    except (av.FFmpegError, OSError) as exc:
        raise PlayerError(Code.ENCODE_FAILED, f"cannot start the dash muxer: {exc}") from exc


class _VideoRung:
    def __init__(
        self,
        workdir: Path,
        codec: str,
        rung: RungSpec,
        fps: Fraction,
        gop: int,
        segment: Fraction,
        preset: str,
        encryption: ClearKeyEncryption | None,
        source_size: tuple[int, int],
    ) -> None:
        self.rung = rung
        self.container = _dash_muxer(workdir, segment, encryption)
        self.stream = self.container.add_stream(encoder_for(codec), rate=fps)
        self.stream.width = rung.width
        self.stream.height = rung.height
        self.stream.pix_fmt = "yuv420p"
        self.stream.bit_rate = rung.bitrate
        cc = self.stream.codec_context
        cc.time_base = 1 / fps
        cc.gop_size = gop
        self.time_base = 1 / fps
        # VBR: a mean target with a peak limit, so segment sizes follow the picture.
        maxrate, bufsize = rung.bitrate * 3 // 2, rung.bitrate * 2
        if codec == "h264":
            self.stream.options = {
                "preset": preset,
                "forced-idr": "1",
                "maxrate": str(maxrate),
                "bufsize": str(bufsize),
                "x264-params": (f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes=0"),
            }
        elif codec == "hevc":
            self.stream.codec_tag = "hvc1"  # what Apple players and MSE expect in fMP4
            self.stream.options = {
                "preset": preset,
                "forced-idr": "1",
                "x265-params": (
                    f"keyint={gop}:min-keyint={gop}:scenecut=0:open-gop=0:bframes=0"
                    f":vbv-maxrate={maxrate // 1000}:vbv-bufsize={bufsize // 1000}"
                    ":log-level=error"
                ),
            }
        elif codec == "vp9":
            self.stream.options = {
                "deadline": "realtime",
                "cpu-used": preset,
                "row-mt": "1",
                "lag-in-frames": "0",
                "keyint_min": str(gop),
                "maxrate": str(maxrate),
                "bufsize": str(bufsize),
            }
        else:  # av1
            # SVT-AV1 prints its whole configuration at info level unless told otherwise.
            os.environ.setdefault("SVT_LOG", "1")
            self.stream.options = {
                "preset": preset,
                "svtav1-params": f"keyint={gop}:irefresh-type=2:scd=0:force-key-frames=1",
            }
        sw, sh = source_size
        # Letterbox only when the aspect ratios really differ; a few percent is stretched.
        self.fit: tuple[int, int] | None = None
        src_aspect, dst_aspect = sw / sh, rung.width / rung.height
        if abs(src_aspect - dst_aspect) / dst_aspect > 0.02:
            if src_aspect > dst_aspect:
                self.fit = (rung.width, _even(rung.width / src_aspect))
            else:
                self.fit = (_even(rung.height * src_aspect), rung.height)

    def encode(self, frame: av.VideoFrame | None, index: int, key: bool) -> None:
        try:
            if frame is None:
                packets = self.stream.encode(None)
            else:
                out = self._scale(frame)
                out.pts = index
                out.time_base = self.time_base
                out.pict_type = PictureType.I if key else PictureType.NONE
                packets = self.stream.encode(out)
            self.container.mux(packets)
        except av.FFmpegError as exc:
            raise PlayerError(
                Code.ENCODE_FAILED, f"encoding rung {self.rung} failed: {exc}"
            ) from exc

    def _scale(self, frame: av.VideoFrame) -> av.VideoFrame:
        w, h = self.rung.width, self.rung.height
        if self.fit is None:
            return frame.reformat(width=w, height=h, format="yuv420p")
        fw, fh = self.fit
        inner = frame.reformat(width=fw, height=fh, format="yuv420p")
        planes = _yuv_planes(inner, fw, fh)
        canvas = [np.full((h, w), 16, np.uint8), np.full((h // 2, w // 2), 128, np.uint8)]
        canvas.append(canvas[1].copy())
        for i, plane in enumerate(planes):
            ch, cw = canvas[i].shape
            y0, x0 = (ch - plane.shape[0]) // 2, (cw - plane.shape[1]) // 2
            canvas[i][y0 : y0 + plane.shape[0], x0 : x0 + plane.shape[1]] = plane
        packed = np.concatenate(
            [canvas[0], canvas[1].reshape(-1, w), canvas[2].reshape(-1, w)], axis=0
        )
        return av.VideoFrame.from_ndarray(packed, format="yuv420p")

    def close(self) -> None:
        self.encode(None, 0, False)
        self.container.close()


def _even(x: float) -> int:
    return max(2, round(x / 2) * 2)


def _yuv_planes(frame: av.VideoFrame, w: int, h: int) -> list[np.ndarray]:
    packed = frame.to_ndarray()  # (h * 3 / 2, w): Y, then U and V each (h/2 * w/2) flat
    y = packed[:h]
    chroma = packed[h:].reshape(-1)
    n = (h // 2) * (w // 2)
    return [y, chroma[:n].reshape(h // 2, w // 2), chroma[n : 2 * n].reshape(h // 2, w // 2)]


def _encode_audio(
    workdir: Path,
    audio: AudioInput,
    total_samples: int,
    segment: Fraction,
    encryption: ClearKeyEncryption | None,
) -> None:
    container = _dash_muxer(workdir, segment, encryption)
    stream = container.add_stream("aac", rate=AUDIO_RATE)
    stream.layout = "stereo"
    stream.bit_rate = AUDIO_BITRATE
    shift: int | None = None
    # The encoder delays everything by its priming frame; we shift packets so the track
    # starts at 0 without an edit list (players that decode one segment at a time would
    # otherwise drop a frame per segment), and feed one frame less so sound and picture
    # end together; whole frames only, so what the track says is what a decoder gives.
    content = max(0, (total_samples // _AAC_FRAME - 1) * _AAC_FRAME)
    try:
        fed = 0
        blocks = exact_samples(resampled(audio.frames()), content)
        for frame in blocks_to_frames(_reblock(blocks, _AAC_FRAME)):
            frame.pts = fed
            fed += frame.samples
            for packet in stream.encode(frame):
                shift = _mux_shifted(container, packet, shift)
        for packet in stream.encode(None):
            shift = _mux_shifted(container, packet, shift)
        container.close()
    except av.FFmpegError as exc:
        raise PlayerError(Code.ENCODE_FAILED, f"encoding audio {audio.language}: {exc}") from exc


def _reblock(blocks: Iterator[np.ndarray], size: int) -> Iterator[np.ndarray]:
    """Blocks of exactly ``size`` samples (the encoder's frame size), the last shorter."""
    pending = np.zeros((2, 0), np.float32)
    for block in blocks:
        pending = np.concatenate([pending, block], axis=1)
        while pending.shape[1] >= size:
            yield pending[:, :size]
            pending = pending[:, size:]
    if pending.shape[1]:
        yield pending


def _mux_shifted(container: Any, packet: Any, shift: int | None) -> int:
    if shift is None:
        shift = -packet.pts if packet.pts is not None and packet.pts < 0 else 0
    if packet.pts is not None:
        packet.pts += shift
    if packet.dts is not None:
        packet.dts += shift
    container.mux(packet)
    return shift


def encode_title(
    source: Source,
    ladder: Ladder,
    codec: str,
    segment: Fraction,
    workdir: Path,
    encryption: ClearKeyEncryption | None,
    preset: str | None,
    progress: bool | None,
) -> list[WrittenTrack]:
    """Encode every rung and audio rendition of ``source`` into ``workdir``."""
    from tqdm import tqdm

    fps = source.frame_rate
    gop = math.ceil(segment * fps)
    keys = set(keyframe_indices(source.frame_count, fps, segment))
    rungs = [
        _VideoRung(
            workdir / f"video-{r.name}",
            codec,
            r,
            fps,
            gop,
            segment,
            preset or default_preset(codec, r),
            encryption,
            (source.width, source.height),
        )
        for r in ladder
    ]
    show = sys.stderr.isatty() if progress is None else progress
    bar = tqdm(
        total=source.frame_count,
        desc=f"encoding {len(ladder)} rungs",
        unit="frame",
        disable=not show,
        file=sys.stderr,
    )
    written = 0
    try:
        for frame in source.video_frames():
            if written >= source.frame_count:
                break
            for rung in rungs:
                rung.encode(frame, written, written in keys)
            written += 1
            bar.update(1)
        if written < source.frame_count:
            raise PlayerError(
                Code.SOURCE_UNREADABLE,
                f"source ended after {written} of {source.frame_count} frames",
            )
        for rung in rungs:
            rung.close()
    finally:
        bar.close()
    tracks = [
        WrittenTrack("video", f"video-{r.rung.name}", workdir / f"video-{r.rung.name}", r.rung)
        for r in rungs
    ]
    total_samples = round(source.frame_count / fps * AUDIO_RATE)
    seen: set[str] = set()
    for i, audio in enumerate(source.audio):
        track_id = f"audio-{audio.language}"
        if track_id in seen:  # two renditions in one language: keep ids unique
            track_id += f"-{i}"
        seen.add(track_id)
        path = workdir / track_id
        _encode_audio(path, audio, total_samples, segment, encryption)
        tracks.append(WrittenTrack("audio", track_id, path, audio=audio))
    return tracks
