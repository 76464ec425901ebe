"""player: the abrkit player SDK (manifests, network, engine, decode, offline, CLI).

The public API is what this module re-exports; everything else is private.
"""

from typing import TYPE_CHECKING, Any

from player.errors import Category, Code, PlayerError

if TYPE_CHECKING:
    from player.config import (
        AbrConfig,
        AnalyticsConfig,
        CmcdConfig,
        PlayerConfig,
        Preferences,
        StreamingConfig,
    )
    from player.engine import EngineState, PlayerEvent
    from player.player import Player, TrackInfo
    from player.stats import PlaybackStats
    from player.sync_player import SyncPlayer

# The Player and its companions load on first use (PEP 562), so importing
# player.errors (as every part of abrkit does) stays light.
_LAZY = {
    "AbrConfig": "player.config",
    "AnalyticsConfig": "player.config",
    "CmcdConfig": "player.config",
    "PlayerConfig": "player.config",
    "Preferences": "player.config",
    "StreamingConfig": "player.config",
    "EngineState": "player.engine",
    "PlayerEvent": "player.engine",
    "Player": "player.player",
    "TrackInfo": "player.player",
    "PlaybackStats": "player.stats",
    "SyncPlayer": "player.sync_player",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'player' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "AbrConfig",
    "AnalyticsConfig",
    "Category",
    "CmcdConfig",
    "Code",
    "EngineState",
    "PlaybackStats",
    "Player",
    "PlayerConfig",
    "PlayerError",
    "PlayerEvent",
    "Preferences",
    "StreamingConfig",
    "SyncPlayer",
    "TrackInfo",
]
