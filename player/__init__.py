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
        DrmConfig,
        PlayerConfig,
        Preferences,
        StreamingConfig,
    )
    from player.decode import AudioFormat, AudioOutput, DecodingSink, VideoFrame, VirtualAudioOutput
    from player.engine import (
        Ended,
        EngineState,
        PlaybackStarted,
        PlayerEvent,
        QualityChanged,
        Resumed,
        Seeked,
        Seeking,
        Stalled,
        TrackChanged,
    )
    from player.manifest import TrackKind
    from player.offline import OfflinePlayback, OfflineStore
    from player.packager import build_sample
    from player.player import Player, TrackInfo
    from player.sink import MediaChunk, MediaSink, SinkStats
    from player.stats import PlaybackStats
    from player.sync_player import SyncPlayer
    from player.text import Cue, CueSettings, CueTimeline, parse_text_segment

# The Player and its companions load on first use (PEP 562), so importing
# player.errors (as every part of abrkit does) stays light.
_LAZY = {
    "AbrConfig": "player.config",
    "AnalyticsConfig": "player.config",
    "CmcdConfig": "player.config",
    "DrmConfig": "player.config",
    "PlayerConfig": "player.config",
    "Preferences": "player.config",
    "StreamingConfig": "player.config",
    "EngineState": "player.engine",
    "PlayerEvent": "player.engine",
    "Player": "player.player",
    "TrackInfo": "player.player",
    "PlaybackStats": "player.stats",
    "SyncPlayer": "player.sync_player",
    # The decode path, media sinks and subtitles, for viewers (ui/) and apps.
    "AudioFormat": "player.decode",
    "AudioOutput": "player.decode",
    "DecodingSink": "player.decode",
    "VideoFrame": "player.decode",
    "VirtualAudioOutput": "player.decode",
    "MediaChunk": "player.sink",
    "MediaSink": "player.sink",
    "SinkStats": "player.sink",
    "TrackKind": "player.manifest",
    "Cue": "player.text",
    "CueSettings": "player.text",
    "CueTimeline": "player.text",
    "parse_text_segment": "player.text",
    "build_sample": "player.packager",
    # Downloaded titles, played with no network.
    "OfflinePlayback": "player.offline",
    "OfflineStore": "player.offline",
    # Events a viewer reacts to (every event type is in player.engine).
    "Ended": "player.engine",
    "PlaybackStarted": "player.engine",
    "QualityChanged": "player.engine",
    "Resumed": "player.engine",
    "Seeked": "player.engine",
    "Seeking": "player.engine",
    "Stalled": "player.engine",
    "TrackChanged": "player.engine",
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
    "AudioFormat",
    "AudioOutput",
    "Category",
    "CmcdConfig",
    "Code",
    "Cue",
    "CueSettings",
    "CueTimeline",
    "DecodingSink",
    "DrmConfig",
    "Ended",
    "EngineState",
    "MediaChunk",
    "MediaSink",
    "OfflinePlayback",
    "OfflineStore",
    "PlaybackStarted",
    "PlaybackStats",
    "Player",
    "PlayerConfig",
    "PlayerError",
    "PlayerEvent",
    "Preferences",
    "QualityChanged",
    "Resumed",
    "Seeked",
    "Seeking",
    "SinkStats",
    "Stalled",
    "StreamingConfig",
    "SyncPlayer",
    "TrackChanged",
    "TrackInfo",
    "TrackKind",
    "VideoFrame",
    "VirtualAudioOutput",
    "build_sample",
    "parse_text_segment",
]
