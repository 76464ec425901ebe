"""The seam between the EME-shaped front (:mod:`drm.eme`) and each key system's CDM.

A key system implementation (ClearKey, or a device adapter) provides sessions that turn
init data into license messages and license responses into keys; the front keeps the
EME state (key statuses, expiration, events) the same for all of them.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from drm.exchange import LicenseExchange


class KeyStatus(enum.StrEnum):
    """A key's status, as EME's ``MediaKeyStatus`` names them."""

    USABLE = "usable"
    EXPIRED = "expired"
    RELEASED = "released"
    OUTPUT_RESTRICTED = "output-restricted"
    OUTPUT_DOWNSCALED = "output-downscaled"
    USABLE_IN_FUTURE = "usable-in-future"
    STATUS_PENDING = "status-pending"
    INTERNAL_ERROR = "internal-error"


class SessionType(enum.StrEnum):
    """EME's ``MediaKeySessionType``."""

    TEMPORARY = "temporary"
    PERSISTENT_LICENSE = "persistent-license"


class MessageType(enum.StrEnum):
    """EME's ``MediaKeyMessageType``."""

    LICENSE_REQUEST = "license-request"
    LICENSE_RENEWAL = "license-renewal"
    LICENSE_RELEASE = "license-release"
    INDIVIDUALIZATION_REQUEST = "individualization-request"


@dataclass(frozen=True, slots=True)
class CdmKey:
    """One key a license delivered: its status, its own expiry, and the key when released.

    ``key`` is the AES key when the CDM hands it to the in-process decoder (ClearKey, or a
    software device); hardware CDMs keep it and leave it None.
    """

    kid: bytes
    status: KeyStatus
    expiration: float | None = None
    key: bytes | None = None


@dataclass(frozen=True, slots=True)
class InitDataInfo:
    """What a session's init data said: the KIDs, a content id, a license URL hint."""

    init_data_type: str
    key_ids: tuple[bytes, ...] = ()
    content_id: str | None = None
    license_url: str | None = None


@dataclass(frozen=True, slots=True)
class CdmUpdate:
    """The effect of a license response (or a loaded license) on a session.

    ``expires_at`` is the license's absolute expiry (POSIX seconds), ``playback_window_s``
    how long playback may last once started, ``renewal_interval_s`` when the CDM wants a
    renewal; ``released`` is True when the response acknowledged a license release.
    """

    keys: Sequence[CdmKey] = ()
    expires_at: float | None = None
    playback_window_s: float | None = None
    renewal_interval_s: float | None = None
    issued_at: float | None = None
    released: bool = False
    extra: dict[str, object] = field(default_factory=dict)


class CdmSession(Protocol):
    """One key system's side of a ``MediaKeySession``."""

    def generate_request(self, init_data_type: str, init_data: bytes) -> tuple[InitDataInfo, bytes]:
        """Parse init data; the license request message for it."""
        ...

    def update(self, response: bytes) -> CdmUpdate:
        """Apply a license (or release acknowledgement) response."""
        ...

    def renewal_message(self) -> bytes:
        """A license renewal message for the current license."""
        ...

    def export(self) -> bytes:
        """The persistent license state, for :meth:`load` in a later session."""
        ...

    def load(self, blob: bytes) -> tuple[InitDataInfo, CdmUpdate]:
        """Restore a persistent license from :meth:`export`'s output."""
        ...

    def release_message(self) -> bytes:
        """The license release message of a persistent license."""
        ...

    def close(self) -> None:
        """Drop the session's keys."""
        ...


class KeySystemImpl(Protocol):
    """A key system: what it supports, how its sessions are made, its license exchange."""

    key_system: str
    init_data_types: frozenset[str]
    session_types: frozenset[str]
    encryption_schemes: frozenset[str]
    requires_server_certificate: bool

    def create_session(
        self, session_type: SessionType, server_certificate: bytes | None
    ) -> CdmSession:
        """A new CDM session."""
        ...

    def exchange(self) -> LicenseExchange:
        """How license messages of this system travel over HTTP."""
        ...
