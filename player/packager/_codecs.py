"""RFC 6381 ``codecs`` strings, read from the codec configuration in an init segment."""

from __future__ import annotations

from player.errors import Code, PlayerError
from player.packager._boxes import sample_entry


def codec_string(init: bytes) -> str:
    """The RFC 6381 codecs value (``avc1.64001f``, ``hvc1.1.6.L93.90``, ``vp09.00.21.08``,
    ``av01.0.04M.08``, ``mp4a.40.2``) of the track in an fMP4 init segment."""
    entry, children = sample_entry(init)
    if entry in {"encv", "enca"}:
        fmt = children.get("frma")
        if fmt is None:
            raise PlayerError(Code.INIT_SEGMENT_INVALID, "encrypted sample entry without frma")
        entry = fmt[:4].decode("latin-1")
    if entry in {"avc1", "avc3"} and "avcC" in children:
        c = children["avcC"]
        return f"{entry}.{c[1]:02x}{c[2]:02x}{c[3]:02x}"
    if entry in {"hvc1", "hev1"} and "hvcC" in children:
        return f"{entry}.{_hevc(children['hvcC'])}"
    if entry == "vp09" and "vpcC" in children:
        return "vp09." + _vp9(children["vpcC"])
    if entry == "av01" and "av1C" in children:
        return "av01." + _av1(children["av1C"])
    if entry == "mp4a" and "esds" in children:
        return _mp4a(children["esds"])
    if entry == "Opus":
        return "opus"
    raise PlayerError(Code.UNSUPPORTED_CODEC, f"no codecs string for sample entry {entry!r}")


def _hevc(c: bytes) -> str:
    space = (c[1] >> 6) & 3
    tier = (c[1] >> 5) & 1
    profile = c[1] & 0x1F
    compat = int.from_bytes(c[2:6], "big")
    reversed_compat = int(f"{compat:032b}"[::-1], 2)
    constraints = list(c[6:12])
    while constraints and constraints[-1] == 0:
        constraints.pop()
    parts = [
        ("", "A", "B", "C")[space] + str(profile),
        f"{reversed_compat:x}",
        ("H" if tier else "L") + str(c[12]),
        *(f"{b:x}" for b in constraints),
    ]
    return ".".join(parts)


def _vp9(c: bytes) -> str:
    # vpcC is a full box: 4 bytes of version/flags first.
    profile, level, packed = c[4], c[5], c[6]
    depth = packed >> 4
    chroma = (packed >> 1) & 7
    full_range = packed & 1
    primaries, transfer, matrix = c[7], c[8], c[9]
    return ".".join(
        f"{v:02d}" for v in (profile, level, depth, chroma, primaries, transfer, matrix, full_range)
    )


def _av1(c: bytes) -> str:
    profile = c[1] >> 5
    level = c[1] & 0x1F
    tier = "H" if c[2] >> 7 else "M"
    high_bitdepth = (c[2] >> 6) & 1
    twelve_bit = (c[2] >> 5) & 1
    depth = 12 if twelve_bit else (10 if high_bitdepth else 8)
    return f"{profile}.{level:02d}{tier}.{depth:02d}"


def _mp4a(esds: bytes) -> str:
    # Walk the MPEG-4 descriptors: ES_Descriptor (3) > DecoderConfig (4) > DecSpecific (5).
    data = esds[4:]
    pos = 0
    object_type = 0x40
    audio_object_type = 2
    while pos < len(data):
        tag = data[pos]
        pos += 1
        size = 0
        for _ in range(4):
            b = data[pos]
            pos += 1
            size = (size << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        if tag == 0x03:
            flags = data[pos + 2]
            pos += 3
            if flags & 0x80:
                pos += 2
            if flags & 0x40:
                pos += 1 + data[pos]
            if flags & 0x20:
                pos += 2
            continue
        if tag == 0x04:
            object_type = data[pos]
            pos += 13
            continue
        if tag == 0x05 and size:
            audio_object_type = data[pos] >> 3
            if audio_object_type == 31 and size > 1:
                audio_object_type = 32 + (((data[pos] & 7) << 3) | (data[pos + 1] >> 5))
        pos += size
    if object_type != 0x40:
        return f"mp4a.{object_type:x}"
    return f"mp4a.40.{audio_object_type}"
