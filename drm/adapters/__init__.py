"""Widevine, PlayReady and FairPlay over a plugged-in :class:`DeviceBackend`."""

from drm.adapters.device import (
    DeviceBackend,
    DeviceBackendFactory,
    DeviceKey,
    DeviceLicense,
    map_key_status,
    register_device_backend,
    registered_device_backend,
    unregister_device_backend,
)
from drm.adapters.fairplay import FairPlayExchange, FairPlaySystem, unwrap_ckc
from drm.adapters.playready import (
    SOAP_ACTION,
    PlayReadyExchange,
    PlayReadySystem,
    soap_fault,
    unwrap_key_message,
)
from drm.adapters.widevine import WidevineExchange, WidevineSystem

__all__ = [
    "SOAP_ACTION",
    "DeviceBackend",
    "DeviceBackendFactory",
    "DeviceKey",
    "DeviceLicense",
    "FairPlayExchange",
    "FairPlaySystem",
    "PlayReadyExchange",
    "PlayReadySystem",
    "WidevineExchange",
    "WidevineSystem",
    "map_key_status",
    "register_device_backend",
    "registered_device_backend",
    "soap_fault",
    "unregister_device_backend",
    "unwrap_ckc",
    "unwrap_key_message",
]
