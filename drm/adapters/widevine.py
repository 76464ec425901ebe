"""Widevine (``com.widevine.alpha``): init data and license exchange; the device is plugged in.

Init data: the Widevine PSSH box of ``cenc`` init data (key ids in the box or its
``WidevinePsshData``); ``keyids`` and ``webm`` init data become a version 0 Widevine PSSH
listing those key ids, as Chrome builds it. The license exchange is a binary POST
(``application/octet-stream``) of the device's signed request; the response body goes back
to the device as is.
"""

from __future__ import annotations

from drm._cdm import InitDataInfo, SessionType
from drm.adapters.device import DeviceBackendFactory, DeviceSession
from drm.clearkey import key_ids_from_init_data
from drm.errors import DrmCode, DrmError
from drm.exchange import LicenseExchange
from drm.pssh import PsshBox, build_pssh, parse_pssh_list
from drm.systems import WIDEVINE
from drm.widevine_pssh import WidevinePsshData, parse_widevine_pssh_data


class WidevineExchange(LicenseExchange):
    """Widevine license servers take the signed request as a binary POST body."""

    content_type = "application/octet-stream"


def extract_widevine_init_data(init_data_type: str, init_data: bytes) -> tuple[InitDataInfo, bytes]:
    """``(what the init data says, the Widevine PSSH box for the device)``."""
    if init_data_type == "cenc":
        box = next((b for b in parse_pssh_list(init_data) if b.system is WIDEVINE), None)
        if box is None:
            raise DrmError(DrmCode.INIT_DATA_INVALID, "no Widevine PSSH box in the cenc init data")
    elif init_data_type in ("keyids", "webm"):
        # key_ids_from_init_data reads both formats the same way for every system.
        kids = key_ids_from_init_data(init_data_type, init_data)
        payload = WidevinePsshData(key_ids=tuple(kids)).to_bytes()
        box = PsshBox(0, WIDEVINE.system_id, (), payload)
    else:
        raise DrmError(
            DrmCode.INIT_DATA_INVALID, f"Widevine does not read init data type {init_data_type!r}"
        )
    wv = parse_widevine_pssh_data(box.data)
    kids = list(box.key_ids) + [k for k in wv.key_ids if k not in box.key_ids and len(k) == 16]
    content_id = wv.content_id.hex() if wv.content_id else None
    info = InitDataInfo(init_data_type, tuple(kids), content_id=content_id)
    return info, build_pssh(box.system_id, list(box.key_ids), box.data, box.version)


class WidevineSystem:
    """The Widevine key system over a plugged-in device backend."""

    key_system = WIDEVINE.key_system
    init_data_types = frozenset({"cenc", "keyids", "webm"})
    session_types = frozenset({"temporary"})
    encryption_schemes = frozenset({"cenc", "cbcs", "cbcs-1-9"})
    requires_server_certificate = False

    def __init__(self, backend: DeviceBackendFactory) -> None:
        self.backend = backend

    def create_session(
        self, session_type: SessionType, server_certificate: bytes | None
    ) -> DeviceSession:
        """A session over a new backend instance."""
        return DeviceSession(
            self.backend(), session_type, extract_widevine_init_data, server_certificate
        )

    def exchange(self) -> LicenseExchange:
        """Binary POST."""
        return WidevineExchange(self.key_system)
