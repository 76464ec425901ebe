"""One persistent PyAV decoder fed the packets of successive segments of one track.

A fresh decoder per segment would restart AAC's overlap (a click and a sample gap at every
boundary) and drain frame threads for nothing; so packets of every segment are demuxed in
their own small container (``init + media``, where the demuxer applies decryption) and fed
to one codec context, kept until the init segment changes (a quality switch) or a seek.
Every ``av.error`` is wrapped here into a :class:`PlayerError` of the MEDIA category.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Literal

import av
import av.error
import av.logging
from av.audio.codeccontext import AudioCodecContext
from av.audio.frame import AudioFrame
from av.container import InputContainer
from av.packet import Packet
from av.video.codeccontext import VideoCodecContext
from av.video.frame import VideoFrame as AvVideoFrame

from player.decode._segments import check_init, check_media
from player.errors import Code, PlayerError

Kind = Literal["video", "audio"]
# A segment's container is opened to demux its packets only (the codec parameters come
# from the template): av.open's stream analysis would decode frames (a 1080p keyframe:
# ~20 ms per 2 s segment, a sixth of its decode time) that are then thrown away. Options
# for up to 8 streams (an MPEG-TS segment carries several); extra entries are ignored.
_DEMUX_ONLY: list[dict[str, str]] = [{"skip_frame": "all"}] * 8
_TS_PACKET = 188


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """Where a segment comes from, for error messages and ``PlayerError.data``."""

    representation_id: str
    number: int


def _detail(ref: SegmentRef) -> dict[str, object]:
    return {"representation_id": ref.representation_id, "number": ref.number}


def check_segment(init: bytes, media: bytes, ref: SegmentRef) -> None:
    """Structural checks before demuxing: fMP4 boxes, or whole MPEG-TS packets."""
    if init:
        check_init(init, representation_id=ref.representation_id)
        check_media(media, representation_id=ref.representation_id, number=ref.number)
        return
    # Init-less media: MPEG-TS (HLS) is the one format we accept without an init segment.
    whole = len(media) % _TS_PACKET == 0 and media[::_TS_PACKET] == b"\x47" * (
        len(media) // _TS_PACKET
    )
    if not media or not whole:
        raise PlayerError(
            Code.CORRUPT_SEGMENT,
            f"segment {ref.number} of {ref.representation_id!r} has no init segment and is "
            "not whole MPEG-TS",
            recoverable=True,
            data=_detail(ref),
        )


def open_container(
    data: bytes, options: dict[str, str], ref: SegmentRef, *, demux_only: bool = False
) -> InputContainer:
    """``av.open`` on bytes, with errors as ``CORRUPT_SEGMENT``; ``demux_only``: its
    packets will be read, never decoded by its own streams (see ``_DEMUX_ONLY``)."""
    # PyAV's stub types stream_options as list[str]; av.open takes a dict per stream.
    per_stream: Any = _DEMUX_ONLY if demux_only else None
    try:
        return av.open(io.BytesIO(data), mode="r", options=options, stream_options=per_stream)
    except av.error.FFmpegError as exc:
        raise PlayerError(
            Code.CORRUPT_SEGMENT,
            f"segment {ref.number} of {ref.representation_id!r} cannot be demuxed: {exc}",
            recoverable=True,
            data=_detail(ref),
        ) from None


class StreamDecoder:
    """A codec context for one rung (one init segment) of a video or audio track."""

    def __init__(
        self, kind: Kind, init: bytes, first_media: bytes, ref: SegmentRef, threads: int
    ) -> None:
        self.kind: Kind = kind
        self.init = init
        self.ref = ref
        # The container that supplied the codec parameters must outlive the context.
        source = init if init else first_media
        self._template = open_container(source, {}, ref)
        streams = self._template.streams.video if kind == "video" else self._template.streams.audio
        if not streams:
            self._template.close()
            raise PlayerError(
                Code.INIT_SEGMENT_INVALID,
                f"{ref.representation_id!r} has no {kind} stream",
                recoverable=False,
                data=_detail(ref),
            )
        stream = streams[0]
        self.stream_index = stream.index
        self.time_base: Fraction = stream.time_base or Fraction(1, 90000)
        self.frame_rate: Fraction | None = None
        if kind == "video":
            self.frame_rate = stream.average_rate or stream.guessed_rate or None
        ctx = stream.codec_context
        if ctx is None:
            self._template.close()
            raise PlayerError(
                Code.UNSUPPORTED_CODEC,
                f"no decoder for the {kind} codec of {ref.representation_id!r}",
                data=_detail(ref),
            )
        self.codec_name = ctx.name
        if kind == "video":
            # Frame and slice threads: PyAV releases the GIL while FFmpeg decodes. But
            # frame threads only while PyAV's Python log callback is off (its default):
            # with it on, a frame worker that logs waits for the GIL while the thread
            # freeing the codec context (PyAV's dealloc holds the GIL) waits for that
            # worker, a deadlock.
            ctx.thread_type = "AUTO" if av.logging.get_level() is None else "SLICE"
            ctx.thread_count = threads
        if not isinstance(ctx, (VideoCodecContext, AudioCodecContext)):
            self._template.close()
            raise PlayerError(
                Code.UNSUPPORTED_CODEC,
                f"{ref.representation_id!r}: {ctx.name} is not a {kind} codec",
                data=_detail(ref),
            )
        self.ctx: VideoCodecContext | AudioCodecContext = ctx
        self.sample_rate = getattr(ctx, "sample_rate", 0) or 0
        self.channels = getattr(ctx, "channels", 0) or 0
        try:
            ctx.open(strict=False)
        except av.error.FFmpegError as exc:
            self._template.close()
            raise PlayerError(
                Code.UNSUPPORTED_CODEC,
                f"cannot open the {self.codec_name} decoder for {ref.representation_id!r}: {exc}",
                data=_detail(ref),
            ) from None
        self.last_packet: Packet[Any] | None = None

    def same_rung(self, init: bytes, ref: SegmentRef) -> bool:
        """Whether a segment with ``init`` continues this decoder's rung (else: a switch)."""
        if init or self.init:
            return init == self.init
        return ref.representation_id == self.ref.representation_id  # init-less (MPEG-TS)

    def packets(self, media: bytes, options: dict[str, str], ref: SegmentRef) -> list[Packet[Any]]:
        """Demux one segment's packets of this track (decrypted when ``options`` say so)."""
        container = open_container(self.init + media, options, ref, demux_only=True)
        try:
            streams = container.streams.video if self.kind == "video" else container.streams.audio
            if not streams:
                raise PlayerError(
                    Code.CORRUPT_SEGMENT,
                    f"segment {ref.number} of {ref.representation_id!r} has no {self.kind} stream",
                    recoverable=True,
                    data=_detail(ref),
                )
            out = [p for p in container.demux(streams[0]) if p.size > 0]
        except av.error.FFmpegError as exc:
            raise PlayerError(
                Code.CORRUPT_SEGMENT,
                f"segment {ref.number} of {ref.representation_id!r} cannot be demuxed: {exc}",
                recoverable=True,
                data=_detail(ref),
            ) from None
        finally:
            container.close()
        if not out:
            raise PlayerError(
                Code.CORRUPT_SEGMENT,
                f"segment {ref.number} of {ref.representation_id!r} holds no {self.kind} samples",
                recoverable=True,
                data=_detail(ref),
            )
        return out

    def decode(
        self, packet: Packet[Any] | None, ref: SegmentRef
    ) -> list[AvVideoFrame | AudioFrame]:
        """Feed one packet (None drains); errors are ``UNDECODABLE_FRAME``."""
        try:
            frames: list[AvVideoFrame] | list[AudioFrame] = self.ctx.decode(packet)
        except av.error.FFmpegError as exc:
            raise PlayerError(
                Code.UNDECODABLE_FRAME,
                f"{self.codec_name} cannot decode a frame of segment {ref.number} of "
                f"{ref.representation_id!r}: {exc}",
                recoverable=True,
                data=_detail(ref),
            ) from None
        if packet is not None:
            self.last_packet = packet
        return [f for f in frames if isinstance(f, (AvVideoFrame, AudioFrame))]

    def close(self) -> None:
        """Release the decoder and its template container."""
        self._template.close()
