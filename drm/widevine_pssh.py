"""The data of a Widevine PSSH box: the ``WidevinePsshData`` protobuf, by hand.

Only the protobuf wire format is needed (varints and length-delimited fields), so a
small codec here saves a protobuf dependency. Field numbers follow Widevine's
``widevine_pssh.proto`` as published with Shaka Packager; unknown fields are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from drm.errors import DrmCode, DrmError

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5
_MAX_FIELDS = 10_000

# field number -> (attribute, kind); kinds: bytes, str, int, and "rep" for repeated bytes
_FIELDS: dict[int, tuple[str, str]] = {
    1: ("algorithm", "int"),
    2: ("key_ids", "rep"),
    3: ("provider", "str"),
    4: ("content_id", "bytes"),
    5: ("track_type", "str"),
    6: ("policy", "str"),
    7: ("crypto_period_index", "int"),
    8: ("grouped_license", "bytes"),
    9: ("protection_scheme", "int"),
    10: ("crypto_period_seconds", "int"),
    11: ("type", "int"),
    12: ("key_sequence", "int"),
    13: ("group_ids", "rep"),
    15: ("video_feature", "str"),
}


@dataclass(frozen=True, slots=True)
class WidevinePsshData:
    """The fields of a Widevine PSSH's data (all optional, as in the protobuf).

    ``protection_scheme`` is the scheme's four-character code as a big-endian integer
    (:attr:`scheme` gives it as text); ``unknown`` keeps fields this codec does not name
    (such as entitled keys) as ``(field_number, wire_type, value)``.
    """

    key_ids: tuple[bytes, ...] = ()
    content_id: bytes | None = None
    provider: str | None = None
    policy: str | None = None
    track_type: str | None = None
    algorithm: int | None = None
    crypto_period_index: int | None = None
    grouped_license: bytes | None = None
    protection_scheme: int | None = None
    crypto_period_seconds: int | None = None
    type: int | None = None
    key_sequence: int | None = None
    group_ids: tuple[bytes, ...] = ()
    video_feature: str | None = None
    unknown: tuple[tuple[int, int, int | bytes], ...] = field(default=())

    @property
    def scheme(self) -> str | None:
        """The protection scheme as text (``"cenc"``, ``"cbcs"`` ...), or None."""
        if self.protection_scheme is None:
            return None
        return self.protection_scheme.to_bytes(4, "big").decode("latin-1")

    def to_bytes(self) -> bytes:
        """The protobuf encoding (fields in field-number order)."""
        out = bytearray()
        for number, (name, kind) in sorted(_FIELDS.items()):
            value = getattr(self, name)
            if kind == "rep":
                for item in value:
                    out += _key(number, _LEN) + _varint(len(item)) + item
            elif value is None:
                continue
            elif kind == "int":
                out += _key(number, _VARINT) + _varint(int(value))
            else:
                raw = value.encode("utf-8") if kind == "str" else bytes(value)
                out += _key(number, _LEN) + _varint(len(raw)) + raw
        for number, wire, item in self.unknown:
            out += _key(number, wire)
            if wire == _VARINT and isinstance(item, int):
                out += _varint(item)
            elif isinstance(item, bytes):
                out += (_varint(len(item)) + item) if wire == _LEN else item
        return bytes(out)


def scheme_fourcc(scheme: str) -> int:
    """A scheme name (``"cenc"``) as the integer ``protection_scheme`` stores."""
    return int.from_bytes(scheme.encode("latin-1")[:4].ljust(4, b" "), "big")


def parse_widevine_pssh_data(data: bytes) -> WidevinePsshData:
    """Decode a Widevine PSSH's data; malformed protobuf raises ``DrmError(PSSH_INVALID)``."""
    values: dict[str, object] = {}
    reps: dict[str, list[bytes]] = {"key_ids": [], "group_ids": []}
    unknown: list[tuple[int, int, int | bytes]] = []
    pos = 0
    count = 0
    data = bytes(data)
    while pos < len(data):
        count += 1
        if count > _MAX_FIELDS:
            _fail("too many fields")
        key, pos = _read_varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            _fail("field number 0")
        value: int | bytes
        if wire == _VARINT:
            value, pos = _read_varint(data, pos)
        elif wire == _LEN:
            size, pos = _read_varint(data, pos)
            if pos + size > len(data):
                _fail(f"field {number} runs past the end")
            value, pos = data[pos : pos + size], pos + size
        elif wire in (_I64, _I32):
            width = 8 if wire == _I64 else 4
            if pos + width > len(data):
                _fail(f"field {number} runs past the end")
            value, pos = data[pos : pos + width], pos + width
        else:
            _fail(f"unsupported wire type {wire}")
        known = _FIELDS.get(number)
        expected = _VARINT if known and known[1] == "int" else _LEN
        if known is None or wire != expected:
            unknown.append((number, wire, value))
            continue
        name, kind = known
        if kind == "rep":
            assert isinstance(value, bytes)
            reps[name].append(value)
        elif kind == "str":
            assert isinstance(value, bytes)
            try:
                values[name] = value.decode("utf-8")
            except UnicodeDecodeError:
                _fail(f"field {name} is not UTF-8")
        else:
            values[name] = value
    return WidevinePsshData(
        key_ids=tuple(reps["key_ids"]),
        group_ids=tuple(reps["group_ids"]),
        unknown=tuple(unknown),
        **values,  # type: ignore[arg-type]
    )


def _fail(why: str) -> None:
    raise DrmError(DrmCode.PSSH_INVALID, f"malformed Widevine PSSH data: {why}")


def _read_varint(data: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    for i in range(10):
        if pos + i >= len(data):
            break
        byte = data[pos + i]
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos + i + 1
        shift += 7
    _fail("truncated or overlong varint")
    raise AssertionError  # unreachable: _fail raises


def _varint(value: int) -> bytes:
    if value < 0:
        value &= (1 << 64) - 1  # protobuf encodes negative int32/64 as 10-byte varints
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)
