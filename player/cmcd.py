"""Common Media Client Data (CTA-5004) on segment requests.

:func:`encode` serialises keys the way CTA-5004 says and dash.js and Shaka do: keys in
alphabetical order, comma separated; integers bare; strings in double quotes (with ``"``
and ``\\`` escaped); tokens (``ot``, ``sf``, ``st``) bare; ``True`` booleans as the key
alone and ``False`` ones left out; ``pr`` and ``v`` left out at their default of 1.
:func:`query` gives the ``CMCD`` query parameter (the fetcher percent-encodes it as
``encodeURIComponent`` does); :func:`headers` splits the keys over the four CMCD
headers. :func:`request_keys` builds the keys for one request from what the Player knows.

========  ==========================================  =========================
key       meaning                                     header
========  ==========================================  =========================
``br``    encoded bitrate, kbit/s                     CMCD-Object
``bl``    buffer length, ms (rounded to 100 ms)       CMCD-Request
``bs``    buffer starvation since the last request    CMCD-Status
``cid``   content id                                  CMCD-Session
``d``     object duration, ms                         CMCD-Object
``mtp``   measured throughput, kbit/s (to 100)        CMCD-Request
``nor``   next object request (relative URL)          CMCD-Request
``ot``    object type: m a v av i c tt k o            CMCD-Object
``pr``    playback rate                               CMCD-Session
``rtp``   requested max throughput, kbit/s (to 100)   CMCD-Status
``sf``    streaming format: d (DASH) h (HLS)          CMCD-Session
``sid``   session id                                  CMCD-Session
``st``    stream type: v (VOD) l (live)               CMCD-Session
``su``    startup (no frame shown yet, or rebuffer)   CMCD-Request
``tb``    top bitrate of the ladder, kbit/s           CMCD-Object
========  ==========================================  =========================
"""

from __future__ import annotations

import math
import posixpath
from collections.abc import Mapping
from urllib.parse import urlsplit

__all__ = ["HEADER_OF", "encode", "headers", "query", "relative_url", "request_keys"]

_TOKENS = frozenset({"ot", "sf", "st"})
_STRINGS = frozenset({"cid", "nor", "nrr", "sid"})

#: Which CMCD header carries each key (CTA-5004 section 4).
HEADER_OF: dict[str, str] = {
    "br": "CMCD-Object",
    "d": "CMCD-Object",
    "ot": "CMCD-Object",
    "tb": "CMCD-Object",
    "bl": "CMCD-Request",
    "dl": "CMCD-Request",
    "mtp": "CMCD-Request",
    "nor": "CMCD-Request",
    "nrr": "CMCD-Request",
    "su": "CMCD-Request",
    "bs": "CMCD-Status",
    "rtp": "CMCD-Status",
    "cid": "CMCD-Session",
    "pr": "CMCD-Session",
    "sf": "CMCD-Session",
    "sid": "CMCD-Session",
    "st": "CMCD-Session",
    "v": "CMCD-Session",
}

CmcdValue = int | float | str | bool


def _value(key: str, value: CmcdValue) -> str | None:
    if isinstance(value, bool):
        return "" if value else None
    if key in ("pr", "v") and value == 1:
        return None
    if key in _STRINGS:
        text = str(value).replace("\\", "\\\\").replace('"', '\\"')
        return f'"{text}"'
    if key in _TOKENS:
        return str(value)
    if isinstance(value, float):
        if key == "pr":
            return f"{value:g}"
        return str(round(value))
    return str(value)


def _pairs(keys: Mapping[str, CmcdValue | None]) -> list[str]:
    out = []
    for key in sorted(keys):
        raw = keys[key]
        if raw is None:
            continue
        v = _value(key, raw)
        if v is None:
            continue
        out.append(key if v == "" else f"{key}={v}")
    return out


def encode(keys: Mapping[str, CmcdValue | None]) -> str:
    """The CMCD payload: ``bl=21300,br=3200,d=4000,ot=v,sf=d,sid="6e2f...",su``."""
    return ",".join(_pairs(keys))


def query(keys: Mapping[str, CmcdValue | None]) -> dict[str, str]:
    """``{"CMCD": payload}`` for the fetcher's ``query`` (it percent-encodes the value)."""
    payload = encode(keys)
    return {"CMCD": payload} if payload else {}


def headers(keys: Mapping[str, CmcdValue | None]) -> dict[str, str]:
    """The payload split over CMCD-Object, -Request, -Session and -Status headers."""
    groups: dict[str, dict[str, CmcdValue | None]] = {}
    for key, value in keys.items():
        groups.setdefault(HEADER_OF.get(key, "CMCD-Request"), {})[key] = value
    out = {}
    for name, group in groups.items():
        payload = encode(group)
        if payload:
            out[name] = payload
    return out


def relative_url(target: str, base: str) -> str:
    """``target`` relative to ``base``'s directory when both share an origin (``nor``)."""
    t, b = urlsplit(target), urlsplit(base)
    if (t.scheme, t.netloc) != (b.scheme, b.netloc):
        return target
    rel = posixpath.relpath(t.path, posixpath.dirname(b.path) or "/")
    return rel + (f"?{t.query}" if t.query else "")


def _round_to(value: float, step: int) -> int:
    return int(step * round(value / step))


def request_keys(
    *,
    object_type: str,
    session_id: str,
    content_id: str | None = None,
    streaming_format: str | None = None,
    live: bool = False,
    bitrate_bps: int | None = None,
    top_bitrate_bps: int | None = None,
    duration_s: float | None = None,
    buffer_s: float | None = None,
    throughput_bps: float | None = None,
    starved: bool = False,
    startup: bool = False,
    next_url: str | None = None,
    playback_rate: float = 1.0,
    rtp_factor: float = 5.0,
) -> dict[str, CmcdValue | None]:
    """The keys for one request. ``rtp`` is ``rtp_factor`` x the object's bitrate (as
    dash.js's rtpSafetyFactor), rounded up to 100 kbit/s."""
    keys: dict[str, CmcdValue | None] = {
        "ot": object_type,
        "sid": session_id,
        "cid": content_id,
        "sf": streaming_format,
        "st": "l" if live else "v",
        "pr": playback_rate,
        "bs": starved,
        "su": startup,
    }
    if bitrate_bps is not None:
        keys["br"] = round(bitrate_bps / 1000)
        keys["rtp"] = int(100 * math.ceil(bitrate_bps * rtp_factor / 1000 / 100))
    if top_bitrate_bps is not None:
        keys["tb"] = round(top_bitrate_bps / 1000)
    if duration_s is not None:
        keys["d"] = round(duration_s * 1000)
    if buffer_s is not None:
        keys["bl"] = _round_to(buffer_s * 1000, 100)
    if throughput_bps is not None:
        keys["mtp"] = _round_to(throughput_bps / 1000, 100)
    if next_url is not None:
        keys["nor"] = next_url
    return keys
