"""Content keys for the decoder: check the init segment's KIDs before decoding anything.

PyAV decrypts CENC ``cenc`` and ``cbcs`` in the MP4 demuxer when given
``decryption_keys``, but with a wrong or missing key it decodes garbage without an error
(or fails late, mid-segment). So the decode path reads each init segment's protection
(``drm.read_protection_info``: ``schm`` and ``tenc``) and refuses, with a typed DRM error,
to decode a track whose default KID it holds no key for.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping

from drm import DrmError, ProtectionInfo, read_protection_info
from player.errors import Code, PlayerError

# Schemes FFmpeg's MP4 demuxer decrypts.
_SCHEMES = frozenset({"cenc", "cbcs", "cens", "cbc1"})
_HEX32 = re.compile(r"[0-9a-f]{32}")
_CACHE_SIZE = 16


def normalize_keys(keys: Mapping[str, str]) -> dict[str, str]:
    """``{kid_hex: key_hex}`` in lower case without dashes; bad hex is ``INVALID_ARGUMENT``."""
    out: dict[str, str] = {}
    for kid, key in keys.items():
        k = str(kid).replace("-", "").lower()
        v = str(key).replace("-", "").lower()
        if not _HEX32.fullmatch(k) or not _HEX32.fullmatch(v):
            raise PlayerError(
                Code.INVALID_ARGUMENT,
                f"content key {kid!r} is not 16 bytes of hex (KID and key must be 32 hex digits)",
            )
        out[k] = v
    return out


class KeyCheck:
    """Turns an init segment plus the keys held into the demuxer's decryption options.

    Protection is parsed once per distinct init segment (a small cache), so checking every
    chunk costs a dictionary look-up.
    """

    def __init__(self) -> None:
        self._cache: OrderedDict[bytes, ProtectionInfo] = OrderedDict()
        self._lock = threading.Lock()  # the loop and the decode threads share one check

    def protection(self, init: bytes, *, representation_id: str = "") -> ProtectionInfo:
        """The protection ``init`` declares; ``PlayerError(DRM, ...)`` when malformed."""
        with self._lock:
            info = self._cache.get(init)
            if info is not None:
                self._cache.move_to_end(init)
                return info
        try:
            info = read_protection_info(init)
        except DrmError as err:
            raise PlayerError(
                Code(int(err.code)),
                f"init segment of {representation_id!r}: {err.message}",
                recoverable=err.recoverable,
                data={**err.data, "representation_id": representation_id},
            ) from None
        with self._lock:
            self._cache[init] = info
            if len(self._cache) > _CACHE_SIZE:
                self._cache.popitem(last=False)
        return info

    def options(
        self, init: bytes, keys: Mapping[str, str], *, representation_id: str = ""
    ) -> dict[str, str]:
        """Demuxer options that decrypt ``init``'s tracks: ``{}`` for clear content.

        ``keys`` must already be normalized (:func:`normalize_keys`). Raises
        ``PlayerError(NO_USABLE_KEY)`` when no key is held at all and
        ``PlayerError(KEY_ID_MISMATCH)`` when keys are held but none for a protected
        track's default KID, both before a single frame is decoded.
        """
        if not init:  # MPEG-TS and other init-less media: no CENC
            return {}
        info = self.protection(init, representation_id=representation_id)
        if not info.encrypted:
            return {}
        needed: list[str] = []
        for track in info.tracks:
            if not track.is_protected:
                continue
            if track.scheme not in _SCHEMES:
                raise PlayerError(
                    Code.INIT_DATA_INVALID,
                    f"{representation_id!r} uses protection scheme {track.scheme!r}, "
                    f"which the decoder cannot decrypt (supported: {sorted(_SCHEMES)})",
                    data={"representation_id": representation_id, "scheme": track.scheme},
                )
            if track.default_kid is None:
                raise PlayerError(
                    Code.INIT_DATA_INVALID,
                    f"{representation_id!r} is encrypted but its tenc box has no default KID",
                    data={"representation_id": representation_id},
                )
            kid = track.default_kid.hex()
            if kid not in needed:
                needed.append(kid)
        detail = {"representation_id": representation_id, "key_ids": needed}
        if not keys:
            raise PlayerError(
                Code.NO_USABLE_KEY,
                f"{representation_id!r} is encrypted ({info.scheme}) with KID "
                f"{', '.join(needed)} and no content key is held",
                data=detail,
            )
        missing = [kid for kid in needed if kid not in keys]
        if missing:
            raise PlayerError(
                Code.KEY_ID_MISMATCH,
                f"{representation_id!r} needs KID {', '.join(missing)}; the keys held are for "
                f"{', '.join(sorted(keys))}",
                data={**detail, "held": sorted(keys)},
            )
        # FFmpeg's dictionary option syntax: kid=key pairs separated by ':'.
        return {"decryption_keys": ":".join(f"{kid}={keys[kid]}" for kid in needed)}
