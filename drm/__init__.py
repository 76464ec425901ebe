"""drm: an EME-shaped CDM interface, ClearKey, and Widevine/PlayReady/FairPlay adapters.

``drm`` imports neither ``player`` nor ``ui``; its one exception type is :class:`DrmError`,
whose codes mirror the DRM block of ``player.errors.Code``. See docs/DRM.md.
"""

from drm._cdm import InitDataInfo, KeyStatus, MessageType, SessionType
from drm.adapters import (
    DeviceBackend,
    DeviceBackendFactory,
    DeviceKey,
    DeviceLicense,
    register_device_backend,
    unregister_device_backend,
)
from drm.clearkey import b64url_decode, b64url_encode, build_license, license_request
from drm.content_protection import (
    ContentProtectionInfo,
    describe_content_protection,
    parse_kid,
)
from drm.eme import (
    ExpirationChangeEvent,
    KeyStatusesChangeEvent,
    MediaKeyMessageEvent,
    MediaKeys,
    MediaKeySession,
    MediaKeySystemAccess,
    MediaKeySystemConfiguration,
    MediaKeySystemMediaCapability,
    request_media_key_system_access,
)
from drm.errors import DrmCode, DrmError
from drm.exchange import ClearKeyExchange, LicenseExchange
from drm.fairplay import SkdUri, parse_skd_uri
from drm.hls_keys import HlsKey, parse_ext_x_key
from drm.key_manager import KeyManager
from drm.license_client import LicenseClient
from drm.license_server import (
    ClearKeyLicenseServer,
    LicensePolicy,
    ReceivedRequest,
    parse_policy,
)
from drm.playready import (
    PlayReadyObject,
    WrmHeader,
    build_playready_object,
    build_wrm_header,
    parse_playready_object,
    parse_wrm_header,
)
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
from drm.transport import (
    LicenseRequest,
    LicenseResponse,
    LicenseTransport,
    RetryPolicy,
    bearer_token,
    static_headers,
)
from drm.widevine_pssh import WidevinePsshData, parse_widevine_pssh_data

__all__ = [
    "CLEARKEY",
    "COMMON",
    "FAIRPLAY",
    "PLAYREADY",
    "SYSTEMS",
    "WIDEVINE",
    "ClearKeyExchange",
    "ClearKeyLicenseServer",
    "ContentProtectionInfo",
    "DeviceBackend",
    "DeviceBackendFactory",
    "DeviceKey",
    "DeviceLicense",
    "DrmCode",
    "DrmError",
    "DrmSystem",
    "ExpirationChangeEvent",
    "HlsKey",
    "InitDataInfo",
    "KeyManager",
    "KeyStatus",
    "KeyStatusesChangeEvent",
    "LicenseClient",
    "LicenseExchange",
    "LicensePolicy",
    "LicenseRequest",
    "LicenseResponse",
    "LicenseTransport",
    "MediaKeyMessageEvent",
    "MediaKeySession",
    "MediaKeySystemAccess",
    "MediaKeySystemConfiguration",
    "MediaKeySystemMediaCapability",
    "MediaKeys",
    "MessageType",
    "PlayReadyObject",
    "ProtectionInfo",
    "PsshBox",
    "ReceivedRequest",
    "RetryPolicy",
    "SessionType",
    "SkdUri",
    "TrackEncryption",
    "WidevinePsshData",
    "WrmHeader",
    "b64url_decode",
    "b64url_encode",
    "bearer_token",
    "build_license",
    "build_playready_object",
    "build_pssh",
    "build_wrm_header",
    "describe_content_protection",
    "find_pssh_boxes",
    "license_request",
    "parse_ext_x_key",
    "parse_kid",
    "parse_playready_object",
    "parse_policy",
    "parse_pssh",
    "parse_pssh_list",
    "parse_skd_uri",
    "parse_widevine_pssh_data",
    "parse_wrm_header",
    "read_protection_info",
    "register_device_backend",
    "request_media_key_system_access",
    "static_headers",
    "system_by_id",
    "system_by_key_system",
    "system_name",
    "unregister_device_backend",
]
