"""The one object a player needs: content keys for each init segment, licenses as needed.

:class:`KeyManager` reads an init segment's protection, asks the license server for the
keys it needs (one license per set of KIDs, reused for every segment and rung that shares
them), and returns ``{kid_hex: key_hex}`` for the decoder::

    async with KeyManager("org.w3.clearkey", license_url=url) as keys:
        options = await keys.keys_for(init_segment)   # {} for clear content
"""

from __future__ import annotations

import asyncio
from types import TracebackType

from drm._cdm import KeyStatus
from drm.adapters.device import DeviceBackendFactory
from drm.clearkey import KEY_SYSTEM as CLEARKEY_KEY_SYSTEM
from drm.clearkey import license_request
from drm.eme import MediaKeys, MediaKeySystemConfiguration, request_media_key_system_access
from drm.errors import DrmCode, DrmError
from drm.license_client import LicenseClient
from drm.protection_info import ProtectionInfo, read_protection_info
from drm.systems import CLEARKEY, COMMON, system_by_key_system
from drm.transport import LicenseTransport


class KeyManager:
    """Content keys for init segments under one key system and license server.

    ``license_url`` may be None when the init data names one (PlayReady); the other
    arguments are :class:`~drm.LicenseClient`'s and
    :func:`~drm.request_media_key_system_access`'s. Errors are :class:`~drm.DrmError`.
    """

    def __init__(
        self,
        key_system: str = CLEARKEY_KEY_SYSTEM,
        license_url: str | None = None,
        *,
        certificate_url: str | None = None,
        transport: LicenseTransport | None = None,
        device_backend: DeviceBackendFactory | None = None,
        session_type: str = "temporary",
    ) -> None:
        self.key_system = key_system
        self.license_url = license_url
        self.certificate_url = certificate_url
        self.transport = transport
        self.device_backend = device_backend
        self.session_type = session_type
        self.media_keys: MediaKeys | None = None
        self._client: LicenseClient | None = None
        self._lock = asyncio.Lock()
        self._cache: dict[bytes, ProtectionInfo] = {}

    async def __aenter__(self) -> KeyManager:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the sessions and the license client."""
        if self.media_keys is not None:
            for session in self.media_keys.sessions:
                await session.close()
        if self._client is not None:
            await self._client.close()

    async def _ready(self) -> tuple[MediaKeys, LicenseClient]:
        if self.media_keys is None or self._client is None:
            access = await request_media_key_system_access(
                self.key_system,
                [MediaKeySystemConfiguration(session_types=(self.session_type,))],
                device_backend=self.device_backend,
            )
            self.media_keys = await access.create_media_keys()
            self._client = LicenseClient(
                self.media_keys,
                license_url=self.license_url,
                certificate_url=self.certificate_url,
                transport=self.transport,
            )
        return self.media_keys, self._client

    def protection(self, init_segment: bytes) -> ProtectionInfo:
        """The init segment's protection (parsed once per distinct init segment)."""
        info = self._cache.get(init_segment)
        if info is None:
            info = read_protection_info(init_segment)
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[init_segment] = info
        return info

    async def keys_for(self, init_segment: bytes) -> dict[str, str]:
        """``{kid_hex: key_hex}`` for every protected track of ``init_segment`` (``{}`` if
        clear), getting a license first when a KID is not held yet."""
        info = self.protection(init_segment)
        needed = [t.default_kid for t in info.tracks if t.is_protected and t.default_kid]
        if not needed:
            if info.encrypted:
                raise DrmError(
                    DrmCode.INIT_DATA_INVALID, "encrypted init segment without a default KID"
                )
            return {}
        async with self._lock:  # one license request at a time for the same KIDs
            media_keys, client = await self._ready()
            held = media_keys.key_statuses()
            # Missing or no longer usable (expired, released): ask for a license again.
            if any(held.get(k) is not KeyStatus.USABLE for k in needed):
                init_type, init_data = self._init_data(info, needed)
                await client.acquire(
                    init_type, init_data, session_type=self.session_type, key_ids=needed
                )
        return media_keys.content_keys(needed)

    def _init_data(self, info: ProtectionInfo, needed: list[bytes]) -> tuple[str, bytes]:
        system = system_by_key_system(self.key_system)
        ours = [
            b
            for b in info.pssh
            if b.system is system or (system is CLEARKEY and b.system is COMMON and b.key_ids)
        ]
        if ours:
            return "cenc", b"".join(b.to_bytes() for b in ours)
        if self.key_system == CLEARKEY_KEY_SYSTEM or system is not None:
            # No PSSH of ours in the init segment (PyAV writes none): ask by KID.
            return "keyids", license_request(needed, self.session_type)
        raise DrmError(DrmCode.INIT_DATA_INVALID, f"no init data for {self.key_system}")
