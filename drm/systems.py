"""DRM systems: their PSSH system ids, EME key system names and short names.

The ids are the ones registered with DASH-IF (https://dashif.org/identifiers/content_protection/)
and used by Shaka Player and EME; ``name`` is the short name the manifest model stores in
``ContentProtection.system`` (the mp4protection element itself is ``"cenc"``, see
:data:`MP4PROTECTION_SCHEME`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DrmSystem:
    """One DRM system: a short ``name``, its PSSH ``system_id`` and EME ``key_systems``.

    ``key_systems[0]`` is the canonical EME key system string.
    """

    name: str
    system_id: bytes
    key_systems: tuple[str, ...]
    description: str

    @property
    def uuid(self) -> str:
        """The system id as a lowercase hyphenated UUID."""
        return str(uuid.UUID(bytes=self.system_id))

    @property
    def scheme_id_uri(self) -> str:
        """The DASH ``ContentProtection@schemeIdUri`` of this system."""
        return f"urn:uuid:{self.uuid}"

    @property
    def key_system(self) -> str:
        """The canonical EME key system string."""
        return self.key_systems[0]


def _sys(name: str, sid: str, key_systems: tuple[str, ...], description: str) -> DrmSystem:
    return DrmSystem(name, uuid.UUID(sid).bytes, key_systems, description)


#: The W3C Common PSSH box (key ids only). ClearKey is the system that reads it, so its
#: short name is ``"clearkey"`` (as in the manifest model).
COMMON = _sys(
    "clearkey",
    "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b",
    ("org.w3.clearkey",),
    "W3C Common PSSH box (ISO/IEC 23001-7 key ids)",
)
CLEARKEY = _sys(
    "clearkey",
    "e2719d58-a985-b3c9-781a-b030af78d30e",
    ("org.w3.clearkey",),
    "W3C ClearKey (DASH-IF ClearKey 1.0)",
)
WIDEVINE = _sys(
    "widevine",
    "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed",
    ("com.widevine.alpha",),
    "Google Widevine",
)
PLAYREADY = _sys(
    "playready",
    "9a04f079-9840-4286-ab92-e65be0885f95",
    (
        "com.microsoft.playready",
        "com.microsoft.playready.recommendation",
        "com.microsoft.playready.hardware",
        "com.chromecast.playready",
    ),
    "Microsoft PlayReady",
)
# The same PlayReady GUID written with its first three fields little-endian, as Smooth
# Streaming and some packagers do; Shaka Player accepts it too.
PLAYREADY_LE = _sys(
    "playready",
    "79f0049a-4098-8642-ab92-e65be0885f95",
    PLAYREADY.key_systems,
    "Microsoft PlayReady (byte-swapped GUID form)",
)
FAIRPLAY = _sys(
    "fairplay",
    "94ce86fb-07ff-4f43-adb8-93d2fa968ca2",
    ("com.apple.fps", "com.apple.fps.1_0", "com.apple.fps.2_0", "com.apple.fps.3_0"),
    "Apple FairPlay Streaming",
)
MARLIN = _sys(
    "marlin",
    "5e629af5-38da-4063-8977-97ffbd9902d4",
    ("com.marlin-drm",),
    "Marlin Adaptive Streaming",
)
PRIMETIME = _sys(
    "primetime",
    "f239e769-efa3-4850-9c16-a903c6932efb",
    ("com.adobe.primetime",),
    "Adobe Primetime",
)
WISEPLAY = _sys(
    "wiseplay",
    "3d5e6d35-9b9a-41e8-b843-dd3c6e72c42c",
    ("com.huawei.wiseplay",),
    "Huawei WisePlay (ChinaDRM)",
)

#: Every known system, in the order used to report them.
SYSTEMS: tuple[DrmSystem, ...] = (
    COMMON,
    CLEARKEY,
    WIDEVINE,
    PLAYREADY,
    PLAYREADY_LE,
    FAIRPLAY,
    MARLIN,
    PRIMETIME,
    WISEPLAY,
)

#: ``ContentProtection@schemeIdUri`` of the mp4protection element (scheme + default KID).
MP4PROTECTION_SCHEME = "urn:mpeg:dash:mp4protection:2011"

_BY_ID = {s.system_id: s for s in SYSTEMS}
_BY_KEY_SYSTEM = {
    ks: s for s in (COMMON, WIDEVINE, PLAYREADY, FAIRPLAY, MARLIN) for ks in s.key_systems
}
_BY_KEY_SYSTEM.update({ks: s for s in (PRIMETIME, WISEPLAY) for ks in s.key_systems})
_BY_KEY_SYSTEM["org.w3.clearkey"] = CLEARKEY


def system_by_id(system_id: bytes | str) -> DrmSystem | None:
    """The system with this PSSH system id (16 bytes, or a UUID string, ``urn:uuid:`` too).

    Unknown or malformed ids give None.
    """
    if isinstance(system_id, str):
        text = system_id.strip()
        if text.lower().startswith("urn:uuid:"):
            text = text[len("urn:uuid:") :]
        try:
            system_id = uuid.UUID(text).bytes
        except ValueError:
            return None
    return _BY_ID.get(bytes(system_id))


def system_by_key_system(key_system: str) -> DrmSystem | None:
    """The system an EME key system string names (``com.widevine.alpha`` ...), or None."""
    return _BY_KEY_SYSTEM.get(key_system)


def system_name(system_id: bytes | str) -> str:
    """The short name of a system id (``"widevine"`` ...), ``"unknown"`` if not known."""
    found = system_by_id(system_id)
    return found.name if found else "unknown"
