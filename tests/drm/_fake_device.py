"""FakeDeviceBackendForTests: a stand-in for a *vendor* CDM (the part holding vendor keys).

This is a test double of the device a licensed user plugs in, not of abrkit code: it
makes challenges in a made-up format its matching test license servers
(:mod:`tests.drm._system_servers`) understand, and reads their made-up licenses. Everything
between the two — init data extraction, the HTTP exchange as each system's real servers
expect it, response handling, key-status mapping, renewal — is abrkit's real code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from drm import DeviceKey, DeviceLicense

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
PROTOCOLS = "http://schemas.microsoft.com/DRM/2007/03/protocols"
WV_PREFIX = b"FAKE-WV-CHALLENGE:"
WV_RENEWAL = b"FAKE-WV-RENEWAL:"
SPC_PREFIX = b"FAKE-SPC|"


def fake_license(keys: list[dict[str, str]], renewal_interval_s: float | None = None) -> bytes:
    """The made-up license body the fake device reads: JSON key list."""
    return json.dumps({"keys": keys, "renewal_interval_s": renewal_interval_s}).encode()


def playready_challenge(wrm_header_xml: str) -> bytes:
    """A SOAP AcquireLicense envelope like a PlayReady client's, carrying the WRMHEADER."""
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<AcquireLicense xmlns="{PROTOCOLS}"><challenge><Challenge '
        f'xmlns="{PROTOCOLS}/messages"><LA><ContentHeader>{escape(wrm_header_xml)}'
        "</ContentHeader><CLIENTINFO><CLIENTVERSION>fake-device-for-tests</CLIENTVERSION>"
        "</CLIENTINFO></LA></Challenge></challenge></AcquireLicense></soap:Body></soap:Envelope>"
    ).encode()


def wrap_as_key_message(challenge: bytes) -> bytes:
    """The challenge wrapped the way EME PlayReady CDMs hand it out (UTF-16 XML)."""
    b64 = base64.b64encode(challenge).decode()
    return (
        '<PlayReadyKeyMessage type="LicenseAcquisition"><LicenseAcquisition Version="1">'
        f'<Challenge encoding="base64encoded">{b64}</Challenge><HttpHeaders>'
        "<HttpHeader><name>Content-Type</name><value>text/xml; charset=utf-8</value></HttpHeader>"
        "<HttpHeader><name>SOAPAction</name>"
        f'<value>"{PROTOCOLS}/AcquireLicense"</value></HttpHeader>'
        "</HttpHeaders></LicenseAcquisition></PlayReadyKeyMessage>"
    ).encode("utf-16-le")


class FakeDeviceBackendForTests:
    """A fake vendor device for ``system`` (``widevine``, ``playready``, ``fairplay``)."""

    def __init__(self, system: str, *, wrap_playready: bool = False) -> None:
        self.system = system
        self.wrap_playready = wrap_playready
        self.certificate: bytes | None = None
        self.init_data: bytes | None = None
        self.session_type: str | None = None
        self.responses: list[bytes] = []
        self.closed = False

    def set_server_certificate(self, certificate: bytes) -> None:
        self.certificate = certificate

    def create_challenge(self, init_data: bytes, session_type: str) -> bytes:
        self.init_data, self.session_type = init_data, session_type
        if self.system == "widevine":
            return WV_PREFIX + init_data
        if self.system == "playready":
            challenge = playready_challenge(init_data.decode("utf-16-le"))
            return wrap_as_key_message(challenge) if self.wrap_playready else challenge
        if self.certificate is None:
            raise RuntimeError("FairPlay device has no certificate")
        cert_hash = hashlib.sha256(self.certificate).hexdigest()[:16].encode()
        return SPC_PREFIX + init_data + b"|" + cert_hash

    def process_license(self, response: bytes) -> DeviceLicense:
        self.responses.append(response)
        if self.system == "playready":
            # A PlayReady client reads its licenses out of the SOAP response itself.
            root = ET.fromstring(response)
            (lic,) = [el for el in root.iter() if el.tag.endswith("}License")]
            response = base64.b64decode(lic.text or "")
        doc = json.loads(response)
        keys = [
            DeviceKey(
                bytes.fromhex(k["kid"]),
                k["status"],
                float(k["expiration"]) if k.get("expiration") else None,
                bytes.fromhex(k["key"]) if k.get("key") else None,
            )
            for k in doc["keys"]
        ]
        return DeviceLicense(keys, renewal_interval_s=doc.get("renewal_interval_s"))

    def create_renewal_challenge(self) -> bytes:
        assert self.init_data is not None
        return WV_RENEWAL + self.init_data

    def close(self) -> None:
        self.closed = True
