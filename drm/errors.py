"""The one exception type of :mod:`drm`: :class:`DrmError`, numbered like the player's.

``drm`` may not import ``player`` (see docs/ARCHITECTURE.md), so its errors carry the DRM
block (6xxx) of ``player.errors.Code`` as :class:`DrmCode`, a mirror with the same names
and numbers. The Player and the decode path wrap a ``DrmError`` into
``PlayerError(Code(err.code), err.message, recoverable=err.recoverable, data=err.data)``
where they call ``drm``; a test keeps the two tables equal.
"""

from __future__ import annotations

import enum
from typing import Any


class DrmCode(enum.IntEnum):
    """The DRM error codes; each equals the ``player.errors.Code`` of the same name."""

    LICENSE_REQUEST_FAILED = 6001
    LICENSE_RESPONSE_REJECTED = 6002
    EXPIRED = 6003
    NO_USABLE_KEY = 6004
    SERVER_CERTIFICATE_REQUIRED = 6005
    UNSUPPORTED_KEY_SYSTEM = 6006
    NO_DEVICE_BACKEND = 6007
    INIT_DATA_INVALID = 6008
    KEY_ID_MISMATCH = 6009
    SESSION_CLOSED = 6010
    LICENSE_SERVER_UNREACHABLE = 6011
    PSSH_INVALID = 6012
    OUTPUT_RESTRICTED = 6013
    CLOCK_TAMPERED = 6014
    LICENSE_TAMPERED = 6015
    SESSION_NOT_FOUND = 6016
    INVALID_SESSION_STATE = 6017
    DECRYPTION_FAILED = 6018


class DrmError(Exception):
    """A DRM failure: ``code`` (a :class:`DrmCode`), ``message``, ``recoverable``, ``data``.

    ``recoverable`` says whether trying again (another request, a renewal, another key
    system) may help; ``data`` carries structured detail such as an HTTP status or a KID.
    """

    def __init__(
        self,
        code: DrmCode,
        message: str,
        *,
        recoverable: bool = False,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.recoverable = recoverable
        self.data: dict[str, Any] = dict(data or {})

    def __str__(self) -> str:
        return f"DRM {int(self.code)} ({self.code.name}): {self.message}"

    def __repr__(self) -> str:
        return f"DrmError({self.code.name}, {self.message!r}, recoverable={self.recoverable})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable across process pools despite keyword-only arguments.
        return (_rebuild, (self.code, self.message, self.recoverable, self.data))


def _rebuild(code: DrmCode, message: str, recoverable: bool, data: dict[str, Any]) -> DrmError:
    return DrmError(code, message, recoverable=recoverable, data=data)
