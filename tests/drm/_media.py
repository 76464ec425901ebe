"""Tiny real test content for the DRM tests: encoded and encrypted with PyAV.

64x48 H.264 at 10 fps, 20 frames, fragmented MP4 (a keyframe every 5 frames), so each
test title is a few kilobytes and takes milliseconds to make.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from drm._boxes import iter_boxes

KEY_HEX = "00112233445566778899aabbccddeeff"
KID_HEX = "0123456789abcdef0123456789abcdef"


@dataclass(frozen=True)
class Title:
    """An MP4 title split as a player fetches it: the init segment and the media."""

    init: bytes
    media: bytes

    @property
    def whole(self) -> bytes:
        return self.init + self.media


def encode_title(*, kid_hex: str | None = None, key_hex: str | None = None) -> Title:
    """A 2 s 64x48 H.264 fMP4 clip; encrypted with ``cenc`` when a key is given."""
    buf = io.BytesIO()
    opts = {"movflags": "frag_keyframe+empty_moov+default_base_moof"}
    if key_hex is not None and kid_hex is not None:
        opts |= {
            "encryption_scheme": "cenc-aes-ctr",
            "encryption_key": key_hex,
            "encryption_kid": kid_hex,
        }
    out = av.open(buf, "w", format="mp4", options=opts)
    stream = out.add_stream("libx264", rate=10)
    stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
    stream.options = {"preset": "ultrafast", "g": "5"}
    for i in range(20):
        img = np.zeros((48, 64, 3), np.uint8)
        img[:, :, 0] = (i * 12) % 256
        img[10:20, i : i + 10, 1] = 255
        for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
            out.mux(packet)
    for packet in stream.encode():
        out.mux(packet)
    out.close()
    data = buf.getvalue()
    split = next(b.end for b in iter_boxes(data) if b.type == b"moov")
    return Title(data[:split], data[split:])


def decode_frames(data: bytes, options: dict[str, str] | None = None) -> list[np.ndarray]:
    """Every video frame of an MP4, as RGB arrays."""
    with av.open(io.BytesIO(data), "r", options=options or {}) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
