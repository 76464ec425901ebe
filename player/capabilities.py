"""Which codecs this machine can decode, from RFC 6381 codec strings.

A representation is only ever chosen when every codec in its ``codecs`` string maps to a
decoder PyAV can open (``av.codec.Codec(name, "r")``). Results are cached per family.
Where a title offers several video codecs, :func:`preference_rank` orders them by the
configured preference (most efficient first by default: AV1, HEVC, VP9, H.264).

Text codecs (WebVTT, TTML) are not decoded by PyAV and are always accepted. PyAV is
imported lazily, so the engine can run in the simulator without it; without PyAV every
known family is assumed decodable.
"""

from __future__ import annotations

import functools

__all__ = [
    "DEFAULT_CODEC_PREFERENCE",
    "can_decode",
    "codec_family",
    "decoder_for",
    "preference_rank",
]

#: Video codec families, most efficient first (the default ``codec_preference``).
DEFAULT_CODEC_PREFERENCE: tuple[str, ...] = ("av1", "hevc", "vp9", "avc", "vp8")

# RFC 6381 sample-entry prefix -> family.
_PREFIX_FAMILY: dict[str, str] = {
    "avc1": "avc",
    "avc2": "avc",
    "avc3": "avc",
    "avc4": "avc",
    "hvc1": "hevc",
    "hev1": "hevc",
    "vp09": "vp9",
    "vp9": "vp9",
    "vp08": "vp8",
    "vp8": "vp8",
    "av01": "av1",
    "dvh1": "dolby-vision",  # needs a Dolby Vision capable decoder; PyAV has none
    "dvhe": "dolby-vision",
    "dvav": "dolby-vision",
    "dva1": "dolby-vision",
    "ac-3": "ac3",
    "ec-3": "eac3",
    "ac-4": "ac4",
    "opus": "opus",
    "flac": "flac",
    "vorbis": "vorbis",
    "alac": "alac",
    "mp3": "mp3",
    "wvtt": "text",
    "stpp": "text",
    "webvtt": "text",
    "ttml": "text",
    "vtt": "text",
    "tx3g": "text",
}

# mp4a object type indication (hex) -> family (RFC 6381 section 3.3).
_MP4A_OTI: dict[str, str] = {
    "40": "aac",
    "66": "aac",
    "67": "aac",
    "68": "aac",
    "69": "mp3",
    "6b": "mp3",
    "a5": "ac3",
    "a6": "eac3",
    "ad": "opus",
}

# Family -> FFmpeg decoder names to try, in order. FFmpeg's native "av1" decoder only
# drives hardware, so software AV1 needs dav1d or libaom.
_FAMILY_DECODERS: dict[str, tuple[str, ...]] = {
    "avc": ("h264",),
    "hevc": ("hevc",),
    "vp9": ("vp9", "libvpx-vp9"),
    "vp8": ("vp8", "libvpx"),
    "av1": ("libdav1d", "libaom-av1"),
    "aac": ("aac",),
    "mp3": ("mp3float", "mp3"),
    "ac3": ("ac3",),
    "eac3": ("eac3",),
    "opus": ("opus", "libopus"),
    "flac": ("flac",),
    "vorbis": ("vorbis",),
    "alac": ("alac",),
}


def codec_family(codec: str) -> str:
    """The family of one RFC 6381 codec string (``"avc1.64001f"`` -> ``"avc"``);
    ``"unknown"`` when not recognised."""
    c = codec.strip().lower()
    prefix, _, rest = c.partition(".")
    if prefix == "mp4a":
        oti = rest.partition(".")[0]
        return _MP4A_OTI.get(oti, "aac" if not oti else "unknown")
    if prefix.startswith("stpp"):
        return "text"
    return _PREFIX_FAMILY.get(prefix, "unknown")


@functools.lru_cache(maxsize=64)
def _decoder_for_family(family: str) -> str | None:
    if family == "text":
        return "text"
    names = _FAMILY_DECODERS.get(family)
    if not names:
        return None
    try:
        import av.codec
    except ImportError:  # simulator without PyAV: assume the family decodes
        return names[0]
    for name in names:
        try:
            av.codec.Codec(name, "r")
        except Exception:  # PyAV raises UnknownCodecError (a ValueError) when missing
            continue
        return name
    return None


def decoder_for(codec: str) -> str | None:
    """The FFmpeg decoder that would decode ``codec`` here, or None."""
    return _decoder_for_family(codec_family(codec))


@functools.lru_cache(maxsize=256)
def can_decode(codecs: str | None) -> bool:
    """True when every codec of a (comma-separated) codecs string can be decoded.

    None or an empty string (a manifest that does not say) is accepted: the decode path
    reports an unsupported codec when it meets one.
    """
    if not codecs:
        return True
    return all(decoder_for(c) is not None for c in codecs.split(",") if c.strip())


def preference_rank(codecs: str | None, preference: tuple[str, ...]) -> int:
    """Position of the codecs string's video family in ``preference`` (lower is better);
    ``len(preference)`` when it is not listed or unknown."""
    if codecs:
        for c in codecs.split(","):
            fam = codec_family(c)
            if fam in preference:
                return preference.index(fam)
    return len(preference)
