"""xs:duration and xs:dateTime as MPDs and playlists write them, parsed exactly.

Durations come back as :class:`fractions.Fraction` seconds so that segment counts
(``ceil(period * timescale / duration)``) are exact; callers convert to float at the
edge of the model.
"""

from __future__ import annotations

import calendar
import re
from fractions import Fraction

_DURATION = re.compile(
    r"^(?P<sign>-)?P(?:(?P<Y>\d+(?:\.\d+)?)Y)?(?:(?P<M>\d+(?:\.\d+)?)M)?"
    r"(?:(?P<W>\d+(?:\.\d+)?)W)?(?:(?P<D>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
# A year is 365 days and a month 30 days, as DASH players count them.
_UNIT_SECONDS = {
    "Y": 365 * 86400,
    "M": 30 * 86400,
    "W": 7 * 86400,
    "D": 86400,
    "h": 3600,
    "m": 60,
    "s": 1,
}
_DATETIME = re.compile(
    r"^(?P<y>-?\d{4,})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[T ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?P<f>\.\d+)?)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_duration(text: str) -> Fraction | None:
    """Seconds in an ISO 8601 duration (``PT1H2M3.5S``), or None if it is not one.

    Negative durations are refused (None): no MPD attribute may be negative.
    """
    text = text.strip()
    if len(text) > 100:
        return None
    m = _DURATION.match(text)
    if m is None or m.group("sign") or text in ("P", "PT") or text.endswith("T"):
        return None
    total = Fraction(0)
    for unit, seconds in _UNIT_SECONDS.items():
        value = m.group(unit)
        if value is not None:
            total += Fraction(value) * seconds
    return total


def parse_datetime(text: str) -> Fraction | None:
    """POSIX seconds of an xs:dateTime (no zone means UTC), or None if it is not one."""
    text = text.strip()
    if len(text) > 60:
        return None
    m = _DATETIME.match(text)
    if m is None:
        return None
    try:
        year, month, day = int(m.group("y")), int(m.group("mo")), int(m.group("d"))
        hour = int(m.group("h") or 0)
        minute = int(m.group("mi") or 0)
        second = int(m.group("s") or 0)
        if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 24 and minute < 60):
            return None
        if second > 60 or not (-9999 <= year <= 9999):
            return None
        whole = calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))
    except (ValueError, OverflowError):
        return None
    value = Fraction(whole)
    if m.group("f"):
        value += Fraction(m.group("f"))
    tz = m.group("tz")
    if tz and tz != "Z":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        value -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    return value


def parse_decimal(text: str) -> Fraction | None:
    """An exact decimal number (``"29.97"``, ``"1e3"``), or None if it is not one."""
    text = text.strip()
    if len(text) > 60 or not _DECIMAL.match(text):
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None
