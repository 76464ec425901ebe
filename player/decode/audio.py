"""Audio: segments of one track in, continuous PCM in the output's format out."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from av.audio.frame import AudioFrame

from player.decode._codec import SegmentRef, StreamDecoder, check_segment
from player.decode.keys import KeyCheck, normalize_keys
from player.errors import Code, PlayerError

_LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1", 8: "7.1"}
_PACKED = {"s16": np.int16, "s32": np.int32, "flt": np.float32}
# Timestamps this close (seconds) are continuous; AAC frames are sample-exact.
_TOLERANCE = 0.0005


@dataclass(frozen=True, slots=True)
class AudioFormat:
    """The PCM an audio output plays: interleaved samples, ``rate`` Hz, ``channels``."""

    rate: int = 48000
    channels: int = 2
    sample_format: str = "s16"  # packed: "s16", "s32" or "flt"

    def __post_init__(self) -> None:
        if self.sample_format not in _PACKED:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"audio sample format {self.sample_format!r}: use one of {sorted(_PACKED)}",
            )
        if self.channels not in _LAYOUTS or not 8000 <= self.rate <= 192000:
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"audio output {self.rate} Hz x {self.channels} channels is not supported",
            )

    @property
    def layout(self) -> str:
        """The FFmpeg channel layout name (``"stereo"``)."""
        return _LAYOUTS[self.channels]

    @property
    def bytes_per_frame(self) -> int:
        """Bytes of one sample frame (one sample of every channel)."""
        return int(np.dtype(_PACKED[self.sample_format]).itemsize) * self.channels

    @property
    def dtype(self) -> np.dtype[Any]:
        """The numpy dtype of one sample."""
        return np.dtype(_PACKED[self.sample_format])


@dataclass(frozen=True, slots=True)
class AudioBlock:
    """Interleaved PCM starting at presentation time ``pts``; ``frames`` sample frames."""

    pts: float
    pcm: bytes
    frames: int
    representation_id: str


class AudioDecoder:
    """Decodes the successive segments of one audio track into gapless PCM.

    One decoder is kept across segments (AAC overlaps each frame with the previous one:
    a fresh decoder per segment would click at every boundary). At a quality switch the
    new rung's decoder is primed with the last packet of the old one, when the two share
    codec, rate and channels, so its first frame overlaps real audio instead of silence.
    Timestamps are checked frame by frame: an overlap is trimmed and a gap filled with
    silence, so the sample count out is the duration in. ``av.AudioResampler`` converts to
    :class:`AudioFormat`.
    """

    def __init__(self, format: AudioFormat | None = None, *, keys: KeyCheck | None = None) -> None:
        self.format = format or AudioFormat()
        self._keys = keys or KeyCheck()
        self._dec: StreamDecoder | None = None
        self._resampler: av.AudioResampler | None = None
        self._resampler_in: tuple[str, str, int] | None = None
        self._next_in: float | None = None  # expected pts of the next decoded frame
        self._out_pts: float | None = None  # pts of the next output sample
        self._start: float | None = None
        self._rep = ""
        #: Samples trimmed (overlaps) and inserted (gaps), at the input rate.
        self.trimmed_samples = 0
        self.inserted_samples = 0
        #: Switches where the new decoder was primed with the old rung's last packet.
        self.primed_switches = 0

    def decode(
        self,
        init: bytes,
        media: bytes,
        *,
        keys: Mapping[str, str] | None = None,
        representation_id: str = "",
        number: int = -1,
        discontinuity: bool = False,
    ) -> Iterator[AudioBlock]:
        """Decode one media segment into PCM blocks (checks run before any decoding)."""
        ref = SegmentRef(representation_id, number)
        check_segment(init, media, ref)
        options = self._keys.options(
            init, normalize_keys(keys or {}), representation_id=representation_id
        )
        return self._run(init, media, options, ref, discontinuity)

    def _run(
        self,
        init: bytes,
        media: bytes,
        options: dict[str, str],
        ref: SegmentRef,
        discontinuity: bool,
    ) -> Iterator[AudioBlock]:
        old = self._dec
        prime = None
        if old is not None and (discontinuity or not old.same_rung(init, ref)):
            if not discontinuity:
                prime = old
            yield from self._drain_decoder()
            if discontinuity:
                yield from self._flush_resampler()
                self._next_in = self._out_pts = None
        if self._dec is None:
            dec = StreamDecoder("audio", init, media, ref, 1)
            if (
                prime is not None
                and prime.last_packet is not None
                and (prime.codec_name, prime.sample_rate, prime.channels)
                == (dec.codec_name, dec.sample_rate, dec.channels)
            ):
                # Its output is the old rung's last frame without overlap: discard it.
                try:
                    dec.decode(prime.last_packet, ref)
                    self.primed_switches += 1
                except PlayerError:
                    pass
            self._dec = dec
        dec = self._dec
        for packet in dec.packets(media, options, ref):
            for frame in dec.decode(packet, ref):
                yield from self._accept(frame, dec)

    def drain(self) -> Iterator[AudioBlock]:
        """Flush decoder and resampler (end of stream)."""
        yield from self._drain_decoder()
        yield from self._flush_resampler()

    def reset(self, position: float | None = None) -> None:
        """Forget all state (a seek); samples before ``position`` are cut."""
        if self._dec is not None:
            self._dec.close()
        self._dec = None
        self._resampler = None
        self._resampler_in = None
        self._next_in = self._out_pts = None
        self._start = position

    def close(self) -> None:
        """Release the decoder."""
        self.reset()

    def _drain_decoder(self) -> Iterator[AudioBlock]:
        dec, self._dec = self._dec, None
        if dec is None:
            return
        try:
            for frame in dec.decode(None, dec.ref):
                yield from self._accept(frame, dec)
        finally:
            dec.close()

    def _accept(self, frame: object, dec: StreamDecoder) -> Iterator[AudioBlock]:
        if not isinstance(frame, AudioFrame) or frame.samples <= 0:
            return
        rate = frame.sample_rate or dec.sample_rate
        tb = frame.time_base or dec.time_base
        pts = float(frame.pts * tb) if frame.pts is not None else self._next_in
        if pts is None:
            pts = 0.0
        n = frame.samples
        end = pts + n / rate
        cut_before = self._next_in
        if self._start is not None and (cut_before is None or self._start > cut_before):
            cut_before = self._start
        if cut_before is not None and pts < cut_before - _TOLERANCE:
            # An overlap with what was already output (a switch), or before a seek target.
            if self._next_in is not None and self._next_in > pts:
                self.trimmed_samples += min(n, round((self._next_in - pts) * rate))
            drop = round((cut_before - pts) * rate)
            if drop >= n:
                return
            frame = _slice(frame, drop)
            pts += drop / rate
        elif self._next_in is not None and pts > self._next_in + _TOLERANCE:
            gap = round((pts - self._next_in) * rate)
            self.inserted_samples += gap
            yield from self._resample(_silence(frame, gap), dec, self._next_in)
        self._next_in = end
        yield from self._resample(frame, dec, pts)

    def _resample(self, frame: AudioFrame, dec: StreamDecoder, pts: float) -> Iterator[AudioBlock]:
        key = (frame.format.name, frame.layout.name, frame.sample_rate)
        if self._resampler is None or key != self._resampler_in:
            yield from self._flush_resampler()
            fmt = self.format
            self._resampler = av.AudioResampler(
                format=fmt.sample_format, layout=fmt.layout, rate=fmt.rate
            )
            self._resampler_in = key
        if self._out_pts is None:
            self._out_pts = pts
        frame.pts = None  # our own timeline; the filter graph needs none
        self._rep = dec.ref.representation_id
        for out in self._resampler.resample(frame):
            yield self._block(out)

    def _flush_resampler(self) -> Iterator[AudioBlock]:
        resampler, self._resampler = self._resampler, None
        self._resampler_in = None
        if resampler is None:
            return
        for out in resampler.resample(None):
            yield self._block(out)

    def _block(self, out: AudioFrame) -> AudioBlock:
        arr = out.to_ndarray()
        pcm = np.ascontiguousarray(arr, dtype=self.format.dtype).tobytes()
        frames = len(pcm) // self.format.bytes_per_frame
        pts = self._out_pts if self._out_pts is not None else 0.0
        self._out_pts = pts + frames / self.format.rate
        return AudioBlock(pts, pcm, frames, self._rep)


def _slice(frame: AudioFrame, drop: int) -> AudioFrame:
    """``frame`` without its first ``drop`` samples."""
    arr: Any = frame.to_ndarray()
    step = 1 if frame.format.is_planar else frame.layout.nb_channels
    out = AudioFrame.from_ndarray(
        np.ascontiguousarray(arr[:, drop * step :]),
        format=frame.format.name,
        layout=frame.layout.name,
    )
    out.sample_rate = frame.sample_rate
    return out


def _silence(like: AudioFrame, samples: int) -> AudioFrame:
    """``samples`` of silence in ``like``'s format (zero bytes are silence for float/signed)."""
    out = AudioFrame(format=like.format.name, layout=like.layout.name, samples=samples)
    out.sample_rate = like.sample_rate
    for plane in out.planes:
        plane.update(bytes(plane.buffer_size))
    return out
