"""Common Encryption settings for the packager: ClearKey ``cenc`` (AES-CTR).

The samples are encrypted by FFmpeg's mp4 muxer; the packager adds what it does not
write: the ``pssh`` box in each init segment, DASH ``ContentProtection`` and the HLS
``EXT-X-KEY``.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass

from drm import CLEARKEY, COMMON, DrmError, build_pssh
from player.errors import Code, PlayerError

COMMON_SYSTEM_ID = uuid.UUID(bytes=COMMON.system_id)
"""W3C Common PSSH box format system id (the ``cenc`` init data EME ClearKey reads)."""

CLEARKEY_SYSTEM_ID = uuid.UUID(bytes=CLEARKEY.system_id)
"""DASH-IF ClearKey system id."""


@dataclass(frozen=True, slots=True)
class ClearKeyEncryption:
    """Encrypt every track with one 16-byte key (scheme ``cenc``, AES-CTR)."""

    key_id: bytes
    key: bytes
    license_url: str | None = None

    def __post_init__(self) -> None:
        if len(self.key_id) != 16 or len(self.key) != 16:
            raise PlayerError(Code.INVALID_ARGUMENT, "key id and key must be 16 bytes each")

    @classmethod
    def from_hex(cls, key_id: str, key: str, license_url: str | None = None) -> ClearKeyEncryption:
        """From hex strings (dashes allowed in the key id, as in a UUID)."""
        try:
            kid = bytes.fromhex(key_id.replace("-", "").strip())
            k = bytes.fromhex(key.strip())
        except ValueError as exc:
            raise PlayerError(Code.INVALID_ARGUMENT, f"key id / key must be hex: {exc}") from exc
        return cls(kid, k, license_url)

    @property
    def key_id_uuid(self) -> str:
        """The key id as a UUID string (``cenc:default_KID``)."""
        return str(uuid.UUID(bytes=self.key_id))

    def muxer_options(self) -> str:
        """The mp4 muxer options that make it encrypt (passed via ``format_options``)."""
        return (
            f"encryption_scheme=cenc-aes-ctr:encryption_key={self.key.hex()}"
            f":encryption_kid={self.key_id.hex()}"
        )

    def pssh(self) -> bytes:
        """The common-system ``pssh`` box (version 1, listing the key id)."""
        try:
            return build_pssh(COMMON.system_id, [self.key_id])
        except DrmError as exc:  # drm/ cannot raise PlayerError itself
            raise PlayerError(Code.INVALID_ARGUMENT, f"cannot build the PSSH: {exc}") from exc

    def pssh_base64(self) -> str:
        """:meth:`pssh` in base64, as ``cenc:pssh`` and HLS data URIs carry it."""
        return base64.b64encode(self.pssh()).decode("ascii")
