"""ClearKey (``org.w3.clearkey``), complete: the CDM and its JSON messages (W3C EME 9.1).

License request: ``{"kids": [<b64url KID>...], "type": "temporary"}``. License: a JSON
Web Key Set ``{"keys": [{"kty": "oct", "k": <b64url key>, "kid": <b64url KID>}], "type":
...}``; base64url without padding throughout.

ClearKey itself carries no expiry, so abrkit documents an extension object that its
server sends and its CDM honours (docs/DRM.md)::

    "abrkit": {"issued_at": 1700000000, "expires_at": 1700003600,
               "playback_window_s": 172800, "renewal_interval_s": 600}

``expires_at`` may also be ISO 8601 text. A license release (``remove()`` of a
persistent-license session) is ``{"kids": [...], "type": "persistent-license",
"abrkit": {"release": true}}``; the server acknowledges with ``{"kids": [...]}``.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from drm._cdm import CdmKey, CdmUpdate, InitDataInfo, KeyStatus, SessionType
from drm.errors import DrmCode, DrmError
from drm.exchange import ClearKeyExchange, LicenseExchange
from drm.pssh import parse_pssh_list
from drm.systems import CLEARKEY, COMMON

KEY_SYSTEM = "org.w3.clearkey"
EXTENSION = "abrkit"
MAX_KEY_IDS = 64
_FORMAT = "abrkit-clearkey/1"


def b64url_encode(raw: bytes) -> str:
    """Base64url without padding, as EME's ClearKey messages use."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Decode base64url with or without padding; bad text raises ``ValueError``."""
    if not isinstance(text, str):
        raise ValueError("not a string")
    cleaned = text.strip()
    try:
        return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"{text!r} is not base64url") from exc


def license_request(key_ids: Sequence[bytes], session_type: str = "temporary") -> bytes:
    """The ClearKey license request message for ``key_ids``."""
    return json.dumps(
        {"kids": [b64url_encode(k) for k in key_ids], "type": str(session_type)},
        separators=(",", ":"),
    ).encode()


def build_license(
    keys: Mapping[bytes, bytes],
    session_type: str = "temporary",
    *,
    issued_at: float | None = None,
    expires_at: float | None = None,
    playback_window_s: float | None = None,
    renewal_interval_s: float | None = None,
) -> bytes:
    """A ClearKey license (JWK Set) for ``{kid: key}``, with the abrkit expiry extension."""
    body: dict[str, Any] = {
        "keys": [
            {"kty": "oct", "k": b64url_encode(v), "kid": b64url_encode(k)} for k, v in keys.items()
        ],
        "type": str(session_type),
    }
    ext = {
        name: value
        for name, value in (
            ("issued_at", issued_at),
            ("expires_at", expires_at),
            ("playback_window_s", playback_window_s),
            ("renewal_interval_s", renewal_interval_s),
        )
        if value is not None
    }
    if ext:
        body[EXTENSION] = ext
    return json.dumps(body, separators=(",", ":")).encode()


def parse_license_request(message: bytes) -> tuple[list[bytes], str, bool]:
    """``(kids, type, is_release)`` of a ClearKey request; ``ValueError`` if malformed."""
    try:
        doc = json.loads(message)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"request is not JSON: {exc}") from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("kids"), list):
        raise ValueError('request has no "kids" list')
    kids = [b64url_decode(k) for k in doc["kids"]]
    if not kids or len(kids) > MAX_KEY_IDS:
        raise ValueError(f"request lists {len(kids)} key ids")
    session_type = doc.get("type", "temporary")
    if session_type not in ("temporary", "persistent-license"):
        raise ValueError(f"unknown session type {session_type!r}")
    ext = doc.get(EXTENSION)
    release = isinstance(ext, dict) and ext.get("release") is True
    return kids, session_type, release


def key_ids_from_init_data(init_data_type: str, init_data: bytes) -> list[bytes]:
    """The KIDs ClearKey reads from init data of type ``cenc``, ``keyids`` or ``webm``."""
    kids: list[bytes] = []
    if init_data_type == "cenc":
        for box in parse_pssh_list(init_data):
            if box.system_id in (COMMON.system_id, CLEARKEY.system_id):
                kids.extend(k for k in box.key_ids if k not in kids)
        if not kids:
            raise DrmError(
                DrmCode.INIT_DATA_INVALID,
                "ClearKey needs a Common PSSH box (system 1077efec-...) listing key ids",
            )
    elif init_data_type == "keyids":
        try:
            kids, _, _ = parse_license_request(init_data)
        except ValueError as exc:
            raise DrmError(DrmCode.INIT_DATA_INVALID, f"bad keyids init data: {exc}") from None
    elif init_data_type == "webm":
        if not 1 <= len(init_data) <= 512:
            raise DrmError(DrmCode.INIT_DATA_INVALID, "webm init data is one key id")
        kids = [bytes(init_data)]
    else:
        raise DrmError(
            DrmCode.INIT_DATA_INVALID, f"ClearKey does not read init data type {init_data_type!r}"
        )
    if len(kids) > MAX_KEY_IDS:
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"{len(kids)} key ids in the init data")
    return kids


def _epoch(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError(f"{name} is not a time")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        stamp = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=dt.UTC)
        return stamp.timestamp()
    raise ValueError(f"{name} is not a time")


def _seconds(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ValueError(f"{name} is not a number of seconds")
    return float(value)


class ClearKeySession:
    """The ClearKey CDM side of one session."""

    def __init__(self, session_type: SessionType) -> None:
        self.session_type = session_type
        self.key_ids: list[bytes] = []
        self.license: bytes | None = None
        self._releasing = False

    def generate_request(self, init_data_type: str, init_data: bytes) -> tuple[InitDataInfo, bytes]:
        """Read the KIDs; the JSON license request."""
        self.key_ids = key_ids_from_init_data(init_data_type, bytes(init_data))
        info = InitDataInfo(init_data_type, tuple(self.key_ids))
        return info, license_request(self.key_ids, self.session_type)

    def renewal_message(self) -> bytes:
        """ClearKey renews by asking for the same keys again."""
        return license_request(self.key_ids, self.session_type)

    def release_message(self) -> bytes:
        """The license release of a persistent license."""
        self._releasing = True
        doc = json.loads(license_request(self.key_ids, self.session_type))
        doc[EXTENSION] = {"release": True}
        return json.dumps(doc, separators=(",", ":")).encode()

    def update(self, response: bytes) -> CdmUpdate:
        """Apply a JWK Set license, or the acknowledgement of a release."""
        try:
            doc = json.loads(bytes(response))
            if not isinstance(doc, dict):
                raise ValueError("not a JSON object")
            if self._releasing:
                if not isinstance(doc.get("kids"), list):
                    raise ValueError('release acknowledgement without "kids"')
                return CdmUpdate(released=True)
            update = self._parse_license(doc)
        except (ValueError, UnicodeDecodeError, TypeError, OverflowError) as exc:
            raise DrmError(
                DrmCode.LICENSE_RESPONSE_REJECTED, f"ClearKey license rejected: {exc}"
            ) from None
        self.license = bytes(response)
        return update

    def _parse_license(self, doc: dict[str, Any]) -> CdmUpdate:
        keys = doc.get("keys")
        if not isinstance(keys, list):
            raise ValueError('no "keys" list (a JSON Web Key Set)')
        ext = doc.get(EXTENSION) or {}
        if not isinstance(ext, dict):
            raise ValueError(f'"{EXTENSION}" is not an object')
        expires_at = _epoch(ext.get("expires_at"), "expires_at")
        out: list[CdmKey] = []
        for jwk in keys[:MAX_KEY_IDS]:
            if not isinstance(jwk, dict) or jwk.get("kty") != "oct":
                raise ValueError('a key is not a JWK of kty "oct"')
            kid = b64url_decode(jwk.get("kid", ""))
            key = b64url_decode(jwk.get("k", ""))
            if len(key) != 16:
                raise ValueError(f"key for KID {kid.hex()} is {len(key)} bytes, not 16")
            if not kid:
                raise ValueError("a key has an empty kid")
            out.append(CdmKey(kid, KeyStatus.USABLE, expires_at, key))
        return CdmUpdate(
            keys=out,
            expires_at=expires_at,
            playback_window_s=_seconds(ext.get("playback_window_s"), "playback_window_s"),
            renewal_interval_s=_seconds(ext.get("renewal_interval_s"), "renewal_interval_s"),
            issued_at=_epoch(ext.get("issued_at"), "issued_at"),
        )

    def export(self) -> bytes:
        """The KIDs and the license, as JSON."""
        if self.license is None:
            raise DrmError(DrmCode.NO_USABLE_KEY, "no license to export yet")
        return json.dumps(
            {
                "format": _FORMAT,
                "kids": [b64url_encode(k) for k in self.key_ids],
                "license": json.loads(self.license),
            },
            separators=(",", ":"),
            sort_keys=True,
        ).encode()

    def load(self, blob: bytes) -> tuple[InitDataInfo, CdmUpdate]:
        """Restore :meth:`export`'s output."""
        try:
            doc = json.loads(bytes(blob))
            if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
                raise ValueError("not an abrkit ClearKey license")
            self.key_ids = [b64url_decode(k) for k in doc["kids"]]
            update = self._parse_license(doc["license"])
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise DrmError(
                DrmCode.LICENSE_TAMPERED, f"stored ClearKey license unreadable: {exc}"
            ) from None
        self.license = json.dumps(doc["license"]).encode()
        return InitDataInfo("keyids", tuple(self.key_ids)), update

    def close(self) -> None:
        """Forget the keys."""
        self.license = None


class ClearKeySystem:
    """The ClearKey key system: every part is real, no device needed."""

    key_system = KEY_SYSTEM
    init_data_types = frozenset({"cenc", "keyids", "webm"})
    session_types = frozenset({"temporary", "persistent-license"})
    encryption_schemes = frozenset({"cenc", "cbcs", "cbcs-1-9"})
    requires_server_certificate = False

    def create_session(
        self, session_type: SessionType, server_certificate: bytes | None
    ) -> ClearKeySession:
        """A new ClearKey session (ClearKey has no server certificate)."""
        return ClearKeySession(session_type)

    def exchange(self) -> LicenseExchange:
        """JSON over HTTP POST."""
        return ClearKeyExchange(self.key_system)
