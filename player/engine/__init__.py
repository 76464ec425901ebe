"""The sans-I/O streaming engine: events in, actions out (see :mod:`player.engine.core`).

``COMPILED`` says whether the mypyc-compiled core runs (see ``player/engine/_core_loader.py``).
"""

from player.engine._core_loader import PURE_PYTHON_ENV, load_core

_core, COMPILED = load_core()

from player.engine.core import Engine, EngineState, ManifestParser  # noqa: E402
from player.engine.events import (  # noqa: E402
    Abandoned,
    Abort,
    Action,
    Downloaded,
    Ended,
    Error,
    Evicted,
    Fetch,
    FetchPurpose,
    Flush,
    LiveJump,
    ManifestUpdated,
    PlaybackStarted,
    PlayerEvent,
    QualityChanged,
    RequestFailed,
    Resumed,
    Seeked,
    Seeking,
    SegmentAppended,
    Stalled,
    StreamFetched,
    TrackChanged,
    WaitUntil,
)
from player.engine.selection import Selection, language_matches, select_track  # noqa: E402

__all__ = [
    "COMPILED",
    "PURE_PYTHON_ENV",
    "Abandoned",
    "Abort",
    "Action",
    "Downloaded",
    "Ended",
    "Engine",
    "EngineState",
    "Error",
    "Evicted",
    "Fetch",
    "FetchPurpose",
    "Flush",
    "LiveJump",
    "ManifestParser",
    "ManifestUpdated",
    "PlaybackStarted",
    "PlayerEvent",
    "QualityChanged",
    "RequestFailed",
    "Resumed",
    "Seeked",
    "Seeking",
    "SegmentAppended",
    "Selection",
    "Stalled",
    "StreamFetched",
    "TrackChanged",
    "WaitUntil",
    "language_matches",
    "select_track",
]
