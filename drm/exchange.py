"""How a key system's license messages travel over HTTP (content types, wrapping, unwrapping).

:class:`LicenseExchange` is the default exchange: the message is POSTed as the body with
the system's content type and the response body goes to ``update()`` as is; the
server certificate is fetched with a GET. Systems with other conventions (PlayReady's
SOAP, FairPlay's SPC form) subclass it.
"""

from __future__ import annotations

import base64
import binascii
import re

from drm._cdm import InitDataInfo, MessageType
from drm.errors import DrmCode, DrmError
from drm.transport import LicenseRequest, LicenseResponse

_KIND = {
    MessageType.LICENSE_REQUEST: "license",
    MessageType.LICENSE_RENEWAL: "renewal",
    MessageType.LICENSE_RELEASE: "release",
    MessageType.INDIVIDUALIZATION_REQUEST: "individualization",
}
_B64 = re.compile(rb"^[A-Za-z0-9+/=_\-\s]+$")


class LicenseExchange:
    """POST the message with ``content_type``; the response body is the license."""

    content_type = "application/octet-stream"

    def __init__(self, key_system: str) -> None:
        self.key_system = key_system

    def license_request(
        self, url: str, message_type: MessageType, message: bytes, info: InitDataInfo
    ) -> LicenseRequest:
        """The HTTP request carrying one session message."""
        return LicenseRequest(
            url=url,
            body=message,
            headers={"Content-Type": self.content_type},
            kind=_KIND.get(message_type, "license"),
            key_system=self.key_system,
        )

    def license_response(self, response: LicenseResponse) -> bytes:
        """What goes to ``MediaKeySession.update()``."""
        return response.body

    def classify_error(self, response: LicenseResponse) -> DrmError | None:
        """A better error for a non-2xx response than its status alone, or None."""
        return None

    def certificate_request(self, url: str) -> LicenseRequest:
        """The request fetching the server certificate."""
        return LicenseRequest(url=url, method="GET", kind="certificate", key_system=self.key_system)

    def certificate_response(self, response: LicenseResponse) -> bytes:
        """The certificate bytes: raw DER, or base64 text as some servers send it."""
        body = response.body.strip()
        if not body:
            raise DrmError(
                DrmCode.SERVER_CERTIFICATE_REQUIRED,
                f"server certificate from {response.url} is empty",
                data={"url": response.url},
            )
        if _B64.match(body):
            try:
                return base64.b64decode(body + b"=" * (-len(body) % 4), altchars=None)
            except (binascii.Error, ValueError):
                pass
        return response.body


class ClearKeyExchange(LicenseExchange):
    """ClearKey: JSON request and JSON Web Key Set response (W3C EME 9.1)."""

    content_type = "application/json"
