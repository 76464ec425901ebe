"""Whether a content key is the right one: decode the first sample with it and see.

A license carries no check value for its keys and AES-CTR "decrypts" with any key, so a
wrong key (right KID, wrong bytes) only shows in the decoder: FFmpeg's demuxer hands on
random bytes, and with its default error concealment the H.264 decoder still turns some
of them into pictures (2 or 3 garbage frames per 2 s segment here, and about one random
key in eight gets the first IDR picture through without any error).

The reliable signal is the decoder at its strictest: with ``err_detect=explode`` FFmpeg
returns an error for the first damaged slice or AAC element instead of concealing it.
A single sample is not enough: on the test title (``cenc``, H.264 144p and 360p,
AAC-LC) about one random wrong key in 40 decoded the first sample without an error. So before
the first media of a KID reaches a decoding sink, :func:`verify_content_keys` decodes the
first samples of that segment (up to a few dozen per stream) with the key under
``explode`` on a private decoder: frames and no error mean the key is right, an error or
no frame means it is not. The check is as
strong as the codec's own error detection (H.264, HEVC and AAC check a lot; VP9 and AV1
less), and it costs one small decode per KID.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import av
import av.error
from av.audio.codeccontext import AudioCodecContext
from av.video.codeccontext import VideoCodecContext

from player.errors import Code, PlayerError

__all__ = ["verify_content_keys"]

# Samples decoded per stream (or the whole segment, if shorter). One strict decode of a
# wrong key's output gets through now and then (about one random key in 40 for a single
# AAC or H.264 sample); every further sample is another chance for the decoder to refuse
# it, so checking a few dozen makes a wrong key that slips through vanishingly rare, for a
# small decode once per KID.
_CHECK_PACKETS = 24


def verify_content_keys(
    init: bytes,
    media: bytes,
    keys: Mapping[str, str],
    *,
    representation_id: str = "",
    number: int = 0,
) -> bool:
    """Check that ``keys`` (``{kid_hex: key_hex}``) decrypt the first samples of ``init``
    + ``media`` (up to ``_CHECK_PACKETS`` per stream). Returns True when they decode to
    frames, False when the segment could not be demuxed at all (not a key problem: the
    decode path reports it), and raises
    ``PlayerError(DECRYPTION_FAILED)`` when the decoder rejects what the key decrypted.

    Blocking (it decodes): call it from a worker thread.
    """
    options = {"decryption_keys": ":".join(f"{k}={v}" for k, v in keys.items())}
    try:
        container = av.open(io.BytesIO(init + media), mode="r", options=options)
    except (av.error.FFmpegError, ValueError, OSError):
        return False
    try:
        decoders: dict[int, VideoCodecContext | AudioCodecContext] = {}
        for video in container.streams.video:
            decoders[video.index] = video.codec_context
        for audio in container.streams.audio:
            decoders[audio.index] = audio.codec_context
        if not decoders:
            return False
        for ctx in decoders.values():
            ctx.options = {"err_detect": "explode"}  # refuse damage instead of concealing it
            ctx.thread_type = "NONE"  # one frame in, one frame out: no frame-thread delay
        fed = dict.fromkeys(decoders, 0)
        frames = dict.fromkeys(decoders, 0)

        def settled() -> bool:
            return all(fed[i] >= _CHECK_PACKETS for i in fed)

        try:
            for packet in container.demux(*(container.streams[i] for i in decoders)):
                i = packet.stream.index
                if packet.size == 0 or fed[i] >= _CHECK_PACKETS:
                    continue
                fed[i] += 1
                try:
                    frames[i] += len(decoders[i].decode(packet))
                except av.error.FFmpegError as exc:
                    raise _wrong_key(keys, representation_id, number, repr(exc)) from None
                if settled():
                    break
        except av.error.FFmpegError:
            return False  # demuxing failed: a damaged segment, reported by the decode path
        for i, ctx in decoders.items():
            if not fed[i]:
                continue
            try:
                frames[i] += len(ctx.decode(None))
            except av.error.FFmpegError as exc:
                raise _wrong_key(keys, representation_id, number, repr(exc)) from None
            if not frames[i]:
                raise _wrong_key(keys, representation_id, number, "no frame decoded")
        return any(fed.values())  # no sample at all: nothing was checked
    finally:
        container.close()


def _wrong_key(
    keys: Mapping[str, str], representation_id: str, number: int, why: str
) -> PlayerError:
    kids = sorted(keys)
    return PlayerError(
        Code.DECRYPTION_FAILED,
        f"the content key for KID {', '.join(kids)} does not decrypt segment {number} of "
        f"{representation_id!r} (the decoder rejects the result: {why}); the license holds "
        "a wrong key",
        data={"representation_id": representation_id, "number": number, "key_ids": kids},
    )
