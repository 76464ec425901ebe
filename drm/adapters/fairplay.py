"""FairPlay Streaming (``com.apple.fps``): server certificate, SPC/CKC exchange, skd:// ids.

The device needs the FairPlay server certificate before it can make an SPC, so the
certificate is fetched first (a GET; DER or base64). Init data is the ``skd://`` URI of the
HLS key tag (init data type ``skd``); its content id (:func:`drm.fairplay.parse_skd_uri`)
goes to the device and into the request. The SPC travels, by ``request_format``, as the
form ``spc=<base64>&assetId=<content id>`` (Apple's key server module and most services),
as a raw body, or as JSON; the CKC may come back raw, base64, inside ``<ckc>...</ckc>``, or
as JSON ``{"ckc": ...}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import urllib.parse

from drm._cdm import InitDataInfo, MessageType, SessionType
from drm.adapters.device import DeviceBackendFactory, DeviceSession
from drm.errors import DrmCode, DrmError
from drm.exchange import LicenseExchange
from drm.fairplay import parse_skd_uri
from drm.systems import FAIRPLAY
from drm.transport import LicenseRequest, LicenseResponse

_B64 = re.compile(rb"^[A-Za-z0-9+/=\s]+$")
_CKC_TAGS = re.compile(rb"^\s*<ckc>(.*)</ckc>\s*$", re.S)


class FairPlayExchange(LicenseExchange):
    """SPC out, CKC back."""

    def __init__(self, key_system: str, request_format: str = "form") -> None:
        super().__init__(key_system)
        if request_format not in ("form", "raw", "json"):
            raise DrmError(
                DrmCode.UNSUPPORTED_KEY_SYSTEM,
                f"unknown FairPlay request format {request_format!r}",
            )
        self.request_format = request_format

    def license_request(
        self, url: str, message_type: MessageType, message: bytes, info: InitDataInfo
    ) -> LicenseRequest:
        """The SPC request, in :attr:`request_format`."""
        request = super().license_request(url, message_type, message, info)
        spc = base64.b64encode(message).decode("ascii")
        asset = info.content_id or ""
        if self.request_format == "form":
            request.body = urllib.parse.urlencode({"spc": spc, "assetId": asset}).encode()
            request.headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif self.request_format == "json":
            request.body = json.dumps({"spc": spc, "assetId": asset}).encode()
            request.headers["Content-Type"] = "application/json"
        else:
            request.headers["Content-Type"] = "application/octet-stream"
        return request

    def license_response(self, response: LicenseResponse) -> bytes:
        """The CKC, unwrapped."""
        return unwrap_ckc(response.body)


def unwrap_ckc(body: bytes) -> bytes:
    """The CKC bytes from any of the answer forms FairPlay servers use."""
    text = body.strip()
    if not text:
        raise DrmError(DrmCode.LICENSE_RESPONSE_REJECTED, "empty CKC response")
    tagged = _CKC_TAGS.match(text)
    if tagged:
        text = tagged.group(1).strip()
    elif text[:1] == b"{":
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DrmError(DrmCode.LICENSE_RESPONSE_REJECTED, "CKC response is bad JSON") from None
        value = doc.get("ckc") or doc.get("CkcMessage") if isinstance(doc, dict) else None
        if not isinstance(value, str):
            raise DrmError(DrmCode.LICENSE_RESPONSE_REJECTED, 'CKC JSON without "ckc"')
        text = value.encode()
    if _B64.match(text):
        try:
            return base64.b64decode(b"".join(text.split()), validate=True)
        except (binascii.Error, ValueError):
            if tagged:
                raise DrmError(
                    DrmCode.LICENSE_RESPONSE_REJECTED, "<ckc> content is not base64"
                ) from None
    return bytes(text)


def extract_fairplay_init_data(init_data_type: str, init_data: bytes) -> tuple[InitDataInfo, bytes]:
    """``(what the skd:// URI says, the content id for the device)``."""
    if init_data_type != "skd":
        raise DrmError(
            DrmCode.INIT_DATA_INVALID, f"FairPlay does not read init data type {init_data_type!r}"
        )
    skd = parse_skd_uri(init_data)
    kids = (skd.key_id,) if skd.key_id else ()
    info = InitDataInfo(init_data_type, kids, content_id=skd.content_id)
    return info, skd.content_id.encode("utf-8")


class FairPlaySystem:
    """The FairPlay key system over a plugged-in device backend."""

    key_system = FAIRPLAY.key_system
    init_data_types = frozenset({"skd"})
    session_types = frozenset({"temporary"})
    encryption_schemes = frozenset({"cbcs", "cbcs-1-9"})
    requires_server_certificate = True

    def __init__(
        self,
        backend: DeviceBackendFactory,
        key_system: str | None = None,
        request_format: str = "form",
    ) -> None:
        self.backend = backend
        self.key_system = key_system or FAIRPLAY.key_system
        self.request_format = request_format

    def create_session(
        self, session_type: SessionType, server_certificate: bytes | None
    ) -> DeviceSession:
        """A session over a new backend instance (given the server certificate)."""
        return DeviceSession(
            self.backend(), session_type, extract_fairplay_init_data, server_certificate
        )

    def exchange(self) -> LicenseExchange:
        """The SPC/CKC exchange in :attr:`request_format`."""
        return FairPlayExchange(self.key_system, self.request_format)
