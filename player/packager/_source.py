"""Where the packager's pictures and sound come from.

A :class:`Source` yields a constant-frame-rate run of video frames and, per audio
rendition, a stream of audio frames in any format (the encoder side resamples). A media
file is one source (:func:`open_file_source`); the sample title builds another from
transformed clips.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from player.errors import Code, PlayerError

AUDIO_RATE = 48_000
"""Sample rate of every packaged audio track."""


@dataclass(frozen=True)
class AudioInput:
    """One audio rendition to encode: a language tag, a label and its frames."""

    language: str
    label: str
    frames: Callable[[], Iterator[av.AudioFrame]]
    role: str = "main"


@dataclass(frozen=True)
class Source:
    """Pictures at a constant frame rate plus zero or more audio renditions."""

    frame_rate: Fraction
    frame_count: int
    width: int
    height: int
    video_frames: Callable[[], Iterator[av.VideoFrame]]
    audio: tuple[AudioInput, ...] = field(default=())

    @property
    def duration(self) -> float:
        """Video duration in seconds."""
        return float(self.frame_count / self.frame_rate)


def _open(path: Path) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise PlayerError(
            Code.SOURCE_UNREADABLE, f"cannot open source {path}: {exc}", data={"path": str(path)}
        ) from exc


def probe(path: Path) -> tuple[Fraction, int, int, int, bool]:
    """Frame rate, frame count, width, height and whether it has audio."""
    container = _open(path)
    try:
        if not container.streams.video:
            raise PlayerError(Code.SOURCE_UNREADABLE, f"source {path} has no video stream")
        vs = container.streams.video[0]
        rate = vs.average_rate or vs.guessed_rate
        if not rate or rate <= 0:
            raise PlayerError(Code.SOURCE_UNREADABLE, f"source {path}: unknown frame rate")
        fps = Fraction(rate).limit_denominator(1001)
        count = int(vs.frames or 0)
        if count <= 0:
            count = sum(1 for _ in _decode_video(path))
        if count <= 0:
            raise PlayerError(Code.SOURCE_UNREADABLE, f"source {path} has no video frames")
        w, h = int(vs.codec_context.width), int(vs.codec_context.height)
        return fps, count, w, h, bool(container.streams.audio)
    finally:
        container.close()


def _decode_video(path: Path) -> Iterator[av.VideoFrame]:
    container = _open(path)
    try:
        stream = container.streams.video[0]
        # Slice threads only: a frame-threaded decoder abandoned mid-stream (the
        # caller stops once it has enough frames) can deadlock in
        # avcodec_free_context while its worker threads wait for input.
        stream.thread_type = "SLICE"
        yield from container.decode(stream)
    except av.FFmpegError as exc:
        raise PlayerError(Code.SOURCE_UNREADABLE, f"cannot decode {path}: {exc}") from exc
    finally:
        container.close()


def _decode_audio(path: Path) -> Iterator[av.AudioFrame]:
    container = _open(path)
    try:
        yield from container.decode(container.streams.audio[0])
    except av.FFmpegError as exc:
        raise PlayerError(Code.SOURCE_UNREADABLE, f"cannot decode {path}: {exc}") from exc
    finally:
        container.close()


def resampled(frames: Iterator[av.AudioFrame]) -> Iterator[np.ndarray]:
    """Audio as float32 ``(2, n)`` stereo blocks at :data:`AUDIO_RATE`."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    for frame in frames:
        frame.pts = None
        for out in resampler.resample(frame):
            yield out.to_ndarray().astype(np.float32, copy=False)
    for out in resampler.resample(None):
        yield out.to_ndarray().astype(np.float32, copy=False)


def exact_samples(blocks: Iterator[np.ndarray], total: int) -> Iterator[np.ndarray]:
    """Exactly ``total`` samples of ``blocks``: cut when longer, padded with silence."""
    left = total
    for block in blocks:
        if left <= 0:
            break
        block = block[:, :left]
        left -= block.shape[1]
        yield block
    if left > 0:
        yield np.zeros((2, left), dtype=np.float32)


def blocks_to_frames(blocks: Iterator[np.ndarray]) -> Iterator[av.AudioFrame]:
    """Float32 stereo blocks at :data:`AUDIO_RATE` as PyAV audio frames."""
    for block in blocks:
        if block.shape[1] == 0:
            continue
        frame = av.AudioFrame.from_ndarray(
            np.ascontiguousarray(block, dtype=np.float32), format="fltp", layout="stereo"
        )
        frame.sample_rate = AUDIO_RATE
        yield frame


def tone(seconds: float) -> Callable[[], Iterator[av.AudioFrame]]:
    """A generated test tone: 440 Hz with a slow tremolo, -12 dBFS, stereo."""

    def frames() -> Iterator[av.AudioFrame]:
        total = round(seconds * AUDIO_RATE)
        block = 4800
        for start in range(0, total, block):
            t = np.arange(start, min(total, start + block), dtype=np.float64) / AUDIO_RATE
            env = 0.25 * (0.75 + 0.25 * np.sin(2 * np.pi * 0.5 * t))
            left = env * np.sin(2 * np.pi * 440.0 * t)
            right = env * np.sin(2 * np.pi * 660.0 * t)
            yield from blocks_to_frames(iter([np.stack([left, right]).astype(np.float32)]))

    return frames


def open_file_source(
    path: str | Path,
    *,
    duration: float | None = None,
    loop: bool = False,
    audio: str = "auto",
    language: str = "und",
) -> Source:
    """A media file as a :class:`Source`.

    ``duration`` cuts the title (with ``loop`` the clip repeats until it is reached);
    ``audio`` is ``auto`` (the file's first audio stream, if any), ``tone`` (a generated
    tone), or ``none``.
    """
    src = Path(path)
    if not src.is_file():
        raise PlayerError(Code.SOURCE_UNREADABLE, f"no such source file: {src}")
    fps, clip_frames, width, height, has_audio = probe(src)
    if duration is not None and (not math.isfinite(duration) or duration <= 0):
        raise PlayerError(Code.INVALID_ARGUMENT, f"duration must be positive, got {duration}")
    if duration is None:
        total = clip_frames
    else:
        total = max(1, round(duration * fps))
        if not loop:
            total = min(total, clip_frames)
    clip_seconds = float(clip_frames / fps)

    def video_frames() -> Iterator[av.VideoFrame]:
        produced = 0
        while produced < total:
            before = produced
            for frame in _decode_video(src):
                if produced >= total or produced - before >= clip_frames:
                    break
                yield frame
                produced += 1
            if produced == before:
                raise PlayerError(Code.SOURCE_UNREADABLE, f"source {src} yielded no frames")

    def file_audio() -> Iterator[av.AudioFrame]:
        # Each pass of the loop gives exactly one clip's worth of sound, so picture and
        # sound stay together however often the clip repeats.
        per_pass = round(clip_seconds * AUDIO_RATE)
        passes = math.ceil(total / clip_frames)
        for _ in range(passes):
            yield from blocks_to_frames(exact_samples(resampled(_decode_audio(src)), per_pass))

    audio_inputs: tuple[AudioInput, ...] = ()
    if audio == "tone":
        audio_inputs = (AudioInput(language, "Tone", tone(float(total / fps))),)
    elif audio == "auto" and has_audio:
        audio_inputs = (AudioInput(language, "Main", file_audio),)
    elif audio not in {"auto", "none", "tone"}:
        raise PlayerError(Code.INVALID_ARGUMENT, f"audio must be auto, tone or none: {audio!r}")
    return Source(fps, total, width, height, video_frames, audio_inputs)
