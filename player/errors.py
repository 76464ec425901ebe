"""The one error type of abrkit: :class:`PlayerError`, with a category and a numbered code.

Codes are numbered by category the way Shaka Player numbers its errors: the thousands
digit is the category (1 NETWORK, 3 MEDIA, 4 MANIFEST, 6 DRM, 7 PLAYER, 9 STORAGE). The
full table, with what each code means, is in ``docs/ERRORS.md`` and is generated from
:class:`Code` (``python -m player.errors`` prints it), so the two never disagree.

Every raw exception from a dependency (aiohttp, mpegdash, m3u8, PyAV, sqlite3, ...) is
wrapped into a ``PlayerError`` at the boundary where it is caught.
"""

from __future__ import annotations

import enum
from typing import Any


class Category(enum.IntEnum):
    """What part of playback failed. The value is the thousands digit of every code."""

    NETWORK = 1
    MEDIA = 3
    MANIFEST = 4
    DRM = 6
    PLAYER = 7
    STORAGE = 9


class Code(enum.IntEnum):
    """Numbered error codes. ``code // 1000`` is the :class:`Category` value.

    Add new codes at the end of their category's block; never renumber a code.
    """

    # NETWORK (1xxx)
    BAD_HTTP_STATUS = 1001
    HTTP_ERROR = 1002  # socket/connection-level failure
    TIMEOUT = 1003
    CONNECT_TIMEOUT = 1004
    FIRST_BYTE_TIMEOUT = 1005
    STALL_TIMEOUT = 1006
    TRUNCATED_BODY = 1007
    RETRIES_EXHAUSTED = 1008
    ALL_ORIGINS_FAILED = 1009
    REQUEST_CANCELLED = 1010
    REQUEST_FILTER_FAILED = 1011
    MALFORMED_URL = 1012
    UNSUPPORTED_SCHEME = 1013
    RESPONSE_TOO_LARGE = 1014

    # MEDIA (3xxx)
    CORRUPT_SEGMENT = 3001
    UNDECODABLE_FRAME = 3002
    UNSUPPORTED_CODEC = 3003
    INIT_SEGMENT_INVALID = 3004
    NO_DECODABLE_REPRESENTATION = 3005
    SIDX_INVALID = 3006
    BOX_INVALID = 3007
    ENCODE_FAILED = 3008
    SOURCE_UNREADABLE = 3009
    SUBTITLE_INVALID = 3010  # WebVTT text or a wvtt (fMP4) segment that cannot be read

    # MANIFEST (4xxx)
    MANIFEST_TOO_LARGE = 4001
    UNKNOWN_FORMAT = 4002
    INVALID_XML = 4003
    DASH_INVALID = 4004
    HLS_INVALID = 4005
    MISSING_ATTRIBUTE = 4006
    INVALID_ATTRIBUTE = 4007
    UNSUPPORTED_FEATURE = 4008
    NO_PERIODS = 4009
    NO_REPRESENTATIONS = 4010
    SEGMENT_NOT_FOUND = 4011
    MEDIA_PLAYLIST_UNAVAILABLE = 4012
    FORBIDDEN_CONSTRUCT = 4013  # DTD, entities, external references
    LIVE_WINDOW_EMPTY = 4014
    TEMPLATE_INVALID = 4015

    # DRM (6xxx)
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
    INVALID_SESSION_STATE = 6017  # EME InvalidStateError: a call the session's state forbids
    DECRYPTION_FAILED = 6018  # the key held for a KID does not decrypt its media (a wrong key)

    # PLAYER (7xxx)
    INVALID_STATE = 7001
    INVALID_ARGUMENT = 7002
    NOT_LOADED = 7003
    LOAD_INTERRUPTED = 7004
    UNKNOWN_POLICY = 7005
    INVALID_CONFIG = 7006
    TRACE_INVALID = 7007
    VIDEO_INVALID = 7008  # a video description (segment sizes) that cannot be simulated
    INTERNAL = 7099

    # STORAGE (9xxx)
    QUOTA_EXCEEDED = 9001
    DISK_FULL = 9002
    TITLE_NOT_FOUND = 9003
    TAMPERED = 9004
    PATH_TRAVERSAL = 9005
    STORE_CORRUPT = 9006
    DOWNLOAD_INCOMPLETE = 9007
    STORE_LOCKED = 9008

    @property
    def category(self) -> Category:
        """The category this code belongs to."""
        return Category(self.value // 1000)


class PlayerError(Exception):
    """The single exception type abrkit raises to its users.

    ``category`` and ``code`` identify the failure; ``message`` says in words what is
    wrong and where; ``recoverable`` tells the engine whether retrying, refetching or
    failing over may help; ``data`` carries structured detail (a URL, a line number, an
    HTTP status) for logs and UIs.
    """

    def __init__(
        self,
        code: Code,
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

    @property
    def category(self) -> Category:
        """The category of :attr:`code`."""
        return self.code.category

    def to_json(self) -> dict[str, Any]:
        """The ``{"category", "code", "message"}`` record the CLI prints with ``--json``."""
        return {
            "category": self.category.name,
            "code": int(self.code),
            "name": self.code.name,
            "message": self.message,
        }

    def __str__(self) -> str:
        return f"{self.category.name} {int(self.code)} ({self.code.name}): {self.message}"

    def __repr__(self) -> str:
        return f"PlayerError({self.code.name}, {self.message!r}, recoverable={self.recoverable})"

    def __reduce__(self) -> tuple[Any, ...]:
        # Keep errors picklable across process pools (sweeps) despite keyword-only args.
        return (_rebuild, (self.code, self.message, self.recoverable, self.data))


def _rebuild(code: Code, message: str, recoverable: bool, data: dict[str, Any]) -> PlayerError:
    return PlayerError(code, message, recoverable=recoverable, data=data)


def error_table_markdown() -> str:
    """The documented code table (``docs/ERRORS.md`` is this text)."""
    lines = ["| code | category | name |", "|---:|---|---|"]
    lines += [f"| {int(c)} | {c.category.name} | {c.name} |" for c in Code]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(error_table_markdown(), end="")
