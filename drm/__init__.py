"""drm: an EME-shaped CDM interface, ClearKey, and Widevine/PlayReady/FairPlay adapters.

``drm`` imports neither ``player`` nor ``ui``; its one exception type is :class:`DrmError`,
whose codes mirror the DRM block of ``player.errors.Code``.
"""

from drm.errors import DrmCode, DrmError
from drm.protection_info import ProtectionInfo, TrackEncryption, read_protection_info
from drm.pssh import PsshBox, build_pssh, find_pssh_boxes, parse_pssh, parse_pssh_list
from drm.systems import (
    CLEARKEY,
    COMMON,
    FAIRPLAY,
    PLAYREADY,
    SYSTEMS,
    WIDEVINE,
    DrmSystem,
    system_by_id,
    system_by_key_system,
    system_name,
)

__all__ = [
    "CLEARKEY",
    "COMMON",
    "FAIRPLAY",
    "PLAYREADY",
    "SYSTEMS",
    "WIDEVINE",
    "DrmCode",
    "DrmError",
    "DrmSystem",
    "ProtectionInfo",
    "PsshBox",
    "TrackEncryption",
    "build_pssh",
    "find_pssh_boxes",
    "parse_pssh",
    "parse_pssh_list",
    "read_protection_info",
    "system_by_id",
    "system_by_key_system",
    "system_name",
]
