"""The device part of Widevine, PlayReady and FairPlay: a :class:`DeviceBackend` you plug in.

Everything of those systems that needs no vendor secret is real in abrkit (init data,
the HTTP license exchange, response handling, key statuses, renewal). Making a license
challenge and opening a license needs a device's vendor keys: that is a backend a
licensed user provides (docs/DRM.md shows one over pywidevine). abrkit never ships or
depends on one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, runtime_checkable

from drm._cdm import CdmKey, CdmUpdate, InitDataInfo, KeyStatus, SessionType
from drm.errors import DrmCode, DrmError


@dataclass(frozen=True, slots=True)
class DeviceKey:
    """A key a device read from a license.

    ``status`` is a :class:`~drm.KeyStatus` or the device's own name for it
    (``"kOutputRestricted"``, ``"OUTPUT_RESTRICTED"``, ``"output-restricted"`` are all
    understood); ``expiration`` POSIX seconds; ``key`` the content key if the device
    releases it to the in-process decoder (a software CDM), else None.
    """

    kid: bytes
    status: KeyStatus | str = KeyStatus.USABLE
    expiration: float | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class DeviceLicense:
    """A license as the device read it: keys plus, when it must be renewed, how often."""

    keys: Sequence[DeviceKey]
    renewal_interval_s: float | None = None
    expires_at: float | None = None


@runtime_checkable
class DeviceBackend(Protocol):
    """A vendor CDM for one session (a new backend is made for every session).

    ``init_data`` given to :meth:`create_challenge` is, per system: Widevine, the whole
    Widevine PSSH box; PlayReady, the WRMHEADER (UTF-16LE XML); FairPlay, the content id
    (UTF-8) after :meth:`set_server_certificate` gave the FairPlay certificate.
    """

    def set_server_certificate(self, certificate: bytes) -> None:
        """The license server's certificate (Widevine privacy mode, FairPlay)."""
        ...

    def create_challenge(self, init_data: bytes, session_type: str) -> bytes:
        """The license request (Widevine SignedMessage, PlayReady SOAP, FairPlay SPC)."""
        ...

    def process_license(self, response: bytes) -> DeviceLicense | Sequence[DeviceKey]:
        """Open a license (or renewal) response; the keys it holds."""
        ...

    def create_renewal_challenge(self) -> bytes:
        """A renewal request for the current license."""
        ...

    def close(self) -> None:
        """Release the device session."""
        ...


DeviceBackendFactory = Callable[[], DeviceBackend]
_T = TypeVar("_T")

_registry: dict[str, DeviceBackendFactory] = {}


def register_device_backend(system: str, factory: DeviceBackendFactory) -> None:
    """Plug a backend factory in for ``system`` (``"widevine"``, ``"playready"``,
    ``"fairplay"``); every later ``request_media_key_system_access`` for it uses it."""
    _registry[system] = factory


def unregister_device_backend(system: str) -> None:
    """Remove the backend registered for ``system`` (if any)."""
    _registry.pop(system, None)


def registered_device_backend(system: str) -> DeviceBackendFactory | None:
    """The factory registered for ``system``, or None."""
    return _registry.get(system)


def no_backend_error(system: str, key_system: str) -> DrmError:
    """The error for a key system whose device part is missing."""
    return DrmError(
        DrmCode.NO_DEVICE_BACKEND,
        f"{key_system} needs a device backend (the CDM holding {system} vendor keys), and none "
        f"is plugged in. abrkit does the {system} license exchange itself but cannot ship "
        f"vendor keys: pass device_backend=... to request_media_key_system_access, or call "
        f"drm.register_device_backend({system!r}, factory) once (see docs/DRM.md).",
        data={"key_system": key_system, "system": system},
    )


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def map_key_status(status: KeyStatus | str) -> KeyStatus:
    """A device's status name as an EME :class:`~drm.KeyStatus` (unknown names:
    ``internal-error``)."""
    if isinstance(status, KeyStatus):
        return status
    name = str(status).strip()
    if len(name) > 1 and name[0] == "k" and name[1].isupper():  # Chromium CDM: kUsable
        name = name[1:]
    if "_" not in name and "-" not in name:
        name = _CAMEL.sub("-", name)
    name = name.replace("_", "-").lower()
    try:
        return KeyStatus(name)
    except ValueError:
        return KeyStatus.INTERNAL_ERROR


def _device_update(result: DeviceLicense | Sequence[DeviceKey]) -> CdmUpdate:
    lic = result if isinstance(result, DeviceLicense) else DeviceLicense(list(result))
    keys = []
    for item in lic.keys:
        if not isinstance(item, DeviceKey) or len(item.kid) != 16:
            raise DrmError(
                DrmCode.LICENSE_RESPONSE_REJECTED, f"device backend returned a bad key: {item!r}"
            )
        keys.append(CdmKey(item.kid, map_key_status(item.status), item.expiration, item.key))
    expirations = [k.expiration for k in keys if k.expiration is not None]
    expires_at = lic.expires_at if lic.expires_at is not None else min(expirations, default=None)
    return CdmUpdate(keys=keys, expires_at=expires_at, renewal_interval_s=lic.renewal_interval_s)


class DeviceSession:
    """A CDM session whose license crypto is a :class:`DeviceBackend`'s.

    ``extract`` turns EME init data into ``(info, bytes for the backend)``; it is the
    system-specific part (Widevine PSSH, PlayReady WRMHEADER, FairPlay content id).
    """

    def __init__(
        self,
        backend: DeviceBackend,
        session_type: SessionType,
        extract: Callable[[str, bytes], tuple[InitDataInfo, bytes]],
        server_certificate: bytes | None,
    ) -> None:
        self.backend = backend
        self.session_type = session_type
        self._extract = extract
        if server_certificate is not None:
            self._call(lambda: backend.set_server_certificate(server_certificate))

    def _call(self, fn: Callable[[], _T]) -> _T:
        try:
            return fn()
        except DrmError:
            raise
        except Exception as exc:
            # A vendor library's own exception must not escape untyped.
            raise DrmError(
                DrmCode.LICENSE_RESPONSE_REJECTED,
                f"device backend failed: {type(exc).__name__}: {exc}",
                data={"backend": type(self.backend).__name__},
            ) from exc

    def generate_request(self, init_data_type: str, init_data: bytes) -> tuple[InitDataInfo, bytes]:
        """Extract the system's init data; the backend's challenge."""
        info, device_init = self._extract(init_data_type, bytes(init_data))
        challenge = self._call(
            lambda: self.backend.create_challenge(device_init, str(self.session_type))
        )
        return info, bytes(challenge)

    def update(self, response: bytes) -> CdmUpdate:
        """The backend opens the license."""
        return _device_update(self._call(lambda: self.backend.process_license(bytes(response))))

    def renewal_message(self) -> bytes:
        """The backend's renewal challenge."""
        return bytes(self._call(self.backend.create_renewal_challenge))

    def export(self) -> bytes:
        """Device licenses stay in the device; abrkit stores none."""
        raise DrmError(
            DrmCode.SESSION_NOT_FOUND, "device sessions are temporary; nothing to export"
        )

    def load(self, blob: bytes) -> tuple[InitDataInfo, CdmUpdate]:
        """See :meth:`export`."""
        raise DrmError(DrmCode.SESSION_NOT_FOUND, "device sessions cannot be loaded")

    def release_message(self) -> bytes:
        """See :meth:`export`."""
        raise DrmError(DrmCode.SESSION_NOT_FOUND, "device sessions have no license to release")

    def close(self) -> None:
        """Close the backend's session."""
        self._call(self.backend.close)
