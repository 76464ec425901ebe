"""PlayReady (``com.microsoft.playready``): init data and the SOAP license exchange.

Init data: the PlayReady PSSH box of ``cenc`` init data; its PlayReady Object's WRMHEADER
goes to the device and its ``LA_URL`` is the license URL when the application gives none.
The exchange is PlayReady's SOAP ``AcquireLicense``: POST ``text/xml; charset=utf-8`` with
the ``SOAPAction`` header. A device that wraps its challenge the way EME PlayReady CDMs do
(a UTF-16 ``PlayReadyKeyMessage`` with the base64 challenge and the HTTP headers to send)
is unwrapped as Shaka Player does. A SOAP ``Fault`` answer becomes a typed error with the
server's fault string.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from drm._cdm import InitDataInfo, MessageType, SessionType
from drm.adapters.device import DeviceBackendFactory, DeviceSession
from drm.errors import DrmCode, DrmError
from drm.exchange import LicenseExchange
from drm.playready import parse_playready_object
from drm.pssh import parse_pssh_list
from drm.systems import PLAYREADY
from drm.transport import LicenseRequest, LicenseResponse

SOAP_ACTION = "http://schemas.microsoft.com/DRM/2007/03/protocols/AcquireLicense"
CONTENT_TYPE = "text/xml; charset=utf-8"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(body: bytes) -> ET.Element | None:
    for encoding in ("utf-8", "utf-16"):
        try:
            text = body.decode(encoding)
        except UnicodeDecodeError:
            continue
        try:
            root: ET.Element = SafeET.fromstring(text.lstrip("\ufeff"))
        except (ET.ParseError, DefusedXmlException, ValueError):
            continue
        return root
    return None


def soap_fault(body: bytes) -> str | None:
    """The ``faultstring`` (plus any ``StatusCode`` detail) of a SOAP Fault, else None."""
    root = _xml(body)
    if root is None:
        return None
    fault = next((el for el in root.iter() if _local(el.tag) == "Fault"), None)
    if fault is None:
        return None
    text = {_local(el.tag): (el.text or "").strip() for el in fault.iter()}
    message = text.get("faultstring") or text.get("Text") or "SOAP fault"
    if text.get("StatusCode"):
        message += f" (StatusCode {text['StatusCode']})"
    return message


def unwrap_key_message(message: bytes) -> tuple[bytes, dict[str, str]] | None:
    """``(challenge, headers)`` of an EME ``PlayReadyKeyMessage``, or None if not one."""
    if b"P\x00l\x00a\x00y\x00R\x00e\x00a\x00d\x00y\x00K\x00e\x00y\x00" not in message[:400]:
        return None
    root = _xml(message)
    if root is None or _local(root.tag) != "PlayReadyKeyMessage":
        return None
    challenge = next((el for el in root.iter() if _local(el.tag) == "Challenge"), None)
    if challenge is None or not (challenge.text or "").strip():
        raise DrmError(DrmCode.LICENSE_REQUEST_FAILED, "PlayReadyKeyMessage without a Challenge")
    try:
        body = base64.b64decode("".join((challenge.text or "").split()), validate=True)
    except (binascii.Error, ValueError):
        raise DrmError(
            DrmCode.LICENSE_REQUEST_FAILED, "PlayReady Challenge is not base64"
        ) from None
    headers = {}
    for header in root.iter():
        if _local(header.tag) == "HttpHeader":
            fields = {_local(c.tag): (c.text or "").strip() for c in header}
            if fields.get("name"):
                headers[fields["name"]] = fields.get("value", "")
    return body, headers


class PlayReadyExchange(LicenseExchange):
    """SOAP AcquireLicense over HTTP POST."""

    content_type = CONTENT_TYPE

    def license_request(
        self, url: str, message_type: MessageType, message: bytes, info: InitDataInfo
    ) -> LicenseRequest:
        """The SOAP request: the device's envelope with PlayReady's headers."""
        request = super().license_request(url, message_type, message, info)
        request.headers["SOAPAction"] = f'"{SOAP_ACTION}"'
        unwrapped = unwrap_key_message(message)
        if unwrapped is not None:
            request.body, headers = unwrapped
            request.headers.update(headers)
        return request

    def classify_error(self, response: LicenseResponse) -> DrmError | None:
        """PlayReady servers answer errors with HTTP 500 and a SOAP Fault saying why."""
        fault = soap_fault(response.body)
        if fault is None:
            return None
        return DrmError(
            DrmCode.LICENSE_REQUEST_FAILED,
            f"PlayReady license server refused: {fault}",
            data={"url": response.url, "status": response.status, "fault": fault},
        )

    def license_response(self, response: LicenseResponse) -> bytes:
        """The SOAP response for the device; a Fault in a 2xx answer is an error too."""
        fault = soap_fault(response.body)
        if fault is not None:
            raise DrmError(
                DrmCode.LICENSE_RESPONSE_REJECTED,
                f"PlayReady license response is a SOAP fault: {fault}",
                data={"url": response.url, "fault": fault},
            )
        return response.body


def extract_playready_init_data(
    init_data_type: str, init_data: bytes
) -> tuple[InitDataInfo, bytes]:
    """``(what the init data says, the WRMHEADER as UTF-16LE for the device)``."""
    if init_data_type != "cenc":
        raise DrmError(
            DrmCode.INIT_DATA_INVALID, f"PlayReady does not read init data type {init_data_type!r}"
        )
    box = next((b for b in parse_pssh_list(init_data) if b.system_name == "playready"), None)
    if box is None:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "no PlayReady PSSH box in the cenc init data")
    header = parse_playready_object(box.data).wrm_header
    if header is None:
        raise DrmError(DrmCode.INIT_DATA_INVALID, "PlayReady Object without a WRMHEADER")
    kids = list(header.key_ids) + [k for k in box.key_ids if k not in header.key_ids]
    info = InitDataInfo(init_data_type, tuple(kids), license_url=header.la_url)
    return info, header.xml.encode("utf-16-le")


class PlayReadySystem:
    """The PlayReady key system over a plugged-in device backend."""

    key_system = PLAYREADY.key_system
    init_data_types = frozenset({"cenc"})
    session_types = frozenset({"temporary"})
    encryption_schemes = frozenset({"cenc", "cbcs"})
    requires_server_certificate = False

    def __init__(self, backend: DeviceBackendFactory, key_system: str | None = None) -> None:
        self.backend = backend
        self.key_system = key_system or PLAYREADY.key_system

    def create_session(
        self, session_type: SessionType, server_certificate: bytes | None
    ) -> DeviceSession:
        """A session over a new backend instance."""
        return DeviceSession(
            self.backend(), session_type, extract_playready_init_data, server_certificate
        )

    def exchange(self) -> LicenseExchange:
        """SOAP over HTTP POST."""
        return PlayReadyExchange(self.key_system)
