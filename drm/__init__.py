"""drm: an EME-shaped CDM interface, ClearKey, and Widevine/PlayReady/FairPlay adapters."""

__all__: list[str] = []
